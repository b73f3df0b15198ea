/**
 * `validateLab`: what `netlab validate FILE` does — bring the lab up unless it
 * runs, run its tests, take it down again (unless `keep`) — written against
 * the small LabApi below (the Lab class satisfies it), so unit tests drive it
 * with a fake lab and the web UI or a script can run it as the CLI does.
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { parseTime, UnitError } from '../topology/index.js';
import type { Topology } from '../topology/types.js';
import { formatResult, formatSummary, nameWidth, plain, type Style } from '../validate/console.js';
import { toJUnit } from '../validate/junit.js';
import { DEFAULT_CONCURRENCY, runTests } from '../validate/runner.js';
import { selectTests } from '../validate/select.js';
import type { EventHooks, Executor, RunReport } from '../validate/types.js';
import { storeImageCatalog } from './images.js';
import { loadLab, loadTestsFile } from './load.js';
import { checkOutput, writeOutput } from './output.js';
import type { ProgressEvent } from './progress.js';

/** What validate needs of a lab (src/lab/lab.ts's Lab instance). */
export interface LabHandle {
  readonly name: string;
  exec: Executor;
  down(): Promise<unknown>;
  /** The lab's events, for `after:` tests. */
  eventHooks?(): EventHooks;
}

/** What validate needs of the Lab class (its static side). */
export interface LabApi {
  /** Brings up the lab of a loaded topology (validate loads it first, so bad input fails before anything starts). */
  up(source: Topology, opts?: { onProgress?: (e: ProgressEvent) => void; signal?: AbortSignal }): Promise<LabHandle>;
  open(name: string): LabHandle;
  running(): string[];
}

/** The options of `netlab validate`, its flags as the command line gives them (strings, parsed and checked here). */
export interface ValidateOptions {
  /** The lab name to use instead of the file's `name:` (a private copy, e.g. in CI next to a running lab). */
  name?: string;
  /** Leave a lab this call brought up running afterwards. */
  keep?: boolean;
  /** Write a JUnit XML report to this path (checked before the lab starts; never a file the run reads). */
  junit?: string;
  /** Run only these tests: an exact name, part of a name, or `tests[N]` (src/validate/select.ts). */
  only?: string[];
  /** A tests file used instead of the topology's `tests:`. */
  tests?: string;
  /** Default wait for tests without one ("30s"). */
  wait?: string;
  /** Tests at once, a whole number 1–256 (default DEFAULT_CONCURRENCY). */
  jobs?: string;
  /** Print the RunReport as JSON on stdout (the test lines go to stderr). */
  json?: boolean;
}

/** Where validate prints, and how. */
export interface ValidateIo {
  /** The lab API to use: the Lab class (`import { Lab } from 'netlab'`), or a fake in tests. */
  lab: LabApi;
  /** Report lines (stdout). */
  out: (text: string) => void;
  /** Progress and notes (stderr). */
  note: (text: string) => void;
  onProgress?: (e: ProgressEvent) => void;
  style?: Style;
  /** Aborts the run (Ctrl-C): running tests end, the rest are skipped, the lab still goes down. */
  signal?: AbortSignal;
}

/**
 * Runs the tests of the topology in `file`; resolves with the exit code (0 all
 * passed, 1 otherwise) and the report.
 * @throws TopologyError / UsageError (exit 2) before anything starts when the
 *   topology, its tests or the flags are wrong; NetlabError when the lab cannot start.
 */
export async function validateLab(file: string, opts: ValidateOptions, io: ValidateIo): Promise<{ code: number; report: RunReport }> {
  const topology = loadLab(file, { name: opts.name, images: storeImageCatalog() });
  if (opts.tests) {
    topology.testsFile = resolve(opts.tests);
    topology.tests = loadTestsFile(topology.testsFile, topology);
  }
  if (topology.tests.length === 0) {
    throw new UsageError(file, 'the topology has no tests', 'add a tests: list (see docs/testing.md), or give a tests file with --tests');
  }
  const tests = selectTests(topology.tests, opts.only ?? []);
  const defaultWaitMs = opts.wait === undefined ? 0 : flagTime('--wait', opts.wait);
  const concurrency = opts.jobs === undefined ? DEFAULT_CONCURRENCY : flagCount('--jobs', opts.jobs);
  // A bad path is found before the lab starts, not after the tests; never one the run reads.
  if (opts.junit !== undefined) checkOutput(opts.junit, '--junit', [file, ...(topology.testsFile ? [topology.testsFile] : [])]);

  const wasRunning = io.lab.running().includes(topology.name);
  let lab: LabHandle;
  if (wasRunning) {
    io.note(`lab ${topology.name} is running: testing it as it is (it stays up)\n`);
    lab = io.lab.open(topology.name);
  } else {
    // Ctrl-C during up rolls the lab back (Lab.up's signal).
    lab = await io.lab.up(topology, { ...(io.onProgress ? { onProgress: io.onProgress } : {}), ...(io.signal ? { signal: io.signal } : {}) });
  }
  let report: RunReport | undefined;
  try {
    const style = io.style ?? plain;
    const width = nameWidth(tests);
    const line = opts.json ? io.note : io.out; // with --json, stdout carries the report alone
    line(`testing lab ${topology.name}: ${tests.length} test${tests.length === 1 ? '' : 's'}\n`);
    report = await runTests({
      exec: (node, argv, o) => lab.exec(node, argv, o),
      topology, tests, concurrency, defaultWaitMs,
      ...(lab.eventHooks ? { events: lab.eventHooks() } : {}),
      onResult: (r) => line(`${formatResult(r, { nameWidth: width, style })}\n`),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    line(`\n${formatSummary(report, style)}\n`);
    if (opts.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
    if (opts.junit) await writeJUnit(opts.junit, report);
  } finally {
    if (!wasRunning && !opts.keep) {
      io.note(`taking lab ${topology.name} down (--keep leaves it up)\n`);
      await lab.down();
    } else if (!wasRunning) {
      io.note(`lab ${topology.name} stays up (--keep): netlab down ${topology.name}\n`);
    }
  }
  const ok = report.counts.passed === report.counts.total;
  return { code: ok ? 0 : 1, report };
}

/** Writes the JUnit file (its XML library loads on this first use: src/validate/junit.ts). */
async function writeJUnit(path: string, report: RunReport): Promise<void> {
  writeOutput(path, toJUnit(report), '--junit');
}

function flagTime(flag: string, value: string): number {
  try {
    return parseTime(value);
  } catch (err) {
    if (err instanceof UnitError) throw new UsageError(flag, err.message, 'write e.g. 30s or 500ms');
    throw err;
  }
}

function flagCount(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(flag, `"${value}" is not a whole number from 1 to 256`, `e.g. ${flag} 4`);
  return n;
}
