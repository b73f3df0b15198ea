/**
 * `bgp_sessions`: a router's BGP sessions, as the node's kind reads them
 * (Kind.routingState: FRR's `vtysh -c 'show bgp neighbors json'`, every
 * configured neighbour whatever the address family; BIRD's
 * `birdc show protocols all`, each BGP protocol with "BGP state" and
 * "Neighbor address"). A failure lists every session, its state and FRR's
 * "last reset" reason or BIRD's "last error".
 */
import type { BgpSessionsTest } from '../topology/types.js';
import type { BgpSessionState as BgpSession } from '../daemons/routing-state.js';
import { labelAddress, peerOfInterface, plural } from './labels.js';
import { stateMatches } from './ospf.js';
import type { Check, CheckContext, Observation } from './types.js';
import { readRoutingState } from './reads.js';

/** One BGP session as the node's daemon reports it. */
export type { BgpSession };

/** Reads the node's sessions through its kind's plug-in (FRR's vtysh, BIRD's birdc); `problem` when the daemon does not answer (yet). */
export async function readBgpSessions(t: BgpSessionsTest, ctx: CheckContext): Promise<{ sessions?: BgpSession[]; source: string; problem?: string }> {
  const r = await readRoutingState(ctx, t.node, t.daemon, (state, query) => state.bgpSessions(query, t.node));
  return 'problem' in r ? { source: r.source, problem: r.problem } : { source: r.source, sessions: r.value };
}

function peerLabel(s: BgpSession, node: string, ctx: CheckContext): string {
  const unnumbered = peerOfInterface(ctx.topology, node, s.peer);
  const base = unnumbered ? `${s.peer} (${unnumbered})` : labelAddress(ctx.topology, s.peer);
  return s.remoteAs !== undefined ? `${base} AS ${s.remoteAs}` : base;
}

function isPeer(s: BgpSession, t: BgpSessionsTest, ctx: CheckContext): boolean {
  const p = t.peer!;
  return p.addresses.includes(s.peer) || (p.node !== undefined && peerOfInterface(ctx.topology, t.node, s.peer) === p.node);
}

export const checkBgpSessions: Check<BgpSessionsTest> = async (t, ctx) => {
  const expected = [t.peer ? `session with ${t.peer.node && t.peer.node !== t.peer.written ? `${t.peer.written} (${t.peer.node})` : t.peer.node ? t.peer.written : labelAddress(ctx.topology, t.peer.written)} ${t.state}` : '',
    t.count !== undefined ? `${plural(t.count, 'session')} ${t.state}` : !t.peer ? `every session ${t.state} (at least one)` : ''].filter(Boolean).join(', ');
  const r = await readBgpSessions(t, ctx);
  if (!r.sessions) return { ok: false, expected, seen: r.problem!, detail: `${t.node}$ ${r.source}` };
  const all = r.sessions;
  const inState = all.filter((s) => stateMatches(s.state, t.state));
  const problems: string[] = [];
  if (t.peer) {
    const mine = all.filter((s) => isPeer(s, t, ctx));
    if (mine.length === 0) problems.push(`no session with ${t.peer.written}`);
    else if (!mine.some((s) => stateMatches(s.state, t.state))) problems.push(`${t.peer.written} is ${mine.map((s) => s.state).join(', ')}`);
  }
  if (t.count !== undefined && inState.length !== t.count) problems.push(`${inState.length} ${t.state}`);
  if (t.count === undefined && !t.peer && (all.length === 0 || inState.length !== all.length)) {
    problems.push(all.length === 0 ? 'no sessions configured' : `${all.length - inState.length} not ${t.state}`);
  }
  const listing = all.length ? `${plural(all.length, 'session')}: ${all.map((s) => `${peerLabel(s, t.node, ctx)} ${s.state}`).join(', ')}` : 'no BGP sessions';
  const obs: Observation = { ok: problems.length === 0, expected, seen: problems.length ? `${problems.join(', ')}; ${listing}` : listing };
  if (!obs.ok) {
    const lines = [`${t.node}$ ${r.source}`, ...all.map((s) => `  ${peerLabel(s, t.node, ctx)} ${s.state}${s.protocol ? ` [${s.protocol}]` : ''}${s.reason && !stateMatches(s.state, 'Established') ? ` — last reset: ${s.reason}` : ''}`)];
    if (all.some((s) => /^(active|connect|idle)$/i.test(s.state))) {
      lines.push('hint: Active/Connect/Idle: the TCP session to the peer does not come up — check the neighbour address and remote AS on both ends, and that the address is reachable from this router');
    }
    obs.detail = lines.join('\n');
  }
  return obs;
};
