/**
 * The lab as a graphology multigraph: a vertex per node (key = node name), per
 * LAN segment (key `lan:<segment>`) and, when there are host links, the host
 * (key 'host'); an edge per point-to-point or host link, and one per LAN
 * member (node — segment). Node names never contain ':' and 'host' is a
 * reserved node name, so keys cannot collide. A dummy, macvlan or vxlan link
 * (one endpoint, nothing else of the lab on it) has no edge.
 */
import { MultiUndirectedGraph } from 'graphology';
import { HOST_NODE, isHostEndpoint } from '../topology/endpoints.js';
import type { KindCatalog } from '../topology/kinds.js';
import { isLan } from '../topology/link-types/index.js';
import type { Endpoint, Topology } from '../topology/types.js';
import type { EdgeAttributes, GraphAttributes, LabGraph, VertexAttributes } from './actions.js';

/** Vertex key of a LAN segment. */
export function segmentKey(segment: string): string {
  return `lan:${segment}`;
}

/** Vertex key of the host: the node part of a host endpoint. */
export const HOST_KEY = HOST_NODE;

/** Builds the graph; vertices in node order, then segments in link order. */
export function buildGraph(t: Topology, kinds: KindCatalog): LabGraph {
  const g: LabGraph = new MultiUndirectedGraph<VertexAttributes, EdgeAttributes, GraphAttributes>();
  g.setAttribute('kinds', [...kinds.values()].map((k) => ({ name: k.name, color: k.color })));
  for (const n of t.nodes) {
    const k = kinds.get(n.kind);
    g.addNode(n.name, { type: 'node', label: n.name, kind: n.kind, id: n.id, ...(k ? { shape: k.shape, color: k.color } : {}) });
  }
  for (const l of t.links) {
    const key = `link${l.index}`;
    if (isLan(l)) {
      const seg = segmentKey(l.segment!);
      g.addNode(seg, { type: 'segment', label: l.segment! });
      l.endpoints.forEach((e, j) => {
        g.addEdgeWithKey(`${key}.${j}`, e.node, seg, { link: l.index, sourceIface: e.iface, targetIface: '', state: l.state });
      });
    } else if (l.endpoints.length === 2) {
      const [a, b] = l.endpoints as [Endpoint, Endpoint];
      const ka = isHostEndpoint(a) ? HOST_KEY : a.node;
      const kb = isHostEndpoint(b) ? HOST_KEY : b.node;
      for (const k of [ka, kb]) if (k === HOST_KEY && !g.hasNode(HOST_KEY)) g.addNode(HOST_KEY, { type: 'host', label: 'host' });
      g.addEdgeWithKey(key, ka, kb, { link: l.index, sourceIface: a.iface, targetIface: b.iface, state: l.state });
    }
  }
  return g;
}

/**
 * Connected components, each a list of lab node names in node order; the
 * components are ordered by their first node. Segments and the host join
 * components but are not listed. Iterative (no recursion limit at 5,000 nodes).
 */
export function components(g: LabGraph): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  g.forEachNode((start, attrs) => {
    if (seen.has(start) || attrs.type !== 'node') return;
    const comp: string[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const v = stack.pop()!;
      if (g.getNodeAttribute(v, 'type') === 'node') comp.push(v);
      g.forEachNeighbor(v, (w) => {
        if (!seen.has(w)) { seen.add(w); stack.push(w); }
      });
    }
    comp.sort((a, b) => (g.getNodeAttribute(a, 'id') ?? 0) - (g.getNodeAttribute(b, 'id') ?? 0));
    out.push(comp);
  });
  return out;
}

/** Number of links touching a vertex (a LAN counts once per member; a self-link twice). */
export function degree(g: LabGraph, vertex: string): number {
  return g.degree(vertex);
}

/** Distinct neighbours of a vertex, in edge order; through a LAN segment, the other members count as neighbours. */
export function neighbours(g: LabGraph, vertex: string): string[] {
  const out: string[] = [];
  const add = (v: string): void => { if (v !== vertex && !out.includes(v)) out.push(v); };
  g.forEachNeighbor(vertex, (w, attrs) => {
    if (attrs.type === 'segment') g.forEachNeighbor(w, add);
    else add(w);
  });
  return out;
}
