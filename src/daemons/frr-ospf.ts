/**
 * The `ospf:` block of a node → FRR configuration (ospfd for IPv4, ospf6d for
 * IPv6). Pure.
 *
 * What is generated, and why:
 *  - every interface with an IPv4 address joins OSPFv2 (`ip ospf area` on the
 *    interface, FRR ≥ 4.0), and with an IPv6 address OSPFv3 (`ipv6 ospf6 area`,
 *    FRR ≥ 8.2) when the node has IPv6 addresses; the management interface never;
 *  - the loopback joins as passive, so its /32 is announced but no hellos go out;
 *  - point-to-point links get network type point-to-point (no DR election,
 *    whose wait timer would hold the adjacency for a dead interval, 40 s);
 *    LAN segments stay broadcast;
 *  - an interface whose link has no OSPF speaker on it (a host link, a LAN of
 *    hosts, a BGP-only neighbour) is passive: its subnet is announced and no
 *    hellos go out;
 *  - hello 1 s / dead 4 s where every OSPF speaker on the link has a generated
 *    config (both ends agree, and adjacencies form in a second or two instead
 *    of a hello period or more); the neighbour's own intervals where it brings
 *    its own config (src/daemons/peers.ts: ospfTimers); `hello:`/`dead:` always win;
 *  - per-interface settings (`ospf.interfaces.<name>`) beat the node's, which
 *    beat the lab's (the loader has already merged node and lab);
 *  - `options:` keys become lines inside `router ospf` (`key value`, `key` for
 *    true, `no key` for false); `options.ospf6` (an object) likewise for ospf6.
 * Commands: FRR 8.4 user guide, "OSPFv2" and "OSPFv3".
 */
import type { Node, Ospf, OspfInterface, Topology } from '../topology/types.js';
import { userConfig } from './config.js';
import { adjacencies, addr, fallbackRouterId, hasIPv6, nodeMap, LARGE_OSPF_LAB, optionLines, ospfRouterCount, ospfSpeakers, ospfTimers, type OspfTimers } from './peers.js';
import { isLan } from '../topology/link-types/index.js';

/** FRR configuration lines, grouped as frr.conf groups them. */
export interface FrrSections {
  /** Interface name → lines inside `interface NAME` (indented one space). */
  interfaces: Map<string, string[]>;
  /** Whole router blocks, each ending with `exit`. */
  routers: string[][];
}

/**
 * Router timers of generated configs. FRR's defaults re-originate an LSA at
 * most every 5 s and drop a copy that arrives within 1 s of the previous one
 * (RFC 2328 MinLSInterval/MinLSArrival); while a lab starts, every adjacency
 * that comes up changes the router LSA, so copies are dropped and wait for a
 * 5 s retransmission. Originating at most every 100 ms, accepting after 50 ms,
 * and running SPF at once (then holding 50–500 ms) lets a lab converge in
 * seconds. Local timers: a neighbour with other values still interoperates.
 *
 * In a lab of more than LARGE_OSPF_LAB (100) routers, SPF waits before it
 * runs: every router that joins changes the topology of all the others, and
 * FRR's hold grows by its minimum (50 ms) per SPF and falls back to it after
 * each quiet spell, so on a busy host each of N routers ran an SPF over N
 * routers about once a second for as long as routers kept joining — O(N²)
 * work that starved the starts (issue 20: a 20×20 grid ran the load to 220
 * and had not started every router after 8.7 min). Here the first SPF waits
 * 10 ms per router (at most 5 s) so that a burst of LSAs is computed once,
 * the hold starts there and grows to 50 ms per router (at most 30 s); LSA
 * origination waits 1 ms per router (at most 1 s), so the adjacencies a
 * router forms while the lab starts go out in fewer LSAs, each flooded to
 * every router. After the last change a router converges within one hold.
 * FRR 8.4 user guide, "OSPFv2": timers throttle spf DELAY INITIAL MAX.
 * @param routers the number of OSPF routers in the lab.
 */
export function routerTimers(routers: number, v3 = false): string[] {
  const big = routers > LARGE_OSPF_LAB;
  const delayMs = Math.min(5000, 10 * routers);
  const spf = big ? `${delayMs} ${delayMs} ${Math.min(30_000, 50 * routers)}` : '0 50 500';
  const lsaMs = big ? Math.min(1000, routers) : 100;
  return [` timers throttle spf ${spf}`, ...(v3 ? [] : [` timers throttle lsa all ${lsaMs}`]), ' timers lsa min-arrival 50'];
}

/** Effective OSPF settings of one interface. */
interface IfaceOspf {
  area: string;
  cost?: number;
  passive: boolean;
  network?: 'point-to-point' | 'broadcast';
}

function effective(ospf: Ospf, name: string, dflt: { passive: boolean; network?: 'point-to-point' | 'broadcast' }): IfaceOspf {
  const o: OspfInterface = ospf.interfaces[name] ?? {};
  const out: IfaceOspf = { area: o.area ?? ospf.area, passive: o.passive ?? dflt.passive };
  const cost = o.cost ?? ospf.cost;
  if (cost !== undefined) out.cost = cost;
  const network = o.network ?? dflt.network;
  if (network !== undefined) out.network = network;
  return out;
}

function push(map: Map<string, string[]>, iface: string, lines: string[]): void {
  if (!lines.length) return;
  const have = map.get(iface);
  if (have) have.push(...lines);
  else map.set(iface, [...lines]);
}

function ifaceLines(v: 'ip ospf' | 'ipv6 ospf6', s: IfaceOspf, timers?: OspfTimers): string[] {
  const out = [` ${v} area ${s.area}`];
  if (s.network !== undefined) out.push(` ${v} network ${s.network}`);
  if (s.cost !== undefined) out.push(` ${v} cost ${s.cost}`);
  if (!s.passive && timers?.helloS !== undefined) out.push(` ${v} hello-interval ${timers.helloS}`);
  if (!s.passive && timers?.deadS !== undefined) out.push(` ${v} dead-interval ${timers.deadS}`);
  if (!s.passive && timers?.retransmitS !== undefined) out.push(` ${v} retransmit-interval ${timers.retransmitS}`);
  if (s.passive) out.push(` ${v} passive`);
  return out;
}

/**
 * OSPF sections of a node's frr.conf, or empty sections when the node has no
 * `ospf:`. OSPFv3 runs when the node has any IPv6 address of its own.
 */
export function renderOspf(node: Node, t: Topology): FrrSections {
  const out: FrrSections = { interfaces: new Map(), routers: [] };
  const ospf = node.ospf;
  if (!ospf) return out;
  const v6 = hasIPv6(node);
  const rid = ospf.routerId ?? fallbackRouterId(node);
  const byName = nodeMap(t);
  const ospfRouters = ospfRouterCount(t);

  const lo = effective(ospf, 'lo', { passive: true });
  if (node.loopback.ipv4) push(out.interfaces, 'lo', ifaceLines('ip ospf', lo));
  if (v6 && node.loopback.ipv6) push(out.interfaces, 'lo', ifaceLines('ipv6 ospf6', lo));

  for (const a of adjacencies(node, t, byName)) {
    const network = ospf.network ?? (isLan(a.link) ? undefined : 'point-to-point');
    const dflt: { passive: boolean; network?: 'point-to-point' | 'broadcast' } = { passive: ospf.passive ?? ospfSpeakers(a).length === 0 };
    if (network !== undefined) dflt.network = network;
    const s = effective(ospf, a.iface.name, dflt);
    const timers = ospfTimers(ospf, a, userConfig, ospfRouters);
    if (a.iface.ipv4) push(out.interfaces, a.iface.name, ifaceLines('ip ospf', s, timers));
    if (v6 && a.iface.ipv6) push(out.interfaces, a.iface.name, ifaceLines('ipv6 ospf6', s, timers));
  }

  const { ospf6: ospf6Options, ...v2Options } = ospf.options;
  const redistribute = ospf.redistribute.map((r) => ` redistribute ${r}`);
  out.routers.push(['router ospf', ` ospf router-id ${rid}`, ...redistribute, ...routerTimers(ospfRouters), ...optionLines(v2Options, ' '), 'exit']);
  if (v6) {
    const extra = ospf6Options !== null && typeof ospf6Options === 'object' && !Array.isArray(ospf6Options) ? optionLines(ospf6Options as Record<string, unknown>, ' ') : [];
    out.routers.push(['router ospf6', ` ospf6 router-id ${rid}`, ...redistribute, ...routerTimers(ospfRouters, true), ...extra, 'exit']);
  }
  return out;
}

/** The node's OSPF router id as rendered (given, its IPv4 loopback, or the fallback). */
export function ospfRouterId(node: Node): string {
  return node.ospf?.routerId ?? (node.loopback.ipv4 ? addr(node.loopback.ipv4) : fallbackRouterId(node));
}
