/**
 * The layout of a large lab, off the page's main thread (a Web Worker):
 * cytoscape.js headless (no canvas, no DOM) runs the same fcose layout the
 * page runs for small labs, and posts the positions back. Meanwhile the page
 * has drawn the lab on a grid and answers clicks (src/ui/web/graph.ts).
 */
import cytoscape from 'cytoscape';
// @ts-expect-error cytoscape-fcose ships no types
import fcose from 'cytoscape-fcose';

cytoscape.use(fcose as cytoscape.Ext);

/** What the page asks: the elements (ids, ends, sizes), the fcose options, positions to hold. */
export interface LayoutRequest {
  id: number;
  nodes: { id: string; w: number; h: number; x?: number; y?: number }[];
  edges: { id: string; source: string; target: string }[];
  options: Record<string, unknown>;
  fixed: { nodeId: string; position: { x: number; y: number } }[];
}

/** What the worker answers: every node's position, or why it could not. */
export interface LayoutReply {
  id: number;
  positions?: Record<string, { x: number; y: number }>;
  error?: string;
}

const scope = self as unknown as { onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null; postMessage(m: LayoutReply): void };

scope.onmessage = (e) => {
  const r = e.data;
  try {
    const cy = cytoscape({
      headless: true, styleEnabled: true,
      style: [{ selector: 'node', style: { width: 'data(w)', height: 'data(h)' } }],
      elements: [
        ...r.nodes.map((n) => ({ group: 'nodes' as const, data: { id: n.id, w: n.w, h: n.h }, ...(n.x !== undefined ? { position: { x: n.x, y: n.y! } } : {}) })),
        ...r.edges.map((x) => ({ group: 'edges' as const, data: { id: x.id, source: x.source, target: x.target } })),
      ],
    });
    cy.layout({ name: 'fcose', ...r.options, animate: false, fit: false, ...(r.fixed.length ? { fixedNodeConstraint: r.fixed } : {}) } as cytoscape.LayoutOptions).run();
    const positions: Record<string, { x: number; y: number }> = {};
    cy.nodes().forEach((n) => { positions[n.id()] = { ...n.position() }; });
    cy.destroy();
    scope.postMessage({ id: r.id, positions });
  } catch (err) {
    scope.postMessage({ id: r.id, error: (err as Error).message });
  }
};
