/**
 * The `bgp:` block of a node → FRR's `router bgp`. Pure.
 *
 * Choices, each for a lab that converges on its own:
 *  - `no bgp ebgp-requires-policy`: FRR ≥ 7.4 sends and accepts nothing on an
 *    eBGP session without a route-map (RFC 8212); a lab wants routes to flow;
 *  - `no bgp default ipv4-unicast` and an explicit `activate` per session, so
 *    IPv4 sessions carry IPv4 and IPv6 sessions IPv6, as written;
 *  - `neighbor X timers connect 3`: the connect-retry timer is 120 s in FRR's
 *    traditional profile; sessions tried before the peer (or the IGP route to
 *    its loopback) is up would otherwise wait two minutes;
 *  - ECMP: `bgp bestpath as-path multipath-relax` (equal-length AS paths through
 *    different ASes count as equal, the spine-leaf case) and `maximum-paths`
 *    for eBGP and iBGP;
 *  - the loopback is announced (`network`), plus `bgp.networks` and `redistribute`;
 *  - `options:` keys become lines inside `router bgp`; a session's `options:`
 *    become `neighbor ADDR key value` lines.
 * Commands: FRR 8.4 user guide, "BGP".
 */
import type { Node, Topology } from '../topology/types.js';
import { bgpSessions, type BgpSession } from './bgp-sessions.js';
import { addr, fallbackRouterId, family, optionLines } from './peers.js';

/** ECMP width for BGP (`maximum-paths`); FRR's Debian build allows up to 256 (--enable-multipath=256). */
export const BGP_MAX_PATHS = 16;
/** Connect-retry timer of generated sessions, seconds. */
export const BGP_CONNECT_RETRY_S = 3;

function neighborLines(s: BgpSession): string[] {
  const n = ` neighbor ${s.address}`;
  const out = [`${n} remote-as ${s.as}`];
  const description = s.description ?? s.peer;
  if (description !== undefined) out.push(`${n} description ${description}`);
  out.push(`${n} timers connect ${BGP_CONNECT_RETRY_S}`);
  if (s.updateSourceLo) out.push(`${n} update-source lo`);
  if (s.multihop !== undefined) out.push(`${n} ebgp-multihop ${s.multihop}`);
  out.push(...optionLines(s.options, `${n} `));
  return out;
}

function afBlock(af: 4 | 6, node: Node, sessions: BgpSession[]): string[] {
  const bgp = node.bgp!;
  const lo = af === 4 ? node.loopback.ipv4 : node.loopback.ipv6;
  const networks = [...(lo ? [lo] : []), ...bgp.networks.filter((p) => family(p) === af && p !== lo)];
  const mine = sessions.filter((s) => s.af === af);
  if (!mine.length && !networks.length) return [];
  const out = [` address-family ${af === 4 ? 'ipv4' : 'ipv6'} unicast`];
  for (const p of networks) out.push(`  network ${p}`);
  for (const r of bgp.redistribute) out.push(`  redistribute ${r}`);
  for (const s of mine) {
    out.push(`  neighbor ${s.address} activate`);
    if (s.nextHopSelf) out.push(`  neighbor ${s.address} next-hop-self`);
  }
  out.push(`  maximum-paths ${BGP_MAX_PATHS}`, `  maximum-paths ibgp ${BGP_MAX_PATHS}`, ' exit-address-family');
  return out;
}

/**
 * The `router bgp` block of a node (lines, ending with `exit`), or [] when the
 * node has no `bgp:`.
 * @throws TopologyError from bgpSessions when an explicit neighbour is unreachable.
 */
export function renderBgp(node: Node, t: Topology): string[] {
  const bgp = node.bgp;
  if (!bgp) return [];
  const sessions = bgpSessions(node, t);
  const rid = bgp.routerId ?? (node.loopback.ipv4 ? addr(node.loopback.ipv4) : fallbackRouterId(node));
  const out = [
    `router bgp ${bgp.as}`,
    ` bgp router-id ${rid}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' bgp bestpath as-path multipath-relax',
    ...optionLines(bgp.options, ' '),
  ];
  for (const s of sessions) out.push(...neighborLines(s));
  for (const af of [4, 6] as const) {
    const block = afBlock(af, node, sessions);
    if (block.length) out.push(' !', ...block);
  }
  out.push('exit');
  return out;
}
