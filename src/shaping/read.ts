/**
 * What shaping is in effect on an interface, read back from the kernel
 * (RTM_GETQDISC / RTM_GETTCLASS / RTM_GETTFILTER dumps) and decoded into the
 * same Shaping netlab was asked for, with the counters `tc -s` shows. For
 * `netlab link show` and `netlab status`.
 */
import type { Shaping } from './types.js';
import { decodeHtbClass, decodeHtbQdisc } from './htb.js';
import { decodeNetem, netemToShaping } from './netem.js';
import { parseTc, tcBody, type TcMessage } from '../net/messages.js';
import { attrMap, readU64 } from '../net/nlattr.js';
import { RTM, type Rtnl } from '../net/rtnl.js';
import { DEFAULT_CLASS_MINOR, FIRST_CLASS_MINOR, LINK_CLASS, ROOT_HANDLE, UNLIMITED_BPS, netemLeafHandle, tbfLeafHandle, type Layout } from './plan.js';
import { decodeTbf } from './tbf.js';
import { TC_H_ROOT, formatHandle, tcHandle } from './tcmath.js';

/** Counters of one qdisc or class (TCA_STATS2: gnet_stats_basic, gnet_stats_queue). */
export interface TcCounters {
  sentBytes: number;
  sentPackets: number;
  /** Packets dropped (queue full, or netem's loss). */
  dropped: number;
  /** Times a packet had to wait for tokens (rate limit hit). */
  overlimits: number;
  requeues: number;
  /** Bytes and packets queued right now. */
  backlogBytes: number;
  backlogPackets: number;
}

/** One tc object as dumped: kind, handles, raw options, counters. */
export interface TcObject {
  object: 'qdisc' | 'class';
  kind: string;
  handle: number;
  parent: number;
  options?: Buffer;
  counters: TcCounters;
}

/** A node class found in the htb tree. */
export interface InstalledClass {
  /** `1:11` */
  classid: string;
  minor: number;
  rateBps: number;
  ceilBps: number;
  prio: number;
  counters: TcCounters;
}

/** What readShaping reports for one interface. */
export interface ShapingStatus {
  layout: Layout;
  /** The root qdisc's kind (`noqueue` when nothing is installed). */
  rootKind: string;
  /** What is in effect, in the units of Shaping (the jitter distribution cannot be read back). */
  shaping: Shaping;
  /** The queue in front of the rate limit, bytes (tbf counts bytes; netem's limit is in shaping.limitPackets). */
  limitBytes?: number;
  /** Node classes (htb 1:11 …), with the unclassified class 1:10 separately. */
  classes: InstalledClass[];
  defaultClass?: InstalledClass;
  /** True when a cls_cgroup filter classifies on the htb root. */
  clsCgroup: boolean;
  /** Counters of the root qdisc: everything the interface sent. */
  counters: TcCounters;
  /** Every qdisc, root first: kind, `1:`-style handles, counters. */
  qdiscs: { kind: string; handle: string; parent: string; counters: TcCounters }[];
}

const EMPTY: TcCounters = { sentBytes: 0, sentPackets: 0, dropped: 0, overlimits: 0, requeues: 0, backlogBytes: 0, backlogPackets: 0 };

/** Decodes TCA_STATS2 (falling back to the legacy TCA_STATS struct). */
export function decodeCounters(stats2?: Buffer, stats?: Buffer): TcCounters {
  const c = { ...EMPTY };
  if (stats2) {
    const a = attrMap(stats2);
    const basic = a.get(1);
    if (basic && basic.length >= 12) { c.sentBytes = readU64(basic); c.sentPackets = basic.readUInt32LE(8); }
    const pkt64 = a.get(8);
    if (pkt64 && pkt64.length >= 8) c.sentPackets = readU64(pkt64);
    const q = a.get(3);
    if (q && q.length >= 20) {
      c.backlogPackets = q.readUInt32LE(0); c.backlogBytes = q.readUInt32LE(4); c.dropped = q.readUInt32LE(8);
      c.requeues = q.readUInt32LE(12); c.overlimits = q.readUInt32LE(16);
    }
  } else if (stats && stats.length >= 36) {
    c.sentBytes = readU64(stats); c.sentPackets = stats.readUInt32LE(8); c.dropped = stats.readUInt32LE(12);
    c.overlimits = stats.readUInt32LE(16); c.backlogPackets = stats.readUInt32LE(28); c.backlogBytes = stats.readUInt32LE(32);
  }
  return c;
}

/** Dumps the qdiscs and the htb classes of one interface. */
export async function dumpTc(rtnl: Rtnl, ifindex: number): Promise<{ qdiscs: TcObject[]; classes: TcObject[] }> {
  const conv = (object: 'qdisc' | 'class') => (m: TcMessage): TcObject => ({
    object, kind: m.kind, handle: m.handle, parent: m.parent, options: m.options, counters: decodeCounters(m.stats2, m.stats),
  });
  const ctx = { object: `tc objects of ifindex ${ifindex}` };
  const qdiscs = (await rtnl.dump(RTM.GETQDISC, tcBody({ ifindex }), ctx)).map(parseTc).filter((m) => m.ifindex === ifindex).map(conv('qdisc'));
  const root = qdiscs.find((q) => q.parent === TC_H_ROOT);
  const classes = root && root.handle !== 0 && root.kind === 'htb'
    ? (await rtnl.dump(RTM.GETTCLASS, tcBody({ ifindex }), ctx)).map(parseTc).filter((m) => m.ifindex === ifindex && m.kind === 'htb').map(conv('class'))
    : []; // htb's classes only: tbf reports its one built-in class (101:1) too
  return { qdiscs, classes };
}

/** True when a cls_cgroup filter sits on the htb root 1: of `ifindex`. */
export async function hasCgroupFilter(rtnl: Rtnl, ifindex: number): Promise<boolean> {
  try {
    const f = await rtnl.dump(RTM.GETTFILTER, tcBody({ ifindex, parent: ROOT_HANDLE }), { object: `filters of ifindex ${ifindex}` });
    return f.map(parseTc).some((m) => m.ifindex === ifindex && m.kind === 'cgroup');
  } catch {
    return false;
  }
}

function bps(bytes: number): number {
  return bytes * 8;
}

function installed(c: TcObject): InstalledClass | undefined {
  const p = c.options ? decodeHtbClass(c.options) : undefined;
  if (!p) return undefined;
  return { classid: formatHandle(c.handle), minor: c.handle & 0xffff, rateBps: bps(p.rateBytes), ceilBps: bps(p.ceilBytes), prio: p.prio, counters: c.counters };
}

/**
 * Recognises netlab's layouts (see plan.ts) in dumped objects and decodes
 * them. Pure. Anything else at the root is reported as `foreign` with its kind.
 */
export function decodeTree(qdiscs: TcObject[], classes: TcObject[], clsCgroup = false): ShapingStatus {
  const root = qdiscs.find((q) => q.parent === TC_H_ROOT);
  const out: ShapingStatus = {
    layout: 'none', rootKind: root?.kind ?? 'none', shaping: {}, classes: [], clsCgroup: false,
    counters: root?.counters ?? { ...EMPTY },
    qdiscs: [...qdiscs].sort((a, b) => Number(b.parent === TC_H_ROOT) - Number(a.parent === TC_H_ROOT))
      .map((q) => ({ kind: q.kind, handle: formatHandle(q.handle), parent: formatHandle(q.parent), counters: q.counters })),
  };
  if (!root || root.handle === 0) return out;
  const netemUnder = (classMinor: number): Shaping | undefined => {
    const q = qdiscs.find((x) => x.handle === netemLeafHandle(classMinor) && x.kind === 'netem');
    const p = q?.options ? decodeNetem(q.options) : undefined;
    return p ? { ...netemToShaping(p), limitPackets: p.limitPackets } : undefined;
  };
  const tbfLimitUnder = (classMinor: number): number | undefined => {
    const q = qdiscs.find((x) => x.handle === tbfLeafHandle(classMinor) && x.kind === 'tbf');
    return q?.options ? decodeTbf(q.options)?.limitBytes : undefined;
  };
  out.layout = 'foreign';
  if (root.handle !== ROOT_HANDLE || !root.options) return out;
  if (root.kind === 'tbf') {
    const p = decodeTbf(root.options);
    if (!p) return out;
    Object.assign(out, { layout: 'tbf', shaping: { rateBps: bps(p.rateBytes), burstBytes: p.burstBytes }, limitBytes: p.limitBytes });
  } else if (root.kind === 'netem') {
    const p = decodeNetem(root.options);
    if (!p) return out;
    Object.assign(out, { layout: 'netem', shaping: { ...netemToShaping(p), limitPackets: p.limitPackets } });
  } else if (root.kind === 'htb') {
    const g = decodeHtbQdisc(root.options);
    const link = classes.find((c) => c.handle === LINK_CLASS);
    const lp = link?.options ? decodeHtbClass(link.options) : undefined;
    if (!g || !lp) return out;
    const rate: Shaping = lp.rateBytes * 8 >= UNLIMITED_BPS ? {} : { rateBps: bps(lp.rateBytes), burstBytes: lp.burstBytes };
    if (g.defaultMinor === 1) {
      const imp = netemUnder(1);
      Object.assign(out, { layout: imp ? 'htb+netem' : 'htb', shaping: { ...rate, ...imp }, limitBytes: imp ? undefined : tbfLimitUnder(1) });
    } else if (g.defaultMinor === DEFAULT_CLASS_MINOR) {
      const imp = netemUnder(DEFAULT_CLASS_MINOR);
      const def = classes.find((c) => c.handle === tcHandle(1, DEFAULT_CLASS_MINOR));
      const shaping: Shaping = { ...rate, ...imp };
      Object.assign(out, {
        layout: imp ? 'htb+netem' : 'htb', shaping, clsCgroup, limitBytes: imp ? undefined : tbfLimitUnder(DEFAULT_CLASS_MINOR),
        defaultClass: def ? installed(def) : undefined,
        classes: classes.filter((c) => (c.handle >>> 16) === 1 && (c.handle & 0xffff) >= FIRST_CLASS_MINOR)
          .map(installed).filter((c): c is InstalledClass => !!c).sort((a, b) => a.minor - b.minor),
      });
    }
  }
  return out;
}

/**
 * Reads what shaping is in effect on `ifindex`, with counters.
 * @throws KernelError when the kernel refuses the qdisc or class dump.
 */
export async function readShaping(rtnl: Rtnl, ifindex: number): Promise<ShapingStatus> {
  const { qdiscs, classes } = await dumpTc(rtnl, ifindex);
  const root = qdiscs.find((q) => q.parent === TC_H_ROOT);
  const cg = root?.kind === 'htb' && root.handle === ROOT_HANDLE ? await hasCgroupFilter(rtnl, ifindex) : false;
  return decodeTree(qdiscs, classes, cg);
}
