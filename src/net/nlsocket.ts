/**
 * A raw NETLINK_ROUTE socket: socket(2), send(2) and recv(2) through koffi,
 * synchronous. src/net/rtnl.ts builds the request/answer protocol on it; no
 * other file uses it.
 *
 * Why synchronous, on the main thread: rtnetlink does its work inside the
 * sender's sendmsg() (netlink_unicast_kernel → rtnetlink_rcv) and has queued
 * every answer — or the first part of a dump — on the socket before send()
 * returns; the next part of a dump is made inside the recv() that drains the
 * previous one (net/netlink/af_netlink.c). So a recv() right after a send()
 * never waits, and there is no event loop integration to get wrong: no poll
 * handler, nothing that can fire while answers pile up. (The `netlink` npm
 * package that netlab used before did its sendmsg/recvmsg on the main thread as
 * well, from a libuv poll handler, which aborted the process on ENOBUFS.)
 *
 * Socket options (netlink(7), include/uapi/linux/netlink.h):
 *  - NETLINK_EXT_ACK: error answers carry the kernel's own message
 *    ("Specified qdisc kind is unknown"), which names the problem better than
 *    an errno;
 *  - NETLINK_CAP_ACK: error answers do not echo the request back (a netem
 *    request with its distribution table is ~8 KiB), so every answer is small;
 *  - SO_RCVTIMEO: a safety bound; a recv() that would wait fails after
 *    `RECV_TIMEOUT_MS` instead of hanging the process;
 *  - SOCK_CLOEXEC: daemons started later do not inherit the socket.
 */
import koffi from 'koffi';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
/** recv(2) flags. */
export const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
/** errno values the caller tells apart. */
export const EINTR = 4;
export const EAGAIN = 11;
export const ENOBUFS = 105;

/** How long a recv() may wait before it fails with EAGAIN (it never has to wait at all; see the file comment). */
export const RECV_TIMEOUT_MS = 10_000;

/**
 * The receive buffer, shared by every socket (only one recv() runs at a time:
 * everything here is synchronous on the main thread). 256 KiB holds any single
 * rtnetlink answer: the kernel caps a dump part at 32 KiB and a single GETLINK
 * answer without VF details is a few KiB. A plain cache.
 */
let recvBuffer: Buffer | undefined;

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Buffer, len: Buffer) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  close: (fd: number) => number;
}

let libcCache: Libc | undefined;

function libc(): Libc {
  if (!libcCache) {
    const lib = koffi.load('libc.so.6');
    libcCache = {
      socket: lib.func('int socket(int domain, int type, int protocol)'),
      bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
      setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
      getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *val, void *len)'),
      send: lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
      recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
      close: lib.func('int close(int fd)'),
    };
  }
  return libcCache;
}

/** A failed system call: its name and errno (positive). */
export class SyscallError extends Error {
  constructor(readonly syscall: string, readonly errno: number) {
    super(`${syscall}: errno ${errno}`);
  }
}

/** An open NETLINK_ROUTE socket in the namespace it was created in (socket(7): it stays bound there). */
export class NlSocket {
  /** SO_RCVBUF: bytes of answers the kernel keeps for us before it drops the next one (ENOBUFS). */
  readonly rcvbuf: number;
  private fd: number;

  /**
   * socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), bound to a port
   * the kernel picks, with the options of the file comment. Creates the socket
   * in the calling thread's network namespace (see src/core/netns.ts withNetns).
   * @throws SyscallError (EPERM/EACCES: not allowed; EMFILE: out of descriptors).
   */
  constructor() {
    const c = libc();
    const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw new SyscallError('socket', koffi.errno());
    this.fd = fd;
    try {
      const addr = Buffer.alloc(12); // sockaddr_nl { family, pad, pid 0 (kernel picks), groups 0 }
      addr.writeUInt16LE(AF_NETLINK, 0);
      if (c.bind(fd, addr, addr.length) !== 0) throw new SyscallError('bind', koffi.errno());
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      // Both options are older than every kernel netlab supports (4.12 / 4.3); a failure is reported, not ignored.
      if (c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4) !== 0) throw new SyscallError('setsockopt(NETLINK_EXT_ACK)', koffi.errno());
      if (c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4) !== 0) throw new SyscallError('setsockopt(NETLINK_CAP_ACK)', koffi.errno());
      const tv = Buffer.alloc(16); // struct timeval { long tv_sec; long tv_usec; } on 64-bit Linux
      tv.writeBigInt64LE(BigInt(Math.floor(RECV_TIMEOUT_MS / 1000)), 0);
      tv.writeBigInt64LE(BigInt((RECV_TIMEOUT_MS % 1000) * 1000), 8);
      if (c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) !== 0) throw new SyscallError('setsockopt(SO_RCVTIMEO)', koffi.errno());
      const val = Buffer.alloc(4);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(4);
      if (c.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, val, len) !== 0) throw new SyscallError('getsockopt(SO_RCVBUF)', koffi.errno());
      this.rcvbuf = val.readInt32LE(0);
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /** True until {@link close}. */
  get open(): boolean {
    return this.fd >= 0;
  }

  /**
   * Sends `buf` (one or more netlink messages) to the kernel, which handles
   * them before this returns. Retries on EINTR.
   * @throws SyscallError('send', errno) — e.g. EMSGSIZE when `buf` exceeds the send buffer, EBADF after close.
   */
  send(buf: Buffer): void {
    const c = libc();
    for (;;) {
      const n = c.send(this.fd, buf, buf.length, 0);
      if (n >= 0) return;
      const errno = koffi.errno();
      if (errno !== EINTR) throw new SyscallError('send', errno);
    }
  }

  /**
   * Receives one datagram (one or more netlink messages). Retries on EINTR.
   * The answer is a view into a buffer the next recv() overwrites: copy what is kept.
   * @returns the datagram, or a SyscallError (EAGAIN: nothing there — with
   *   MSG_DONTWAIT, or after RECV_TIMEOUT_MS; ENOBUFS: the kernel dropped
   *   answers; EMSGSIZE: a datagram larger than the buffer, which is lost).
   */
  recv(flags = 0): Buffer | SyscallError {
    const c = libc();
    const buf = (recvBuffer ??= Buffer.alloc(256 * 1024));
    for (;;) {
      const n = c.recv(this.fd, buf, buf.length, flags | MSG_TRUNC);
      if (n > buf.length) return new SyscallError('recv', 90 /* EMSGSIZE */);
      if (n >= 0) return buf.subarray(0, n);
      const errno = koffi.errno();
      if (errno !== EINTR) return new SyscallError('recv', errno);
    }
  }

  /** Closes the descriptor. Safe to call twice. */
  close(): void {
    if (this.fd < 0) return;
    libc().close(this.fd);
    this.fd = -1;
  }
}
