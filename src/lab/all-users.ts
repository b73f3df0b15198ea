/**
 * The teacher's view of a course server (docs/rootless.md, "For the teacher"):
 * root reaches every user's rootless labs. Each user's labs live in that
 * user's own user and mount namespaces, held by the user's keeper
 * (native/rootless.c); root reads their run folder through
 * /proc/<keeper>/root (status, validate: nodes are entered with netlab-enter,
 * which joins a node's user namespace as its root) and runs `down` inside
 * them through netlab-rootless --user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCgroupsOf } from '../core/cgroups.js';
import { isRootless, userKeepers, type UserKeeper } from '../core/rootless.js';
import { NetlabError, UsageError } from '../errors.js';
import { inRunRoot } from './paths.js';
import { allLabStatuses, type LabStatus } from './status.js';

/** Where the labs of one owner are: root's own run folder, or a user's through its keeper. */
export interface Owner {
  /** `root`, or the user's name. */
  name: string;
  /** Run folder to read (NETLAB_RUN_DIR while acting for this owner). */
  runDir: string;
  keeper?: UserKeeper;
}

/** A lab and whose it is (`status --all-users`). */
export interface OwnedLabStatus extends LabStatus {
  owner: string;
}

/**
 * Refuses a teacher option (`--all-users`, `--user`) unless this is host root.
 * @throws UsageError (exit 2) naming the option.
 */
export function requireHostRoot(option: string): void {
  if (isRootless() || process.getuid?.() !== 0) {
    throw new UsageError(option, 'only root may see or act on other users\' labs', 'your own labs need no option (netlab status, netlab down LAB); a teacher runs it as root (sudo netlab …)');
  }
}

/**
 * Root's own labs first, then every user whose keeper runs (sorted by name).
 * A user's run folder is listed only when no folder on the way to it is a
 * link that user made (core/rootless.ts userKeepers, plainFolders); below it,
 * every path netlab reads goes through paths.ts pathInside, which follows no link.
 */
export function owners(): Owner[] {
  return [
    { name: 'root', runDir: resolve(process.env.NETLAB_RUN_DIR || '/run/netlab') },
    ...userKeepers().map((k) => ({ name: k.user, runDir: k.runDir, keeper: k })),
  ];
}

/**
 * Runs `fn` with NETLAB_RUN_DIR pointing at `owner`'s run folder, so the
 * library's reads (status, Lab.open, validate) see that owner's labs, and
 * with that owner's cgroups (core/cgroup-layout.ts inCgroupsOf).
 */
export async function asOwner<T>(owner: Owner, fn: () => Promise<T>): Promise<T> {
  const before = process.env.NETLAB_RUN_DIR;
  process.env.NETLAB_RUN_DIR = owner.runDir;
  try {
    return await (owner.keeper ? inCgroupsOf(owner.keeper.user, fn) : fn());
  } finally {
    if (before === undefined) delete process.env.NETLAB_RUN_DIR; else process.env.NETLAB_RUN_DIR = before;
  }
}

/**
 * Runs `fn` with the library reading `owner`'s run folder (paths.ts inRunRoot:
 * for every call `fn` makes, also after its awaits), without changing
 * process.env: calls for several owners may run at once (the web UI).
 * Reading only: writes to another user's run folder from root would leave
 * files the user cannot change (act through runAsUserOutput instead).
 */
export function withOwner<T>(owner: Owner, fn: () => T): T {
  return inRunRoot(owner.runDir, () => (owner.keeper ? inCgroupsOf(owner.keeper.user, fn) : fn()));
}

/**
 * The owner named `name` (`root`, or a user whose keeper runs).
 * @throws UsageError (exit 2) unless host root, or when no netlab runs for that user.
 */
export function ownerNamed(name: string): Owner {
  requireHostRoot('--all-users');
  const o = owners().find((x) => x.name === name);
  if (!o) throw new UsageError(`user ${name.slice(0, 40)}`, 'has no netlab running (no keeper)', 'netlab status --all-users lists every user\'s labs');
  return o;
}

/**
 * Whether process `pid` belongs to `owner` (its /proc entry's uid is the
 * user's; any process for root). A user's node runs as the user's own uid on
 * the host (docs/rootless.md): a pid in a user's State file that is not the
 * user's was not made by that user's netlab, and root does not enter it.
 */
export function ownsProcess(owner: Owner, pid: number): boolean {
  if (!owner.keeper) return true;
  try { return statSync(`/proc/${pid}`).uid === owner.keeper.uid; } catch { return false; }
}

/**
 * Every owner's labs (root's, then each user's), `lab` only when given.
 * @throws UsageError (exit 2) unless host root.
 */
export async function allUsersStatus(lab?: string): Promise<OwnedLabStatus[]> {
  requireHostRoot('--all-users');
  const all: OwnedLabStatus[] = [];
  for (const owner of owners()) {
    const labs = await asOwner(owner, () => allLabStatuses());
    all.push(...labs.filter((s) => lab === undefined || s.lab === lab).map((s) => ({ owner: owner.name, ...s })));
  }
  return all;
}

/** native/build of this checkout (dist/src/lab → ../../../native/build); NETLAB_NATIVE_DIR overrides. */
function nativeDir(): string {
  return process.env.NETLAB_NATIVE_DIR || resolve(dirname(fileURLToPath(import.meta.url)), '../../../native/build');
}

/**
 * `netlab ARGS…` run inside user `user`'s namespaces as that user's namespace
 * root (netlab-rootless --user), with this terminal's stdio; returns its exit
 * code. netlab-rootless checks the name (exit 2: no such user, or no netlab
 * running for them).
 * @throws UsageError (exit 2) unless host root.
 */
export function runAsUser(user: string, args: string[]): number {
  requireHostRoot('--user');
  const main = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
  const r = spawnSync(join(nativeDir(), 'netlab-rootless'), ['--user', user, '--', process.execPath, main, ...args], { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 128 + 9;
}

/** What a command run as another user printed, and its exit code. */
export interface UserRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `netlab ARGS…` run inside user `user`'s namespaces as that user's namespace
 * root (netlab-rootless --user), its output collected: what root does to a
 * user's lab is done as the user's own netlab would do it (files it writes
 * belong to the user; the lab's lock is the user's). Never throws for a
 * non-zero exit (code and stderr say it).
 * @throws UsageError (exit 2) unless host root; NetlabError when netlab-rootless cannot be run.
 */
export function runAsUserOutput(user: string, args: string[], timeoutMs = 120_000): Promise<UserRunResult> {
  requireHostRoot('--user');
  const main = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
  return new Promise((resolveRun, reject) => {
    const child = spawn(join(nativeDir(), 'netlab-rootless'), ['--user', user, '--', process.execPath, main, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new NetlabError('netlab-rootless', `cannot run it: ${e.message}`, 'npm run build builds it')));
    child.on('close', (code, signal) => resolveRun({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr }));
  });
}
