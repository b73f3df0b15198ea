/**
 * `ospf_neighbors`: a router's OSPF adjacencies, as the node's kind reads
 * them (Kind.routingState: FRR's `vtysh -c 'show ip ospf neighbor json'`,
 * BIRD's `birdc show ospf neighbors`). A failure lists every neighbour with
 * its state and interface, and a line on what the state usually means.
 */
import { findNode } from '../topology/index.js';
import type { OspfNeighborsTest } from '../topology/types.js';
import type { OspfNeighbor } from '../daemons/routing-state.js';
import { labelRouterId, plural } from './labels.js';
import type { Check, CheckContext, Observation } from './types.js';
import { readRoutingState } from './reads.js';

export type { OspfNeighbor };

/** Whether a reported state is `want`: the part before '/' case-insensitively, or all of it when `want` has a '/'. */
export function stateMatches(got: string, want: string): boolean {
  const g = got.toLowerCase(), w = want.toLowerCase();
  return w.includes('/') ? g === w : g.split('/')[0] === w;
}

/** What a stuck OSPF state usually means (RFC 2328 10.1 and the classic causes). */
export function ospfStateHint(state: string): string | undefined {
  switch (state.split('/')[0]!.toLowerCase()) {
    case 'init': return 'Init: hellos come in from the neighbour, but its hellos do not list this router — the neighbour does not accept ours (hello/dead interval, area, network type or authentication differ), or our hellos do not reach it';
    case 'exstart': case 'exchange': return 'ExStart/Exchange: the database exchange does not finish — most often the MTU differs between the two ends';
    case '2-way': return '2-Way: normal between two DROthers on a broadcast network; anywhere else, check the network type on both ends';
    case 'loading': return 'Loading: link-state requests are not answered yet; retry with a longer wait:';
    default: return undefined;
  }
}

/** Reads the node's neighbours through its kind's plug-in (FRR's vtysh, BIRD's birdc); `problem` when the daemon does not answer (yet). */
export async function readOspfNeighbors(t: OspfNeighborsTest, ctx: CheckContext): Promise<{ neighbors?: OspfNeighbor[]; source: string; problem?: string }> {
  const r = await readRoutingState(ctx, t.node, t.daemon, (state, query) => state.ospfNeighbors(query, t.node));
  return 'problem' in r ? { source: r.source, problem: r.problem } : { source: r.source, neighbors: r.value };
}

/**
 * Interfaces of the node that lead to another router over a point-to-point
 * link, run OSPF (per the topology's ospf: block) and have no neighbour:
 * "eth1 (to r2)". Empty when the topology does not say (config files).
 */
export function silentInterfaces(node: string, neighbors: readonly OspfNeighbor[], ctx: CheckContext): string[] {
  const n = findNode(ctx.topology, node);
  if (!n?.ospf) return [];
  const out: string[] = [];
  for (const i of n.interfaces) {
    const peer = i.peer ? findNode(ctx.topology, i.peer.node) : undefined;
    if (!peer?.ospf || i.state === 'down') continue;
    if (n.ospf.interfaces[i.name]?.passive ?? n.ospf.passive) continue;
    if (neighbors.some((x) => x.iface === i.name)) continue;
    const mine = n.ospf.interfaces[i.name]?.area ?? n.ospf.area;
    const theirs = peer.ospf.interfaces[i.peer!.iface]?.area ?? peer.ospf.area;
    out.push(`${i.name} (to ${peer.name}${mine !== theirs ? `; the topology puts ${node}:${i.name} in area ${mine} and ${peer.name}:${i.peer!.iface} in area ${theirs}` : ''})`);
  }
  return out;
}

function describe(n: OspfNeighbor, ctx: CheckContext): string {
  return `${labelRouterId(ctx.topology, n.routerId)} ${n.state}${n.iface ? ` on ${n.iface}` : ''}`;
}

export const checkOspfNeighbors: Check<OspfNeighborsTest> = async (t, ctx) => {
  const who = t.neighbor ? `neighbour ${labelRouterId(ctx.topology, t.neighbor.routerId)} ${t.state}` : '';
  const expected = [who, t.count !== undefined ? `${plural(t.count, 'neighbour')} ${t.state}` : !t.neighbor ? `every neighbour ${t.state} (at least one)` : '']
    .filter(Boolean).join(', ');
  const r = await readOspfNeighbors(t, ctx);
  if (!r.neighbors) return { ok: false, expected, seen: r.problem!, detail: `${t.node}$ ${r.source}` };
  const all = r.neighbors;
  const inState = all.filter((n) => stateMatches(n.state, t.state));
  const problems: string[] = [];
  if (t.neighbor) {
    const mine = all.filter((n) => n.routerId === t.neighbor!.routerId);
    if (mine.length === 0) problems.push(`no neighbour ${labelRouterId(ctx.topology, t.neighbor.routerId)}`);
    else if (!mine.some((n) => stateMatches(n.state, t.state))) problems.push(`${labelRouterId(ctx.topology, t.neighbor.routerId)} is ${mine.map((n) => n.state).join(', ')}`);
  }
  if (t.count !== undefined && inState.length !== t.count) problems.push(`${inState.length} ${t.state}`);
  if (t.count === undefined && !t.neighbor && (all.length === 0 || inState.length !== all.length)) {
    problems.push(all.length === 0 ? 'no neighbours' : `${all.length - inState.length} not ${t.state}`);
  }
  const silent = silentInterfaces(t.node, all, ctx);
  if (problems.length && silent.length) problems.push(`none on ${silent.join(', ')}`);
  const listing = all.length ? `${plural(all.length, 'neighbour')}: ${all.map((n) => describe(n, ctx)).join(', ')}` : 'no OSPF neighbours';
  const obs: Observation = { ok: problems.length === 0, expected, seen: problems.length ? `${problems.join(', ')}; ${listing}` : listing };
  if (!obs.ok) {
    const hints = [...new Set(all.map((n) => ospfStateHint(n.state)).filter((h): h is string => h !== undefined))];
    if (all.length === 0) hints.push('no neighbour at all: check that OSPF runs on the interfaces towards the neighbours, in the same area, with the same network type and hello/dead intervals on both ends');
    obs.detail = [`${t.node}$ ${r.source}`, ...all.map((n) => `  ${describe(n, ctx)}${n.address ? ` (address ${n.address})` : ''}`), ...hints.map((h) => `hint: ${h}`)].join('\n');
  }
  return obs;
};
