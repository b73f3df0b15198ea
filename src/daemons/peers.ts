/**
 * Questions the config renderers ask about a node's place in the topology:
 * who is on the other end of each interface, which address a neighbour has
 * on a shared link, whether a neighbour speaks a routing protocol. Pure.
 */
import type { Interface, Link, Node, Topology } from '../topology/types.js';
import { isHostEndpoint } from '../topology/endpoints.js';
import { findKind } from './registry.js';

/** A neighbour's end of a link shared with the node. */
export interface PeerEnd {
  node: Node;
  iface: Interface;
}

/** One interface of a node with the link that made it and every other node on that link. */
export interface Adjacency {
  iface: Interface;
  link: Link;
  /** Other lab nodes on the link: one for p2p, n−1 for a LAN, none for a host link. */
  peers: PeerEnd[];
}

/** Node name → Node (a plain cache-free lookup; O(n) to build). */
export function nodeMap(t: Topology): Map<string, Node> {
  return new Map(t.nodes.map((n) => [n.name, n]));
}

/** The node's interfaces in order, each with its link and the neighbours on it. */
export function adjacencies(node: Node, t: Topology, byName: Map<string, Node> = nodeMap(t)): Adjacency[] {
  return node.interfaces.map((iface) => {
    const link = t.links[iface.link]!;
    const peers: PeerEnd[] = [];
    link.endpoints.forEach((e, j) => {
      if (j === iface.endpoint || isHostEndpoint(e)) return;
      const peer = byName.get(e.node);
      const pi = peer?.interfaces.find((x) => x.name === e.iface);
      if (peer && pi) peers.push({ node: peer, iface: pi });
    });
    return { iface, link, peers };
  });
}

/** True when the node's kind runs a routing daemon (its plug-in's facts say `router`). */
export function isRouter(node: Node): boolean {
  return findKind(node.kind)?.facts.router ?? false;
}

/**
 * Neighbours on a link that may speak OSPF: they have an `ospf:` block, or
 * they are routers with their own config (netlab cannot see inside it).
 */
export function ospfSpeakers(a: Adjacency): PeerEnd[] {
  return a.peers.filter((p) => p.node.ospf !== undefined || (isRouter(p.node) && p.node.config !== undefined));
}

/** OSPF routers in the lab: nodes with an `ospf:` block (what the size-dependent timers count). */
export function ospfRouterCount(t: Topology): number {
  return t.nodes.filter((n) => n.ospf).length;
}

/** Hello and dead interval (s) of generated OSPF on links where every speaker's config is generated too. */
export const FAST_OSPF = { helloS: 1, deadS: 4, retransmitS: 1 } as const;

/**
 * Above this many OSPF routers a lab's generated configs keep the daemons'
 * own interface timers (hello 10 s, dead 40 s, retransmit 5 s) instead of
 * FAST_OSPF, and hold SPF longer (frr-ospf.ts routerTimers). Measured on a
 * 2-core VM (docs/performance.md, "FRR routers at scale"): a 20×20 grid
 * with the fast timers had not even started every router after 8.7 min (a
 * 4 s dead interval on a saturated host, 1 s retransmissions of every
 * unacknowledged LSA, an SPF every 50 ms–4 s on every router); with these,
 * every router had every loopback 181 s after the start of `up`.
 */
export const LARGE_OSPF_LAB = 100;

/**
 * The interface timers netlab writes where every OSPF speaker on a link has
 * a generated config (pure): FAST_OSPF up to LARGE_OSPF_LAB routers, else
 * the daemons' defaults (nothing written). Both ends of a link are rendered
 * from the same lab, so they always match (RFC 2328 §10.5).
 * @param routers OSPF routers in the lab (nodes with an `ospf:` block).
 */
export function generatedOspfTimers(routers: number): OspfTimers {
  return routers > LARGE_OSPF_LAB ? {} : { ...FAST_OSPF };
}

/** Interface timers, seconds; a missing one is the daemon's default. */
export interface OspfTimers { helloS?: number; deadS?: number; retransmitS?: number }

/** FRR's and BIRD's default hello and dead intervals, seconds. */
export const DEFAULT_OSPF = { helloS: 10, deadS: 40 } as const;

/**
 * The hello/dead intervals (s) an FRR config sets on one interface
 * (`ip ospf hello-interval N` / `ip ospf dead-interval N` inside
 * `interface NAME`), defaults where it sets none.
 */
export function frrIfaceTimers(configText: string, iface: string): { helloS: number; deadS: number } {
  const out: { helloS: number; deadS: number } = { ...DEFAULT_OSPF };
  let inside = false;
  for (const raw of configText.split('\n')) {
    const line = raw.trimEnd();
    if (/^interface\s/.test(line)) { inside = line.split(/\s+/)[1] === iface; continue; }
    if (!/^\s/.test(line)) { inside = false; continue; }
    if (!inside) continue;
    const hello = /^\s+ip ospf hello-interval (\d+)/.exec(line);
    const dead = /^\s+ip ospf dead-interval (\d+)/.exec(line);
    if (hello) out.helloS = Number(hello[1]);
    if (dead) out.deadS = Number(dead[1]);
  }
  return out;
}

/**
 * The timers to write on an active interface of a generated config. The
 * node's `hello:`/`dead:` win. Otherwise, when every OSPF speaker on the link
 * has a generated config: generatedOspfTimers(routers) — hello 1 s / dead 4 s
 * in a lab of up to LARGE_OSPF_LAB OSPF routers, the defaults above it
 * (netlab writes the same on both ends; the intervals must match, RFC 2328
 * §10.5). When a neighbour brings its own config: the intervals that config
 * sets on its interface (its kind's `ospfTimers` reads them — FRR's does;
 * others are taken as the defaults), so a saved and reused config still
 * matches. Up to LARGE_OSPF_LAB routers the retransmit interval is 1 s instead
 * of 5: a DD or LS update that arrives while the neighbour is still in Init,
 * or within its MinLSArrival, is dropped and waits for it; it need not match
 * between neighbours. Above, 5 s: on a busy host an acknowledgement late by
 * a second would send every LSA again.
 * @param routers OSPF routers in the lab (the same count for every node).
 */
export function ospfTimers(ospf: { helloS?: number; deadS?: number }, a: Adjacency, configOf: (n: Node) => string | undefined, routers: number): OspfTimers {
  const fast = generatedOspfTimers(routers);
  const t: OspfTimers = fast.retransmitS !== undefined ? { retransmitS: fast.retransmitS } : {};
  if (ospf.helloS !== undefined || ospf.deadS !== undefined) {
    if (ospf.helloS !== undefined) t.helloS = ospf.helloS;
    if (ospf.deadS !== undefined) t.deadS = ospf.deadS;
    return t;
  }
  const own = ospfSpeakers(a).filter((p) => p.node.config !== undefined);
  if (!ospfSpeakers(a).length) return t;
  let want: { helloS: number; deadS: number } = { helloS: fast.helloS ?? DEFAULT_OSPF.helloS, deadS: fast.deadS ?? DEFAULT_OSPF.deadS };
  if (own.length) {
    const theirs = own.map((p) => findKind(p.node.kind)?.ospfTimers?.(configOf(p.node) ?? '', p.iface.name) ?? { ...DEFAULT_OSPF });
    want = theirs[0]!;
  }
  if (want.helloS !== DEFAULT_OSPF.helloS) t.helloS = want.helloS;
  if (want.deadS !== DEFAULT_OSPF.deadS) t.deadS = want.deadS;
  return t;
}

/** Address without its prefix length: "10.1.0.1/31" → "10.1.0.1". */
export function addr(cidr: string): string {
  return cidr.split('/')[0]!;
}

/** IP family of an address or CIDR. */
export function family(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** True when the node has any IPv6 address of its own (loopback or interface; not management). */
export function hasIPv6(node: Node): boolean {
  return Boolean(node.loopback.ipv6) || node.interfaces.some((i) => i.ipv6);
}

/**
 * The router id a node uses when none is given and it has no IPv4 loopback:
 * 0.0.<id/256>.<id%256> — unique per node, and never equal to a loopback
 * address taken from a pool (pools never contain 0.0.0.0/16).
 */
export function fallbackRouterId(node: Node): string {
  return `0.0.${Math.floor(node.id / 256) % 256}.${node.id % 256}`;
}

/** Renders a free-form options object as configuration lines: `key value`, `key` for true, `no key` for false, one line per array item. */
export function optionLines(options: Record<string, unknown>, indent: string): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(options)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) continue;
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one === true || one === null || one === undefined) out.push(`${indent}${key}`);
      else if (one === false) out.push(`${indent}no ${key}`);
      else out.push(`${indent}${key} ${String(one)}`);
    }
  }
  return out;
}
