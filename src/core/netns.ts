/**
 * Switching the Node.js main thread into a node's network namespace and back.
 *
 * The kernel allows setns(fd, CLONE_NEWNET) in a multi-threaded process (only
 * CLONE_NEWNS and CLONE_NEWUSER are refused: setns(2), "EINVAL ... multi-threaded
 * process"); it changes the calling thread only. So only synchronous work may run
 * while switched: opening a socket (which stays bound to the namespace it was
 * created in, socket(7)) or opening /proc/sys/net files (resolved against the
 * opener's namespace at open time, proc(5)). libuv's thread pool stays in the
 * host namespace, so nothing asynchronous may be started inside `fn`.
 */
import { closeSync, openSync } from 'node:fs';
import koffi from 'koffi';
import { KernelError } from '../errors.js';

/** CLONE_NEWNET from <sched.h>. */
export const CLONE_NEWNET = 0x40000000;

interface Libc {
  setns: (fd: number, nstype: number) => number;
  errno: () => number;
}

let libcCache: Libc | undefined;
let hostNetnsFd = -1;

function libc(): Libc {
  if (!libcCache) {
    const lib = koffi.load('libc.so.6');
    libcCache = { setns: lib.func('int setns(int fd, int nstype)'), errno: () => koffi.errno() };
  }
  return libcCache;
}

/**
 * Runs `fn` with the main thread inside the network namespace `netnsFd` (an open
 * /proc/PID/ns/net or /run/netns/NAME descriptor) and switches back before
 * returning, also when `fn` throws. `fn` must be synchronous.
 * @throws KernelError when setns fails (EINVAL: not a net namespace fd; EPERM: not root).
 */
export function withNetns<T>(netnsFd: number, what: string, fn: () => T): T {
  const c = libc();
  if (hostNetnsFd < 0) hostNetnsFd = openSync('/proc/self/ns/net', 'r');
  if (c.setns(netnsFd, CLONE_NEWNET) !== 0) {
    throw new KernelError(what, 'setns(CLONE_NEWNET)', c.errno(), '', 'is the node still running? (netlab status)');
  }
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('withNetns: fn must be synchronous');
    return out;
  } finally {
    if (c.setns(hostNetnsFd, CLONE_NEWNET) !== 0) {
      // Staying in a node's namespace would silently misdirect every later
      // operation; nothing sensible can continue.
      process.stderr.write(`netlab: fatal: could not return to the host network namespace (errno ${c.errno()})\n`);
      process.exit(70);
    }
  }
}

/**
 * Opens the network namespace of process `pid` (read-only fd; the caller closes it).
 * @throws KernelError ESRCH-like ENOENT when the process is gone.
 */
export function openNetns(pid: number, what: string): number {
  try {
    return openSync(`/proc/${pid}/ns/net`, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KernelError(what, `open /proc/${pid}/ns/net`, e.errno ? -e.errno : 2, '', 'the node\'s PID 1 is gone; netlab down removes the rest');
  }
}

/** Closes a descriptor opened by openNetns; ignores EBADF. */
export function closeNetns(fd: number): void {
  try { closeSync(fd); } catch { /* already closed */ }
}
