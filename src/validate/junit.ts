/**
 * JUnit XML for CI: the de-facto schema the Ant JUnit task writes and that
 * GitLab (artifacts:reports:junit), GitHub actions that publish test results,
 * and Jenkins' junit step read:
 *
 *   <testsuites name tests failures errors skipped time timestamp>
 *     <testsuite name=LAB tests failures errors skipped time timestamp hostname file>
 *       <properties><property name value/></properties>
 *       <testcase name classname=LAB.KIND time file>
 *         <properties><property name="after" value="r1:eth1 down"/><property name="restored_s" value="3.214"/></properties>   (after: tests)
 *         <failure message type>expected / seen / detail</failure>   (or <error>, <skipped>)
 *         <system-out>node, tries, what was seen</system-out>
 *
 * time is in seconds (decimal), timestamp ISO 8601 without a zone offset
 * (Jenkins reads it so). Written with xmlbuilder2, which escapes text and
 * attributes; characters XML 1.0 forbids (most C0 controls, e.g. the ESC of
 * colour codes in command output) are dropped first.
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import type { create as Create } from 'xmlbuilder2';
import type { RunReport, TestResult } from './types.js';

const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const ANSI_COLOUR = /\u001B\[[0-9;]*m/g;

/** Removes characters XML 1.0 does not allow (and ANSI colour codes). */
export function xmlSafe(s: string): string {
  return s.replace(ANSI_COLOUR, '').replace(XML_FORBIDDEN, '');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** JUnit `timestamp`: "2026-11-29T16:40:45" (ISO 8601, no fraction, no zone). */
export function junitTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$|Z$/, '');
}

/** Options of toJUnit. */
export interface JUnitOptions {
  /** testsuites' name; default "netlab validate". */
  name?: string;
  /** Host name in the testsuite; default os.hostname(). */
  hostname?: string;
  /** `file` attributes are written relative to this directory when the file is inside it (GitLab links them to the repository); default process.cwd(). */
  baseDir?: string;
}

/** The JUnit XML document of a run (UTF-8 text with an XML declaration). */
export function toJUnit(report: RunReport, opts: JUnitOptions = {}): string {
  return suitesDocument([{ report }], opts);
}

/**
 * One student in a class report (`netlab validate --all-users`): the run of
 * their copy of the lab, or why there is none — their lab does not run, or
 * root did not test it (validate-class.ts) — which the report shows as one
 * testcase in error, so a CI page or a grading sheet lists every student.
 */
export type ClassRun =
  | { /** The user whose copy of the lab was tested. */ owner: string; report: RunReport }
  | { owner: string; lab: string; status: 'not running' | 'not tested'; /** One line: why. */ why: string; /** When the class run began (ISO 8601). */ startedAt: string };

/**
 * The JUnit XML of a class (`netlab validate FILE --all-users --junit F`): one
 * testsuite per student, named `<owner>/<lab>`, its testcases' classname
 * `<owner>.<lab>.<kind>`, so a CI page or a grading sheet groups by student.
 */
export function toClassJUnit(runs: ClassRun[], opts: JUnitOptions = {}): string {
  return suitesDocument(runs.map((r) => ('report' in r ? r : { owner: r.owner, report: missingReport(r) })), { name: 'netlab validate --all-users', ...opts });
}

/** A student without a run as a report of one test in error (`lab not running`, `lab not tested`). Pure. */
function missingReport(r: Extract<ClassRun, { why: string }>): RunReport {
  return {
    lab: r.lab, startedAt: r.startedAt, durationMs: 0, counts: { total: 1, passed: 0, failed: 0, errors: 1, skipped: 0 },
    results: [{
      // Not a test of tests: (kind "lab"): the writer reads only name, kind and node of it.
      test: { name: `lab ${r.status}`, kind: 'lab', node: r.lab } as unknown as TestResult['test'],
      status: 'error', durationMs: 0, attempts: 0, expected: `lab ${r.lab} running for ${r.owner}, and tested`, seen: r.why, detail: '',
    }],
  };
}

function suitesDocument(runs: { owner?: string; report: RunReport }[], opts: JUnitOptions): string {
  const sum = (k: keyof RunReport['counts']): number => runs.reduce((a, r) => a + r.report.counts[k], 0);
  const first = runs[0]?.report;
  const root = xml()({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: opts.name ?? 'netlab validate', tests: sum('total'), failures: sum('failed'), errors: sum('errors'), skipped: sum('skipped'),
    time: seconds(runs.reduce((a, r) => a + r.report.durationMs, 0)), timestamp: first ? junitTimestamp(first.startedAt) : '',
  });
  for (const run of runs) addSuite(root, run.report, opts, run.owner);
  return root.end({ prettyPrint: true });
}

function addSuite(root: Node, report: RunReport, opts: JUnitOptions, owner?: string): void {
  const c = report.counts;
  const name = owner === undefined ? report.lab : `${owner}/${report.lab}`;
  const suiteAttrs: Record<string, string | number> = {
    name, tests: c.total, failures: c.failed, errors: c.errors, skipped: c.skipped, time: seconds(report.durationMs), timestamp: junitTimestamp(report.startedAt),
    hostname: opts.hostname ?? hostname(),
  };
  const file = report.file === undefined ? undefined : shownPath(report.file, opts.baseDir ?? process.cwd());
  if (file) suiteAttrs.file = file;
  const suite = root.ele('testsuite', suiteAttrs);
  const props = suite.ele('properties');
  props.ele('property', { name: 'lab', value: report.lab });
  if (owner !== undefined) props.ele('property', { name: 'owner', value: owner });
  if (file) props.ele('property', { name: 'file', value: file });
  for (const r of report.results) testcase(suite, r, owner === undefined ? report.lab : `${owner}.${report.lab}`, file);
}

type Node = ReturnType<ReturnType<typeof Create>['ele']>;

/** `file` relative to `base` when it lies inside it, else as given. */
function shownPath(file: string, base: string): string {
  const rel = relative(base, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function testcase(suite: Node, r: TestResult, lab: string, file: string | undefined): void {
  const attrs: Record<string, string> = {
    name: xmlSafe(r.test.name), classname: `${lab}.${r.test.kind}`, time: seconds(r.durationMs),
  };
  if (file) attrs.file = file;
  const tc = suite.ele('testcase', attrs);
  if (r.after) {
    // The measured convergence, for CI dashboards (testcase properties, as Jenkins' and GitLab's readers take them).
    const p = tc.ele('properties');
    p.ele('property', { name: 'after', value: xmlSafe(r.after.event) });
    if (r.after.restoredMs !== undefined) p.ele('property', { name: 'restored_s', value: seconds(r.after.restoredMs) });
  }
  const body = xmlSafe([`node: ${r.test.node}`, `expected: ${r.expected}`, `seen: ${r.seen}`, ...(r.detail ? ['', r.detail] : [])].join('\n'));
  const message = xmlSafe(`${r.test.node}: ${r.seen}`);
  if (r.status === 'fail') tc.ele('failure', { message, type: r.test.kind }).txt(body);
  else if (r.status === 'error') tc.ele('error', { message, type: 'error' }).txt(body);
  else if (r.status === 'skipped') tc.ele('skipped', { message: xmlSafe(r.seen) });
  tc.ele('system-out').txt(xmlSafe(`node: ${r.test.node}\ntries: ${r.attempts}\nexpected: ${r.expected}\nseen: ${r.seen}`));
}

/**
 * xmlbuilder2's `create`, loaded on the first report: the library is ~180
 * modules, which every netlab command would otherwise load at start-up,
 * `--help` included, since src/index.ts exports toJUnit (a CommonJS package,
 * so it loads synchronously and toJUnit stays synchronous).
 */
function xml(): typeof Create {
  return (createRequire(import.meta.url)('xmlbuilder2') as { create: typeof Create }).create;
}
