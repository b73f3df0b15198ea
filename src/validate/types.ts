/**
 * The shapes of src/validate: how a test reaches into a node (an Executor,
 * the lab's exec), what one try of a check finds (an Observation), and what
 * a run reports (TestResult, RunReport). Plain data, so results can be
 * written as JSON or JUnit unchanged.
 */
import type { ExecOptions, ExecResult } from '../daemons/kind.js';
import type { EventSpec } from '../topology/events.js';
import type { TestKind, TestSpec, Topology } from '../topology/types.js';
import type { ReadCache } from './reads.js';

export type { ExecOptions, ExecResult, TestKind, TestSpec };

/**
 * Runs `argv` inside `node` and resolves with its exit code and output; never
 * rejects for a non-zero exit (the lab's `lab.exec`). It may reject when the
 * node is not running: the test then ends as an error.
 */
export type Executor = (node: string, argv: string[], opts?: ExecOptions) => Promise<ExecResult>;

/** What a check needs: the lab's exec and the topology (to name nodes behind addresses). */
export interface CheckContext {
  exec: Executor;
  topology: Topology;
  /** Recent answers of read-only queries, shared between tests (src/validate/reads.ts); none = always ask. */
  reads?: ReadCache;
  /** The clock for `reads` (the runner's), ms; default performance.now(). */
  now?: () => number;
}

/**
 * One try of a check. `expected` and `seen` are one line each, for the
 * report's first lines; `detail` holds what a student looks at next (the
 * routes present, the neighbour table, the command's output), several lines.
 */
export interface Observation {
  ok: boolean;
  expected: string;
  seen: string;
  detail?: string;
}

/** A check: one try, no retries (the runner retries while the test's `wait` lasts). */
export type Check<T extends TestSpec = TestSpec> = (test: T, ctx: CheckContext) => Promise<Observation>;

/**
 * How a test ended. pass; fail: the check ran and saw something else; error:
 * the check could not run (the node is gone, the exec failed); skipped: not
 * run (the run was interrupted).
 */
export type TestStatus = 'pass' | 'fail' | 'error' | 'skipped';

/** One test's outcome. */
export interface TestResult {
  /** The test as resolved by the loader (name, kind, node, …). */
  test: TestSpec;
  status: TestStatus;
  /** Wall time from the first try's start to the end, ms. */
  durationMs: number;
  /** Tries made (1 without `wait`). */
  attempts: number;
  /** What the test wanted, one line. */
  expected: string;
  /** What the last try saw (or the error), one line. */
  seen: string;
  /** Multi-line detail of the last try (routes, neighbours, output); may be empty. */
  detail: string;
  /** With `after:`: what the event did ("r1:eth1 down"), and how long after it the check held, ms (undefined when it never did). */
  after?: { event: string; restoredMs?: number };
}

/**
 * What a run needs to measure `after:` tests: the lab's events. The lab
 * (src/lab/lab.ts) provides both; unit tests fake them.
 */
export interface EventHooks {
  /**
   * Waits for the next occurrence of the named event, at or after
   * `minOccurrence`, whose first action happens after this call; resolves
   * with the occurrence, what it did, and how long ago that was (ms).
   */
  next(name: string, minOccurrence: number, signal?: AbortSignal): Promise<{ occurrence: number; label: string; agoMs: number }>;
  /**
   * Makes an event happen now (a test's own `after:`): its first action at
   * once; resolves when that is done (`agoMs` ago), with `rest` settling when
   * its later actions (the end of a `for:`) are done too.
   */
  act(spec: EventSpec, signal?: AbortSignal): Promise<{ label: string; agoMs: number; rest: Promise<void> }>;
}

/** A whole run. */
export interface RunReport {
  lab: string;
  /** Topology file, when known (JUnit `file` attribute). */
  file?: string;
  /** Results in the order of `tests:` (not of completion). */
  results: TestResult[];
  /** When the run began (ISO 8601, for JUnit `timestamp`). */
  startedAt: string;
  /** Wall time of the whole run, ms. */
  durationMs: number;
  counts: { total: number; passed: number; failed: number; errors: number; skipped: number };
}
