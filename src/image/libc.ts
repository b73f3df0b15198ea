/**
 * The few libc calls the image store needs that Node's fs has not got,
 * through koffi (as src/core/netns.ts does for setns): reading extended
 * attributes (opaque directories, file capabilities; netlab-unpack sets
 * them, native/unpack-layer.c); flock(2) for the store's locks comes from
 * src/core/flock.ts.
 * Loaded on first use.
 */
import { constants } from 'node:os';
import koffi from 'koffi';
import { errno as flockErrno, flock as coreFlock } from '../core/flock.js';

interface Libc {
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number;
}

let cache: Libc | undefined;

function libc(): Libc {
  if (!cache) {
    const lib = koffi.load('libc.so.6');
    cache = {
      lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    };
  }
  return cache;
}

/** An Error with the errno's code, as Node's fs throws them (err.code === 'ENOSPC'). */
function errnoError(call: string, path: string): NodeJS.ErrnoException {
  const errno = koffi.errno();
  const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
  const err = new Error(`${call} ${path}: ${code}`) as NodeJS.ErrnoException;
  err.code = code;
  err.errno = -errno;
  err.syscall = call;
  err.path = path;
  return err;
}

/** lgetxattr(2): the attribute's value, or undefined when the file has none (ENODATA) or the filesystem no xattrs. */
export function getXattr(path: string, name: string): Buffer | undefined {
  const buf = Buffer.alloc(256);
  const n = libc().lgetxattr(path, name, buf, buf.length);
  if (n < 0) return undefined;
  return buf.subarray(0, Number(n));
}

export { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from '../core/flock.js';

/** flock(2) (src/core/flock.ts binds it); false when LOCK_NB was asked and another holder has it (EWOULDBLOCK). */
export function flock(fd: number, op: number): boolean {
  if (coreFlock(fd, op) === 0) return true;
  const errno = flockErrno();
  if (errno === 11) return false; // EWOULDBLOCK == EAGAIN on Linux
  throw errnoError('flock', `fd ${fd}`);
}
