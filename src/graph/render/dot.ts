/**
 * Graphviz DOT of a lab: nodes as boxes (routers) or ellipses (hosts), LAN
 * segments as small points with a label, the host as a house; edges carry the
 * interface names at each end (taillabel/headlabel). Every identifier is a
 * quoted DOT string (the DOT language, "ID": a double-quoted string with `"`
 * escaped), so names with dashes, dots or leading digits are safe.
 */
import type { LabGraph } from '../actions.js';

/** A DOT double-quoted string: backslashes and quotes escaped, newlines as \n. */
export function dotQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const SHAPES: Record<string, string> = { frr: 'box', bird: 'box', bridge: 'box3d', linux: 'ellipse' };

/** The graph in DOT (undirected `graph`), deterministic: vertices and edges in insertion order. */
export function toDot(g: LabGraph, name: string): string {
  const out = [`graph ${dotQuote(name)} {`, '  graph [overlap=false, splines=true];', '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=8];'];
  g.forEachNode((key, a) => {
    if (a.type === 'segment') out.push(`  ${dotQuote(key)} [label=${dotQuote(a.label)}, shape=box, style="rounded,dashed", fontsize=9];`);
    else if (a.type === 'host') out.push(`  ${dotQuote(key)} [label="host", shape=house];`);
    else out.push(`  ${dotQuote(key)} [label=${dotQuote(a.label)}, shape=${SHAPES[a.kind ?? ''] ?? 'ellipse'}, tooltip=${dotQuote(`${a.label} (${a.kind})`)}];`);
  });
  g.forEachEdge((_e, a, source, target) => {
    const attrs = [`taillabel=${dotQuote(a.sourceIface)}`];
    if (a.targetIface) attrs.push(`headlabel=${dotQuote(a.targetIface)}`);
    if (a.state === 'down') attrs.push('style=dashed', 'color=gray');
    out.push(`  ${dotQuote(source)} -- ${dotQuote(target)} [${attrs.join(', ')}];`);
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}
