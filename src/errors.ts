/**
 * The errors netlab raises on purpose. Anything else that escapes is a bug and
 * is printed with its stack.
 *
 * The CLI prints a NetlabError as
 *   error: <where>: <what>
 *   hint: <how to fix>
 * and exits with `exitCode` (2 for bad input, 1 for failures); `--debug` adds
 * the stack.
 */
import { constants as osConstants } from 'node:os';

/** Base class: every error a user can cause or meet. */
export class NetlabError extends Error {
  /** Process exit code the CLI uses: 2 bad input, 1 failure. */
  readonly exitCode: number;
  /** Where the problem is: a key path (`links[3].endpoints[1]`), a node, an object. */
  readonly where: string;
  /** How to fix it, one line; may be empty. */
  readonly hint: string;

  constructor(where: string, what: string, hint = '', exitCode = 1) {
    super(what);
    this.name = 'NetlabError';
    this.where = where;
    this.hint = hint;
    this.exitCode = exitCode;
  }

  /** `where: what` — the first line the CLI prints after `error: `. */
  get headline(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/**
 * Something wrong in a topology file or in its command-line equivalent.
 * `path` is the key path inside the file, e.g. `links[3].endpoints[1]`,
 * `nodes.r1.mtu`, or `` for the file as a whole. Exit code 2.
 */
export class TopologyError extends NetlabError {
  readonly path: string;
  constructor(path: string, what: string, hint = '') {
    super(path, what, hint, 2);
    this.name = 'TopologyError';
    this.path = path;
  }
}

/** Bad command-line use: unknown lab, missing argument, conflicting flags. Exit code 2. */
export class UsageError extends NetlabError {
  constructor(where: string, what: string, hint = '') {
    super(where, what, hint, 2);
    this.name = 'UsageError';
  }
}

/**
 * The kernel refused an operation. `object` names what netlab was working on
 * (`veth r1:eth1 <-> r2:eth1`, `qdisc netem on r1:eth1`, `cgroup triangle/r1`),
 * `operation` what it tried (`RTM_NEWLINK`, `mount overlay`), `errno` the
 * kernel's answer as a positive number, `feature` the kernel feature or module
 * behind it when known (`sch_netem (CONFIG_NET_SCH_NETEM)`), `kernelMessage`
 * what the kernel said about it, if anything. Exit code 1.
 */
export class KernelError extends NetlabError {
  readonly object: string;
  readonly operation: string;
  readonly errno: number;
  readonly code: string;
  readonly feature: string;
  /** The kernel's own words, when it gave any (rtnetlink's extended ACK: "Specified qdisc kind is unknown"). */
  readonly kernelMessage: string;

  constructor(object: string, operation: string, errno: number, feature = '', hint = '', kernelMessage = '') {
    const code = errnoName(errno);
    const what = feature
      ? `${operation}: the kernel has no ${feature} (${code})`
      : `${operation} failed: ${code} (${errnoText(errno)})${kernelMessage ? `; the kernel says: ${kernelMessage}` : ''}`;
    super(object, what, hint || (feature ? featureHint(feature) : ''), 1);
    this.name = 'KernelError';
    this.object = object;
    this.operation = operation;
    this.errno = errno;
    this.code = code;
    this.feature = feature;
    this.kernelMessage = kernelMessage;
  }
}

/**
 * errno numbers → names: Node's list, plus Linux ones it lacks that netlink
 * answers with (include/uapi/asm-generic/errno.h; ENOTSUPP is kernel-internal,
 * include/linux/errno.h, yet leaks out of some qdisc and driver paths).
 */
const errnoByNumber: Map<number, string> = new Map([
  [54, 'EXFULL'], [524, 'ENOTSUPP'],
  ...Object.entries(osConstants.errno).map(([name, num]) => [num as number, name] as [number, string]),
]);

/** `17` → `EEXIST`; unknown numbers → `errno 123`. */
export function errnoName(errno: number): string {
  return errnoByNumber.get(Math.abs(errno)) ?? `errno ${errno}`;
}

const errnoTexts: Record<string, string> = {
  EPERM: 'operation not permitted', EACCES: 'permission denied', ENOENT: 'no such file or object',
  EEXIST: 'already exists', EBUSY: 'busy', EINVAL: 'invalid argument', ENODEV: 'no such device',
  EOPNOTSUPP: 'not supported', ENOTSUP: 'not supported', ENOSPC: 'no space left', ENOMEM: 'out of memory',
  ENOBUFS: 'no buffer space', ESRCH: 'no such process', ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available', ENOTCONN: 'not connected', ERANGE: 'out of range',
  EAGAIN: 'try again', ENAMETOOLONG: 'name too long', EMFILE: 'too many open files',
  EXFULL: 'full (a kernel limit was reached)', ENOTSUPP: 'not supported by this kernel',
};

/** A short human text for an errno, e.g. `EEXIST` → `already exists`. */
export function errnoText(errno: number): string {
  return errnoTexts[errnoName(errno)] ?? 'kernel error';
}

function featureHint(feature: string): string {
  const mod = /^([a-z0-9_]+)/.exec(feature)?.[1];
  return mod ? `try: modprobe ${mod} (or install a kernel that has it); netlab doctor lists what this kernel lacks` : '';
}

/** True when `err` is a NetlabError (by brand, so copies from other module instances count). */
export function isNetlabError(err: unknown): err is NetlabError {
  return err instanceof Error && typeof (err as NetlabError).exitCode === 'number' && 'where' in err;
}

/**
 * A word as a POSIX shell reads it back unchanged, for commands in hints
 * (`netlab up --reconfigure '/tmp/my lab.yaml'`): as is when it holds only safe
 * characters, else in single quotes, with each ' written as '\''. Pure.
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
