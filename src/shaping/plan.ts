/**
 * Which tc objects make a Shaping on one interface: a pure plan, a list of
 * qdisc/class/filter operations in creation order, each with its encoded
 * TCA_OPTIONS. apply.ts sends them; read.ts recognises the same layout.
 *
 * Layouts (handles are hex, as tc prints them):
 *   rate only                  tbf 1: (root)
 *   impairment only            netem 1: (root)
 *   rate + impairment          htb 1: default 1 ─ class 1:1 (rate=ceil=rate) ─ tbf 101: ─ netem 201:
 *   node classes (any of the above may be set too)
 *                              htb 1: default 10 ─ class 1:1 (link rate, or 100 Gbit/s "unlimited")
 *                                 ├ class 1:10 unclassified traffic (rate = link − Σ classes, ceil = link)
 *                                 └ class 1:11, 1:12, … one per class, names sorted
 *                              under each class 1:m: tbf (100+m): at the class's ceiling,
 *                              and netem (200+m): under it when the link is impaired
 * The htb class with a netem child is Mininet's layout (mininet/link.py, TCIntf).
 * netlab puts a tbf between them: htb hands a GSO packet (up to 64 KiB, which
 * a veth passes whole) to the wire at once and then pauses, so at 1 Mbit/s the
 * rate swung between 0.5 and 1.3 Mbit/s per second and averaged 92 % (measured
 * here); tbf cuts GSO packets to MTU size (sch_tbf.c, tbf_segment) and holds the
 * queue in bytes. With it the same link measured 100.2 %.
 */
import { TopologyError } from '../errors.js';
import type { Shaping } from './types.js';
import { encodeCgroupFilter, filterInfo } from './filter.js';
import { encodeHtbClass, encodeHtbQdisc, htbClassParams } from './htb.js';
import { NETEM_DEFAULT_LIMIT, encodeNetem, hasImpairment, netemParams } from './netem.js';
import { decodeTbf, encodeTbf, tbfParams } from './tbf.js';
import { DEFAULT_QUEUE_MS, TC_H_ROOT, bytesPerSec, formatHandle, queuePackets, tcHandle } from './tcmath.js';

/** The root qdisc handle netlab uses on every interface: 1: */
export const ROOT_HANDLE = tcHandle(1, 0);
/** The class carrying the link rate: 1:1 */
export const LINK_CLASS = tcHandle(1, 1);
/** With node classes: the class for unclassified traffic, 1:10. */
export const DEFAULT_CLASS_MINOR = 0x10;
/** With node classes: the first class's minor, 1:11. */
export const FIRST_CLASS_MINOR = 0x11;
/** Link rate standing for "unlimited" when classes need an htb tree and no rate is set, bits/s. */
export const UNLIMITED_BPS = 100e9;
/** Priority of the cls_cgroup filter on the htb root. */
export const CGROUP_FILTER_PRIO = 1;

/** Handle of the tbf under class 1:minor: (0x100 + minor): — 1:1 → 101:, 1:11 → 111: */
export function tbfLeafHandle(minor: number): number {
  return tcHandle(0x100 + minor, 0);
}

/** Handle of the netem under class 1:minor (below its tbf): (0x200 + minor): — 1:1 → 201: */
export function netemLeafHandle(minor: number): number {
  return tcHandle(0x200 + minor, 0);
}

/** A node class placed in the htb tree (see classes.ts planClasses). */
export interface PlannedClass {
  name: string;
  /** htb minor, hex in tc's notation (0x11 → 1:11); the same on every interface of the node. */
  minor: number;
  /** net_cls classid = htb classid 1:minor, as a number (0x00010011). */
  classid: number;
  rateBps: number;
  ceilBps?: number;
  /** 0..7, default 3. */
  prio?: number;
}

/** One tc operation: create (or change) a qdisc, class or filter. */
export interface QdiscOp {
  object: 'qdisc' | 'class' | 'filter';
  kind: 'tbf' | 'htb' | 'netem' | 'cgroup' | 'bfifo';
  /** tcm_parent: TC_H_ROOT or a handle/classid. */
  parent: number;
  /** tcm_handle: qdisc handle (major:0), classid, or filter handle. */
  handle: number;
  /** tcm_info: for filters, prio << 16 | protocol; 0 otherwise. */
  info: number;
  /** TCA_OPTIONS payload. */
  options: Buffer;
  /** For messages: `qdisc tbf 1:`, `class htb 1:11 (bulk)`. */
  what: string;
}

/** What sits on an interface. `foreign`: a root qdisc netlab did not build. */
export type Layout = 'none' | 'tbf' | 'netem' | 'htb' | 'htb+netem' | 'foreign';

/** Inputs of planShaping besides the shaping itself. */
export interface PlanOptions {
  /** Node classes for this interface (same list on every interface of the node). */
  classes?: PlannedClass[];
  /** The s16 table for shaping.distribution when it is not uniform (distribution.ts). */
  distTable?: Int16Array;
  /** Add a cls_cgroup filter on the htb root (kernels that have cls_cgroup). */
  clsCgroup?: boolean;
  /** Key path for errors, e.g. `links[2].endpoints[0].shaping`. */
  where?: string;
}

/** A rate is set when it is a positive number; 0 or absent means "no rate" (and removes one). */
export function hasRate(s: Shaping): boolean {
  return (s.rateBps ?? 0) > 0;
}

/** The layout planShaping builds for this shaping, without encoding anything. */
export function shapingLayout(s: Shaping, hasClasses = false): Layout {
  const rate = hasRate(s);
  const imp = hasImpairment(s);
  if (hasClasses) return imp ? 'htb+netem' : 'htb';
  if (rate && imp) return 'htb+netem';
  if (rate) return 'tbf';
  if (imp) return 'netem';
  return 'none';
}

/**
 * The step that keeps a tbf changed in place from stalling, or undefined when
 * none is needed. A tbf never sends a packet larger than its bucket, and it
 * queues GSO packets up to its bucket's size whole (sch_tbf.c: tbf_enqueue
 * segments only larger ones). A change to a smaller bucket therefore leaves
 * queued packets that can never leave: the link stops for good (seen here:
 * 10 → 2 Mbit/s, bucket 12500 → 3028 bytes, 15 packets stuck, iperf3 hung).
 * The fix is a fresh bfifo grafted under the tbf right after the change
 * (tbf_graft: the old queue is dropped, at most `limit` bytes that TCP sends
 * again); the tbf itself, and its counters, stay.
 * @param change the tbf operation about to be sent with NLM_F_REPLACE
 * @param oldBurstBytes the bucket of the tbf in the kernel now, bytes, as
 *   decodeTbf reads it from a dump (at most one tick's bytes under the truth,
 *   so an unchanged bucket never counts as smaller)
 * @param childPlanned true when the plan puts its own child (a netem, which
 *   is re-created, dropping the queue anyway) under this tbf
 */
export function tbfShrinkFlush(change: QdiscOp, oldBurstBytes: number, childPlanned: boolean): QdiscOp | undefined {
  if (change.kind !== 'tbf' || childPlanned) return undefined;
  const next = decodeTbf(change.options);
  if (!next || next.burstBytes >= oldBurstBytes) return undefined;
  const options = Buffer.alloc(4);
  options.writeUInt32LE(next.limitBytes, 0); // struct tc_fifo_qopt { __u32 limit; }
  // Handle 0: the kernel picks one; the next flush replaces this child again.
  return { object: 'qdisc', kind: 'bfifo', parent: (change.handle | 1) >>> 0, handle: 0, info: 0, options,
    what: `qdisc bfifo under ${change.what.replace(/^qdisc /, '')} (a fresh queue: the bucket shrank)` };
}

function qdisc(kind: QdiscOp['kind'], parent: number, handle: number, options: Buffer): QdiscOp {
  return { object: 'qdisc', kind, parent, handle, info: 0, options, what: `qdisc ${kind} ${formatHandle(handle)}` };
}

function htbClass(parent: number, minor: number, options: Buffer, name?: string): QdiscOp {
  const id = tcHandle(1, minor);
  return { object: 'class', kind: 'htb', parent, handle: id, info: 0, options, what: `class htb ${formatHandle(id)}${name ? ` (${name})` : ''}` };
}

function checkLimits(s: Shaping, where: string): void {
  if (s.limitPackets !== undefined && !(Number.isFinite(s.limitPackets) && s.limitPackets >= 1)) {
    throw new TopologyError(`${where}.limit`, `queue limit ${s.limitPackets} is not a positive number of packets`, 'give a limit such as 100');
  }
  if (s.burstBytes !== undefined && !(Number.isFinite(s.burstBytes) && s.burstBytes > 0)) {
    throw new TopologyError(`${where}.burst`, `burst ${s.burstBytes} is not a positive number of bytes`, 'give a burst such as 32kb');
  }
}

/**
 * The tc operations that give an interface of `mtu` bytes the egress shaping
 * `s` (and the node's classes, if any), in creation order. Empty when nothing
 * is asked (the interface keeps its default qdisc). Pure.
 *
 * Units: s.rateBps bits/s, s.burstBytes bytes, s.limitPackets packets,
 * s.delayMs/jitterMs ms (float), percentages 0..100 (float, kept exactly).
 * A rate of 0 means no rate; a percentage or delay of 0 means none.
 * @throws TopologyError for values the kernel cannot take (see tbfParams,
 *   htbClassParams, netemParams), naming `opts.where`.
 */
export function planShaping(s: Shaping, mtu: number, opts: PlanOptions = {}): QdiscOp[] {
  const where = opts.where ?? 'shaping';
  checkLimits(s, where);
  const classes = opts.classes ?? [];
  const layout = shapingLayout(s, classes.length > 0);
  const netemFor = (rateBps: number | undefined): Buffer => {
    const limit = s.limitPackets ?? (rateBps
      ? queuePackets(bytesPerSec(rateBps), mtu, DEFAULT_QUEUE_MS + (s.delayMs ?? 0) + (s.jitterMs ?? 0))
      : NETEM_DEFAULT_LIMIT);
    return encodeNetem(netemParams(s, limit, opts.distTable, where));
  };
  if (classes.length > 0) return planClassTree(s, mtu, classes, layout === 'htb+netem', netemFor, opts, where);
  switch (layout) {
    case 'none':
      return [];
    case 'tbf':
      return [qdisc('tbf', TC_H_ROOT, ROOT_HANDLE, encodeTbf(tbfParams(s.rateBps!, mtu, s.burstBytes, s.limitPackets, where)))];
    case 'netem':
      return [qdisc('netem', TC_H_ROOT, ROOT_HANDLE, netemFor(undefined))];
    default: {
      // rate + impairment: Mininet's htb class with a netem child, a tbf between them.
      const rate = s.rateBps!;
      return [
        qdisc('htb', TC_H_ROOT, ROOT_HANDLE, encodeHtbQdisc({ defaultMinor: 1 })),
        htbClass(ROOT_HANDLE, 1, encodeHtbClass(htbClassParams(rate, rate, mtu, 3, s.burstBytes, where))),
        ...leafChain(s, mtu, 1, rate, s.burstBytes, true, netemFor, where),
      ];
    }
  }
}

/**
 * What hangs under htb class 1:minor: a tbf at `ceilBps` (absent for an
 * unlimited class), and a netem under it (or under the class) when impaired.
 */
function leafChain(s: Shaping, mtu: number, minor: number, ceilBps: number | undefined, burstBytes: number | undefined, impaired: boolean,
  netemFor: (rateBps: number | undefined) => Buffer, where: string): QdiscOp[] {
  const ops: QdiscOp[] = [];
  let parent = tcHandle(1, minor);
  if (ceilBps !== undefined) {
    const tbf = tbfLeafHandle(minor);
    ops.push(qdisc('tbf', parent, tbf, encodeTbf(tbfParams(ceilBps, mtu, burstBytes, s.limitPackets, where))));
    parent = (tbf | 1) >>> 0; // tbf's single class, where its child hangs
  }
  if (impaired) ops.push(qdisc('netem', parent, netemLeafHandle(minor), netemFor(ceilBps)));
  return ops;
}

function planClassTree(s: Shaping, mtu: number, classes: PlannedClass[], impaired: boolean,
  netemFor: (rateBps: number | undefined) => Buffer, opts: PlanOptions, where: string): QdiscOp[] {
  const limited = hasRate(s);
  const link = limited ? s.rateBps! : UNLIMITED_BPS;
  const ops: QdiscOp[] = [
    qdisc('htb', TC_H_ROOT, ROOT_HANDLE, encodeHtbQdisc({ defaultMinor: DEFAULT_CLASS_MINOR })),
    htbClass(ROOT_HANDLE, 1, encodeHtbClass(htbClassParams(link, link, mtu, 3, limited ? s.burstBytes : undefined, where))),
  ];
  const guaranteed = classes.reduce((sum, c) => sum + Math.min(c.rateBps, link), 0);
  const defaultRate = Math.max(link - guaranteed, Math.ceil(link / 100), 8);
  ops.push(htbClass(LINK_CLASS, DEFAULT_CLASS_MINOR, encodeHtbClass(htbClassParams(defaultRate, link, mtu, 3, undefined, `${where}.default-class`))));
  ops.push(...leafChain(s, mtu, DEFAULT_CLASS_MINOR, limited ? link : undefined, s.burstBytes, impaired, netemFor, where));
  for (const c of classes) {
    const cw = `${where}.classes.${c.name}`;
    const rate = Math.min(c.rateBps, link);
    const ceil = Math.min(Math.max(c.ceilBps ?? c.rateBps, c.rateBps), link);
    ops.push(htbClass(LINK_CLASS, c.minor, encodeHtbClass(htbClassParams(rate, ceil, mtu, c.prio ?? 3, undefined, cw)), c.name));
    ops.push(...leafChain(s, mtu, c.minor, ceil, undefined, impaired, netemFor, cw));
  }
  if (opts.clsCgroup) {
    ops.push({ object: 'filter', kind: 'cgroup', parent: ROOT_HANDLE, handle: 1, info: filterInfo(CGROUP_FILTER_PRIO),
      options: encodeCgroupFilter(), what: 'filter cgroup on 1:' });
  }
  return ops;
}
