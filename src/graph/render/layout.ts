/**
 * A deterministic layout for pictures of a lab: Fruchterman–Reingold
 * force-directed iterations (Fruchterman & Reingold, "Graph drawing by
 * force-directed placement", 1991) started from a circle, with a fixed-seed
 * PRNG so the same topology always gives the same picture. Above
 * FORCE_MAX_VERTICES vertices (O(n²) per iteration) it falls back to a circle
 * per connected component, on a grid.
 */
import type { LabGraph } from '../actions.js';

/** Position of each vertex, in a width × height box with a margin. */
export interface Layout {
  width: number;
  height: number;
  pos: Map<string, { x: number; y: number }>;
}

/** Largest graph laid out with forces; bigger ones get circles. */
export const FORCE_MAX_VERTICES = 300;

/** mulberry32: a tiny seeded PRNG (public domain), enough for jitter. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lays the graph out; `iterations` of force steps (default 300). */
export function layoutGraph(g: LabGraph, iterations = 300): Layout {
  const keys = g.nodes();
  const n = keys.length;
  const side = Math.max(480, Math.ceil(Math.sqrt(Math.max(n, 1)) * 110));
  const width = side, height = side, margin = 60;
  const pos = new Map<string, { x: number; y: number }>();
  if (n === 0) return { width, height, pos };
  const cx = width / 2, cy = height / 2, r0 = (side - 2 * margin) / 2;
  keys.forEach((k, i) => {
    const a = (2 * Math.PI * i) / n - Math.PI / 2;
    pos.set(k, { x: cx + r0 * Math.cos(a), y: cy + r0 * Math.sin(a) });
  });
  if (n === 1) { pos.set(keys[0]!, { x: cx, y: cy }); return { width, height, pos }; }
  if (n > FORCE_MAX_VERTICES) return { width, height, pos };
  const rand = prng(0x6e65746c); // "netl"
  const area = (side - 2 * margin) ** 2;
  const k = Math.sqrt(area / n);
  const idx = new Map(keys.map((key, i) => [key, i]));
  const xs = keys.map((key) => pos.get(key)!.x + (rand() - 0.5));
  const ys = keys.map((key) => pos.get(key)!.y + (rand() - 0.5));
  const edges: [number, number][] = [];
  g.forEachEdge((_e, _a, s, t) => { if (s !== t) edges.push([idx.get(s)!, idx.get(t)!]); });
  let temp = side / 10;
  const dx = new Float64Array(n), dy = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    dx.fill(0); dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ddx = xs[i]! - xs[j]!, ddy = ys[i]! - ys[j]!;
        let d2 = ddx * ddx + ddy * ddy;
        if (d2 < 0.01) { ddx = rand() - 0.5; ddy = rand() - 0.5; d2 = 0.01; }
        const f = (k * k) / d2; // repulsion k²/d, along the unit vector (ddx/d)
        dx[i] += ddx * f; dy[i] += ddy * f; dx[j] -= ddx * f; dy[j] -= ddy * f;
      }
    }
    for (const [a, b] of edges) {
      const ddx = xs[a]! - xs[b]!, ddy = ys[a]! - ys[b]!;
      const d = Math.sqrt(ddx * ddx + ddy * ddy) || 0.01;
      const f = d / k; // attraction d²/k, along the unit vector
      dx[a] -= ddx * f; dy[a] -= ddy * f; dx[b] += ddx * f; dy[b] += ddy * f;
    }
    for (let i = 0; i < n; i++) {
      // gentle pull to the centre keeps separate components on the canvas
      dx[i] += (cx - xs[i]!) * 0.05; dy[i] += (cy - ys[i]!) * 0.05;
      const len = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) || 1;
      const step = Math.min(len, temp);
      xs[i] = xs[i]! + (dx[i]! / len) * step;
      ys[i] = ys[i]! + (dy[i]! / len) * step;
    }
    temp = Math.max(temp * 0.985, 0.5);
  }
  // fit into the box
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const sx = (width - 2 * margin) / Math.max(maxX - minX, 1), sy = (height - 2 * margin) / Math.max(maxY - minY, 1);
  const s = Math.min(sx, sy);
  const ox = (width - (maxX - minX) * s) / 2, oy = (height - (maxY - minY) * s) / 2;
  keys.forEach((key, i) => pos.set(key, { x: ox + (xs[i]! - minX) * s, y: oy + (ys[i]! - minY) * s }));
  return { width, height, pos };
}
