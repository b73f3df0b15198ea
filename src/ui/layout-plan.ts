/**
 * The layout of a drawn lab, as data (pure, no cytoscape here): what is asked
 * of cytoscape-fcose (src/ui/web/layout-core.ts runs it) and with which
 * options. Shared by the page (src/ui/web/graph.ts: small labs in the page,
 * "re-layout" in its Web Worker) and the server (src/ui/layout.ts: a large
 * lab's first layout in a worker thread, saved with the lab before a page
 * draws it), so both lay a lab out the same way.
 */
import type { ViewEdge, ViewNode } from './protocol.js';

/** Positions of drawn elements by id: page pixels (cytoscape model units), origin anywhere. */
export type Positions = Record<string, { x: number; y: number }>;

/**
 * Labs with more drawn elements than this are laid out off the page's main
 * thread: first by the server (before a page draws them), a "re-layout" in the
 * page's Web Worker. Smaller labs are laid out in the page, as they are drawn.
 */
export const LARGE_LAB_OVER = 300;

/** The box of a node for the layout, model units: the largest drawn node (graph.ts STYLE: host 44 × 30, routers 34). */
export const NODE_BOX = 44;

/** What a layout run is asked: the elements (ids, ends, sizes), the fcose options, positions to hold. */
export interface LayoutRequest {
  id: number;
  nodes: { id: string; w: number; h: number }[];
  edges: { id: string; source: string; target: string }[];
  options: Record<string, unknown>;
  fixed: { nodeId: string; position: { x: number; y: number } }[];
}

/** What a layout run answers: every node's position, or why it could not. */
export interface LayoutReply {
  id: number;
  positions?: Positions;
  error?: string;
}

/**
 * cytoscape-fcose options for a graph of `nodes` nodes (pure). Above 400
 * nodes, draft quality (the spectral step and 600 iterations: a 1,000-node
 * ring in 0.25–0.7 s in Node.js here), else the default.
 */
export function fcoseOptions(nodes: number): Record<string, unknown> {
  return {
    quality: nodes > 400 ? 'draft' : 'default',
    randomize: true, padding: 30,
    nodeSeparation: 90, idealEdgeLength: 90, nodeRepulsion: 8000,
    numIter: nodes > 400 ? 600 : 2500,
  };
}

/**
 * The layout request for a drawn lab (pure): every drawn element, one box
 * size for all (NODE_BOX: asking each node's size in the page would compute
 * every style before its first frame), the elements of `fixed` held where
 * they are.
 */
export function layoutRequest(view: { nodes: readonly Pick<ViewNode, 'id'>[]; edges: readonly Pick<ViewEdge, 'id' | 'source' | 'target'>[] }, fixed: Positions, id = 1): LayoutRequest {
  const ids = new Set(view.nodes.map((n) => n.id));
  return {
    id,
    options: fcoseOptions(view.nodes.length),
    fixed: Object.entries(fixed).filter(([nodeId]) => ids.has(nodeId)).map(([nodeId, position]) => ({ nodeId, position: { x: position.x, y: position.y } })),
    nodes: view.nodes.map((n) => ({ id: n.id, w: NODE_BOX, h: NODE_BOX })),
    edges: view.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

/** Whether the server lays `view` out before a page draws it (pure): a large lab with a drawn element not placed yet. */
export function needsServerLayout(view: { nodes: readonly Pick<ViewNode, 'id'>[] }, saved: Positions): boolean {
  return view.nodes.length > LARGE_LAB_OVER && view.nodes.some((n) => !saved[n.id]);
}
