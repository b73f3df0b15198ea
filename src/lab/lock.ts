/**
 * One lock per lab, held by every command that changes it (up, up
 * --reconfigure, down, link set/down/up, save), so two of them never
 * interleave: an `up` and a `down` of one lab, or two `up`s of one file, run
 * one after the other (docs/decisions.md, "One lock per lab").
 *
 * The lock is flock(2) on `<run root>/.locks/<lab>.lock` — outside the lab's
 * own folder, which `down` removes. The kernel drops a flock when its holder
 * exits, also by kill -9, so a lock is never stale. Node.js has no flock;
 * src/core/flock.ts binds libc's (the one binding). The holder writes who it is (pid, start
 * time, command, since when) into the file, so a command that has to wait can
 * say for whom.
 *
 * A command that finds the lab locked waits (polling with LOCK_NB, so the event
 * loop and Ctrl-C keep working) and says once for whom it waits; it gives up
 * after NETLAB_LOCK_TIMEOUT seconds (default 120) with an error naming the
 * holder (exit 1).
 *
 * The holder removes the lock file before it unlocks it; a waiter that then
 * gets the lock on the removed file notices (its inode is no longer the path's)
 * and opens the path again — the usual pattern, so lock files never pile up.
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errno, flock, LOCK_EX, LOCK_NB } from '../core/flock.js';
import { NetlabError, UsageError } from '../errors.js';
import { lockFile } from './paths.js';

/** <sys/file.h> */
/** EWOULDBLOCK (= EAGAIN on Linux, asm-generic/errno-base.h) */
const EWOULDBLOCK = 11;
const EINTR = 4;

/** How long a command waits for a lab another command holds, by default: ms. */
export const DEFAULT_LOCK_WAIT_MS = 120_000;


/** Who holds a lab's lock, as the holder wrote it into the lock file. */
export interface LockHolder {
  pid: number;
  /** What it does: 'up', 'down', 'link set', 'save'. */
  command: string;
  /** Its command line, shortened: `netlab up ring.yaml`. */
  argv: string;
  /** ISO time it took the lock. */
  since: string;
}

/** Options of withLabLock. */
export interface LockOptions {
  /** Give up after this many ms; default NETLAB_LOCK_TIMEOUT (seconds) or 120 s. 0: do not wait. */
  waitMs?: number;
  /** Called once when the lab is held by another command and this one starts waiting. */
  onWait?: (text: string) => void;
  /** Aborting stops the wait (its reason is thrown). */
  signal?: AbortSignal;
}

/** The wait NETLAB_LOCK_TIMEOUT asks for (seconds → ms), else the default. */
export function lockWaitMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const s = Number(env.NETLAB_LOCK_TIMEOUT);
  return env.NETLAB_LOCK_TIMEOUT !== undefined && env.NETLAB_LOCK_TIMEOUT !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : DEFAULT_LOCK_WAIT_MS;
}

/** `netlab up ring.yaml` for `node …/main.js up /tmp/ring.yaml` (pure): the program's name and its arguments' base names, ≤ 120 characters. */
export function commandLine(argv: readonly string[]): string {
  const main = argv[1] ?? '';
  const prog = /dist\/src\/cli\/main\.js$/.test(main) ? 'netlab' : basename(main || argv[0] || 'node');
  const text = [prog, ...argv.slice(2).map((a) => (a.includes('/') ? basename(a) : a))].join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The holder for messages (pure): `up by pid 1234: netlab up ring.yaml, since 12:00:01` (UTC). */
export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'held by another netlab command';
  const since = /T(\d\d:\d\d:\d\d)/.exec(h.since)?.[1] ?? h.since;
  return `${h.command} by pid ${h.pid}: ${h.argv}, since ${since} UTC`;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined; // just created, or just released
  }
}

/** Tries once to lock `path`; the open fd when this process now holds it, else undefined. */
function tryLock(path: string): number | undefined {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UsageError(path, `cannot be made (${code}): changing a lab needs root`, 'run it as root: sudo netlab …');
    }
    throw new NetlabError(path, `cannot open the lab's lock file: ${code}`, 'netlab keeps its locks in the run folder (NETLAB_RUN_DIR, default /run/netlab): check that it is a folder you can write');
  }
  let r: number;
  do { r = flock(fd, LOCK_EX | LOCK_NB); } while (r !== 0 && errno() === EINTR);
  if (r !== 0) {
    const e = errno();
    closeSync(fd);
    if (e === EWOULDBLOCK) return undefined;
    throw new NetlabError(path, `flock failed (errno ${e})`, 'is the run folder on a filesystem without locks? set NETLAB_RUN_DIR to a folder on a local filesystem (tmpfs, ext4)');
  }
  // The holder before may have removed the file after we opened it: then we
  // hold a lock on a file nobody else will look at, and must try again.
  let same = false;
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    same = a.ino === b.ino && a.dev === b.dev;
  } catch { /* removed */ }
  if (!same) { closeSync(fd); return undefined; }
  return fd;
}

/**
 * Runs `fn` while holding lab `lab`'s lock; `command` says what this command
 * does, for a waiting one's message ('up', 'down', 'link set', 'save').
 * Not reentrant: `fn` must not take the same lab's lock again (it would wait
 * for itself until the timeout).
 * @throws NetlabError (exit 1) naming the holder when the lab stays locked for
 *   the whole wait; UsageError for a bad lab name, or when the lock file
 *   cannot be made for want of permission (not root); the signal's reason when aborted.
 */
export async function withLabLock<T>(lab: string, command: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const path = lockFile(lab);
  const waitMs = opts.waitMs ?? lockWaitMs();
  const started = performance.now();
  let fd: number | undefined;
  let told = false;
  let delay = 10;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    fd = tryLock(path);
    if (fd !== undefined) break;
    const holder = readHolder(path);
    const waited = performance.now() - started;
    if (waited >= waitMs) {
      throw new NetlabError(`lab ${lab}`, `is busy (${describeHolder(holder)})${waitMs ? `; gave up waiting after ${Math.round(waitMs / 1000)} s` : ''}`,
        `let it finish and try again${holder ? `, or stop it (kill ${holder.pid}; an up rolls back)` : ''}; NETLAB_LOCK_TIMEOUT=SECONDS sets how long to wait (now ${Math.round(waitMs / 1000)})`);
    }
    if (!told) {
      opts.onWait?.(`lab ${lab} is busy (${describeHolder(holder)}): waiting for it to finish, at most ${Math.round(waitMs / 1000)} s`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, waitMs - waited)));
    delay = Math.min(delay * 2, 100);
  }
  try {
    const me: LockHolder = { pid: process.pid, command, argv: commandLine(process.argv), since: new Date().toISOString() };
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify(me), 0);
    return await fn();
  } finally {
    try { unlinkSync(path); } catch { /* gone already */ }
    closeSync(fd);
  }
}
