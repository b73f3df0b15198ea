/**
 * Packet capture of a running lab (`netlab capture`, `lab.capture()`): one
 * pcapng with an interface block per endpoint (`r1:eth1`, its link in the
 * block's description), packets of all endpoints merged in time order.
 *
 * The native helper netlab-capture does the capturing (native/capture.c): it
 * joins only each node's network namespace and opens a libpcap handle there,
 * so nothing runs inside the node and a node without tcpdump in its root is
 * captured all the same. docs/decisions.md, "Capture", says why and what it
 * loses at high packet rates.
 *
 * Resolution of what to capture is pure (captureTargets); only startCapture
 * starts a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { captureBinary } from '../core/native.js';
import { KernelError, NetlabError, UsageError } from '../errors.js';
import { findEndpoint } from '../lab/links.js';
import { openOutput } from '../lab/output.js';
import type { Interface, Link, Topology } from '../topology/types.js';
import { HOST_NODE, isHostEndpoint } from '../topology/endpoints.js';
import { isLan, linkType } from '../topology/link-types/index.js';

/** A running node as capture needs it: its PID 1 and start time (State). */
export interface RunningPid {
  pid: number;
  startTime: number;
}

/** One interface to capture. */
export interface CaptureTarget {
  /** The interface block's name: `r1:eth1`, or `host:veth-lab` for the host end of a host link. */
  endpoint: string;
  /** Interface name in its namespace. */
  iface: string;
  /** PID 1 of the node whose network namespace holds it; 0 for the host's namespace. */
  pid: number;
  /** That PID's start time (0 for the host): a reused PID is refused. */
  startTime: number;
  /** The interface block's description: `r1:eth1 → r2:eth1 (links[0], lab triangle)`. */
  description: string;
}

/** What to capture and how (the flags of `netlab capture`). */
export interface CaptureOptions {
  /**
   * `NODE:IFACE`, `host:IFACE` (the host end of a host link), or the name of a
   * LAN (its `name:` or segment): every member interface of that LAN.
   */
  endpoints?: string[];
  /** Every node interface of the lab (endpoints are then ignored); dead nodes are skipped with a warning. */
  all?: boolean;
  /** A pcap-filter(7) expression, as tcpdump takes it: `icmp`, `port 179`, `not arp`. */
  filter?: string;
  /** Stop after this many packets (all interfaces together). */
  count?: number;
  /** Stop after this many ms. */
  durationMs?: number;
  /**
   * Where the pcapng goes: a file path (made or truncated), an open file
   * descriptor (1: standard output), or 'pipe' (read it from `Capture.stream`).
   */
  output: string | number | 'pipe';
  /** Bytes kept of each packet, 64–262144 (default 262144, as tcpdump). */
  snaplen?: number;
  /** Kernel ring per interface, KiB (default 4096). */
  bufferKb?: number;
  /** Stops the capture (the file is completed) when it aborts. */
  signal?: AbortSignal;
  /** Called for each warning (a dead node skipped by `all`, an interface that vanished). */
  onWarning?: (text: string) => void;
}

/** How one interface's capture went. */
export interface InterfaceCaptureReport {
  endpoint: string;
  /** Packets the kernel passed the filter (libpcap ps_recv). */
  received: number;
  /** Packets lost because the ring was full (libpcap ps_drop): the capture fell behind. */
  dropped: number;
  /** Packets written to the file. */
  written: number;
  /** Set when the interface vanished during the capture (its node or peer died). */
  gone?: string;
}

/** How a capture went. */
export interface CaptureReport {
  /** Packets written, all interfaces. */
  packets: number;
  /** Packets lost by the kernel, all interfaces. */
  dropped: number;
  interfaces: InterfaceCaptureReport[];
  /** The file written, when the output was a path. */
  file?: string;
}

/** A capture in progress. */
export interface Capture {
  readonly targets: CaptureTarget[];
  /** Resolves once every interface captures (start traffic after this); rejects when the start fails. */
  readonly ready: Promise<void>;
  /** Resolves when the capture has ended and the file is complete. */
  readonly done: Promise<CaptureReport>;
  /** The pcapng bytes, with output 'pipe'. */
  readonly stream?: Readable;
  /** Ends the capture: what is held is written in order, then statistics; `done` resolves. */
  stop(): void;
}

/** `r2:eth1`, `segment lan1`, `host:veth-x` — what an interface faces, for descriptions (pure). */
function facing(i: Interface, t: Topology): string {
  if (i.peer) return `${i.peer.node}:${i.peer.iface}`;
  if (i.segment) {
    const l = t.links[i.link];
    return `LAN ${l?.name ?? i.segment}`;
  }
  return 'nothing';
}

function linkWhere(l: Link | undefined, t: Topology): string {
  const noun = l && linkType(l).noun;
  return `links[${l?.index ?? '?'}]${noun ? `, ${noun}` : ''}, lab ${t.name}`;
}

/** The LAN links a name means: its `name:` or its segment (bridge) name. */
function lanNamed(t: Topology, name: string): Link | undefined {
  return t.links.find((l) => isLan(l) && (l.name === name || l.segment === name));
}

/**
 * What `endpoints` (or `all`) mean in lab `t` (pure): one target per
 * interface, each once, in the order asked. `running(node)` gives a running
 * node's PID 1, undefined for a dead one.
 * @throws UsageError (exit 2) for an unknown endpoint or LAN, a named node
 *   that is not running, or nothing to capture.
 */
export function captureTargets(t: Topology, running: (node: string) => RunningPid | undefined, opts: Pick<CaptureOptions, 'endpoints' | 'all' | 'onWarning'>): CaptureTarget[] {
  const out: CaptureTarget[] = [];
  const seen = new Set<string>();
  const fromIface = (i: Interface, named: boolean): void => {
    const endpoint = `${i.node}:${i.name}`;
    if (seen.has(endpoint)) return;
    const r = running(i.node);
    if (!r) {
      if (named) throw new UsageError(endpoint, `its node ${i.node} is not running (its PID 1 is gone)`, `netlab status ${t.name} shows the lab; netlab down ${t.name} cleans it`);
      opts.onWarning?.(`${endpoint}: not captured, its node ${i.node} is not running`);
      return;
    }
    seen.add(endpoint);
    out.push({ endpoint, iface: i.name, pid: r.pid, startTime: r.startTime, description: `${endpoint} → ${facing(i, t)} (${linkWhere(t.links[i.link], t)})` });
  };
  if (opts.all) {
    for (const n of t.nodes) for (const i of n.interfaces) fromIface(i, false);
    if (!out.length) throw new UsageError(`lab ${t.name}`, 'has no running node with an interface to capture', `netlab status ${t.name}`);
    return out;
  }
  const asked = opts.endpoints ?? [];
  if (!asked.length) throw new UsageError('netlab capture', 'nothing to capture', 'name endpoints (r1:eth1), a LAN by name, or give --all');
  for (const e of asked) {
    const lan = lanNamed(t, e);
    if (lan) {
      for (const i of t.nodes.flatMap((n) => n.interfaces).filter((x) => x.link === lan.index)) fromIface(i, true);
      continue;
    }
    if (e.startsWith('host:')) {
      const l = t.links.find((x) => x.host?.iface === e.slice(5));
      if (!l) {
        const hosts = t.links.flatMap((x) => (x.host ? [`host:${x.host.iface}`] : []));
        throw new UsageError(e, `lab ${t.name} has no host link with a host end named "${e.slice(5)}"`, hosts.length ? `its host ends: ${hosts.join(', ')}` : 'the lab has no host link');
      }
      if (seen.has(e)) continue;
      seen.add(e);
      const nodeEnd = l.endpoints.find((x) => !isHostEndpoint(x));
      out.push({ endpoint: e, iface: l.host!.iface, pid: 0, startTime: 0, description: `${e} → ${nodeEnd ? `${nodeEnd.node}:${nodeEnd.iface}` : 'nothing'} (${linkWhere(l, t)})` });
      continue;
    }
    if (!e.includes(':')) {
      const lans = t.links.filter(isLan).map((l) => l.name ?? l.segment);
      throw new UsageError(e, `is neither an endpoint (NODE:IFACE) nor a LAN of lab ${t.name}`, lans.length ? `its LANs: ${lans.join(', ')}; an endpoint looks like r1:eth1` : 'an endpoint looks like r1:eth1');
    }
    const node = t.nodes.find((n) => n.name === e.slice(0, e.indexOf(':')));
    const ifname = e.slice(e.indexOf(':') + 1);
    if (node?.mgmt && node.mgmt.iface === ifname) {
      fromIface({ node: node.name, name: ifname, link: -1, endpoint: 0, mac: node.mgmt.mac, mtu: t.mgmt?.mtu ?? 1500, state: 'up', peer: { node: HOST_NODE, iface: node.mgmt.hostIface } }, true);
      continue;
    }
    fromIface(findEndpoint(t, e), true);
  }
  return out;
}

/** netlab-capture's arguments (pure). */
export function captureArgs(targets: CaptureTarget[], opts: Pick<CaptureOptions, 'filter' | 'count' | 'durationMs' | 'snaplen' | 'bufferKb'>): string[] {
  const args: string[] = [];
  if (opts.count !== undefined) args.push('--count', String(opts.count));
  if (opts.durationMs !== undefined) args.push('--duration-ms', String(Math.max(1, Math.round(opts.durationMs))));
  if (opts.snaplen !== undefined) args.push('--snaplen', String(opts.snaplen));
  if (opts.bufferKb !== undefined) args.push('--buffer-kb', String(opts.bufferKb));
  if (opts.filter?.trim()) args.push('--filter', opts.filter.trim());
  for (const x of targets) args.push('--if', String(x.pid), String(x.startTime), x.iface, x.endpoint, x.description);
  return args;
}

/** One line of netlab-capture's stderr protocol (native/capture.c), parsed. Pure. */
export type HelperEvent =
  | { kind: 'ready' }
  | { kind: 'gone'; idx: number; message: string }
  | { kind: 'stat'; idx: number; received: number; dropped: number; written: number }
  | { kind: 'error'; idx: number | undefined; step: string; errno: number; message: string };

export function parseHelperLine(line: string): HelperEvent | undefined {
  if (line === 'ready') return { kind: 'ready' };
  let m = /^gone (\d+) (.*)$/.exec(line);
  if (m) return { kind: 'gone', idx: Number(m[1]), message: m[2]! };
  m = /^stat (\d+) (\d+) (\d+) (\d+)$/.exec(line);
  if (m) return { kind: 'stat', idx: Number(m[1]), received: Number(m[2]), dropped: Number(m[3]), written: Number(m[4]) };
  m = /^error (\d+|-) (\S+) (\d+) ?(.*)$/.exec(line);
  if (m) return { kind: 'error', idx: m[1] === '-' ? undefined : Number(m[1]), step: m[2]!, errno: Number(m[3]), message: m[4]! };
  return undefined;
}

/** The error a helper failure means for the user. Pure. */
export function helperError(ev: Extract<HelperEvent, { kind: 'error' }>, targets: CaptureTarget[], filter: string | undefined, lab: string): NetlabError {
  const where = ev.idx !== undefined ? targets[ev.idx]?.endpoint ?? 'netlab capture' : 'netlab capture';
  if (ev.step === 'filter') {
    return new UsageError(`filter "${filter ?? ''}"`, ev.message.replace(/^can't parse filter expression: /, ''), 'filters are tcpdump\'s (pcap-filter(7)): e.g. icmp, "tcp port 179", "host 10.0.0.1 and not arp"');
  }
  if (ev.step === 'dlopen' || ev.step === 'dlsym') {
    return new NetlabError('netlab capture', `needs libpcap, which cannot be loaded: ${ev.message}`, 'install it: apt install libpcap0.8 (it comes with tcpdump)');
  }
  if (ev.step === 'open-netns') return new UsageError(where, `its node is not running: ${ev.message}`, `netlab status ${lab}`);
  if (ev.step === 'pcap_activate' && ev.errno === 19) {
    return new UsageError(where, `is gone: ${ev.message}`, `netlab link show --lab ${lab} lists what is left`);
  }
  if (ev.step === 'usage') return new NetlabError('netlab-capture', ev.message, 'this is a bug in netlab: please report it');
  return new KernelError(where, ev.step, ev.errno || 5, '', ev.message);
}

/**
 * Starts capturing `targets` (from captureTargets) into `opts.output`.
 * The returned Capture's `ready` settles when every interface captures (or
 * the start failed: a bad filter is a UsageError, exit 2), `done` when the
 * capture ended — by count, duration, stop(), the signal, the reader of a
 * pipe going away, or every interface vanishing — with the file complete.
 * @throws UsageError when the output file cannot be opened for writing (its
 *   folder is made first).
 */
export function startCapture(lab: string, targets: CaptureTarget[], opts: CaptureOptions): Capture {
  let outFd: number | 'pipe';
  let file: string | undefined;
  let ownFd = false;
  if (typeof opts.output === 'string' && opts.output !== 'pipe') {
    file = opts.output;
    outFd = openOutput(file, `-w ${file}`);
    ownFd = true;
  } else {
    outFd = opts.output === 'pipe' ? 'pipe' : opts.output;
  }
  let child: ChildProcess;
  try {
    child = spawn(captureBinary(), captureArgs(targets, opts), { stdio: ['ignore', outFd, 'pipe'] });
  } finally {
    if (ownFd) closeSync(outFd as number);
  }
  const reports: InterfaceCaptureReport[] = targets.map((x) => ({ endpoint: x.endpoint, received: 0, dropped: 0, written: 0 }));
  let failure: NetlabError | undefined;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => { /* also reported by done */ });
  let buffered = '';
  let stderrText = '';
  const handle = (line: string): void => {
    const ev = parseHelperLine(line);
    if (!ev) { if (line.trim()) stderrText += `${line}\n`; return; }
    if (ev.kind === 'ready') resolveReady();
    else if (ev.kind === 'gone') {
      const r = reports[ev.idx];
      if (r) r.gone = ev.message;
      opts.onWarning?.(`${r?.endpoint ?? 'an interface'} vanished during the capture (${ev.message}); the others go on`);
    } else if (ev.kind === 'stat') {
      const r = reports[ev.idx];
      if (r) Object.assign(r, { received: ev.received, dropped: ev.dropped, written: ev.written });
    } else failure ??= helperError(ev, targets, opts.filter, lab);
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      handle(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  const stop = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); };
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const done = new Promise<CaptureReport>((resolve, reject) => {
    child.on('error', (err) => {
      const e = new NetlabError('netlab-capture', `cannot run it: ${err.message}`, 'npm run build builds it');
      rejectReady(e);
      reject(e);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', stop);
      if (buffered) handle(buffered);
      if (!failure && code !== 0) {
        failure = new NetlabError('netlab-capture', `ended with ${signal ?? `exit code ${code}`}${stderrText ? `: ${stderrText.trim()}` : ''}`, 'this is a bug in netlab: please report it');
      }
      if (failure) { rejectReady(failure); reject(failure); return; }
      resolveReady();
      resolve({
        packets: reports.reduce((s, r) => s + r.written, 0),
        dropped: reports.reduce((s, r) => s + r.dropped, 0),
        interfaces: reports,
        ...(file ? { file } : {}),
      });
    });
  });
  done.catch(() => { /* a caller that awaits only `ready` has seen the error there */ });
  return { targets, ready, done, ...(child.stdout ? { stream: child.stdout } : {}), stop };
}
