/**
 * The rtnetlink calls src/shaping makes, through the `netlink` package, with
 * the package's rejections ("Request rejected: ENOENT") turned into
 * KernelErrors that name the object and, for a missing qdisc or filter kind,
 * the kernel module.
 */
import { constants as osConstants } from 'node:os';
import type { RtNetlinkSocket, rt } from 'netlink';
import { KernelError } from '../errors.js';
import type { QdiscOp } from './plan.js';

/** The rtnetlink socket type of the `netlink` package (bound to one network namespace). */
export type RtSocket = RtNetlinkSocket;

/** nlmsg_flags for RTM_NEW* (include/uapi/linux/netlink.h). */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/** The kernel feature behind each tc kind netlab uses, as KernelError names it. */
export const KIND_FEATURE: Record<string, string> = {
  tbf: 'sch_tbf (CONFIG_NET_SCH_TBF)',
  htb: 'sch_htb (CONFIG_NET_SCH_HTB)',
  netem: 'sch_netem (CONFIG_NET_SCH_NETEM)',
  cgroup: 'cls_cgroup (CONFIG_NET_CLS_CGROUP)',
};

const ENOENT = osConstants.errno.ENOENT;

/**
 * The errno (positive) behind a rejection from the netlink package, or 0 when
 * `err` is not one. The package reports "Request rejected: <ECODE>" (or the
 * negative number when it has no name for it).
 */
export function errnoOf(err: unknown): number {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /Request rejected: (-?\w+)/.exec(msg);
  if (!m) return 0;
  const code = m[1]!;
  if (/^-?\d+$/.test(code)) return Math.abs(Number(code));
  return (osConstants.errno as Record<string, number>)[code] ?? 0;
}

/**
 * Runs the requests of src/shaping on one socket one at a time. The netlink
 * package (0.3.0) keeps one multipart buffer per socket and ends a dump at
 * the first message that is not part of it, so an ACK for another request
 * arriving in the middle of a dump fails it with "Multipart message not
 * terminated properly" (seen with 8 interfaces shaped at once). Keyed weakly
 * by socket; the map only orders promises.
 */
const tails = new WeakMap<object, Promise<unknown>>();

export function serial<T>(sock: RtSocket, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(sock) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  tails.set(sock, run.catch(() => undefined));
  return run;
}

/**
 * Sends one planned operation to interface `ifindex`. `replace` sends
 * NLM_F_CREATE|NLM_F_REPLACE (create, or change in place when an object with
 * this handle and kind exists); otherwise NLM_F_CREATE|NLM_F_EXCL.
 * @throws KernelError naming `<op.what> on <label>`; an ENOENT on a qdisc or
 *   filter creation names the missing module (the kernel answers ENOENT for an
 *   unknown kind once request_module has failed).
 */
export async function sendOp(sock: RtSocket, ifindex: number, op: QdiscOp, label: string, replace = false): Promise<void> {
  const data: rt.Tc = { ifindex, handle: op.handle, parent: op.parent, info: op.info };
  const attrs: rt.TcAttrs = { kind: op.kind, options: op.options };
  const flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  const what = `${op.what} on ${label}`;
  const call = op.object === 'qdisc' ? () => sock.newQdisc(data, attrs, { flags })
    : op.object === 'class' ? () => sock.newTrafficClass(data, attrs, { flags })
      : () => sock.newTrafficFilter(data, attrs, { flags });
  const operation = op.object === 'qdisc' ? 'RTM_NEWQDISC' : op.object === 'class' ? 'RTM_NEWTCLASS' : 'RTM_NEWTFILTER';
  try {
    await serial(sock, call);
  } catch (err) {
    const errno = errnoOf(err);
    if (!errno) throw err;
    const feature = errno === ENOENT && op.object !== 'class' ? KIND_FEATURE[op.kind] ?? '' : '';
    throw new KernelError(what, operation, errno, feature);
  }
}

/**
 * Deletes the root qdisc of `ifindex` (the kernel puts the default back and
 * destroys everything under it). ENOENT/EINVAL (nothing to delete) are not errors.
 */
export async function deleteRoot(sock: RtSocket, ifindex: number, label: string): Promise<void> {
  try {
    await serial(sock, () => sock.delQdisc({ ifindex, parent: 0xffffffff, handle: 0 }));
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === ENOENT || errno === osConstants.errno.EINVAL) return;
    if (!errno) throw err;
    throw new KernelError(`root qdisc on ${label}`, 'RTM_DELQDISC', errno);
  }
}

/** Deletes one qdisc by parent and handle (a leaf under an htb class); absent is not an error. */
export async function deleteQdisc(sock: RtSocket, ifindex: number, parent: number, handle: number, what: string): Promise<void> {
  try {
    await serial(sock, () => sock.delQdisc({ ifindex, parent, handle }));
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === ENOENT) return;
    if (!errno) throw err;
    throw new KernelError(what, 'RTM_DELQDISC', errno);
  }
}

/** Deletes one class; absent is not an error. */
export async function deleteClass(sock: RtSocket, ifindex: number, classid: number, what: string): Promise<void> {
  try {
    await serial(sock, () => sock.delTrafficClass({ ifindex, handle: classid, parent: 0 }));
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === ENOENT) return;
    if (!errno) throw err;
    throw new KernelError(what, 'RTM_DELTCLASS', errno);
  }
}
