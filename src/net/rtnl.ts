/**
 * The one rtnetlink socket type of netlab: requests sent in bounded batches,
 * answers matched by sequence number, and kernel refusals turned into
 * KernelErrors that name the object, the kernel's own message and, when it
 * means a missing kernel feature, that feature. Links, addresses, routes,
 * bridges and tc (qdiscs, classes, filters) all go through it.
 *
 * How a request travels: callers queue requests; on the next turn of the event
 * loop the queue is sent in batches — up to `window` messages in one send(2),
 * which the kernel handles one after the other (netlink_rcv_skb), each with
 * its own answer — and every answer of a batch is read before the next batch
 * goes out. A dump is sent alone (the kernel runs one dump per socket at a
 * time) and read to its end. See src/net/nlsocket.ts for why this can be
 * synchronous.
 *
 * Why the bound: the kernel queues answers on the socket's receive buffer
 * (SO_RCVBUF, 212,992 bytes by default) and drops the next one when it is full
 * (ENOBUFS, netlink(7)). A batch is therefore limited both in messages
 * (`window`) and in the room its answers may take: at most half the receive
 * buffer, counting ANSWER_COST_ACK per acknowledged request and
 * ANSWER_COST_GET per single GET (a link answer measured ~3.3 KB of buffer).
 * Answers never pile up beyond that, however many requests callers queue
 * without waiting. Should the kernel drop answers anyway, the requests whose
 * answers are missing fail with a KernelError (ENOBUFS); nothing aborts the
 * process.
 *
 * A socket created inside another network namespace (`netnsFd`) stays bound to
 * it (socket(7)): every request on it acts there.
 */
import { performance } from 'node:perf_hooks';
import { KernelError, errnoName } from '../errors.js';
import { withNetns } from '../core/netns.js';
import { attrMap, readStrz } from './nlattr.js';
import { EAGAIN, ENOBUFS, MSG_DONTWAIT, NlSocket, SyscallError } from './nlsocket.js';

/** nlmsg_flags from <linux/netlink.h>. */
export const NLM_F = {
  REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8, DUMP_INTR: 0x10,
  /** modifiers of NEW requests */
  REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800,
  /** modifier of GET requests: ROOT | MATCH */
  DUMP: 0x300,
  /** flags of an NLMSG_ERROR answer: the request was not echoed; TLVs (extended ACK) follow */
  CAPPED: 0x100, ACK_TLVS: 0x200,
} as const;

/** rtnetlink message types (include/uapi/linux/rtnetlink.h). */
export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
  NEWQDISC: 36, DELQDISC: 37, GETQDISC: 38,
  NEWTCLASS: 40, DELTCLASS: 41, GETTCLASS: 42,
  NEWTFILTER: 44, DELTFILTER: 45, GETTFILTER: 46,
} as const;

const RTM_NAMES = new Map<number, string>(Object.entries(RTM).map(([k, v]) => [v, `RTM_${k}`]));

/** NLMSG_* control message types. */
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
/** NLMSGERR_ATTR_MSG: the extended ACK's text. */
const NLMSGERR_ATTR_MSG = 1;
const NLMSG_HDRLEN = 16;
const ETIMEDOUT = 110;

/** The default number of requests per batch. */
export const DEFAULT_WINDOW = 8;
/** The most requests per batch allowed on one socket. */
export const MAX_WINDOW = 32;
/** Receive-buffer bytes counted for the answer of a request that is only acknowledged (an ACK with CAP_ACK and a short message takes < 1 KiB). */
export const ANSWER_COST_ACK = 2048;
/** Receive-buffer bytes counted for a single GET's answer and its ACK. */
export const ANSWER_COST_GET = 12288;
/** Bytes of requests in one send(2), at most (the send buffer is 212,992 bytes by default). */
const MAX_BATCH_BYTES = 64 * 1024;
/** How long one flush may keep the event loop before it yields, ms. */
const FLUSH_SLICE_MS = 20;

/** Options for {@link Rtnl.open}. */
export interface RtnlOptions {
  /** Open network-namespace fd to create the socket in; omitted: the caller's namespace (the host's). */
  netnsFd?: number;
  /** Whose socket this is, used when the socket itself fails ("node r1", "host"). */
  label?: string;
  /** Requests per batch at most (default 8; clamped to 1–32). */
  window?: number;
}

/** A kernel feature behind an errno, perhaps only when the kernel's message says so. */
export type FeatureRule = string | {
  feature: string;
  /**
   * The feature is meant only when the kernel's extended-ACK message matches
   * (or the kernel sent none): ENOENT from RTM_NEWQDISC means "no such qdisc
   * kind" with "Specified qdisc kind is unknown", but a missing parent with
   * "Failed to find specified qdisc".
   */
  message: RegExp;
};

/** What a request is about, so that a refusal reads well. */
export interface RequestContext {
  /** The object acted on, as the user knows it: `veth r1:eth1 <-> r2:eth1`, `qdisc netem on r1:eth1`. */
  object: string;
  /** The operation for the error text; default `RTM_<type>` (e.g. `RTM_NEWLINK`). */
  operation?: string;
  /** Extra nlmsg flags (e.g. NLM_F.CREATE | NLM_F.EXCL); REQUEST and ACK are always set. */
  flags?: number;
  /** errno name → the kernel feature it means is missing, e.g. `{ EOPNOTSUPP: 'veth (CONFIG_VETH)' }`. */
  features?: Partial<Record<string, FeatureRule>>;
  /** errno name → a one-line hint, e.g. `{ EEXIST: 'the node already has an interface eth1' }`. */
  hints?: Partial<Record<string, string>>;
  /** errno names that count as done (e.g. `['EEXIST']` for an idempotent add); the promise resolves with that errno. */
  ignore?: string[];
}

type Mode = 'ack' | 'get' | 'dump';

interface Job {
  type: number;
  flags: number;
  body: Buffer;
  ctx: RequestContext;
  mode: Mode;
  seq: number;
  /** Payloads of data answers (GET, dump), copied out of the receive buffer. */
  replies: Buffer[];
  resolve: (v: { errno: number; message: string; replies: Buffer[] }) => void;
  reject: (err: Error) => void;
}

/**
 * An rtnetlink socket. Create with {@link Rtnl.open}; close with {@link Rtnl.close}.
 * All methods may be called concurrently and without waiting: requests are
 * sent in the order they were made, in batches of at most `window`, a dump
 * alone.
 */
export class Rtnl {
  /** Whose socket this is ("host", "node r1"). */
  readonly label: string;
  /** Requests per batch at most. */
  readonly window: number;
  private readonly sock: NlSocket;
  private readonly queue: Job[] = [];
  private scheduled = false;
  private seq = 0;
  private active = 0;
  private most = 0;
  private closed = false;

  private constructor(sock: NlSocket, label: string, window: number) {
    this.sock = sock;
    this.label = label;
    this.window = window;
  }

  /**
   * Opens a NETLINK_ROUTE socket, inside `opts.netnsFd` when given.
   * @throws KernelError when setns or socket creation fails (EPERM without CAP_NET_ADMIN over the namespace).
   */
  static open(opts: RtnlOptions = {}): Rtnl {
    const label = opts.label ?? (opts.netnsFd === undefined ? 'host' : `netns fd ${opts.netnsFd}`);
    const window = Math.min(MAX_WINDOW, Math.max(1, Math.floor(opts.window ?? DEFAULT_WINDOW)));
    const make = (): NlSocket => {
      try {
        return new NlSocket();
      } catch (err) {
        const e = err as SyscallError;
        throw new KernelError(`rtnetlink socket of ${label}`, e.syscall ?? 'socket(AF_NETLINK)', e.errno ?? 1);
      }
    };
    const sock = opts.netnsFd === undefined ? make() : withNetns(opts.netnsFd, label, make);
    return new Rtnl(sock, label, window);
  }

  /** Requests sent whose answers are not read yet (non-zero only while a batch is on its way). */
  get inFlight(): number {
    return this.active;
  }

  /** The most requests that were ever in flight at once on this socket (at most `window`). */
  get mostInFlight(): number {
    return this.most;
  }

  /**
   * Sends one request (REQUEST|ACK plus `ctx.flags`) and waits for the kernel's answer.
   * `body` is the message payload after the netlink header (see src/net/messages.ts).
   * @returns 0 on success, or the errno (positive) when its name is in `ctx.ignore`.
   * @throws KernelError(ctx.object, ctx.operation, errno, feature, hint, the kernel's message) on a refusal.
   */
  async request(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<number> {
    const a = await this.enqueue(type, body, ctx, 'ack');
    return a.errno;
  }

  /**
   * Sends a single GET (no dump), e.g. RTM_GETLINK by index, and returns the
   * payloads of the answer; `[]` when the errno is in `ctx.ignore` (e.g. ENODEV: no such link).
   * @throws KernelError on any other refusal.
   */
  async get(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<Buffer[]> {
    return (await this.enqueue(type, body, ctx, 'get')).replies;
  }

  /**
   * Sends a dump request (GET with NLM_F_DUMP) and returns the payload of every
   * message of the answer (decode with src/net/messages.ts).
   * @throws KernelError on a refusal.
   */
  async dump(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<Buffer[]> {
    return (await this.enqueue(type, body, ctx, 'dump')).replies;
  }

  /** Closes the socket; requests still queued are rejected. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new KernelError(`rtnetlink socket of ${this.label}`, 'request', 9, '', 'the socket was closed while requests were waiting');
    for (const j of this.queue.splice(0)) j.reject(err);
    this.sock.close();
  }

  private enqueue(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext, mode: Mode): Promise<{ errno: number; message: string; replies: Buffer[] }> {
    if (this.closed) return Promise.reject(new KernelError(ctx.object, opName(type, ctx), 9, '', 'the rtnetlink socket is closed'));
    const payload = Array.isArray(body) ? Buffer.concat(body.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const flags = NLM_F.REQUEST | (mode === 'dump' ? NLM_F.DUMP : NLM_F.ACK) | (ctx.flags ?? 0);
    return new Promise((resolve, reject) => {
      this.queue.push({ type, flags, body: payload, ctx, mode, seq: 0, replies: [], resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Sends what is queued, batch by batch (see the file comment). After
   * FLUSH_SLICE_MS it lets the event loop run (timers, signals, other sockets)
   * and goes on at its next turn.
   */
  private flush(): void {
    this.scheduled = false;
    const started = performance.now();
    while (this.queue.length && !this.closed) {
      if (performance.now() - started > FLUSH_SLICE_MS) {
        this.scheduled = true;
        setImmediate(() => this.flush());
        return;
      }
      if (this.queue[0]!.mode === 'dump') {
        this.run([this.queue.shift()!]);
        continue;
      }
      const budget = this.sock.rcvbuf / 2;
      let cost = 0;
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < this.window) {
        const j = this.queue[n]!;
        const c = j.mode === 'get' ? ANSWER_COST_GET : ANSWER_COST_ACK;
        if (j.mode === 'dump' || (n > 0 && (cost + c > budget || bytes + j.body.length + NLMSG_HDRLEN > MAX_BATCH_BYTES))) break;
        cost += c;
        bytes += j.body.length + NLMSG_HDRLEN;
        n++;
      }
      this.run(this.queue.splice(0, n));
    }
  }

  /** Sends `jobs` in one send(2) and reads until each has its answer; settles every job. */
  private run(jobs: Job[]): void {
    const pending = new Map<number, Job>();
    const parts: Buffer[] = [];
    for (const j of jobs) {
      this.seq = (this.seq % 0xfffffffe) + 1;
      j.seq = this.seq;
      pending.set(j.seq, j);
      const len = NLMSG_HDRLEN + j.body.length;
      const h = Buffer.alloc(NLMSG_HDRLEN);
      h.writeUInt32LE(len, 0);
      h.writeUInt16LE(j.type, 4);
      h.writeUInt16LE(j.flags, 6);
      h.writeUInt32LE(j.seq, 8);
      parts.push(h, j.body);
      if (len % 4) parts.push(Buffer.alloc(4 - (len % 4)));
    }
    this.active = jobs.length;
    this.most = Math.max(this.most, this.active);
    try {
      this.sock.send(Buffer.concat(parts));
    } catch (err) {
      const errno = (err as SyscallError).errno ?? 5;
      for (const j of jobs) j.reject(new KernelError(j.ctx.object, `${opName(j.type, j.ctx)} (send)`, errno));
      this.active = 0;
      return;
    }
    let lost = false;
    while (pending.size) {
      const dgram = this.sock.recv(lost ? MSG_DONTWAIT : 0);
      if (dgram instanceof SyscallError) {
        if (dgram.errno === ENOBUFS) { lost = true; continue; }
        // EAGAIN: nothing more will come (answers dropped, or none within the receive timeout).
        const errno = lost ? ENOBUFS : dgram.errno === EAGAIN ? ETIMEDOUT : dgram.errno;
        for (const j of pending.values()) {
          j.reject(new KernelError(j.ctx.object, opName(j.type, j.ctx), errno, '',
            errno === ENOBUFS ? `the kernel dropped the answer (receive buffer of ${this.label} full)` : `no answer from the kernel on the socket of ${this.label}`));
        }
        break;
      }
      this.take(dgram, pending);
    }
    this.active = 0;
  }

  /** Hands the messages of one datagram to their jobs; settles a job at its final message. */
  private take(dgram: Buffer, pending: Map<number, Job>): void {
    let off = 0;
    while (off + NLMSG_HDRLEN <= dgram.length) {
      const len = dgram.readUInt32LE(off);
      if (len < NLMSG_HDRLEN || off + len > dgram.length) break;
      const type = dgram.readUInt16LE(off + 4);
      const flags = dgram.readUInt16LE(off + 6);
      const job = pending.get(dgram.readUInt32LE(off + 8));
      const payload = dgram.subarray(off + NLMSG_HDRLEN, off + len);
      off += (len + 3) & ~3;
      if (!job) continue; // an answer to a request that already failed
      if (type === NLMSG_ERROR || (type === NLMSG_DONE && job.mode === 'dump')) {
        const { errno, message } = decodeStatus(payload, flags, type === NLMSG_ERROR);
        if (type === NLMSG_ERROR && errno === 0 && job.mode === 'dump') continue; // an ACK inside a dump: not its end
        pending.delete(job.seq);
        this.settle(job, errno, message);
      } else if (type >= 16) {
        job.replies.push(Buffer.from(payload));
      }
    }
  }

  private settle(job: Job, errno: number, message: string): void {
    if (errno === 0) return job.resolve({ errno: 0, message, replies: job.replies });
    if (job.ctx.ignore?.includes(errnoName(errno))) return job.resolve({ errno, message, replies: [] });
    job.reject(refusal(job.type, errno, message, job.ctx));
  }
}

/**
 * The errno (positive) and the kernel's message of an NLMSG_ERROR or
 * NLMSG_DONE payload: `int error`, then for NLMSG_ERROR the request's header
 * (and its payload unless NLM_F_CAPPED), then with NLM_F_ACK_TLVS the
 * extended-ACK attributes (include/uapi/linux/netlink.h, struct nlmsgerr). Pure.
 */
export function decodeStatus(payload: Buffer, flags: number, isError = true): { errno: number; message: string } {
  if (payload.length < 4) return { errno: 0, message: '' };
  const errno = Math.abs(payload.readInt32LE(0));
  let message = '';
  if (flags & NLM_F.ACK_TLVS) {
    let tlvs = 4;
    if (isError) {
      tlvs += NLMSG_HDRLEN;
      if (!(flags & NLM_F.CAPPED) && payload.length >= 4 + NLMSG_HDRLEN) tlvs = 4 + ((payload.readUInt32LE(4) + 3) & ~3);
    }
    const msg = tlvs <= payload.length ? attrMap(payload.subarray(tlvs)).get(NLMSGERR_ATTR_MSG) : undefined;
    if (msg) message = readStrz(msg);
  }
  return { errno, message };
}

function opName(type: number, ctx: RequestContext): string {
  return ctx.operation ?? RTM_NAMES.get(type) ?? `RTM_${type}`;
}

/** The KernelError for a refused request: its feature when the errno (and the kernel's message) mean one. */
export function refusal(type: number, errno: number, message: string, ctx: RequestContext): KernelError {
  const code = errnoName(errno);
  const rule = ctx.features?.[code];
  const feature = rule === undefined ? ''
    : typeof rule === 'string' ? rule
      : !message || rule.message.test(message) ? rule.feature : '';
  return new KernelError(ctx.object, opName(type, ctx), errno, feature, ctx.hints?.[code] ?? '', message);
}
