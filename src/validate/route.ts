/**
 * `route`: a node's routing table has a prefix, optionally from a protocol,
 * via next hops, on an interface. FRR nodes are read through zebra's RIB
 * (`vtysh -c 'show ip route json'`: every protocol's candidate, the selected
 * one marked), other nodes through the kernel's main table (`ip -j route`).
 * The report lists the table, so a student sees what is there instead.
 */
import { findKind } from '../daemons/registry.js';
import { parseCidr, formatCidr, network } from '../topology/ip.js';
import { findNode } from '../topology/index.js';
import type { NextHopSpec, RouteProtocol, RouteTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import { clip, firstLine, labelAddress, peerOfInterface, plural } from './labels.js';
import type { Check, CheckContext, Observation } from './types.js';
import { read } from './reads.js';

/** A next hop of a route: gateway address and/or outgoing interface. */
export interface RouteNextHop {
  via?: string;
  dev?: string;
}

/** One candidate route for a prefix, in FRR's vocabulary. */
export interface RouteEntry {
  /** Normalised CIDR. */
  prefix: string;
  /** ospf, bgp, static, connected, kernel (FRR's names; the kernel's are mapped, see kernelProtocol). */
  protocol: string;
  /** The route in use: FRR's "selected", or the kernel's lowest metric for the prefix. */
  selected: boolean;
  nexthops: RouteNextHop[];
  /** Route type when not unicast: blackhole, unreachable, prohibit. */
  type?: string;
}

/** "10.0.0.3" → "10.0.0.3/32", "default" → "0.0.0.0/0" (family 4), "10.1.0.1/31" → "10.1.0.0/31". */
export function normalisePrefix(dst: string, family: 4 | 6): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  const c = parseCidr(dst, (f) => (f === 4 ? 32 : 128));
  return c ? formatCidr({ ...c, addr: network(c) }) : dst;
}

/**
 * The kernel's route protocol (rtnetlink rtm_protocol as iproute2 names it,
 * /etc/iproute2/rt_protos and FRR's rt_protos.d/frr.conf) in FRR's words:
 * kernel + scope link → connected; boot (`ip route add`) and static → static;
 * FRR's numbers 186/188/196 → bgp/ospf/static. Anything else is kept.
 */
export function kernelProtocol(proto: string | undefined, scope: string | undefined): string {
  switch (proto) {
    case undefined: case 'boot': case 'static': case '4': case '196': return 'static';
    case 'kernel': return scope === 'link' ? 'connected' : 'kernel';
    case '186': return 'bgp';
    case '188': return 'ospf';
    default: return proto;
  }
}

interface KernelRoute {
  dst?: string; type?: string; gateway?: string; dev?: string; protocol?: string; scope?: string; metric?: number;
  nexthops?: { gateway?: string; dev?: string }[];
}

/**
 * Parses `ip -j route show` output (iproute2 JSON).
 * @throws SyntaxError when the text is not JSON.
 */
export function parseKernelRoutes(json: string, family: 4 | 6): RouteEntry[] {
  const rows = JSON.parse(json) as KernelRoute[];
  const entries = rows.map((r) => {
    const e: RouteEntry = {
      prefix: normalisePrefix(r.dst ?? 'default', family),
      protocol: kernelProtocol(r.protocol, r.scope),
      selected: false,
      nexthops: r.nexthops?.length ? r.nexthops.map((h) => hop(h.gateway, h.dev)) : [hop(r.gateway, r.dev)],
    };
    if (r.type && r.type !== 'unicast') e.type = r.type;
    return { e, metric: r.metric ?? 0 };
  });
  const best = new Map<string, number>();
  for (const { e, metric } of entries) best.set(e.prefix, Math.min(best.get(e.prefix) ?? Infinity, metric));
  const taken = new Set<string>();
  for (const { e, metric } of entries) {
    if (metric === best.get(e.prefix) && !taken.has(e.prefix)) { e.selected = true; taken.add(e.prefix); }
  }
  return entries.map(({ e }) => e);
}

interface FrrRoute {
  prefix?: string; protocol?: string; selected?: boolean; installed?: boolean;
  nexthops?: { ip?: string; interfaceName?: string; active?: boolean; unreachable?: boolean; blackhole?: boolean }[];
}

/**
 * Parses `vtysh -c 'show ip route json'` (FRR zebra): `{ "<prefix>": [route, …] }`,
 * one entry per protocol that offers the prefix, the best one `"selected": true`.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrrRoutes(json: string, family: 4 | 6): RouteEntry[] {
  const table = JSON.parse(json) as Record<string, FrrRoute[]>;
  const out: RouteEntry[] = [];
  for (const [key, routes] of Object.entries(table)) {
    if (!Array.isArray(routes)) continue;
    for (const r of routes) {
      const hops = (r.nexthops ?? []).filter((h) => h.active !== false);
      const e: RouteEntry = {
        prefix: normalisePrefix(r.prefix ?? key, family),
        protocol: r.protocol ?? 'unknown',
        selected: r.selected === true,
        nexthops: hops.map((h) => hop(h.ip, h.interfaceName)),
      };
      if (hops.some((h) => h.blackhole)) e.type = 'blackhole';
      else if (hops.some((h) => h.unreachable)) e.type = 'unreachable';
      out.push(e);
    }
  }
  return out;
}

function hop(via: string | undefined, dev: string | undefined): RouteNextHop {
  const h: RouteNextHop = {};
  if (via) h.via = via;
  if (dev) h.dev = dev;
  return h;
}

/** Protocols (entry.protocol values) that satisfy `protocol:` on a node read through FRR or the kernel. */
export function protocolMatches(want: RouteProtocol, got: string, frr: boolean): boolean {
  if (got === want) return true;
  if (want === 'ospf' && got === 'ospf6') return true;
  // BIRD installs every route with the kernel protocol "bird"; which BIRD protocol learnt it is not in the kernel.
  if (got === 'bird' && (want === 'ospf' || want === 'bgp' || want === 'static')) return true;
  // Routes netlab adds from routes:/gateway: (and exec lines' `ip route add`) reach zebra as "kernel" routes.
  if (frr && want === 'static' && got === 'kernel') return true;
  return false;
}

/** One route for a report: "10.0.0.2/32 bgp via 10.1.0.1 (r2) eth1". */
export function formatRoute(e: RouteEntry, ctx: CheckContext, opts: { selectedMark?: boolean } = {}): string {
  const hops = e.nexthops.map((h) => [h.via ? `via ${labelAddress(ctx.topology, h.via)}` : '', h.dev ?? ''].filter(Boolean).join(' ')).filter(Boolean);
  const parts = [e.prefix, e.type ?? e.protocol];
  if (e.type) parts.push(`(${e.protocol})`);
  if (hops.length) parts.push(hops.join(', '));
  if (opts.selectedMark && !e.selected) parts.push('(not selected)');
  return parts.join(' ');
}

function hopSatisfied(spec: NextHopSpec, hops: RouteNextHop[], node: string, ctx: CheckContext): boolean {
  return hops.some((h) => (h.via !== undefined && spec.addresses.includes(h.via))
    // a link-local or unnumbered next hop: the interface leads to the named node
    || (spec.node !== undefined && h.dev !== undefined && (h.via === undefined || h.via.startsWith('fe80:'))
      && peerOfInterface(ctx.topology, node, h.dev) === spec.node));
}

/** Whether `node` keeps its routes in FRR's RIB (its kind's facts say `rib: 'frr'`), which route: tests then read. */
function readsFrrRib(node: string, ctx: CheckContext): boolean {
  const kind = findNode(ctx.topology, node)?.kind;
  return kind !== undefined && findKind(kind)?.facts.rib === 'frr';
}

/** Reads the node's table: FRR's RIB for kinds whose facts say `rib: 'frr'`, the kernel's main table otherwise. */
export async function readRoutes(node: string, family: 4 | 6, ctx: CheckContext): Promise<{ entries?: RouteEntry[]; source: string; problem?: string }> {
  const frr = readsFrrRib(node, ctx);
  const argv = frr ? ['vtysh', '-c', `show ${family === 4 ? 'ip' : 'ipv6'} route json`] : ['ip', `-${family}`, '-j', 'route', 'show', 'table', 'main'];
  const source = frr ? `vtysh -c 'show ${family === 4 ? 'ip' : 'ipv6'} route json'` : `ip -${family} -j route show table main`;
  const r = await read(ctx, node, argv, { timeoutMs: 10_000 });
  if (r.code === 127) throw new CheckError(`${argv[0]} is not installed in ${node}`);
  if (r.code !== 0) return { source, problem: `${argv[0]} exited with ${r.code}: ${firstLine(r.stderr || r.stdout)}` };
  try {
    return { source, entries: frr ? parseFrrRoutes(r.stdout, family) : parseKernelRoutes(r.stdout, family) };
  } catch {
    return { source, problem: `${argv[0]} did not answer with JSON: ${firstLine(r.stdout || r.stderr)}` };
  }
}

export const checkRoute: Check<RouteTest> = async (t, ctx) => {
  const want = [`${t.prefix}`];
  if (t.protocol) want.push(`from ${t.protocol}`);
  if (t.via.length) want.push(`via ${t.via.map((v) => (v.node && v.node !== v.written ? `${v.written} (${v.node})` : v.node ? v.written : labelAddress(ctx.topology, v.written))).join(' and ')}`);
  if (t.dev) want.push(`on ${t.dev}`);
  const expected = t.expect === 'absent' ? `no route to ${t.prefix}` : `a route to ${want.join(' ')}`;
  const frr = readsFrrRib(t.node, ctx);
  const table = await readRoutes(t.node, t.family, ctx);
  if (!table.entries) return { ok: false, expected, seen: table.problem!, detail: `${t.node}$ ${table.source}` };
  const entries = table.entries;
  const candidates = entries.filter((e) => e.prefix === t.prefix);
  const selected = candidates.find((e) => e.selected);
  const listing = (): string => {
    const inUse = entries.filter((e) => e.selected);
    return [`${t.node}'s routes (${table.source}), ${plural(inUse.length, 'route')} in use:`,
      ...clip(inUse.map((e) => `  ${formatRoute(e, ctx)}`), 40)].join('\n');
  };
  const others = candidates.filter((e) => !e.selected).map((e) => formatRoute(e, ctx, { selectedMark: true }));
  const alsoSeen = others.length ? `; also offered: ${others.join('; ')}` : '';
  if (t.expect === 'absent') {
    if (!selected) return { ok: true, expected, seen: candidates.length ? `only offered, not in use: ${others.join('; ')}` : `no route to ${t.prefix}` };
    return { ok: false, expected, seen: `in use: ${formatRoute(selected, ctx)}`, detail: listing() };
  }
  if (!selected) {
    const seen = candidates.length ? `${t.prefix} is offered but not in use: ${others.join('; ')}` : `no route to ${t.prefix}`;
    return { ok: false, expected, seen, detail: listing() };
  }
  const problems: string[] = [];
  if (t.protocol && !protocolMatches(t.protocol, selected.protocol, frr)) problems.push(`learnt from ${selected.protocol}, not ${t.protocol}`);
  if (selected.type) problems.push(`it is a ${selected.type} route`);
  for (const v of t.via) if (!hopSatisfied(v, selected.nexthops, t.node, ctx)) problems.push(`no next hop ${v.written}`);
  if (t.dev && !selected.nexthops.some((h) => h.dev === t.dev)) problems.push(`no next hop on ${t.dev}`);
  const seen = `${formatRoute(selected, ctx)}${alsoSeen}`;
  if (problems.length) return { ok: false, expected, seen: `${problems.join(', ')}: ${seen}`, detail: listing() };
  const obs: Observation = { ok: true, expected, seen };
  return obs;
};
