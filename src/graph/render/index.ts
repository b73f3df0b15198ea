/**
 * `renderGraph`: a topology as a picture in one of the formats `netlab graph`
 * writes. Pure: no root, no kernel, no files.
 */
import type { KindCatalog } from '../../topology/kinds.js';
import type { Topology } from '../../topology/types.js';
import { buildGraph } from '../graph.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';
import { toHtml, toSvg } from './svg.js';

/** The formats of `renderGraph`, in the order `netlab graph --help` lists them. */
export const GRAPH_FORMATS = ['dot', 'mermaid', 'svg', 'html'] as const;

/** One of GRAPH_FORMATS. */
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/**
 * The text of `t` drawn as `format`: Graphviz DOT (https://graphviz.org/doc/info/lang.html),
 * a Mermaid flowchart, a self-contained SVG image (laid out here, no Graphviz
 * needed), or an HTML page holding that SVG. Nodes are the lab's nodes, LANs
 * and host ends; edges its links, labelled with interface names. `kinds`
 * gives each kind's shape and icon: `kindCatalog()` for netlab's kinds.
 */
export function renderGraph(t: Topology, format: GraphFormat, kinds: KindCatalog): string {
  const g = buildGraph(t, kinds);
  switch (format) {
    case 'dot': return toDot(g, t.name);
    case 'mermaid': return toMermaid(g);
    case 'svg': return toSvg(g, t.name);
    case 'html': return toHtml(g, t.name);
  }
}
