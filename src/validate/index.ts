/**
 * src/validate: lab tests. The library API for runners of a topology's
 * `tests:` (what `netlab validate` uses) and for reports.
 */
export { runTests, runOne, groups, realClock, DEFAULT_CONCURRENCY, type Clock, type RunOptions } from './runner.js';
export { checkOnce } from './checks.js';
export { selectTests } from './select.js';
export { formatReport, formatResult, formatSummary, formatDuration, nameWidth, plain, type Style, type ResultFormat } from './console.js';
export { toJUnit, type JUnitOptions } from './junit.js';
export { CheckError } from './errors.js';
export type { Executor, CheckContext, Observation, Check, TestResult, TestStatus, RunReport } from './types.js';
