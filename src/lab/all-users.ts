/**
 * The teacher's view of a course server (docs/rootless.md, "For the teacher"):
 * root reaches every user's rootless labs. Each user's labs live in that
 * user's own user and mount namespaces, held by the user's keeper
 * (native/rootless.c); root reads their run folder through
 * /proc/<keeper>/root (status, validate: nodes are entered with netlab-enter,
 * which joins a node's user namespace as its root) and runs `down` inside
 * them through netlab-rootless --user.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRootless, userKeepers, type UserKeeper } from '../core/rootless.js';
import { UsageError } from '../errors.js';
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

/** Root's own labs first, then every user whose keeper runs (sorted by name). */
export function owners(): Owner[] {
  return [
    { name: 'root', runDir: resolve(process.env.NETLAB_RUN_DIR || '/run/netlab') },
    ...userKeepers().map((k) => ({ name: k.user, runDir: k.runDir, keeper: k })),
  ];
}

/**
 * Runs `fn` with NETLAB_RUN_DIR pointing at `owner`'s run folder, so the
 * library's reads (status, Lab.open, validate) see that owner's labs.
 */
export async function asOwner<T>(owner: Owner, fn: () => Promise<T>): Promise<T> {
  const before = process.env.NETLAB_RUN_DIR;
  process.env.NETLAB_RUN_DIR = owner.runDir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.NETLAB_RUN_DIR; else process.env.NETLAB_RUN_DIR = before;
  }
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
