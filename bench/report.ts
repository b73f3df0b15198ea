/**
 * The benchmark's report, as Markdown tables (readable in a terminal and
 * pasted into docs/performance.md as they are): per topology and size, each
 * tool's up/down side by side with netlab's speed-up over it; where netlab's time
 * goes per phase; and how time grows with N. Pure: measurements in, text out.
 */
import type { Measurement, Phase, Step, ToolName } from './measure.js';
import type { TopoKind } from './topo-gen.js';

/** 1234.5 → "1.23 s", 12.3 → "12 ms", null → "—". */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

const fmtKiB = (k: number | null | undefined): string =>
  k === null || k === undefined ? '—' : k >= 10 * 1024 ? `${(k / 1024).toFixed(0)} MiB` : k >= 1024 ? `${(k / 1024).toFixed(1)} MiB` : `${Math.round(k)} KiB`;

/** Time the host stayed busy after down; the idle detector's resolution is ~0.1 s. */
const fmtSettled = (ms: number | null): string => (ms === null ? 'did not settle' : ms <= 150 ? '< 0.15 s' : `+${fmtMs(ms)}`);

const fmtX = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const medianOrNull = (xs: (number | null | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
};

function medianStep(steps: (Step | null)[]): Step | null {
  const ok = steps.filter((s): s is Step => s !== null);
  if (!ok.length) return null;
  const names = [...new Set(ok.flatMap((s) => s.phases.map((p) => p.name)))];
  return {
    wallMs: median(ok.map((s) => s.wallMs)),
    cpuMs: medianOrNull(ok.map((s) => s.cpuMs)),
    hostCpuMs: median(ok.map((s) => s.hostCpuMs)),
    maxRssKiB: medianOrNull(ok.map((s) => s.maxRssKiB)),
    phases: names.map((name) => ({ name, ms: medianOrNull(ok.map((s) => s.phases.find((p) => p.name === name)?.ms)) ?? 0 })),
  };
}

/**
 * Repeated measurements of the same tool/variant/topology/size folded into one:
 * the median of every number (per phase name too). A run that failed counts
 * only through its error, kept when no run succeeded.
 */
export function combine(ms: Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const key = `${m.tool}|${m.variant}|${m.topo}|${m.asked}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((g) => {
    const ok = g.filter((m) => !m.error && m.up && m.down);
    const use = ok.length ? ok : g;
    const leak = g.map((m) => m.leak).find(Boolean);
    const warning = g.map((m) => m.warning).find(Boolean);
    return {
      ...use[0]!,
      up: medianStep(use.map((m) => m.up)),
      down: medianStep(use.map((m) => m.down)),
      settledMs: medianOrNull(use.map((m) => m.settledMs)),
      memPerNodeKiB: medianOrNull(use.map((m) => m.memPerNodeKiB)),
      load1: Math.max(...g.map((m) => m.load1)),
      ...(ok.length ? {} : { error: g[0]!.error }),
      ...(leak ? { leak } : {}),
      ...(warning ? { warning } : {}),
    };
  });
}

const label = (m: Measurement): string => (m.variant ? `${m.tool} (${m.variant})` : m.tool);

/** Speed-up of netlab over `other` for a step: other's time ÷ netlab's time. */
export function speedup(netlab: Step | null, other: Step | null): number | null {
  return netlab && other && netlab.wallMs > 0 ? other.wallMs / netlab.wallMs : null;
}

/**
 * The side-by-side table of one topology at one size: a row per tool (and
 * variant), then netlab's speed-up over each other tool (>1×: netlab is faster).
 */
export function sizeTable(ms: Measurement[]): string {
  if (!ms.length) return '';
  const first = ms[0]!;
  const nl = ms.find((m) => m.tool === 'netlab' && !m.variant && !m.error);
  const out = [
    `### ${first.topo}, N = ${first.asked.toLocaleString('en')} (${first.nodes.toLocaleString('en')} nodes, ${first.links.toLocaleString('en')} links)`,
    '',
    '| tool | up | down | host busy after down | CPU up / down (tool) | CPU up / down (host) | peak RSS | host memory per idle node | netlab speed-up up / down |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of ms) {
    if (m.error && !m.up) {
      out.push(`| ${label(m)} | failed: ${m.error.split('\n')[0]!.replace(/\|/g, '/')} | | | | | | | |`);
      continue;
    }
    const vs = m.tool === 'netlab' ? '' : `${fmtX(speedup(nl?.up ?? null, m.up))} / ${fmtX(speedup(nl?.down ?? null, m.down))}`;
    out.push(`| ${label(m)} | ${fmtMs(m.up?.wallMs)} | ${fmtMs(m.down?.wallMs)}${m.error ? ' (failed)' : ''} | ${fmtSettled(m.settledMs)} | ` +
      `${fmtMs(m.up?.cpuMs)} / ${fmtMs(m.down?.cpuMs)} | ${fmtMs(m.up?.hostCpuMs)} / ${fmtMs(m.down?.hostCpuMs)} | ` +
      `${fmtKiB(Math.max(m.up?.maxRssKiB ?? -1, m.down?.maxRssKiB ?? -1) < 0 ? null : Math.max(m.up?.maxRssKiB ?? 0, m.down?.maxRssKiB ?? 0))} | ${fmtKiB(m.memPerNodeKiB)} | ${vs} |`);
  }
  for (const m of ms.filter((x) => x.warning)) out.push('', `**${label(m)} was not fully up:** ${m.warning}`);
  const leaks = ms.filter((m) => m.leak);
  for (const m of leaks) out.push('', `**${label(m)} left something behind:** ${m.leak!.split('\n').slice(0, 6).join('; ')}`);
  return out.join('\n');
}

/** Phases of netlab's up and down per size, for one topology: where the time goes. */
export function phaseTable(ms: Measurement[], tool: ToolName = 'netlab', variant = ''): string {
  const rows = ms.filter((m) => m.tool === tool && m.variant === variant && m.up).sort((a, b) => a.asked - b.asked);
  if (!rows.length) return '';
  const cols = (pick: (m: Measurement) => Phase[]): string[] => [...new Set(rows.flatMap((m) => pick(m).map((p) => p.name)))];
  const upCols = cols((m) => m.up?.phases ?? []);
  const downCols = cols((m) => m.down?.phases ?? []);
  const cell = (ph: Phase[] | undefined, name: string): string => fmtMs(ph?.find((p) => p.name === name)?.ms);
  const unaccounted = (s: Step | null): string => (s ? fmtMs(s.wallMs - s.phases.reduce((k, p) => k + p.ms, 0)) : '—');
  const head = ['N', 'up', ...upCols.map((c) => `up: ${c}`), 'up: outside phases', 'down', ...downCols.map((c) => `down: ${c}`), 'down: outside phases'];
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---:').join('|')}|`,
    ...rows.map((m) => `| ${m.nodes.toLocaleString('en')} | ${fmtMs(m.up?.wallMs)} | ${upCols.map((c) => cell(m.up?.phases, c)).join(' | ')} | ${unaccounted(m.up)} | ` +
      `${fmtMs(m.down?.wallMs)} | ${downCols.map((c) => cell(m.down?.phases, c)).join(' | ')} | ${unaccounted(m.down)} |`),
  ].join('\n');
}

/** Growth of one series: time at each N, per-node time, marginal time per added node. */
export interface Growth {
  points: { n: number; ms: number }[];
  /** Least-squares line ms ≈ fixedMs + perNodeMs · n. */
  fixedMs: number;
  perNodeMs: number;
  /** Marginal ms per node between consecutive sizes ((t2 − t1) / (n2 − n1)). */
  marginal: { from: number; to: number; msPerNode: number; exponent: number }[];
  /** True when the marginal cost per node of the last interval is over 1.5× that of the first one starting at n ≥ 400 (or the first). */
  superLinear: boolean;
}

/** Fits a series of (n, ms) points (at least two distinct n). */
export function growth(points: { n: number; ms: number }[]): Growth | null {
  const p = [...points].sort((a, b) => a.n - b.n);
  if (p.length < 2 || p[0]!.n === p[p.length - 1]!.n) return null;
  const mx = p.reduce((k, x) => k + x.n, 0) / p.length;
  const my = p.reduce((k, x) => k + x.ms, 0) / p.length;
  const sxy = p.reduce((k, x) => k + (x.n - mx) * (x.ms - my), 0);
  const sxx = p.reduce((k, x) => k + (x.n - mx) ** 2, 0);
  const perNodeMs = sxy / sxx;
  const marginal = p.slice(1).map((b, i) => {
    const a = p[i]!;
    return { from: a.n, to: b.n, msPerNode: (b.ms - a.ms) / (b.n - a.n), exponent: Math.log(b.ms / a.ms) / Math.log(b.n / a.n) };
  });
  const base = marginal.find((x) => x.from >= 400) ?? marginal[0]!;
  const last = marginal[marginal.length - 1]!;
  return { points: p, fixedMs: my - perNodeMs * mx, perNodeMs, marginal, superLinear: last !== base && last.msPerNode > 1.5 * Math.max(base.msPerNode, 1e-9) };
}

/** The growth table of one topology: a row per tool and step (up, down). */
export function growthTable(ms: Measurement[], topo: TopoKind): string {
  const series = new Map<string, { n: number; ms: number }[]>();
  for (const m of ms.filter((x) => x.topo === topo && !x.error)) {
    for (const [step, s] of [['up', m.up], ['down', m.down]] as const) {
      if (!s) continue;
      const key = `${label(m)}|${step}`;
      series.set(key, [...(series.get(key) ?? []), { n: m.nodes, ms: s.wallMs }]);
    }
  }
  const out = [
    '| tool | step | time per node at each N | marginal ms per added node (exponent) | fit | growth |',
    '|---|---|---|---|---|---|',
  ];
  for (const [key, pts] of series) {
    const [tool, step] = key.split('|');
    const g = growth(pts);
    if (!g) continue;
    const per = g.points.map((x) => `${x.n}: ${(x.ms / x.n).toFixed(2)} ms`).join(', ');
    const marg = g.marginal.map((x) => `${x.from}→${x.to}: ${x.msPerNode.toFixed(2)} (${x.exponent.toFixed(2)})`).join(', ');
    out.push(`| ${tool} | ${step} | ${per} | ${marg} | ${fmtMs(g.fixedMs)} + ${g.perNodeMs.toFixed(2)} ms·N | ${g.superLinear ? '**super-linear**' : 'linear'} |`);
  }
  return out.length > 2 ? out.join('\n') : '';
}
