/**
 * One rtnetlink socket with a bounded window of requests in flight, and kernel
 * refusals turned into KernelErrors that name the object.
 *
 * Why a window: rtnetlink handles a request inside sendmsg() and queues the
 * answer on the socket's receive buffer (SO_RCVBUF, 212992 bytes by default);
 * when unread answers fill it, the kernel drops the next one and flags ENOBUFS
 * on the socket (netlink(7)). With the `netlink` package 0.3.0 that flag is
 * fatal: its poll handler builds an exception with a NULL syscall name
 * (src/binding.cc, PollHandler → ErrnoException → Napi::String::New throws) and
 * the process aborts with "terminate called after throwing an instance of
 * 'Napi::Error'" — nothing in JavaScript can catch it. Measured here: ~65
 * RTM_GETLINK replies (~3 KB each in the buffer) or ~300–1000 small ACKs in
 * flight are enough. So the window is a safety bound first: at most
 * MAX_WINDOW (32) answers unread; 8 is the default and was as fast as any
 * larger window for veth creation (bench/veth-ring.ts).
 *
 * The socket may be created inside another network namespace (`netnsFd`): it
 * stays bound to the namespace it was created in (socket(7)), so every request
 * on it acts there.
 */
import { createNetlink, parseError, rt, AttrStream, type NetlinkSocket, type NetlinkMessage, type ifla } from 'netlink';
import { KernelError, errnoName } from '../errors.js';
import { withNetns } from '../core/netns.js';

/** NETLINK_ROUTE from <linux/netlink.h>. */
const NETLINK_ROUTE = 0;
/** NLMSG_ERROR from <linux/netlink.h>. */
const NLMSG_ERROR = 2;

/** nlmsg_flags from <linux/netlink.h> that callers add to a request. */
export const NLM_F = {
  REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8,
  /** modifiers of NEW requests */
  REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800,
  /** modifier of GET requests: ROOT | MATCH */
  DUMP: 0x300,
} as const;

/** rtnetlink message types (RTM_NEWLINK = 16, …), re-exported from the netlink package. */
export const RTM = rt.MessageType;

/** The default number of requests in flight on one socket. */
export const DEFAULT_WINDOW = 8;
/** The most requests in flight allowed on one socket (see the file comment: more can abort the process). */
export const MAX_WINDOW = 32;

/** Options for {@link Rtnl.open}. */
export interface RtnlOptions {
  /** Open network-namespace fd to create the socket in; omitted: the caller's namespace (the host's). */
  netnsFd?: number;
  /** Whose socket this is, used when the socket itself fails ("node r1", "host"). */
  label?: string;
  /** Requests in flight at most (default 8; clamped to 1–32, see MAX_WINDOW). */
  window?: number;
}

/** What a request is about, so that a refusal reads well. */
export interface RequestContext {
  /** The object acted on, as the user knows it: `veth r1:eth1 <-> r2:eth1`, `address 10.0.0.1/24 on r1:eth1`. */
  object: string;
  /** The operation for the error text; default `RTM_<type>` (e.g. `RTM_NEWLINK`). */
  operation?: string;
  /** Extra nlmsg flags (e.g. NLM_F.CREATE | NLM_F.EXCL); REQUEST and ACK are always set. */
  flags?: number;
  /** errno name → the kernel feature it means is missing, e.g. `{ EOPNOTSUPP: 'veth (CONFIG_VETH)' }`. */
  features?: Partial<Record<string, string>>;
  /** errno name → a one-line hint, e.g. `{ EEXIST: 'the node already has an interface eth1' }`. */
  hints?: Partial<Record<string, string>>;
  /** errno names that count as done (e.g. `['EEXIST']` for an idempotent add); the promise resolves with that errno. */
  ignore?: string[];
}

/**
 * An rtnetlink socket. Create with {@link Rtnl.open}; close with {@link Rtnl.close}.
 * Requests beyond the window wait in order; a dump runs alone on the socket;
 * all methods may be called concurrently.
 */
export class Rtnl {
  /** Whose socket this is ("host", "node r1"). */
  readonly label: string;
  /** Requests in flight at most. */
  readonly window: number;
  private readonly sock: NetlinkSocket;
  private active = 0;
  private exclusiveRunning = false;
  private readonly waiting: Array<{ exclusive: boolean; go: () => void }> = [];
  private readonly pending = new Set<(err: Error) => void>();
  private broken: KernelError | undefined;
  private closed = false;

  private constructor(sock: NetlinkSocket, label: string, window: number) {
    this.sock = sock;
    this.label = label;
    this.window = window;
    sock.on('error', (err: { errno?: number }) => {
      // ENOBUFS: the kernel dropped answers; the requests waiting for them would never settle.
      const errno = Math.abs(err.errno ?? 105);
      this.broken = new KernelError(`rtnetlink socket of ${label}`, 'receive', errno, '',
        errno === 105 ? 'too many requests in flight for the receive buffer; use a smaller window' : '');
      for (const reject of [...this.pending]) reject(this.broken);
    });
  }

  /**
   * Opens a NETLINK_ROUTE socket, inside `opts.netnsFd` when given.
   * @throws KernelError when setns or socket creation fails (EPERM without CAP_NET_ADMIN over the namespace).
   */
  static open(opts: RtnlOptions = {}): Rtnl {
    const label = opts.label ?? (opts.netnsFd === undefined ? 'host' : `netns fd ${opts.netnsFd}`);
    const window = Math.min(MAX_WINDOW, Math.max(1, Math.floor(opts.window ?? DEFAULT_WINDOW)));
    const make = (): NetlinkSocket => {
      try {
        return createNetlink(NETLINK_ROUTE);
      } catch (err) {
        throw new KernelError(`rtnetlink socket of ${label}`, 'socket(AF_NETLINK)', Math.abs((err as { errno?: number }).errno ?? 1));
      }
    };
    const sock = opts.netnsFd === undefined ? make() : withNetns(opts.netnsFd, label, make);
    return new Rtnl(sock, label, window);
  }

  /** Requests sent and not yet answered (at most `window`). */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Sends one request (REQUEST|ACK plus `ctx.flags`) and waits for the kernel's answer.
   * `body` is the message payload after the netlink header (e.g. ifinfomsg + attributes;
   * see {@link linkBody}, {@link addrBody}, {@link routeBody}).
   * @returns 0 on success, or the errno (positive) when its name is in `ctx.ignore`.
   * @throws KernelError(ctx.object, ctx.operation, errno, feature, hint) on a refusal.
   */
  async request(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<number> {
    const msgs = await this.exchange(type, body, ctx, ctx.flags ?? 0);
    const errno = ackErrno(msgs);
    if (errno === 0) return 0;
    if (ctx.ignore?.includes(errnoName(errno))) return errno;
    throw refusal(type, errno, ctx);
  }

  /**
   * Sends a single GET (no dump), e.g. RTM_GETLINK by index or name, and returns
   * the parsed reply; `[]` when the errno is in `ctx.ignore` (e.g. ENODEV: no such link).
   * @throws KernelError on any other refusal.
   */
  async get(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<rt.Message[]> {
    const msgs = await this.exchange(type, body, ctx, ctx.flags ?? 0);
    const errno = ackErrno(msgs);
    if (errno !== 0) {
      if (ctx.ignore?.includes(errnoName(errno))) return [];
      throw refusal(type, errno, ctx);
    }
    return msgs.filter((m) => m.type >= 16).map((m) => rt.parseMessage(m.type, m.data));
  }

  /**
   * Sends a dump request (GET with NLM_F_DUMP) and returns the parsed messages.
   * @throws KernelError on a refusal.
   */
  async dump(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext): Promise<rt.Message[]> {
    const msgs = await this.exchange(type, body, ctx, NLM_F.DUMP | (ctx.flags ?? 0), true);
    const errno = ackErrno(msgs);
    if (errno !== 0) throw refusal(type, errno, ctx);
    const out: rt.Message[] = [];
    for (const m of msgs) {
      if (m.type === NLMSG_ERROR || m.type < 16) continue;
      out.push(rt.parseMessage(m.type, m.data));
    }
    return out;
  }

  /** Closes the socket; requests still waiting are rejected. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new KernelError(`rtnetlink socket of ${this.label}`, 'request', 9, '', 'the socket was closed while requests were waiting');
    for (const reject of [...this.pending]) reject(err);
    this.sock.close();
  }

  private async exchange(type: number, body: Uint8Array | Uint8Array[], ctx: RequestContext, flags: number, exclusive = false): Promise<NetlinkMessage[]> {
    await this.acquire(exclusive);
    try {
      if (this.broken) throw this.broken;
      if (this.closed) throw new KernelError(ctx.object, opName(type, ctx), 9, '', 'the rtnetlink socket is closed');
      let reject!: (err: Error) => void;
      const failed = new Promise<never>((_, rej) => { reject = rej; });
      this.pending.add(reject);
      try {
        const [msgs] = await Promise.race([this.sock.request(type, body, { flags, checkError: false }), failed]);
        return msgs;
      } catch (err) {
        if (err instanceof KernelError) throw err;
        const e = err as { errno?: number };
        throw new KernelError(ctx.object, `${opName(type, ctx)} (send)`, Math.abs(e.errno ?? 5));
      } finally {
        this.pending.delete(reject);
      }
    } finally {
      this.release(exclusive);
    }
  }

  /**
   * Waits for a slot. A dump is exclusive: the kernel runs one dump per socket
   * at a time (EBUSY otherwise), and an ACK arriving between the parts of a
   * multipart answer would break the netlink package's reassembly. First come,
   * first served.
   */
  private acquire(exclusive: boolean): Promise<void> {
    return new Promise<void>((go) => {
      this.waiting.push({ exclusive, go });
      this.pump();
    });
  }

  private release(exclusive: boolean): void {
    this.active--;
    if (exclusive) this.exclusiveRunning = false;
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length && !this.exclusiveRunning) {
      const head = this.waiting[0];
      if (head.exclusive ? this.active > 0 : this.active >= this.window) return;
      if (head.exclusive) this.exclusiveRunning = true;
      this.active++;
      this.waiting.shift();
      head.go();
    }
  }
}

/** The errno (positive) carried by an answer: 0 for an ACK or a data reply. */
function ackErrno(msgs: NetlinkMessage[]): number {
  for (const m of msgs) {
    if (m.type === NLMSG_ERROR) return Math.abs(parseError(m.data, m.flags).errno);
  }
  return 0;
}

function opName(type: number, ctx: RequestContext): string {
  return ctx.operation ?? `RTM_${RTM[type] ?? type}`;
}

function refusal(type: number, errno: number, ctx: RequestContext): KernelError {
  const code = errnoName(errno);
  return new KernelError(ctx.object, opName(type, ctx), errno, ctx.features?.[code] ?? '', ctx.hints?.[code] ?? '');
}

/** Payload of a link message: ifinfomsg + attributes (IFLA_*), via the netlink package's typed encoder. */
export function linkBody(data: rt.Link, attrs: ifla.LinkAttrs = {}): Uint8Array[] {
  const s = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', data, attrs }, s);
  return s.bufs;
}

/** Payload of an address message: ifaddrmsg + attributes (IFA_*). */
export function addrBody(data: rt.Address, attrs: rt.AddressAttrs = {}): Uint8Array[] {
  const s = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', data, attrs }, s);
  return s.bufs;
}

/** Payload of a route message: rtmsg + attributes (RTA_*). */
export function routeBody(data: rt.Route, attrs: rt.RouteAttrs = {}): Uint8Array[] {
  const s = new AttrStream();
  rt.formatRouteMessage({ kind: 'route', data, attrs }, s);
  return s.bufs;
}
