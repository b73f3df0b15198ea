/**
 * Helpers for integration tests (root, real kernel): skip with a printed reason
 * when a feature is missing, and leakcheck around every suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { journalIfaces, nftOwnHash, scopedLeaks, type HostContext, type LeakScope } from './leakcheck.js';

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

/** Options of leakcheckAround. */
export interface LeakcheckOptions extends LeakScope {
  /**
   * Run the suite's labs in a run folder of its own: NETLAB_RUN_DIR is set to
   * a fresh temporary folder before the suite and restored (the folder
   * removed) after the comparison, so the suite never meets another lab's
   * run folder, and `netlab status` or `down --all` in it see only its labs.
   */
  runDir?: boolean;
}

/**
 * Registers before/after hooks on the current suite: snapshot the host before,
 * compare after; a difference fails the suite with the lines that differ.
 * With `labs` (the suite's lab-name prefixes), a difference that belongs to
 * another lab on the machine is forgiven (test/helpers/leakcheck.ts says
 * exactly what); without, the whole host is compared. Call as the first line
 * inside `describe(…, function () { … })`, and name every lab the suite
 * starts with one of the prefixes.
 */
export function leakcheckAround(opts?: LeakcheckOptions): void {
  let snap: HostSnapshot | undefined;
  const savedRunDir = process.env.NETLAB_RUN_DIR;
  let runDir = '';
  const scope: LeakScope | undefined = opts ? { labs: opts.labs } : undefined;
  before(function () {
    if (process.getuid?.() !== 0) return;
    if (opts?.runDir) {
      runDir = mkdtempSync(join(tmpdir(), 'netlab-run-'));
      process.env.NETLAB_RUN_DIR = runDir;
    }
    snap = hostSnapshot(scope);
  });
  after(function () {
    if (!snap) return;
    try {
      const leaks = leaksSince(snap);
      if (leaks.length) throw new Error(`leakcheck: the suite left host state behind (- before, + now):\n${leaks.join('\n')}`);
    } finally {
      if (runDir) {
        if (savedRunDir === undefined) delete process.env.NETLAB_RUN_DIR; else process.env.NETLAB_RUN_DIR = savedRunDir;
        // A mount left inside (a leak leakcheck reported) keeps the folder: never remove through a mount.
        if (!readText('/proc/self/mounts').split('\n').some((l) => l.split(' ')[1]?.startsWith(`${runDir}/`))) rmSync(runDir, { recursive: true, force: true });
      }
    }
  });
}

/** The host as leakcheck saw it, with the context a scoped comparison needs. */
export interface HostSnapshot {
  text: string;
  scope: LeakScope | undefined;
  ctx: HostContext;
}

/**
 * Snapshots the host with leakcheck (root), plus a `sysctl` section with the
 * host's net.ipv4.ip_forward: a management network with NAT switches it on
 * and must switch it back (src/net/mgmt-network.ts), and a lab left on by a
 * killed test run once left it on, which made a later suite's new namespaces
 * inherit forwarding (IPv4 devconf is copied from the host's).
 */
export function hostSnapshot(scope: LeakScope | undefined): HostSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-leak-'));
  try {
    execFileSync(leakcheckPath(), ['snapshot', join(dir, 'snap')], { stdio: 'ignore' });
    const sysctl = `\n## sysctl\nnet.ipv4.ip_forward=${readText('/proc/sys/net/ipv4/ip_forward')}\n`;
    return { text: readFileSync(join(dir, 'snap'), 'utf8') + sysctl, scope, ctx: hostContext(scope) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What changed on the host since `before` that its scope must answer for (test/helpers/leakcheck.ts scopedLeaks); [] when nothing. */
export function leaksSince(before: HostSnapshot): string[] {
  const now = hostSnapshot(before.scope);
  return scopedLeaks(before.text, now.text, before.scope, { before: before.ctx, after: now.ctx });
}

/** The rest of the host as a scoped comparison needs it: other labs' host interfaces (their journals in /run/netlab), the nftables ruleset without their tables. */
function hostContext(scope: LeakScope | undefined): HostContext {
  if (!scope) return { foreignIfaces: [], nftOwn: '' };
  const foreignIfaces: string[] = [];
  let labs: string[] = [];
  try { labs = readdirSync('/run/netlab'); } catch { /* none */ }
  for (const lab of labs) {
    if (lab.startsWith('.') || scope.labs.some((p) => lab.startsWith(p))) continue;
    foreignIfaces.push(...journalIfaces(readText(join('/run/netlab', lab, 'host-objects.jsonl'))));
  }
  const nft = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
  return { foreignIfaces, nftOwn: nft.status === 0 ? nftOwnHash(nft.stdout, scope) : '' };
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
