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
 *
 * Convergence: a test with `after:` waits for its event — the next occurrence
 * of a named `events:` entry (tests after the same event take one occurrence
 * each, in order), or an event of its own that the run makes happen (such a
 * test runs alone, as a serial one) — then tries its check every
 * AFTER_GAP_MS, reading fresh each time, until it holds or `within` has passed
 * since the event. The time from the event to the start of the first passing
 * try is the result's `after.restoredMs` (the start, not the end: the try's own
 * cost — a process entering the node, 20–100 ms on a busy machine — is not the
 * network's recovery). A reach test pings once per try,
 * waiting AFTER_PING_TIMEOUT_MS for the reply (or its own `timeout:` when
 * that is not the default), so a try that fails does not blur the time.
 */
import type { TestSpec, Topology } from '../topology/types.js';
import { isNetlabError } from '../errors.js';
import { checkOnce } from './checks.js';
import { CheckError } from './errors.js';
import type { CheckContext, EventHooks, Executor, Observation, RunReport, TestResult } from './types.js';

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
/** Pause between the tries of an `after:` test, ms. */
export const AFTER_GAP_MS = 50;
/** How long a reach try of an `after:` test waits for its one reply, ms. */
export const AFTER_PING_TIMEOUT_MS = 300;
/** `within:` of an `after:` test without one, ms. */
export const DEFAULT_WITHIN_MS = 30_000;

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
  /** The lab's events, for `after:` tests (without them such a test ends as an error). */
  events?: EventHooks;
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
  const chains = new Map<string, { tail: Promise<unknown>; next: number }>();

  for (const group of groups(tests)) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < group.length) {
        const test = group[next++]!;
        if (opts.signal?.aborted) { finish(skipped(test)); continue; }
        opts.onStart?.(test);
        finish(test.after
          ? await runAfter(test, { ...ctx, reads: undefined }, { clock, signal: opts.signal, hooks: opts.events, chains })
          : await runOne(test, ctx, { clock, waitMs: test.waitMs || opts.defaultWaitMs || 0, signal: opts.signal }));
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

/**
 * Splits tests into groups run one after the other: runs of non-serial tests,
 * and each serial test alone (a test whose `after:` is an event of its own
 * changes the lab, so it is serial too).
 */
export function groups(tests: readonly TestSpec[]): TestSpec[][] {
  const out: TestSpec[][] = [];
  let current: TestSpec[] = [];
  for (const t of tests) {
    if (t.serial || (t.after && 'spec' in t.after)) {
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

/** What an `after:` test's check tries: a reach test pings once, briefly (see the file comment). */
export function afterTry(test: TestSpec): TestSpec {
  if (test.kind !== 'reach') return test;
  return { ...test, count: 1, timeoutMs: test.timeoutMs === 1000 ? AFTER_PING_TIMEOUT_MS : test.timeoutMs };
}

/** "h1 → h2" for a reach test, else the test's name: what the result line says held. */
function subject(test: TestSpec): string {
  return test.kind === 'reach' ? `${test.from} → ${test.to}` : test.name;
}

/** Seconds, one decimal: 3.24 → "3.2". */
const secs = (ms: number): string => (ms / 1000).toFixed(1);

/**
 * Runs one `after:` test: waits for (or makes) its event, then measures how
 * long the check takes to hold (see the file comment).
 */
export async function runAfter(test: TestSpec, ctx: CheckContext,
  o: { clock: Clock; signal?: AbortSignal | undefined; hooks: EventHooks | undefined; chains: Map<string, { tail: Promise<unknown>; next: number }> }): Promise<TestResult> {
  const start = o.clock.now();
  const after = test.after!;
  const withinMs = test.withinMs ?? DEFAULT_WITHIN_MS;
  const error = (seen: string, detail = ''): TestResult => ({ test, status: 'error', durationMs: o.clock.now() - start, attempts: 0, expected: test.name, seen, detail });
  if (!o.hooks) return error('after: needs the lab\'s events, which this run was not given');
  // Tests after the same named event take one occurrence each, in file order.
  let release = (): void => {};
  let event: { label: string; agoMs: number };
  let rest: Promise<void> = Promise.resolve();
  try {
    if ('event' in after) {
      const chain = o.chains.get(after.event) ?? { tail: Promise.resolve(), next: 0 };
      o.chains.set(after.event, chain);
      const prev = chain.tail;
      chain.tail = new Promise<void>((r) => { release = r; });
      await prev;
      const got = await o.hooks.next(after.event, chain.next, o.signal);
      chain.next = got.occurrence + 1;
      event = got;
    } else {
      const got = await o.hooks.act(after.spec, o.signal);
      rest = got.rest;
      event = got;
    }
  } catch (err) {
    release();
    if (o.signal?.aborted) return { ...error(''), status: 'skipped', seen: 'not run: the run was interrupted' };
    return error(`the event did not happen: ${(err as Error).message}`);
  }
  const eventAt = o.clock.now() - event.agoMs;
  release(); // the next test after this event may wait for its occurrence now
  const probe = afterTry(test);
  let attempts = 0;
  let last: Observation | undefined;
  let restoredMs: number | undefined;
  for (;;) {
    attempts++;
    const tryAt = o.clock.now();
    try {
      last = await checkOnce(probe, ctx);
    } catch (err) {
      await rest.catch(() => undefined);
      const r = error((err as Error).message, isNetlabError(err) && err.hint ? `hint: ${err.hint}` : '');
      return { ...r, attempts, after: { event: event.label } };
    }
    const now = o.clock.now();
    if (last.ok) { restoredMs = tryAt - eventAt; break; }
    if (now - eventAt >= withinMs || o.signal?.aborted) break;
    await o.clock.sleep(Math.min(AFTER_GAP_MS, eventAt + withinMs - now), o.signal);
  }
  let restError: string | undefined;
  await rest.catch((err: unknown) => { restError = (err as Error).message; });
  const ok = restoredMs !== undefined && restoredMs <= withinMs;
  const interrupted = !ok && o.signal?.aborted === true;
  const verb = test.kind === 'reach' ? 'restored' : 'held';
  return {
    test,
    status: ok ? 'pass' : interrupted ? 'skipped' : 'fail',
    durationMs: o.clock.now() - start,
    attempts,
    expected: `${last.expected}, within ${secs(withinMs)} s after ${event.label}`,
    seen: ok ? `${subject(test)} ${verb} ${secs(restoredMs!)} s after ${event.label}`
      : restoredMs !== undefined ? `${subject(test)} ${verb} only ${secs(restoredMs)} s after ${event.label}, later than ${secs(withinMs)} s`
        : `not within ${secs(withinMs)} s after ${event.label}; last seen: ${last.seen}`,
    detail: [last.detail ?? '', restError ? `the event's later action failed: ${restError}` : ''].filter(Boolean).join('\n'),
    after: { event: event.label, ...(restoredMs !== undefined ? { restoredMs } : {}) },
  };
}

function skipped(test: TestSpec): TestResult {
  return { test, status: 'skipped', durationMs: 0, attempts: 0, expected: '', seen: 'not run: the run was interrupted', detail: '' };
}
