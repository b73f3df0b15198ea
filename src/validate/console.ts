/**
 * The console report: a line per test (mark, name, duration, tries), what was
 * expected and seen under each failure, and a summary whose last line is
 * `N passed, N failed` (`, N skipped` when some were), the closing line CI
 * log readers look for. Pure: results in, text out; colours come from the
 * caller (the CLI passes picocolors, or nothing for plain text).
 */
import type { RunReport, TestResult } from './types.js';

/** Colour functions; identity for plain text. */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const id = (s: string): string => s;
/** No colours. */
export const plain: Style = { green: id, red: id, yellow: id, dim: id, bold: id };

/** 120 → "120 ms", 1234 → "1.2 s", 61000 → "61.0 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Options of formatResult. */
export interface ResultFormat {
  /** Column width of names (pad to align durations); 0 = no padding. */
  nameWidth?: number;
  style?: Style;
  /** Include the detail block (routes, neighbours, output) under failures; default true. */
  detail?: boolean;
}

const MARKS: Record<TestResult['status'], [string, keyof Style]> = {
  pass: ['✓', 'green'], fail: ['✗', 'red'], error: ['!', 'red'], skipped: ['-', 'yellow'],
};

/**
 * One test: `✓ name   1.2 s  (3 tries)`, and under a failure or error
 * `expected:`, `seen:` and the indented detail.
 */
export function formatResult(r: TestResult, f: ResultFormat = {}): string {
  const s = f.style ?? plain;
  const [mark, colour] = MARKS[r.status];
  const name = f.nameWidth ? r.test.name.padEnd(f.nameWidth) : r.test.name;
  const tries = r.attempts > 1 ? s.dim(` (${r.attempts} tries)`) : '';
  const status = r.status === 'error' ? s.red(' error') : r.status === 'skipped' ? s.yellow(' skipped') : '';
  // An after: test that passed says how long the network took: "h1 → h2 restored 3.2 s after r1:eth1 down".
  const measured = r.status === 'pass' && r.after ? `  ${r.seen}` : '';
  const lines = [`${s[colour](mark)} ${name}  ${s.dim(formatDuration(r.durationMs).padStart(8))}${tries}${status}${measured}`];
  if (r.status === 'fail' || r.status === 'error') {
    lines.push(`    node:     ${r.test.node}`);
    if (r.expected) lines.push(`    expected: ${r.expected}`);
    lines.push(`    ${r.status === 'error' ? 'error:   ' : 'seen:    '} ${r.seen}`);
    if ((f.detail ?? true) && r.detail) lines.push(...r.detail.split('\n').map((l) => s.dim(`      ${l}`)));
  } else if (r.status === 'skipped') {
    lines.push(`    ${r.seen}`);
  }
  return lines.join('\n');
}

/** Width for aligned names: the longest, at most 64. */
export function nameWidth(results: readonly { test: { name: string } }[] | readonly { name: string }[]): number {
  const names = (results as readonly ({ name: string } | { test: { name: string } })[]).map((x) => ('test' in x ? x.test.name : x.name));
  return Math.min(64, Math.max(0, ...names.map((n) => n.length)));
}

/**
 * The closing lines: `lab ospf3: 6 tests in 31.2 s` (with the failed tests'
 * names) and, last, `5 passed, 1 failed` (errors count as failed; `, N skipped` when any).
 */
export function formatSummary(report: RunReport, style: Style = plain): string {
  const c = report.counts;
  const failed = c.failed + c.errors;
  const head = `lab ${report.lab}: ${c.total} test${c.total === 1 ? '' : 's'} in ${formatDuration(report.durationMs)}`
    + (c.errors ? `; ${c.errors} could not run (error)` : '');
  const lines = [head];
  const bad = report.results.filter((r) => r.status === 'fail' || r.status === 'error');
  if (bad.length) lines.push(`failed: ${bad.map((r) => r.test.name).join('; ')}`);
  const last = `${c.passed} passed, ${failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
  lines.push(failed ? style.red(last) : style.green(last));
  return lines.join('\n');
}

/** The whole report at once, tests in file order: what `netlab validate` prints, for library users. */
export function formatReport(report: RunReport, style: Style = plain): string {
  const width = nameWidth(report.results);
  return [...report.results.map((r) => formatResult(r, { nameWidth: width, style })), '', formatSummary(report, style)].join('\n');
}
