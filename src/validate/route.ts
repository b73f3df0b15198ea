/**
 * `route`: a node's routing table has a prefix, optionally from a protocol,
 * via next hops, on an interface. The table is the node's kind's
 * (Kind.routes: FRR's zebra RIB, every protocol's candidate with the selected
 * one marked), else the kernel's main table (`ip -j route`): src/daemons/route-table.ts.
 * The report lists the table, so a student sees what is there instead.
 */
import { findKind } from '../daemons/registry.js';
import { routeTableOf, type RouteEntry, type RouteNextHop, type RouteTable } from '../daemons/route-table.js';
import { findNode } from '../topology/index.js';
import type { NextHopSpec, RouteTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import { clip, labelAddress, peerOfInterface, plural } from './labels.js';
import type { Check, CheckContext, Observation } from './types.js';
import { read } from './reads.js';

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

/** The table `route:` tests read on `node`: its kind's (Kind.routes), else the kernel's main table. */
export function routeTableFor(node: string, ctx: CheckContext): RouteTable {
  const kind = findNode(ctx.topology, node)?.kind;
  return routeTableOf(kind === undefined ? undefined : findKind(kind));
}

/**
 * Reads the node's table through the shared reads (src/validate/reads.ts).
 * A table that does not answer (yet) is a `problem`, retried while the test waits.
 * @throws CheckError when the table's tool is not installed in the node.
 */
export async function readRoutes(node: string, family: 4 | 6, ctx: CheckContext, table = routeTableFor(node, ctx)): Promise<{ entries?: RouteEntry[]; source: string; problem?: string }> {
  const r = await table.read((argv, opts) => read(ctx, node, argv, opts), node, family);
  if ('value' in r) return { source: r.source, entries: r.value };
  if (r.missing) throw new CheckError(r.problem);
  return { source: r.source, problem: r.problem };
}

export const checkRoute: Check<RouteTest> = async (t, ctx) => {
  const want = [`${t.prefix}`];
  if (t.protocol) want.push(`from ${t.protocol}`);
  if (t.via.length) want.push(`via ${t.via.map((v) => (v.node && v.node !== v.written ? `${v.written} (${v.node})` : v.node ? v.written : labelAddress(ctx.topology, v.written))).join(' and ')}`);
  if (t.dev) want.push(`on ${t.dev}`);
  const expected = t.expect === 'absent' ? `no route to ${t.prefix}` : `a route to ${want.join(' ')}`;
  const routes = routeTableFor(t.node, ctx);
  const table = await readRoutes(t.node, t.family, ctx, routes);
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
  if (t.protocol && !routes.protocolMatches(t.protocol, selected.protocol)) problems.push(`learnt from ${selected.protocol}, not ${t.protocol}`);
  if (selected.type) problems.push(`it is a ${selected.type} route`);
  for (const v of t.via) if (!hopSatisfied(v, selected.nexthops, t.node, ctx)) problems.push(`no next hop ${v.written}`);
  if (t.dev && !selected.nexthops.some((h) => h.dev === t.dev)) problems.push(`no next hop on ${t.dev}`);
  const seen = `${formatRoute(selected, ctx)}${alsoSeen}`;
  if (problems.length) return { ok: false, expected, seen: `${problems.join(', ')}: ${seen}`, detail: listing() };
  const obs: Observation = { ok: true, expected, seen };
  return obs;
};
