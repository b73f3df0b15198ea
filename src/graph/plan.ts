/**
 * Topology → Plan: the ordered kernel actions of `netlab up`, pure data.
 *
 * Phases and why they are in this order:
 *   nodes      every node's namespaces/cgroup/rootfs (+ the hidden segment namespace)
 *   sysctls    before links, so new interfaces inherit net.*.conf.default.*
 *              (rp_filter 0, accept_dad 0) instead of needing per-interface writes
 *   links      veth pairs created in place (one per p2p link, one per LAN member),
 *              host links, the mgmt network (its bridge and veths, on the host)
 *   bridges    LAN bridges and switch-node bridges, enslaving the veth ends the
 *              links phase made (the kernel enslaves existing ports only)
 *   addresses  loopbacks, interface addresses (after the interfaces exist); in a large lab,
 *              permanent neighbour entries for point-to-point peers (planNeighbours)
 *   routes     static and default routes (after the addresses that make next hops reachable)
 *   shaping    qdiscs, net_cls classes and node priorities
 *   link-state `state: down` links (after routes, which the kernel refuses on a down link)
 *   daemons    frr/bird, `cmd` and images' entrypoints, once the network is in place
 *   exec       the nodes' exec lines, last
 * Inside a phase, actions are independent (different nodes or different objects).
 */
import type { KindCatalog } from '../topology/kinds.js';
import type { Interface, Node, Topology } from '../topology/types.js';
import { scriptPaths } from '../topology/scripts.js';
import { isHostEndpoint } from '../topology/endpoints.js';
import { isLan, linkType } from '../topology/link-types/index.js';
import { HOST, PHASES, RUN_PHASES, SEGMENTS, type Action, type ExecAction, type NeighAction, type Phase, type PhaseName, type Plan } from './actions.js';
import { buildGraph } from './graph.js';
import { LINK_PLANNERS, planMgmt, type LinkPlanContext, type MgmtPlan } from './link-plans.js';

/** The phases that run before any daemon: planned once each, in PHASES order. */
type NetPhase = Exclude<PhaseName, (typeof RUN_PHASES)[number]>;

/**
 * Builds the plan; empty phases are left out. One planner per phase (below,
 * in phase order); the run phases are planned per start level (`after:`).
 * @param kinds the kinds' facts (src/daemons/registry.ts: kindCatalog(); src/lab/load.ts re-exports it):
 *   which kinds start a daemon, how pictures draw them.
 */
export function plan(t: Topology, kinds: KindCatalog): Plan {
  const hasLan = t.links.some(isLan);
  const mgmt = planMgmt(t);
  const wiring = planWiring(t, mgmt);
  const by: Record<NetPhase, Action[]> = {
    nodes: planNodes(t, hasLan),
    sysctls: planSysctls(t, hasLan),
    links: wiring.links,
    bridges: wiring.bridges,
    addresses: planAddresses(t, mgmt),
    routes: planRoutes(t),
    shaping: planShaping(t),
    'link-state': planLinkState(t),
  };
  const phases: Phase[] = PHASES.filter((p): p is NetPhase => !(RUN_PHASES as readonly string[]).includes(p) && by[p as NetPhase].length > 0)
    .map((name) => ({ name, actions: by[name] }));
  for (const p of planRun(t, kinds)) phases.push(p);
  return { lab: t.name, topology: t, graph: buildGraph(t, kinds), phases };
}

/** nodes: every node's namespaces, cgroup and root, then the hidden segment namespace of a lab with LANs. */
function planNodes(t: Topology, hasLan: boolean): Action[] {
  const out: Action[] = t.nodes.map((n) => ({ op: 'node.start', node: n.name }));
  if (hasLan) out.push({ op: 'segment.ns' });
  return out;
}

/** sysctls: each node's (sysctlsOf), and IPv6 off in the segment namespace (its bridges carry no addresses). */
function planSysctls(t: Topology, hasLan: boolean): Action[] {
  const v6 = usesIPv6(t);
  const out: Action[] = t.nodes.map((n) => ({ op: 'sysctl', node: n.name, values: sysctlsOf(n, v6) }));
  if (hasLan) {
    out.push({ op: 'sysctl', node: SEGMENTS, values: { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' } });
  }
  return out;
}

/**
 * links and bridges: each link's planner (src/graph/link-plans.ts) gives its
 * interfaces (links phase) and its segment bridge or host port (bridges
 * phase). links: the host bridges host links join (made when the host has
 * none), every link's actions in link order, the management veths. bridges:
 * switch nodes' bridges, LAN segment bridges, the management bridge, then the
 * ports host links add to host bridges.
 */
function planWiring(t: Topology, mgmt: MgmtPlan | undefined): { links: Action[]; bridges: Action[] } {
  const links: Action[] = [];
  const bridges: Action[] = [];
  for (const n of t.nodes) {
    if (n.bridge === undefined) continue;
    // A loop, not Math.min(...): a switch with 100,000 ports would pass more arguments than a call takes.
    const mtu = n.interfaces.length ? n.interfaces.reduce((m, i) => Math.min(m, i.mtu), Infinity) : t.mtu;
    bridges.push({ op: 'bridge', ns: n.name, name: n.bridge, ports: n.interfaces.map((i) => i.name), mtu, stp: false });
  }
  // Interfaces by node and name, made once: a search per endpoint made the plan quadratic (2 nodes with 100,000 links: minutes).
  const ifaces = new Map<string, Map<string, Interface>>();
  for (const n of t.nodes) ifaces.set(n.name, new Map(n.interfaces.map((i) => [i.name, i])));
  const at: LinkPlanContext = {
    end: (node, iface) => {
      const i = ifaces.get(node)!.get(iface)!;
      return { node, iface, mac: i.mac, mtu: i.mtu };
    },
  };
  if (t.mgmt) at.mgmtBridge = t.mgmt.bridge;
  const linkPlans = t.links.map((l) => LINK_PLANNERS[l.kind](l, at));
  for (const p of linkPlans) if (p.segment) bridges.push(p.segment);
  if (mgmt) bridges.push(mgmt.bridge);
  const hostBridges = new Map<string, number>();
  for (const l of t.links) if (l.host?.bridge !== undefined) hostBridges.set(l.host.bridge, Math.max(hostBridges.get(l.host.bridge) ?? 0, l.mtu));
  // Last named first, as the planner has always listed them.
  for (const [name, mtu] of [...hostBridges].reverse()) links.push({ op: 'host.bridge', name, mtu });
  // Loops, not push(...list): a LAN of 100,000 members would pass more arguments than a call takes.
  for (const p of linkPlans) {
    for (const a of p.links) links.push(a);
    if (p.port) bridges.push(p.port);
  }
  if (mgmt) for (const a of mgmt.links) links.push(a);
  return { links, bridges };
}

/**
 * addresses: each node's interfaces up (`carrier`: the ones with a peer, when
 * not all have one), then the addresses of loopbacks, interfaces and
 * management interfaces, host link ends, and the management bridge; then
 * the permanent neighbour entries of a large lab (planNeighbours).
 */
function planAddresses(t: Topology, mgmt: MgmtPlan | undefined): Action[] {
  const out: Action[] = [];
  const local = new Set(t.links.filter((l) => linkType(l).local).map((l) => l.index));
  for (const n of t.nodes) {
    const ifaces = [...n.interfaces.map((i) => i.name), ...(n.mgmt ? [n.mgmt.iface] : [])];
    if (!ifaces.length) continue;
    const carrier = [...n.interfaces.filter((i) => !local.has(i.link)).map((i) => i.name), ...(n.mgmt ? [n.mgmt.iface] : [])];
    out.push(carrier.length === ifaces.length ? { op: 'ifup', node: n.name, ifaces } : { op: 'ifup', node: n.name, ifaces, carrier });
  }
  for (const n of t.nodes) {
    if (n.loopback.ipv4) out.push({ op: 'addr', node: n.name, iface: 'lo', cidr: n.loopback.ipv4 });
    if (n.loopback.ipv6) out.push({ op: 'addr', node: n.name, iface: 'lo', cidr: n.loopback.ipv6 });
    for (const i of n.interfaces) {
      if (i.ipv4) out.push({ op: 'addr', node: n.name, iface: i.name, cidr: i.ipv4 });
      if (i.ipv6) out.push({ op: 'addr', node: n.name, iface: i.name, cidr: i.ipv6 });
    }
    if (n.mgmt?.ipv4) out.push({ op: 'addr', node: n.name, iface: n.mgmt.iface, cidr: n.mgmt.ipv4 });
    if (n.mgmt?.ipv6) out.push({ op: 'addr', node: n.name, iface: n.mgmt.iface, cidr: n.mgmt.ipv6 });
  }
  for (const l of t.links) {
    if (l.host?.ipv4) out.push({ op: 'addr', node: HOST, iface: l.host.iface, cidr: l.host.ipv4 });
    if (l.host?.ipv6) out.push({ op: 'addr', node: HOST, iface: l.host.iface, cidr: l.host.ipv6 });
  }
  if (mgmt) for (const a of mgmt.addresses) out.push(a);
  for (const a of planNeighbours(t)) out.push(a);
  return out;
}

/**
 * Above this many neighbour entries of one family, a lab's point-to-point
 * links get permanent ones. The kernel's limit on learned entries,
 * net.ipv4.neigh.default.gc_thresh3 (and net.ipv6's), is 1,024 by default
 * and counts every namespace on the host together (net/core/neighbour.c:
 * neigh_alloc); past it ARP fails and routing protocols lose their
 * neighbours. Half of it leaves room for the host itself, LANs and other labs.
 */
export const LEARNED_NEIGHBOURS_MAX = 512;

/**
 * OSPF's AllSPFRouters group and the MAC it maps to (RFC 2328 §A.1; RFC 5340
 * §A.1 for OSPFv3; RFC 1112 §6.4 and RFC 2464 §7 for the mapping). Every
 * interface OSPF sends on needs a neighbour entry for it: the kernel makes
 * one (NUD_NOARP) on the first hello, and it counts against the same limit as
 * a learned entry (net/ipv4/arp.c arp_constructor, net/ipv6/ndisc.c
 * ndisc_constructor).
 */
export const ALL_SPF_ROUTERS = {
  ipv4: { ip: '224.0.0.5', mac: '01:00:5e:00:00:05' },
  ipv6: { ip: 'ff02::5', mac: '33:33:00:00:00:05' },
} as const;

/**
 * Permanent neighbour entries for a lab too big for the host's neighbour
 * table (pure). Per family, the entries a lab's point-to-point links would
 * make the kernel learn are counted: the other end of each link, on both
 * ends, and OSPF's AllSPFRouters group (ALL_SPF_ROUTERS) on each end whose
 * node runs OSPF. Above LEARNED_NEIGHBOURS_MAX, every one of them is written
 * as a permanent entry; else none (a smaller lab learns its neighbours by ARP
 * and NDP, as a student expects to see). LAN members and host links keep
 * learning theirs.
 *
 * FRR's ospfd asks zebra to refresh the entry of a point-to-point neighbour
 * when the adjacency comes up (a `REACHABLE proto zebra` entry replaces the
 * permanent one, which the limit then counts again); the group's entries,
 * which every OSPF packet on those links uses, stay permanent.
 */
export function planNeighbours(t: Topology): NeighAction[] {
  // One map of every interface: a lookup per endpoint in a node's list would be quadratic (2 nodes, 100,000 links).
  const ifaces = new Map<string, Map<string, Interface>>(t.nodes.map((n) => [n.name, new Map(n.interfaces.map((i) => [i.name, i]))]));
  const pairs: { n: Node; i: Interface; peer: Interface }[] = [];
  for (const n of t.nodes) {
    for (const i of n.interfaces) {
      if (!i.peer || isHostEndpoint(i.peer)) continue;
      const peer = ifaces.get(i.peer.node)?.get(i.peer.iface);
      if (peer) pairs.push({ n, i, peer });
    }
  }
  const out: NeighAction[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const entries: NeighAction[] = [];
    for (const { n, i, peer } of pairs) {
      if (!i[family] || !peer[family]) continue;
      entries.push({ op: 'neigh', node: n.name, iface: i.name, ip: peer[family]!.split('/')[0]!, mac: peer.mac });
      if (n.ospf) entries.push({ op: 'neigh', node: n.name, iface: i.name, ...ALL_SPF_ROUTERS[family] });
    }
    if (entries.length > LEARNED_NEIGHBOURS_MAX) for (const e of entries) out.push(e); // not push(...entries): 200,000 arguments overflow the stack
  }
  return out;
}

/** routes: each node's `routes:`, then its default routes from `gateway:`. */
function planRoutes(t: Topology): Action[] {
  const out: Action[] = [];
  for (const n of t.nodes) {
    for (const r of n.routes) out.push({ op: 'route', node: n.name, route: r });
    if (n.gateway?.ipv4) out.push({ op: 'route', node: n.name, route: { prefix: '0.0.0.0/0', via: [n.gateway.ipv4] } });
    if (n.gateway?.ipv6) out.push({ op: 'route', node: n.name, route: { prefix: '::/0', via: [n.gateway.ipv6] } });
  }
  return out;
}

/** shaping: per node its interfaces' qdiscs, its traffic classes and its priority; then host link ends' qdiscs. */
function planShaping(t: Topology): Action[] {
  const out: Action[] = [];
  for (const n of t.nodes) {
    for (const i of n.interfaces) if (i.shaping) out.push({ op: 'qdisc', node: n.name, iface: i.name, shaping: i.shaping });
    if (Object.keys(n.classes).length) out.push({ op: 'classes', node: n.name, classes: n.classes });
    if (n.priority) out.push({ op: 'priority', node: n.name, priority: n.priority });
  }
  for (const l of t.links) if (l.host?.shaping) out.push({ op: 'qdisc', node: HOST, iface: l.host.iface, shaping: l.host.shaping });
  return out;
}

/** link-state: both node ends of every `state: down` link. */
function planLinkState(t: Topology): Action[] {
  const out: Action[] = [];
  for (const l of t.links) {
    if (l.state !== 'down') continue;
    for (const e of l.endpoints) if (!isHostEndpoint(e)) out.push({ op: 'link.state', node: e.node, iface: e.iface, up: false });
  }
  return out;
}

/**
 * The run phases (daemons, healthcheck, startup, exec) of each start level
 * in turn (startLevels); a lab without `after:` has one level and its phases
 * carry none. A node whose only run action is `exec` (a host with routes to
 * add) waits for nothing of its own: its exec lines form an `exec` phase that
 * runs alongside the level's daemons, before the level's other exec lines.
 */
function planRun(t: Topology, kinds: KindCatalog): Phase[] {
  const levels = startLevels(t);
  const run = new Map<number, Record<(typeof RUN_PHASES)[number], Action[]>>();
  const runOf = (n: Node): Record<(typeof RUN_PHASES)[number], Action[]> => {
    const level = levels.get(n.name) ?? 0;
    let r = run.get(level);
    if (!r) { r = { daemons: [], healthcheck: [], startup: [], exec: [] }; run.set(level, r); }
    return r;
  };
  const alongside = new Map<number, ExecAction[]>();
  const early = (level: number): ExecAction[] => {
    let list = alongside.get(level);
    if (!list) alongside.set(level, list = []);
    return list;
  };
  for (const n of t.nodes) {
    const r = runOf(n);
    const daemonsBefore = r.daemons.length;
    const daemon = kinds.get(n.kind)?.daemon ?? false;
    // A node on an image may have a main process of its own (the image's Entrypoint + Cmd).
    if ((daemon && n.autostart) || n.cmd !== undefined || n.image !== undefined) {
      r.daemons.push(daemon && !n.autostart ? { op: 'daemon', node: n.name, kind: n.kind, autostart: false } : { op: 'daemon', node: n.name, kind: n.kind });
    }
    if (n.healthcheck) r.healthcheck.push({ op: 'health', node: n.name, check: n.healthcheck });
    if (n.startup.length) {
      const inside = scriptPaths(n);
      r.startup.push({ op: 'startup', node: n.name, scripts: n.startup.map((p) => inside.get(p)!) });
    }
    if (n.exec.length) {
      const a: ExecAction = n.execErrors === 'warn' ? { op: 'exec', node: n.name, lines: n.exec, errors: 'warn' } : { op: 'exec', node: n.name, lines: n.exec };
      const own = r.daemons.length !== daemonsBefore || n.healthcheck !== undefined || n.startup.length > 0;
      (own ? r.exec : early(levels.get(n.name) ?? 0)).push(a);
    }
  }
  const phases: Phase[] = [];
  const leveled = run.size > 1;
  for (const level of [...run.keys()].sort((a, b) => a - b)) {
    const r = run.get(level)!;
    const at = leveled ? { level } : {};
    const soon = alongside.get(level) ?? [];
    for (const name of RUN_PHASES) {
      if (name === 'daemons' && r.daemons.length) {
        phases.push({ name, actions: r.daemons, ...at });
        if (soon.length) phases.push({ name: 'exec', actions: soon.splice(0), ...at, alongside: true });
      } else if (name === 'exec' && (r.exec.length || soon.length)) {
        phases.push({ name, actions: [...soon, ...r.exec], ...at });
      } else if (r[name].length) phases.push({ name, actions: r[name], ...at });
    }
  }
  return phases;
}

/**
 * Start level of every node from `after:` (the loader has checked there is no
 * loop): 0 for a node that waits for nobody, else one more than the highest
 * level it waits for. Nodes of one level start together, each level after the
 * one below has finished (daemons, healthchecks, startup scripts, exec).
 */
export function startLevels(t: Topology): Map<string, number> {
  const byName = new Map(t.nodes.map((n) => [n.name, n]));
  const level = new Map<string, number>();
  const of = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    const n = byName.get(name)!;
    const l = n.after.length ? 1 + Math.max(...n.after.map(of)) : 0;
    level.set(name, l);
    return l;
  };
  for (const n of t.nodes) of(n.name);
  return level;
}

/** True when any address in the lab is IPv6. */
export function usesIPv6(t: Topology): boolean {
  return t.nodes.some((n) => n.loopback.ipv6 || n.mgmt?.ipv6 || n.interfaces.some((i) => i.ipv6));
}

/**
 * The sysctls of one node, in the order they are written: forwarding on
 * routers, rp_filter off (all + default: asymmetric routes are normal in
 * labs), IPv6 on and DAD off when the lab uses IPv6 (no startup delay), then
 * the user's own, which win.
 */
export function sysctlsOf(n: Node, ipv6: boolean): Record<string, string> {
  const v: Record<string, string> = {};
  if (n.forwarding) {
    v['net.ipv4.ip_forward'] = '1';
    if (ipv6) v['net.ipv6.conf.all.forwarding'] = '1';
  }
  v['net.ipv4.conf.all.rp_filter'] = '0';
  v['net.ipv4.conf.default.rp_filter'] = '0';
  if (ipv6) {
    v['net.ipv6.conf.all.disable_ipv6'] = '0';
    v['net.ipv6.conf.default.disable_ipv6'] = '0';
    v['net.ipv6.conf.all.accept_dad'] = '0';
    v['net.ipv6.conf.default.accept_dad'] = '0';
  }
  return { ...v, ...n.sysctls };
}
