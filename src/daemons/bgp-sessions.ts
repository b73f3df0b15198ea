/**
 * Which BGP sessions a node has: the explicit `bgp.neighbors`, or — when that
 * list is empty — the automatic ones. Pure; shared by every renderer of BGP.
 *
 * Automatic sessions:
 *  - eBGP with every directly connected neighbour (p2p link or LAN) that runs
 *    BGP in another AS, over the link's addresses (IPv4 and, when both ends
 *    have one, IPv6);
 *  - iBGP with every other node of the same AS: over loopbacks (update-source
 *    lo, next-hop-self) when both nodes run OSPF, which carries the loopbacks
 *    (a full mesh, RFC 4271 §9.1.1 needs it without route reflectors);
 *    otherwise over a shared link when they are directly connected; otherwise none.
 * Explicit `{ node: r2 }`: eBGP over the shared link when directly connected,
 * else over loopbacks with ebgp-multihop; iBGP over loopbacks when both have
 * one, else over a shared link.
 */
import { TopologyError } from '../errors.js';
import type { BgpNeighbor, Node, Topology } from '../topology/types.js';
import { adjacencies, addr, family, nodeMap, type Adjacency } from './peers.js';

/** One BGP session as the node sees it. */
export interface BgpSession {
  /** Neighbour address (no prefix length). */
  address: string;
  af: 4 | 6;
  /** Remote AS. */
  as: number;
  /** Same AS as the node. */
  ibgp: boolean;
  /** Neighbour node name, when it is a lab node. */
  peer?: string;
  description?: string;
  /** Source the session from the loopback (sessions between loopbacks). */
  updateSourceLo: boolean;
  /** eBGP between loopbacks: the TTL the session needs (ebgp-multihop). */
  multihop?: number;
  /** Announce ourselves as next hop to this iBGP neighbour. */
  nextHopSelf: boolean;
  /** Free-form per-neighbour options (`neighbor ADDR key value`). */
  options: Record<string, unknown>;
}

function linkSessions(a: Adjacency, peer: Node, as: number, ibgp: boolean): BgpSession[] {
  const out: BgpSession[] = [];
  const pi = a.peers.find((p) => p.node === peer)!.iface;
  const base = { as, ibgp, peer: peer.name, updateSourceLo: false, nextHopSelf: ibgp, options: {} };
  if (a.iface.ipv4 && pi.ipv4) out.push({ ...base, address: addr(pi.ipv4), af: 4 });
  if (a.iface.ipv6 && pi.ipv6) out.push({ ...base, address: addr(pi.ipv6), af: 6 });
  return out;
}

function loopbackSessions(node: Node, peer: Node, as: number, ibgp: boolean): BgpSession[] {
  const out: BgpSession[] = [];
  const base: Omit<BgpSession, 'address' | 'af'> = { as, ibgp, peer: peer.name, updateSourceLo: true, nextHopSelf: ibgp, options: {} };
  if (!ibgp) base.multihop = 255;
  if (node.loopback.ipv4 && peer.loopback.ipv4) out.push({ ...base, address: addr(peer.loopback.ipv4), af: 4 });
  if (node.loopback.ipv6 && peer.loopback.ipv6) out.push({ ...base, address: addr(peer.loopback.ipv6), af: 6 });
  return out;
}

function sharedLinks(adj: Adjacency[], peer: Node): Adjacency[] {
  return adj.filter((a) => a.peers.some((p) => p.node === peer));
}

/**
 * The node's BGP sessions, in a stable order (explicit: as listed; automatic:
 * eBGP by interface order, then iBGP by node order). Empty when the node has no `bgp:`.
 * @throws TopologyError naming `nodes.<name>.bgp.neighbors[i]` when an explicit
 *   neighbour node cannot be reached by any address.
 */
export function bgpSessions(node: Node, t: Topology): BgpSession[] {
  const bgp = node.bgp;
  if (!bgp) return [];
  const byName = nodeMap(t);
  const adj = adjacencies(node, t, byName);
  if (bgp.neighbors.length) return bgp.neighbors.flatMap((n, i) => explicitSessions(node, n, i, adj, byName));

  const out: BgpSession[] = [];
  const seen = new Set<string>();
  const add = (s: BgpSession[]): void => {
    for (const x of s) if (!seen.has(x.address)) { seen.add(x.address); out.push(x); }
  };
  for (const a of adj) {
    for (const p of a.peers) {
      if (p.node.bgp && p.node.bgp.as !== bgp.as) add(linkSessions(a, p.node, p.node.bgp.as, false));
    }
  }
  for (const peer of t.nodes) {
    if (peer === node || !peer.bgp || peer.bgp.as !== bgp.as) continue;
    const lo = node.ospf && peer.ospf ? loopbackSessions(node, peer, bgp.as, true) : [];
    if (lo.length) add(lo);
    else for (const a of sharedLinks(adj, peer)) add(linkSessions(a, peer, bgp.as, true));
  }
  return out;
}

function explicitSessions(node: Node, n: BgpNeighbor, i: number, adj: Adjacency[], byName: Map<string, Node>): BgpSession[] {
  const myAs = node.bgp!.as;
  const where = `nodes.${node.name}.bgp.neighbors[${i}]`;
  const peer = n.node === undefined ? undefined : byName.get(n.node);
  const as = n.as ?? peer?.bgp?.as;
  if (as === undefined) throw new TopologyError(where, 'the neighbour\'s AS is unknown', 'add as: to the neighbour');
  const ibgp = as === myAs;
  const finish = (s: BgpSession[]): BgpSession[] => s.map((x) => {
    const y: BgpSession = { ...x, options: { ...n.options } };
    if (n.description !== undefined) y.description = n.description;
    return y;
  });
  if (n.address !== undefined) {
    const s: BgpSession = { address: n.address, af: family(n.address), as, ibgp, updateSourceLo: false, nextHopSelf: ibgp, options: {} };
    if (peer) {
      s.peer = peer.name;
      const onLo = [peer.loopback.ipv4, peer.loopback.ipv6].some((c) => c !== undefined && addr(c) === n.address);
      if (onLo) {
        s.updateSourceLo = true;
        if (!ibgp) s.multihop = 255;
      }
    }
    return finish([s]);
  }
  if (!peer) throw new TopologyError(where, `node ${n.node} is not in the lab`, 'name a node of this lab');
  const links = sharedLinks(adj, peer);
  let s: BgpSession[];
  if (ibgp) {
    s = loopbackSessions(node, peer, as, true);
    if (!s.length && links.length) s = linkSessions(links[0]!, peer, as, true);
  } else {
    s = links.length ? linkSessions(links[0]!, peer, as, false) : loopbackSessions(node, peer, as, false);
  }
  if (!s.length) {
    throw new TopologyError(where, `${node.name} and ${peer.name} share no address family to peer over`,
      'give both nodes loopbacks or addresses on a shared link, or write the neighbour address:');
  }
  return finish(s);
}
