/**
 * The few libc calls the image store needs that Node's fs has not got,
 * through koffi (as src/core/netns.ts does for setns): mknod for overlayfs
 * whiteouts, extended attributes for opaque directories and file
 * capabilities; flock(2) for the store's locks comes from src/core/flock.ts.
 * Loaded on first use.
 */
import { constants } from 'node:os';
import koffi from 'koffi';
import { errno as flockErrno, flock as coreFlock } from '../core/flock.js';

interface Libc {
  mknod: (path: string, mode: number, dev: number) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number;
}

let cache: Libc | undefined;

function libc(): Libc {
  if (!cache) {
    const lib = koffi.load('libc.so.6');
    cache = {
      mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
      lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
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

/** S_IFCHR from <sys/stat.h>. */
export const S_IFCHR = 0o020000;

/**
 * mknod(2) of a character device `major:minor`; 0:0 is an overlayfs whiteout
 * (Documentation/filesystems/overlayfs.rst, "whiteouts and opaque directories").
 * @throws an ErrnoException (EPERM without CAP_MKNOD, EEXIST, ENOSPC).
 */
export function mknodChar(path: string, mode: number, major = 0, minor = 0): void {
  // makedev() of glibc's <sys/sysmacros.h>, for numbers below 2^12 / 2^8 (all a whiteout needs).
  const dev = ((major & 0xfff) << 8) | (minor & 0xff);
  if (libc().mknod(path, S_IFCHR | (mode & 0o7777), dev) !== 0) throw errnoError('mknod', path);
}

/** lsetxattr(2): sets an extended attribute without following a symlink. */
export function setXattr(path: string, name: string, value: Buffer): void {
  if (libc().lsetxattr(path, name, value, value.length, 0) !== 0) throw errnoError('lsetxattr', path);
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

/** S_IFIFO from <sys/stat.h>. */
export const S_IFIFO = 0o010000;

/** mknod(2) of a FIFO (Node has no mkfifo). */
export function mknodFifo(path: string, mode: number): void {
  if (libc().mknod(path, S_IFIFO | (mode & 0o7777), 0) !== 0) throw errnoError('mknod', path);
}
