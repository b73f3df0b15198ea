/**
 * Mermaid flowchart of a lab. Mermaid ids must be plain words, so every vertex
 * gets a generated id (v0, v1, …) and its name goes in a quoted label with
 * `"` written as the entity #quot; (Mermaid's escape for labels).
 */
import type { LabGraph } from '../actions.js';

/** A Mermaid quoted label text. */
export function mermaidLabel(s: string): string {
  return `"${s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'))}"`;
}

/** The graph as a Mermaid `flowchart LR`. */
export function toMermaid(g: LabGraph): string {
  const ids = new Map<string, string>();
  const out = ['flowchart LR'];
  g.forEachNode((key, a) => {
    const id = `v${ids.size}`;
    ids.set(key, id);
    const label = mermaidLabel(a.type === 'node' ? `${a.label} (${a.kind})` : a.label);
    if (a.type === 'segment') out.push(`  ${id}{{${label}}}`);
    else if (a.type === 'host') out.push(`  ${id}[/${label}/]`);
    else if (a.shape === 'router') out.push(`  ${id}[${label}]`);
    else out.push(`  ${id}(${label})`);
  });
  g.forEachEdge((_e, a, source, target) => {
    const text = a.targetIface ? `${a.sourceIface} – ${a.targetIface}` : a.sourceIface;
    out.push(`  ${ids.get(source)} ${a.state === 'down' ? '-.-' : '---'}|${mermaidLabel(text)}| ${ids.get(target)}`);
  });
  return `${out.join('\n')}\n`;
}
