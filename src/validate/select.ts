/**
 * `--only NAME…`: which tests to run. A pattern selects the test of exactly
 * that name (case-insensitive); failing that, every test whose name contains
 * it; `tests[N]` selects by position.
 */
import { UsageError } from '../errors.js';
import type { TestSpec } from '../topology/types.js';

/**
 * The tests selected by `patterns`, in their original order; all of them when
 * `patterns` is empty.
 * @throws UsageError naming a pattern that selects nothing, with the test names.
 */
export function selectTests(tests: readonly TestSpec[], patterns: readonly string[]): TestSpec[] {
  if (patterns.length === 0) return [...tests];
  const chosen = new Set<TestSpec>();
  for (const p of patterns) {
    const lower = p.toLowerCase();
    const index = /^tests\[(\d+)\]$/.exec(p);
    const exact = tests.filter((t) => t.name.toLowerCase() === lower);
    const found = index ? tests.filter((t) => t.index === Number(index[1])) : exact.length ? exact : tests.filter((t) => t.name.toLowerCase().includes(lower));
    if (found.length === 0) {
      const names = tests.map((t) => `  ${t.name}`).join('\n');
      throw new UsageError('--only', `no test is called "${p}" or has it in its name`, `the tests are:\n${names}`);
    }
    for (const t of found) chosen.add(t);
  }
  return tests.filter((t) => chosen.has(t));
}
