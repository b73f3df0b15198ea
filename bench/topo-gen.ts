/**
 * Benchmark graphs: a ring, a grid and a k-ary fat-tree of N plain nodes with
 * direct (point-to-point) links, and their renderings as a netlab topology
 * (YAML text) and as the JSON the Mininet builder reads. Pure: no I/O.
 *
 * Interfaces are numbered per node in link order: a node's first link end is
 * eth1, its second eth2, … (eth0 is left free, as a management port would use it).
 */

export type TopoKind = 'ring' | 'grid' | 'fattree';
export const TOPO_KINDS: readonly TopoKind[] = ['ring', 'grid', 'fattree'];

/** One end of a link: node name and interface name (≤ 15 bytes). */
export interface BenchEnd { node: string; iface: string }

/** A benchmark graph. `nodes.length` may differ from the N asked for (fat-tree). */
export interface BenchGraph {
  kind: TopoKind;
  /** The N asked for. */
  asked: number;
  nodes: string[];
  links: [BenchEnd, BenchEnd][];
  /** One line saying how the shape was chosen, e.g. "grid 20×25" or "fat-tree k=12 (612 nodes)". */
  shape: string;
}

/** Adds links to a graph, numbering each node's interfaces eth1, eth2, … in link order. */
class Builder {
  readonly links: [BenchEnd, BenchEnd][] = [];
  private readonly next = new Map<string, number>();

  link(a: string, b: string): void {
    this.links.push([this.end(a), this.end(b)]);
  }

  private end(node: string): BenchEnd {
    const k = (this.next.get(node) ?? 0) + 1;
    this.next.set(node, k);
    return { node, iface: `eth${k}` };
  }
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/**
 * A ring of n nodes n1…nN: ni — n(i+1), and nN back to n1 (n1:eth1 — n2:eth1,
 * n2:eth2 — n3:eth1, …, nN:eth2 — n1:eth2).
 * n = 2 is one link (a ring of two would link the same pair twice); n = 1 has no links.
 * @throws RangeError when n < 1 or not an integer.
 */
export function ring(n: number): BenchGraph {
  checkN(n, 1);
  const nodes = names('n', n);
  const b = new Builder();
  const count = n === 2 ? 1 : n === 1 ? 0 : n;
  for (let i = 0; i < count; i++) b.link(nodes[i]!, nodes[(i + 1) % n]!);
  return { kind: 'ring', asked: n, nodes, links: b.links, shape: `ring of ${n}` };
}

/**
 * Rows × columns for a grid of n cells: the factor pair of n closest to a square
 * when its long side is at most 4× the short one (500 → 20×25); otherwise
 * ⌊√n⌋ rows of ⌈n/rows⌉ columns with a partial last row (a prime n).
 */
export function gridShape(n: number): { rows: number; cols: number; exact: boolean } {
  checkN(n, 1);
  for (let r = Math.floor(Math.sqrt(n)); r >= 1; r--) {
    if (n % r === 0) {
      if (n / r <= 4 * r) return { rows: r, cols: n / r, exact: true };
      break;
    }
  }
  const rows = Math.max(1, Math.floor(Math.sqrt(n)));
  return { rows, cols: Math.ceil(n / rows), exact: false };
}

/**
 * A grid (mesh without wrap-around) of n nodes, shape from gridShape(), nodes
 * row by row; each node links to its right and its lower neighbour.
 * Links: 2·rows·cols − rows − cols for a full grid.
 */
export function grid(n: number): BenchGraph {
  const { rows, cols, exact } = gridShape(n);
  const nodes = names('n', n);
  const at = (r: number, c: number): string | undefined => {
    const i = r * cols + c;
    return c < cols && i < n ? nodes[i] : undefined;
  };
  const b = new Builder();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const here = at(r, c);
      if (!here) continue;
      const right = at(r, c + 1);
      const down = at(r + 1, c);
      if (right) b.link(here, right);
      if (down) b.link(here, down);
    }
  }
  const shape = exact ? `grid ${rows}×${cols}` : `grid ${rows}×${cols}, last row ${n - (rows - 1) * cols} nodes`;
  return { kind: 'grid', asked: n, nodes, links: b.links, shape };
}

/** Nodes of a k-ary fat-tree: (k/2)² core + k²/2 aggregation + k²/2 edge switches + k³/4 hosts. */
export function fatTreeSize(k: number): number {
  return (k * k * k) / 4 + (5 * k * k) / 4;
}

/**
 * The even k ≥ 2 whose fat-tree node count is closest to n (ties: the smaller k).
 * 100 → 6 (99 nodes), 500 → 12 (612), 1,000 → 14 (931), 2,000 → 18 (1,863).
 */
export function fatTreeK(n: number): number {
  checkN(n, 1);
  let best = 2;
  for (let k = 4; fatTreeSize(k - 2) <= n; k += 2) {
    if (Math.abs(fatTreeSize(k) - n) < Math.abs(fatTreeSize(best) - n)) best = k;
  }
  return best;
}

/**
 * A k-ary fat-tree (Al-Fares et al., SIGCOMM 2008) with k from fatTreeK(n):
 * k pods of k/2 edge (e) and k/2 aggregation (a) nodes, (k/2)² core nodes (c),
 * k/2 hosts (h) under every edge node — hosts only at the edge layer. Edge and
 * aggregation nodes of a pod are fully meshed; aggregation node j of every pod
 * links to core nodes j·k/2 … j·k/2 + k/2 − 1. Every switch has k links; 3k³/4 links.
 * All are plain nodes here: the benchmark measures objects, not forwarding.
 */
export function fatTree(n: number): BenchGraph {
  const k = fatTreeK(n);
  const h = k / 2;
  const core = names('c', h * h);
  const agg = names('a', k * h);
  const edge = names('e', k * h);
  const hosts = names('h', k * h * h);
  const b = new Builder();
  for (let p = 0; p < k; p++) {
    for (let e = 0; e < h; e++) {
      const sw = edge[p * h + e]!;
      for (let x = 0; x < h; x++) b.link(hosts[(p * h + e) * h + x]!, sw);
      for (let a = 0; a < h; a++) b.link(sw, agg[p * h + a]!);
    }
    for (let a = 0; a < h; a++) {
      for (let c = 0; c < h; c++) b.link(agg[p * h + a]!, core[a * h + c]!);
    }
  }
  const nodes = [...core, ...agg, ...edge, ...hosts];
  return { kind: 'fattree', asked: n, nodes, links: b.links, shape: `fat-tree k=${k} (${nodes.length} nodes: ${hosts.length} hosts, ${core.length + agg.length + edge.length} switches)` };
}

/** The graph of a kind for n. */
export function generate(kind: TopoKind, n: number): BenchGraph {
  switch (kind) {
    case 'ring': return ring(n);
    case 'grid': return grid(n);
    case 'fattree': return fatTree(n);
  }
}

/** Lab name of a graph: `bench-<kind>-<asked>` (a letter first, no dots, ≤ 32 bytes). */
export function labName(g: BenchGraph, suffix = ''): string {
  return `bench-${g.kind}-${g.asked}${suffix}`;
}

/**
 * The netlab topology of a graph: plain linux nodes (the default kind), links in
 * the brief form. `addressing: false` unless `addressing` is true (then the
 * default pools: a /32 loopback per node, a /31 per link).
 */
export function toYaml(g: BenchGraph, opts: { name: string; addressing: boolean }): string {
  const lines = [
    `# generated by bench/topo-gen.ts: ${g.shape}, ${g.links.length} links`,
    `name: ${opts.name}`,
    ...(opts.addressing ? [] : ['addressing: false']),
    'nodes:',
    ...g.nodes.map((x) => `  - ${x}`),
    'links:',
    ...g.links.map(([a, b]) => `  - [${a.node}:${a.iface}, ${b.node}:${b.iface}]`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The graph as the Mininet builder (bench/mininet-build.py) reads it: `{ nodes, links: [[a, b], …] }`. */
export function toMininetJson(g: BenchGraph): string {
  return JSON.stringify({ nodes: g.nodes, links: g.links.map(([a, b]) => [a.node, b.node]) });
}

function checkN(n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`node count must be an integer ≥ ${min}, got ${n}`);
}
