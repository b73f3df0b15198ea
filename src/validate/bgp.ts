/**
 * `bgp_sessions`: a router's BGP sessions. FRR answers
 * `vtysh -c 'show bgp neighbors json'` (bgpd, every configured neighbour with
 * its state whatever the address family); BIRD answers
 * `birdc show protocols all` (each BGP protocol with "BGP state" and
 * "Neighbor address"). A failure lists every session, its state and FRR's
 * "last reset" reason or BIRD's "last error".
 */
import type { BgpSessionsTest } from '../topology/types.js';
import { birdc, parseBirdProtocols } from './bird.js';
import { labelAddress, peerOfInterface, plural } from './labels.js';
import { stateMatches } from './ospf.js';
import type { Check, CheckContext, Observation } from './types.js';
import { vtyshJson } from './reads.js';

/** One BGP session, whichever daemon reported it. */
export interface BgpSession {
  /** Neighbour address, or an interface name for FRR's unnumbered sessions ("eth1"). */
  peer: string;
  /** Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  remoteAs?: number;
  /** Why the session last went down, as the daemon puts it. */
  reason?: string;
  /** BIRD's protocol name (bgp_r2). */
  protocol?: string;
}

interface FrrPeer { bgpState?: string; remoteAs?: number; lastResetDueTo?: string; lastNotificationReason?: string }

/**
 * Parses FRR's `show bgp neighbors json`: `{ "<address or iface>": { "bgpState": …, "remoteAs": … } }`.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrrBgpNeighbors(json: string): BgpSession[] {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const out: BgpSession[] = [];
  for (const [peer, v] of Object.entries(doc)) {
    if (v === null || typeof v !== 'object' || !('bgpState' in v)) continue;
    const p = v as FrrPeer;
    const s: BgpSession = { peer, state: p.bgpState! };
    if (p.remoteAs !== undefined) s.remoteAs = p.remoteAs;
    const reason = p.lastNotificationReason ?? p.lastResetDueTo;
    if (reason) s.reason = reason;
    out.push(s);
  }
  return out;
}

/** Reads the node's sessions; `problem` when the daemon does not answer (yet). */
export async function readBgpSessions(t: BgpSessionsTest, ctx: CheckContext): Promise<{ sessions?: BgpSession[]; source: string; problem?: string }> {
  if (t.daemon === 'bird') {
    const source = 'birdc show protocols all';
    const r = await birdc(t.node, ['show', 'protocols', 'all'], ctx);
    if (!r.text) return { source, problem: r.problem! };
    const sessions = parseBirdProtocols(r.text).filter((p) => p.proto === 'BGP').map((p) => {
      const s: BgpSession = { peer: p.neighborAddress ?? p.name, state: p.bgpState ?? p.info.split(/\s+/)[0] ?? p.state, protocol: p.name };
      if (p.neighborAs !== undefined) s.remoteAs = p.neighborAs;
      if (p.lastError) s.reason = p.lastError;
      return s;
    });
    return { source, sessions };
  }
  const r = await vtyshJson(ctx, t.node, 'show bgp neighbors json', 'bgpd', parseFrrBgpNeighbors);
  return 'problem' in r ? r : { source: r.source, sessions: r.value };
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
