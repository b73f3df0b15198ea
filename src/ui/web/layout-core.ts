/**
 * One fcose layout run, headless (no canvas, no DOM): cytoscape.js with
 * cytoscape-fcose on the elements of a LayoutRequest (src/ui/layout-plan.ts).
 * Run by the page's Web Worker (layout-worker.ts) and by the server's worker
 * thread (layout-thread.ts), so a lab is laid out the same way wherever it is.
 */
import cytoscape from 'cytoscape';
// @ts-expect-error cytoscape-fcose ships no types
import fcose from 'cytoscape-fcose';
import type { LayoutReply, LayoutRequest } from '../layout-plan.js';

cytoscape.use(fcose as cytoscape.Ext);

/** Lays out `r`'s elements and answers every node's position (or the error, as text). */
export function runLayout(r: LayoutRequest): LayoutReply {
  try {
    const cy = cytoscape({
      headless: true, styleEnabled: true,
      style: [{ selector: 'node', style: { width: 'data(w)', height: 'data(h)' } }],
      elements: [
        ...r.nodes.map((n) => ({ group: 'nodes' as const, data: { id: n.id, w: n.w, h: n.h } })),
        ...r.edges.map((x) => ({ group: 'edges' as const, data: { id: x.id, source: x.source, target: x.target } })),
      ],
    });
    cy.layout({ name: 'fcose', ...r.options, animate: false, fit: false, ...(r.fixed.length ? { fixedNodeConstraint: r.fixed } : {}) } as cytoscape.LayoutOptions).run();
    const positions: Record<string, { x: number; y: number }> = {};
    cy.nodes().forEach((n) => { positions[n.id()] = { ...n.position() }; });
    cy.destroy();
    return { id: r.id, positions };
  } catch (err) {
    return { id: r.id, error: (err as Error).message };
  }
}
