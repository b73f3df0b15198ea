/**
 * flock(2) for Node.js, which has none: libc's, through koffi (a dependency
 * already, src/core/netns.ts). The kernel drops a flock when its holder exits,
 * also by kill -9, so a lock file is never stale.
 */
import { closeSync, openSync } from 'node:fs';
import koffi from 'koffi';
import { KernelError } from '../errors.js';

/** <sys/file.h> */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

let flockFn: ((fd: number, op: number) => number) | undefined;

/** flock(fd, op): 0, or -1 with the errno in `errno()`. */
export function flock(fd: number, op: number): number {
  flockFn ??= koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (fd: number, op: number) => number;
  return flockFn(fd, op);
}

/** The errno of the last failed libc call made through koffi. */
export function errno(): number {
  return koffi.errno();
}

/**
 * Runs `fn` holding an exclusive flock on `path` (created when missing),
 * waiting for it (blocking: for locks held a few milliseconds, never across I/O
 * of minutes). The lock file stays, empty.
 * @throws KernelError when the file cannot be opened or locked.
 */
export function withFileLock<T>(path: string, fn: () => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KernelError(path, 'open lock file', e.errno ? -e.errno : 5);
  }
  try {
    for (;;) {
      if (flock(fd, LOCK_EX) === 0) break;
      const e = errno();
      if (e !== 4 /* EINTR */) throw new KernelError(path, 'flock(LOCK_EX)', e);
    }
    return fn();
  } finally {
    closeSync(fd); // closing the last fd releases the lock
  }
}
