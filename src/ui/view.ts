/**
 * The drawn lab (pure): a Topology → the elements the page draws — a node per
 * lab node, one per LAN segment (the bridge netlab made) and one for the host
 * when a host link exists; an edge per point-to-point or host link and per
 * LAN member — and the live state of those edges from two counter readings.
 */
import { isHostEndpoint, kindCatalog, linkType, type LinkCounters, type Topology } from '../index.js';
import type { LabView, LiveEdge, LiveNode, ViewEdge, ViewEnd, ViewNode } from './protocol.js';

type InterfaceCounters = LinkCounters['interfaces'][string];

/** The nodes of `t` by name (pure). */
function nodeIndex(t: Topology): Map<string, Topology['nodes'][number]> {
  return new Map(t.nodes.map((n) => [n.name, n]));
}

/** The drawn elements of `t` (pure). */
export function labView(t: Topology): LabView {
  const nodes: ViewNode[] = [];
  const edges: ViewEdge[] = [];
  const byName = nodeIndex(t);
  const end = (node: string, iface: string): ViewEnd => {
    const i = byName.get(node)?.interfaces.find((x) => x.name === iface);
    const e: ViewEnd = { endpoint: `${node}:${iface}`, node, iface };
    if (i?.ipv4) e.ipv4 = i.ipv4;
    if (i?.ipv6) e.ipv6 = i.ipv6;
    if (i?.mac) e.mac = i.mac;
    return e;
  };
  const kinds = kindCatalog();
  for (const n of t.nodes) {
    const v: ViewNode = { id: n.name, type: 'node', label: n.name, kind: n.kind, interfaces: n.interfaces.map((i) => end(n.name, i.name)) };
    if (n.loopback.ipv4 || n.loopback.ipv6) v.loopback = { ...n.loopback };
    const tests = kinds.get(n.kind)?.tests;
    if (tests?.ospf_neighbors !== undefined || tests?.bgp_sessions !== undefined) v.neighbors = true;
    nodes.push(v);
  }
  let host = false;
  for (const l of t.links) {
    const named = (e: ViewEdge): ViewEdge => {
      if (l.name) e.name = l.name;
      if (l.prefix4) e.prefix4 = l.prefix4;
      if (l.prefix6) e.prefix6 = l.prefix6;
      return e;
    };
    if (l.kind === 'p2p') {
      const [x, y] = l.endpoints as [{ node: string; iface: string }, { node: string; iface: string }];
      edges.push(named({ id: `L${l.index}`, type: 'p2p', source: x.node, target: y.node, a: end(x.node, x.iface), b: end(y.node, y.iface) }));
    } else if (l.kind === 'host') {
      const nodeEnd = l.endpoints.find((e) => !isHostEndpoint(e))!;
      host = true;
      const b: ViewEnd = { endpoint: `host:${l.host?.iface ?? ''}`, node: 'host', iface: l.host?.iface ?? '' };
      if (l.host?.ipv4) b.ipv4 = l.host.ipv4;
      if (l.host?.ipv6) b.ipv6 = l.host.ipv6;
      edges.push(named({ id: `L${l.index}`, type: 'host', source: nodeEnd.node, target: 'host', a: end(nodeEnd.node, nodeEnd.iface), b }));
    } else if (linkType(l).local) {
      // dummy, macvlan, vxlan: an interface of its node alone, listed on the node's card; no edge
      continue;
    } else {
      const seg = `lan:${l.segment ?? l.index}`;
      nodes.push({ id: seg, type: 'segment', label: l.name ?? l.segment ?? `LAN ${l.index}`, kind: 'segment' });
      l.endpoints.forEach((e, k) => {
        edges.push(named({ id: `L${l.index}.${k}`, type: 'lan', source: e.node, target: seg, a: end(e.node, e.iface) }));
      });
    }
  }
  if (host) nodes.push({ id: 'host', type: 'host', label: 'host', kind: 'host' });
  const view: LabView = {
    lab: t.name, nodes, edges,
    tests: t.tests.map((x) => ({ index: x.index, name: x.name, kind: x.kind, node: x.node })),
  };
  if (t.description) view.description = t.description;
  return view;
}

/** The nodes whose counters the live view reads: the `a` end of every edge (pure). */
export function counterNodes(view: LabView): string[] {
  return [...new Set(view.edges.map((e) => e.a.node))];
}

/** Above this many lab nodes, a point-to-point link's counters are read at whichever end covers the most links. */
export const COVER_OVER = 200;

/** Which nodes the live view reads, and at which end of each edge (the other end's counters mirror them). */
export interface CounterPlan {
  nodes: string[];
  /** Edge id → the end read; absent: 'a'. */
  readAt: Record<string, 'a' | 'b'>;
}

/**
 * The nodes to read each second (pure). A point-to-point link's bytes are
 * one end's sent and received bytes (what a sends, b receives): one end is
 * enough. Up to COVER_OVER nodes, the `a` end of every edge (both ends of
 * most links end up read, drops of both ends counted). Above, the fewest
 * nodes that reach every link (greedy vertex cover: a ring or a grid needs
 * half its nodes), always including nodes with a shaped interface (their
 * qdisc's drops are read there) and the node end of LAN ports and host links.
 */
export function counterPlan(t: Topology, view: LabView): CounterPlan {
  if (t.nodes.length <= COVER_OVER) return { nodes: counterNodes(view), readAt: {} };
  const chosen = new Set<string>();
  for (const n of t.nodes) if (n.interfaces.some((i) => i.shaping && Object.keys(i.shaping).length)) chosen.add(n.name);
  const p2p: ViewEdge[] = [];
  for (const e of view.edges) {
    if (e.type === 'p2p' && e.b) p2p.push(e);
    else chosen.add(e.a.node);
  }
  const open = p2p.filter((e) => !chosen.has(e.a.node) && !chosen.has(e.b!.node));
  const degree = new Map<string, number>();
  const edgesOf = new Map<string, ViewEdge[]>();
  for (const e of open) {
    for (const x of [e.a.node, e.b!.node]) {
      degree.set(x, (degree.get(x) ?? 0) + 1);
      (edgesOf.get(x) ?? edgesOf.set(x, []).get(x)!).push(e);
    }
  }
  const covered = new Set<string>();
  for (;;) {
    let best: string | undefined, most = 0;
    for (const [x, d] of degree) if (d > most) { best = x; most = d; }
    if (!best) break;
    chosen.add(best);
    degree.delete(best);
    for (const e of edgesOf.get(best)!) {
      if (covered.has(e.id)) continue;
      covered.add(e.id);
      const other = e.a.node === best ? e.b!.node : e.a.node;
      const d = degree.get(other);
      if (d !== undefined) { if (d <= 1) degree.delete(other); else degree.set(other, d - 1); }
    }
  }
  const readAt: Record<string, 'a' | 'b'> = {};
  for (const e of p2p) if (!chosen.has(e.a.node)) readAt[e.id] = 'b';
  return { nodes: t.nodes.map((n) => n.name).filter((n) => chosen.has(n)), readAt };
}

/** Bits per second between two byte counts `ms` apart; undefined for no interval or a counter that went back (re-created). */
function bps(before: number | undefined, after: number | undefined, ms: number): number | undefined {
  if (before === undefined || after === undefined || ms <= 0 || after < before) return undefined;
  return ((after - before) * 8 * 1000) / ms;
}

function drops(c: InterfaceCounters | undefined): number {
  return c ? c.rxDropped + c.txDropped + c.qdiscDropped : 0;
}

/**
 * Live state of every edge (pure): down when an end is cut in the topology
 * (`link down`) or a node of it is dead; rates from the `a` end's counters
 * between `prev` and `now` (sent: a→b; received: b→a), or the `b` end's where
 * `readAt` says so (received: a→b; sent: b→a); drops per second of the node
 * ends read. `describe` turns an interface's shaping into text.
 */
export function liveEdges(t: Topology, view: LabView, prev: LinkCounters | undefined, now: LinkCounters,
  describe: (endpoint: string) => string | undefined, readAt: CounterPlan['readAt'] = {}): Record<string, LiveEdge> {
  const out: Record<string, LiveEdge> = {};
  // By name, once per reading: a search per edge end costs O(nodes × links) (12–20 ms per second at 1,000 nodes).
  const byName = nodeIndex(t);
  const iface = (e: ViewEnd | undefined) => (e && e.node !== 'host' ? byName.get(e.node)?.interfaces.find((i) => i.name === e.iface) : undefined);
  const ms = prev ? now.atMs - prev.atMs : 0;
  for (const e of view.edges) {
    const ends = [e.a, ...(e.b && e.b.node !== 'host' ? [e.b] : [])];
    let reason: string | undefined;
    for (const x of ends) {
      if (now.running[x.node] === false) { reason = `${x.node} is not running`; break; }
      if (iface(x)?.state === 'down') { reason = `${x.endpoint} is cut`; break; }
    }
    const live: LiveEdge = { state: reason ? 'down' : 'up' };
    if (reason) live.reason = reason;
    // Read at b (counterPlan): what b receives is what a sent.
    const atB = readAt[e.id] === 'b' && e.b ? e.b.endpoint : undefined;
    const before = prev?.interfaces[atB ?? e.a.endpoint];
    const after = now.interfaces[atB ?? e.a.endpoint];
    const ab = bps(atB ? before?.rxBytes : before?.txBytes, atB ? after?.rxBytes : after?.txBytes, ms);
    const ba = bps(atB ? before?.txBytes : before?.rxBytes, atB ? after?.txBytes : after?.rxBytes, ms);
    if (ab !== undefined) live.abBps = ab;
    if (ba !== undefined) live.baBps = ba;
    if (prev && ms > 0) {
      let d = 0;
      let known = false;
      for (const x of ends) {
        const b0 = prev.interfaces[x.endpoint], b1 = now.interfaces[x.endpoint];
        if (b0 && b1 && drops(b1) >= drops(b0)) { d += drops(b1) - drops(b0); known = true; }
      }
      if (known) live.dropsPerS = (d * 1000) / ms;
    }
    const sa = describe(e.a.endpoint);
    if (sa) live.shapingA = sa;
    if (e.b && e.b.node !== 'host') {
      const sb = describe(e.b.endpoint);
      if (sb) live.shapingB = sb;
    }
    out[e.id] = live;
  }
  return out;
}

/** Live state of every lab node from a counter reading (pure); `paused` lists frozen nodes. */
export function liveNodes(t: Topology, now: LinkCounters, paused: ReadonlySet<string> = new Set()): Record<string, LiveNode> {
  const out: Record<string, LiveNode> = {};
  for (const n of t.nodes) out[n.name] = { state: now.running[n.name] ? (paused.has(n.name) ? 'paused' : 'running') : 'dead' };
  return out;
}
