/**
 * netlab itself, as a user runs it: `bin/netlab up FILE` and `bin/netlab down LAB`
 * as child processes (Node start, load, plan and apply all counted), timed with
 * GNU time for CPU and peak RSS. Phase times come from netlab's own progress
 * lines, which it prints on stderr (one per finished phase) when stderr is not a terminal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runTimed, type Timed } from './host.js';
import { checkLinks, sampleNodes, type Phase, type Step, type ToolRun } from './measure.js';
import { toYaml, type BenchGraph } from './topo-gen.js';

/**
 * Phases from netlab's non-TTY progress output (src/cli/progress.ts): lines like
 * `nodes      1000/1000  812 ms` or `links      1000/1000  1.23 s`; other lines
 * are ignored. A phase printed twice keeps its last time.
 */
export function parseProgress(stderr: string): Phase[] {
  const out = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    const m = /^(\S(?:.*\S)?)\s+(\d+)\/(\d+)\s+(\d+(?:\.\d+)?) (ms|s)\s*$/.exec(line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^[\r✓ ]+/, ''));
    if (!m || m[2] !== m[3]) continue;
    out.set(m[1]!, Number(m[4]) * (m[5] === 's' ? 1000 : 1));
  }
  return [...out].map(([name, ms]) => ({ name, ms }));
}

const toStep = (t: Timed): Step => ({
  wallMs: t.wallMs, cpuMs: t.cpuMs, hostCpuMs: t.hostCpuMs, maxRssKiB: t.maxRssKiB, phases: parseProgress(t.stderr),
});

const failure = (what: string, t: Timed): Error =>
  new Error(`netlab ${what} exited ${t.code ?? t.signal}: ${(t.stderr || t.stdout).trim().split('\n').slice(-4).join(' | ')}`);

/**
 * A netlab run of one graph. `addressing`: keep the default address pools
 * (otherwise `addressing: false`). `labSuffix` keeps lab names apart.
 */
export function netlabRun(g: BenchGraph, opts: { netlab: string; name: string; addressing: boolean; timeoutMs: number }): ToolRun {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-'));
  const file = join(dir, `${opts.name}.yaml`);
  writeFileSync(file, toYaml(g, { name: opts.name, addressing: opts.addressing }));
  const env = { ...process.env, NO_COLOR: '1' };
  return {
    async up() {
      const t = await runTimed(opts.netlab, ['up', file], { env, timeoutMs: opts.timeoutMs });
      if (t.code !== 0) throw failure('up', t);
      return toStep(t);
    },
    async down() {
      try {
        const t = await runTimed(opts.netlab, ['down', opts.name], { env, timeoutMs: opts.timeoutMs });
        if (t.code !== 0) throw failure('down', t);
        return toStep(t);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async verify() {
      for (const s of sampleNodes(g)) {
        const r = spawnSync('ip', ['-n', `${opts.name}.${s.node}`, '-o', 'link', 'show'], { encoding: 'utf8' });
        const bad = r.status !== 0 ? `${s.node}: ${r.stderr.trim()}` : checkLinks(s.node, r.stdout, s.ifaces);
        if (bad) return bad;
      }
      return null;
    },
    async cleanup() {
      await runTimed(opts.netlab, ['down', opts.name], { env, timeoutMs: opts.timeoutMs });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What `netlab up` pays before touching the kernel, measured without it (no lock
 * needed): `netlab --help` (Node start + the CLI's modules) and
 * `netlab up --dry-run FILE` (that + load + plan + printing the plan); median of `runs`, ms.
 */
export async function netlabOverhead(g: BenchGraph, netlab: string, runs = 3): Promise<{ startMs: number; dryRunMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-dry-'));
  const file = join(dir, 'dry.yaml');
  writeFileSync(file, toYaml(g, { name: 'bench-dry', addressing: false }));
  const med = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  try {
    const start: number[] = [];
    const dry: number[] = [];
    for (let i = 0; i < runs; i++) {
      start.push((await runTimed(netlab, ['--help'])).wallMs);
      const t = await runTimed(netlab, ['up', '--dry-run', file]);
      if (t.code !== 0) throw failure('up --dry-run', t);
      dry.push(t.wallMs);
    }
    return { startMs: med(start), dryRunMs: med(dry) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
