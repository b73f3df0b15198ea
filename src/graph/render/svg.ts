/**
 * A self-contained SVG (and an HTML page around it) of a lab: no scripts, no
 * fonts or styles from the network, so it opens offline in any browser.
 * Layout from ./layout.ts; every text is XML-escaped.
 */
import type { LabGraph } from '../actions.js';
import { layoutGraph } from './layout.js';

/** Escapes text for XML content and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** Fill of a node whose kind has no plug-in (a topology loaded with a catalog of its own). */
const OTHER_COLOR = '#b5552f';

const f = (n: number): string => n.toFixed(1);

/** The lab as an SVG document (a string starting with `<svg`). */
export function toSvg(g: LabGraph, name: string): string {
  const { width, height, pos } = layoutGraph(g);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 30}" viewBox="0 0 ${width} ${height + 30}" font-family="Helvetica, Arial, sans-serif">`);
  out.push(`<title>${xmlEscape(`netlab: ${name}`)}</title>`);
  out.push('<rect width="100%" height="100%" fill="#ffffff"/>');
  out.push(`<text x="12" y="22" font-size="16" font-weight="bold">${xmlEscape(name)}</text>`);
  out.push(`<g transform="translate(0,30)">`);
  const small = g.order > 60;
  // parallel links between the same two vertices are drawn as curves side by side
  const pairCount = new Map<string, number>();
  const pairKey = (s: string, t: string): string => (s < t ? `${s}\u0000${t}` : `${t}\u0000${s}`);
  g.forEachEdge((_e, _a, s, t) => { pairCount.set(pairKey(s, t), (pairCount.get(pairKey(s, t)) ?? 0) + 1); });
  const pairSeen = new Map<string, number>();
  g.forEachEdge((_e, a, s, t) => {
    const p = pos.get(s)!, q = pos.get(t)!;
    const dash = a.state === 'down' ? ' stroke-dasharray="6 4"' : '';
    if (s === t) {
      out.push(`<circle cx="${f(p.x + 18)}" cy="${f(p.y - 18)}" r="16" fill="none" stroke="#555"${dash}/>`);
      return;
    }
    const key = pairKey(s, t);
    const count = pairCount.get(key)!;
    const nth = pairSeen.get(key) ?? 0;
    pairSeen.set(key, nth + 1);
    const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
    const sign = s < t ? 1 : -1; // the same side whichever way the edge was written
    const bend = (nth - (count - 1) / 2) * 22 * sign;
    const nx = (-(q.y - p.y) / len) * bend, ny = ((q.x - p.x) / len) * bend;
    const cx = (p.x + q.x) / 2 + nx * 2, cy = (p.y + q.y) / 2 + ny * 2;
    out.push(bend === 0
      ? `<line x1="${f(p.x)}" y1="${f(p.y)}" x2="${f(q.x)}" y2="${f(q.y)}" stroke="#555" stroke-width="1.5"${dash}/>`
      : `<path d="M${f(p.x)},${f(p.y)} Q${f(cx)},${f(cy)} ${f(q.x)},${f(q.y)}" fill="none" stroke="#555" stroke-width="1.5"${dash}/>`);
    if (small) return;
    const label = (at: number, text: string): void => {
      if (!text) return;
      // a point on the quadratic curve at parameter `at`
      const u = 1 - at;
      const x = u * u * p.x + 2 * u * at * cx + at * at * q.x, y = u * u * p.y + 2 * u * at * cy + at * at * q.y;
      out.push(`<text x="${f(x)}" y="${f(y)}" font-size="9" fill="#333" text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">${xmlEscape(text)}</text>`);
    };
    label(0.25, a.sourceIface);
    label(0.75, a.targetIface);
  });
  g.forEachNode((key, a) => {
    const p = pos.get(key)!;
    const title = `<title>${xmlEscape(a.type === 'node' ? `${a.label} (${a.kind}, id ${a.id})` : a.type === 'segment' ? `LAN segment ${a.label}` : 'the host')}</title>`;
    if (a.type === 'segment') {
      out.push(`<g>${title}<rect x="${f(p.x - 7)}" y="${f(p.y - 7)}" width="14" height="14" transform="rotate(45 ${f(p.x)} ${f(p.y)})" fill="#f4b400" stroke="#8a6500"/></g>`);
      out.push(`<text x="${f(p.x)}" y="${f(p.y + 22)}" font-size="10" text-anchor="middle" fill="#8a6500">${xmlEscape(a.label)}</text>`);
      return;
    }
    const color = a.type === 'host' ? '#444444' : a.color ?? OTHER_COLOR;
    const r = small ? 8 : 16;
    const shape = a.shape === 'router' || a.type === 'host'
      ? `<rect x="${f(p.x - r)}" y="${f(p.y - r)}" width="${2 * r}" height="${2 * r}" rx="4" fill="${color}"/>`
      : `<circle cx="${f(p.x)}" cy="${f(p.y)}" r="${r}" fill="${color}"/>`;
    out.push(`<g>${title}${shape}</g>`);
    out.push(`<text x="${f(p.x)}" y="${f(p.y + r + 13)}" font-size="${small ? 9 : 12}" text-anchor="middle" fill="#111">${xmlEscape(a.label)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** An HTML page holding the SVG inline and a legend; self-contained. */
export function toHtml(g: LabGraph, name: string): string {
  const legend = g.getAttribute('kinds').map((k) => `<span><i style="background:${k.color}"></i>${k.name}</span>`).join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${xmlEscape(`netlab: ${name}`)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #111; }
.legend span { margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px; vertical-align: middle; border-radius: 2px; }
svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
</style>
</head>
<body>
<p class="legend">${legend} <span><i style="background:#f4b400"></i>LAN segment</span> <span>dashed: link down</span></p>
${toSvg(g, name)}</body>
</html>
`;
}
