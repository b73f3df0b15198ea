/**
 * Helpers for integration tests (root, real kernel): skip with a printed reason
 * when a feature is missing, and leakcheck around every suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The team's leakcheck (../shared/tools/leakcheck next to the checkout), or the
 * copy kept in test/helpers when the checkout stands alone (a CI clone).
 */
export function leakcheckPath(): string {
  const shared = resolve(repoRoot, '../shared/tools/leakcheck');
  return process.env.NETLAB_LEAKCHECK ?? (existsSync(shared) ? shared : join(repoRoot, 'test/helpers/leakcheck.sh'));
}

/** Skips the suite (printing why) unless running as root. */
export function requireRoot(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) skip(ctx, 'needs root (real namespaces); run npm test as root');
}

/** Skips with the reason printed, never silently. */
export function skip(ctx: Mocha.Context, reason: string): never {
  // In a hook, the test about to run; in a test, that test; else the suite.
  const title = (ctx.currentTest ?? ((ctx.test as { type?: string } | undefined)?.type === 'test' ? ctx.test : ctx.test?.parent))?.fullTitle() ?? '';
  process.stdout.write(`      skipped: ${title}: ${reason}\n`);
  ctx.skip();
}

/**
 * True when `tc` can create a qdisc of this kind (e.g. 'netem') on this kernel.
 * Probes in a throw-away network namespace (`unshare --net`), never with
 * `ip netns add`, which leaves a shared bind mount on /run/netns behind.
 */
export function kernelHasQdisc(kind: string): boolean {
  const r = spawnSync('unshare', ['--net', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', kind], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Registers before/after hooks on the current suite: snapshot the host before,
 * compare after; a difference fails the suite with leakcheck's own report.
 * Call as the first line inside `describe(…, function () { … })`.
 */
export function leakcheckAround(): void {
  let dir = '';
  before(function () {
    if (process.getuid?.() !== 0) return;
    dir = mkdtempSync(join(tmpdir(), 'netlab-leak-'));
    execFileSync(leakcheckPath(), ['snapshot', join(dir, 'before')], { stdio: 'ignore' });
  });
  after(function () {
    if (!dir) return;
    const r = spawnSync(leakcheckPath(), ['compare', join(dir, 'before')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0 && !onlyForeignChurn(r.stdout)) throw new Error(`leakcheck: the suite left host state behind:\n${r.stdout}${r.stderr}`);
  });
}

/**
 * True when every difference leakcheck reports is a per-command cgroup of the
 * shared machine's process manager (`…/process_api/<id>`), which appears and
 * disappears with other people's shell commands while a suite runs.
 */
function onlyForeignChurn(report: string): boolean {
  const diffs = report.split('\n').filter((l) => /^[-+]/.test(l));
  return diffs.length > 0 && diffs.every((l) => /^[-+]\/sys\/fs\/cgroup\/[^/]+\/process_api\/[0-9a-f]+$/.test(l));
}

/** True when the running kernel is at least major.minor (uname -r). */
export function kernelAtLeast(major: number, minor: number): boolean {
  const [a = 0, b = 0] = release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/** Reads a small text file, trimmed; '' when missing. */
export function readText(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return ''; }
}
