/**
 * Scratch folders for test files (topologies written by a test, captures):
 * all under one folder of this test process, which is removed when the
 * process exits, whether the suites passed, failed or were skipped (a suite
 * skipped in a `before` hook never runs its `after`, and a folder made while
 * mocha reads the suites would otherwise stay in /tmp).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root = '';

/**
 * A new empty folder `<root>/<prefix>XXXXXX`, made now.
 * @returns its absolute path.
 */
export function scratchDir(prefix: string): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), `netlab-test-${process.pid}-`));
    process.once('exit', removeRoot);
  }
  return mkdtempSync(join(root, prefix));
}

function removeRoot(): void {
  // Never remove through a mount (a leak that leakcheck reports keeps its folder).
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  if (mounts.some((m) => m.startsWith(`${root}/`))) return;
  rmSync(root, { recursive: true, force: true });
}
