/**
 * Runs generated inputs through `load + plan` in child processes, each input
 * with a time limit: a child that does not answer in time is killed (SIGKILL:
 * a hang in native code or a runaway allocation cannot ignore it) and its
 * input recorded as a hang; a new child takes over.
 *
 *   node dist/test/unit/fuzz/runner.js [--seed N] [--count N] [--from DIST] [--json]
 *   node dist/test/unit/fuzz/runner.js --seed N --show INDEX > input.yaml
 *
 * runs it by hand and prints every input with a problem (seed, index, label);
 * `--from` judges another build (a dist/ folder), e.g. to compare with main;
 * `--show` writes one input's bytes (its label goes to stderr) to reproduce it
 * with `netlab up --dry-run input.yaml`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import { generateOne } from './generator.js';
import type { Verdict } from './oracle.js';

/** Options of runFuzz. */
export interface FuzzOptions {
  seed: number;
  count: number;
  /** Child processes (default 2: this machine's cores). */
  workers?: number;
  /** An input slower than this is a hang, ms (default 10,000; the verdict's `ms` is judged against 5 s by the caller). */
  timeoutMs?: number;
  /** The dist/ folder whose src/topology and src/graph are judged (default: this build). */
  dist?: string;
  /** Heap limit per child, MiB (default 1,024): an alias bomb that reaches it is a crash. */
  heapMb?: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const ownDist = resolve(here, '../../..');

/** Judges inputs 0…count-1 of `seed`; resolves with one Verdict per input, in order. */
export async function runFuzz(o: FuzzOptions): Promise<Verdict[]> {
  const dist = o.dist ?? ownDist;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-fuzz-'));
  const verdicts: Verdict[] = new Array<Verdict>(o.count);
  let next = 0;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const lane = (): Promise<void> => new Promise((done) => {
    let current = -1;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    let worker: ChildProcess;
    const start = (): void => {
      worker = fork(join(here, 'worker.js'), [JSON.stringify({ seed: o.seed, dir, topologyUrl: pathToFileURL(join(dist, 'src/lab/load.js')).href, planUrl: pathToFileURL(join(dist, 'src/graph/index.js')).href })], {
        execArgv: [`--max-old-space-size=${o.heapMb ?? 1024}`], stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      });
      const me = worker;
      worker.on('message', (m: Verdict | 'ready') => {
        if (me !== worker) return;
        if (m !== 'ready') { clearTimeout(timer); verdicts[m.index] = m; if (process.env.FUZZ_TRACE) process.stderr.write(`${m.index} ${m.ms.toFixed(0)}ms ${m.label}\n`); }
        feed();
      });
      worker.on('exit', (code, signal) => { if (me === worker && !finished) fail(`crash: the process died (${signal ?? `exit ${code}`})`); });
    };
    const fail = (problem: string): void => {
      clearTimeout(timer);
      if (current >= 0 && verdicts[current] === undefined) {
        let label = '?';
        try { label = generateOne(o.seed, current).label; } catch (err) { label = `(the generator failed: ${(err as Error).message})`; }
        verdicts[current] = { index: current, label, outcome: 'crash', ms: timeoutMs, problems: [problem] };
      }
      worker.kill('SIGKILL');
      start();
    };
    const feed = (): void => {
      if (next >= o.count) { finished = true; worker.kill('SIGKILL'); done(); return; }
      current = next++;
      if (process.env.FUZZ_TRACE) process.stderr.write(`start ${current}\n`);
      timer = setTimeout(() => fail(`hang: no answer in ${timeoutMs / 1000} s`), timeoutMs);
      worker.send(current);
    };
    start();
  });
  await Promise.all(Array.from({ length: o.workers ?? 2 }, lane));
  rmSync(dir, { recursive: true, force: true });
  return verdicts;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
  const show = arg('--show');
  if (show !== undefined) {
    const input = generateOne(seed, Number(show));
    process.stderr.write(`seed ${seed} input ${show}: ${input.label}${input.special ? ` (a path: ${input.special})` : ''}\n`);
    process.stdout.write(input.bytes ?? Buffer.alloc(0));
    return;
  }
  const count = Number(arg('--count') ?? 1000);
  const from = arg('--from');
  const t0 = Date.now();
  const timeoutMs = Number(arg('--timeout') ?? 10_000);
  const verdicts = await runFuzz({ seed, count, timeoutMs, ...(from ? { dist: resolve(from) } : {}) });
  const bad = verdicts.filter((v) => v.problems.length || v.ms > 5000);
  const by = (o: string): number => verdicts.filter((v) => v.outcome === o).length;
  const out = process.argv.includes('--json') ? `${JSON.stringify(verdicts)}\n`
    : bad.map((v) => `seed ${seed} input ${v.index} (${v.label}): ${v.ms.toFixed(0)} ms ${v.problems.join('; ')}${v.path !== undefined ? ` [${v.path}: ${v.message?.slice(0, 200)}]` : ''}\n`).join('');
  process.stderr.write(`seed ${seed}: ${count} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${by('refused')} refused, ${by('accepted')} accepted, ${by('crash')} crashed; ${bad.length} with problems\n`);
  process.stdout.write(out, () => process.exit(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
