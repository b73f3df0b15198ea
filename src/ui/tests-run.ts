/**
 * The lab's tests run from the page: the same runner as `netlab validate`
 * (runTests from the library), against the running lab as it is (the UI
 * never brings a lab up or down). Each test's start and end go to every page
 * watching the lab as they happen; one run at a time per lab.
 */
import { formatSummary, runTests, UsageError, type RunReport, type TestResult } from '../index.js';
import type { UiLab } from './backend.js';
import type { LiveTest, ServerMessage } from './protocol.js';

/** One run's progress. */
export interface TestRun {
  runId: number;
  state: 'running' | 'done';
  results: LiveTest[];
  summary?: string;
}

function toLive(r: TestResult): LiveTest {
  return { index: r.test.index, status: r.status, durationMs: Math.round(r.durationMs), expected: r.expected, seen: r.seen, detail: r.detail };
}

/** Test runs of one lab. */
export class TestRuns {
  private run: TestRun | undefined;
  private nextId = 1;
  private abort: AbortController | undefined;

  constructor(private readonly lab: string, private readonly send: (m: ServerMessage) => void) {}

  /** The last run (for a page that arrives while it runs or after it ended). */
  last(): TestRun | undefined {
    return this.run;
  }

  /**
   * Starts every test of `lab`'s topology; resolves with the report when all ended.
   * @throws UsageError when the lab has no tests or a run is already going.
   */
  start(lab: UiLab): { runId: number; done: Promise<RunReport> } {
    const tests = lab.topology.tests;
    if (!tests.length) throw new UsageError(`lab ${this.lab}`, 'has no tests', 'add a tests: list to its topology (docs/testing.md)');
    if (this.run?.state === 'running') throw new UsageError(`lab ${this.lab}`, `its tests are running already (run ${this.run.runId})`, 'wait for that run to end');
    const run: TestRun = { runId: this.nextId++, state: 'running', results: tests.map((t) => ({ index: t.index, status: 'pending' })) };
    this.run = run;
    this.abort = new AbortController();
    const post = (): void => this.send({ type: 'tests', lab: this.lab, runId: run.runId, state: run.state, results: run.results, ...(run.summary ? { summary: run.summary } : {}) });
    const at = (index: number): number => run.results.findIndex((r) => r.index === index);
    post();
    const done = runTests({
      exec: (node, argv, o) => lab.exec(node, argv, o),
      topology: lab.topology,
      signal: this.abort.signal,
      onStart: (t) => { run.results[at(t.index)] = { index: t.index, status: 'running' }; post(); },
      onResult: (r) => { run.results[at(r.test.index)] = toLive(r); post(); },
    }).then((report) => {
      run.state = 'done';
      run.results = report.results.map(toLive);
      run.summary = formatSummary(report);
      post();
      return report;
    }, (err: unknown) => {
      run.state = 'done';
      run.summary = `the run failed: ${(err as Error).message}`;
      post();
      throw err;
    });
    done.catch(() => { /* reported to the pages */ });
    return { runId: run.runId, done };
  }

  /** Ends a running run (the server stops): running tests end, the rest are skipped. */
  stop(): void {
    this.abort?.abort();
  }
}
