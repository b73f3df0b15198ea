/**
 * Runs a lab's tests against an Executor (the lab's exec, or a fake in unit
 * tests) and collects results with durations.
 *
 * Scheduling: tests are independent observations, so they run in parallel,
 * at most `concurrency` at a time. A test with `serial: true` is a barrier: it
 * starts after every earlier test has finished and runs alone, and later
 * tests start after it (for tests that change the lab, e.g. take a link down).
 *
 * Waiting: a test with `wait` (or the run's `defaultWaitMs`) is retried until
 * it passes or its time is up — converging networks — with a short backoff
 * (250 ms, ×1.5 per try, at most 2 s, never past the deadline). The result
 * keeps the last try's observation, so a failure shows what was seen last.
 *
 * Reading: tests on one node share its tables for READ_TTL_MS (src/validate/reads.ts),
 * so 100 route tests on a router cost a few `vtysh` calls, not 100.
 */
import type { TestSpec, Topology } from '../topology/types.js';
import { isNetlabError } from '../errors.js';
import { checkOnce } from './checks.js';
import { CheckError } from './errors.js';
import type { CheckContext, Executor, Observation, RunReport, TestResult } from './types.js';

/** Time source and sleep, injectable so unit tests do not wait for real. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms` (early when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: performance.now() and timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  }),
};

/** First pause between tries, ms. */
export const FIRST_BACKOFF_MS = 250;
/** Longest pause between tries, ms. */
export const MAX_BACKOFF_MS = 2000;
/** Default number of tests running at once. */
export const DEFAULT_CONCURRENCY = 4;

/** Options of runTests. */
export interface RunOptions {
  /** Runs a command in a node: `lab.exec`. */
  exec: Executor;
  /** The lab (names addresses in reports; tells FRR from BIRD nodes). */
  topology: Topology;
  /** Tests to run, in report order; default `topology.tests`. */
  tests?: readonly TestSpec[];
  /** Tests running at once, ≥ 1; default 4. */
  concurrency?: number;
  /** `wait` for tests that have none, ms; default 0 (one try). */
  defaultWaitMs?: number;
  /** Called when a test starts its first try. */
  onStart?: (test: TestSpec) => void;
  /** Called as each test ends, in completion order (for live output). */
  onResult?: (result: TestResult) => void;
  /** Aborting stops retries and starts no new test; those not run end as `skipped`. */
  signal?: AbortSignal;
  clock?: Clock;
}

/**
 * Runs the tests and resolves with every result, in the order of `tests`.
 * Never rejects because of a test: a check that throws ends its test as an
 * `error` (the message is the result's `seen`).
 */
export async function runTests(opts: RunOptions): Promise<RunReport> {
  const clock = opts.clock ?? realClock;
  const tests = [...(opts.tests ?? opts.topology.tests)];
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  // Commands still running when the run is aborted (Ctrl-C) are killed, so validate stops at once.
  const exec: Executor = opts.signal ? (node, argv, o) => opts.exec(node, argv, { ...o, signal: opts.signal }) : opts.exec;
  const ctx: CheckContext = { exec, topology: opts.topology, reads: new Map(), now: () => clock.now() };
  const startedAt = new Date().toISOString();
  const t0 = clock.now();
  const results = new Map<TestSpec, TestResult>();
  const finish = (r: TestResult): void => { results.set(r.test, r); opts.onResult?.(r); };

  for (const group of groups(tests)) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < group.length) {
        const test = group[next++]!;
        if (opts.signal?.aborted) { finish(skipped(test)); continue; }
        opts.onStart?.(test);
        finish(await runOne(test, ctx, { clock, waitMs: test.waitMs || opts.defaultWaitMs || 0, signal: opts.signal }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, group.length) }, worker));
  }

  const ordered = tests.map((t) => results.get(t) ?? skipped(t));
  const count = (s: TestResult['status']): number => ordered.filter((r) => r.status === s).length;
  const report: RunReport = {
    lab: opts.topology.name,
    results: ordered,
    startedAt,
    durationMs: clock.now() - t0,
    counts: { total: ordered.length, passed: count('pass'), failed: count('fail'), errors: count('error'), skipped: count('skipped') },
  };
  const file = opts.topology.testsFile ?? opts.topology.file;
  if (file) report.file = file;
  return report;
}

/** Splits tests into groups run one after the other: runs of non-serial tests, and each serial test alone. */
export function groups(tests: readonly TestSpec[]): TestSpec[][] {
  const out: TestSpec[][] = [];
  let current: TestSpec[] = [];
  for (const t of tests) {
    if (t.serial) {
      if (current.length) out.push(current);
      out.push([t]);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.length) out.push(current);
  return out;
}

/** Runs one test with its retries. */
export async function runOne(test: TestSpec, ctx: CheckContext, o: { clock: Clock; waitMs: number; signal?: AbortSignal | undefined }): Promise<TestResult> {
  const start = o.clock.now();
  const deadline = start + o.waitMs;
  let delay = FIRST_BACKOFF_MS;
  let attempts = 0;
  let last: Observation | undefined;
  for (;;) {
    attempts++;
    try {
      last = await checkOnce(test, ctx);
    } catch (err) {
      // CheckError and NetlabError are expected failures (a tool missing, a node gone): message and hint, no stack.
      const message = err instanceof Error ? err.message : String(err);
      const detail = err instanceof CheckError ? '' : isNetlabError(err) ? (err.hint ? `hint: ${err.hint}` : '') : (err as Error)?.stack ?? '';
      return { test, status: 'error', durationMs: o.clock.now() - start, attempts, expected: last?.expected ?? test.name, seen: message, detail };
    }
    if (last.ok) break;
    const left = deadline - o.clock.now();
    if (left <= 0 || o.signal?.aborted) break;
    await o.clock.sleep(Math.min(delay, left), o.signal);
    if (o.signal?.aborted) break;
    delay = Math.min(delay * 1.5, MAX_BACKOFF_MS);
  }
  const interrupted = !last.ok && o.signal?.aborted === true;
  return {
    test,
    status: last.ok ? 'pass' : interrupted ? 'skipped' : 'fail',
    durationMs: o.clock.now() - start,
    attempts,
    expected: last.expected,
    seen: interrupted ? `interrupted; last seen: ${last.seen}` : last.seen,
    detail: last.detail ?? '',
  };
}

function skipped(test: TestSpec): TestResult {
  return { test, status: 'skipped', durationMs: 0, attempts: 0, expected: '', seen: 'not run: the run was interrupted', detail: '' };
}
