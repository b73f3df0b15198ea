/**
 * Putting a Shaping on an interface, changing it while traffic flows, and
 * taking it off again. The only place in src/shaping that writes qdiscs.
 *
 * applyShaping reads what is there, plans what should be (plan.ts) and then:
 *  - nothing asked           → deletes the root qdisc (the kernel restores the
 *                              default): an impairment set to 0 is really gone;
 *  - same tree, new numbers  → changes tbf and htb in place (no counter
 *                              reset) and re-creates netem leaves (a netem
 *                              change would keep an old distribution table);
 *                              a tbf whose bucket shrinks gets a fresh queue
 *                              (plan.ts tbfShrinkFlush: its old packets could
 *                              never leave), otherwise no packet is dropped;
 *  - another tree            → deletes the root and builds the new tree; if a
 *                              step fails, puts the previous tree back (best
 *                              effort) and throws.
 * netem is checked before anything is touched: where the kernel lacks it the
 * caller gets one KernelError naming sch_netem and the link keeps its shaping.
 */
import { constants as osConstants } from 'node:os';
import { KernelError } from '../errors.js';
import type { Shaping } from './types.js';
import { loadDistribution } from './distribution.js';
import { readLinkState } from '../net/iface.js';
import type { Rtnl } from '../net/rtnl.js';
import { hasImpairment } from './netem.js';
import { KIND_FEATURE, deleteQdisc, deleteRoot, sendOp } from './nl.js';
import { ROOT_HANDLE, planShaping, shapingLayout, tbfShrinkFlush, type Layout, type PlannedClass, type QdiscOp } from './plan.js';
import { decodeTbf } from './tbf.js';
import { probeQdiscSupport, type ShapingSupport } from './probe.js';
import { decodeTree, dumpTc, hasCgroupFilter, type ShapingStatus, type TcObject } from './read.js';
import { TC_H_ROOT, tcHandle } from './tcmath.js';

/** Options of applyShaping. */
export interface ApplyOptions {
  /** The interface's MTU; read from the kernel when absent. */
  mtu?: number;
  /**
   * The node's classes. Absent: keep the classes installed now (so `netlab link
   * set` keeps them); `[]`: remove them. Callers that know the configured
   * classes should pass them: classes read back are capped at the old link rate.
   */
  classes?: PlannedClass[];
  /** Put a cls_cgroup filter on the htb root; absent: keep what is there. */
  clsCgroup?: boolean;
  /** Key path for errors in the request (`links[2]`, `r1:eth1`). */
  where?: string;
  /** What the kernel supports (tests, or a caller that probed); default: probe once per process. */
  support?: Pick<ShapingSupport, 'netem'>;
}

/** What applyShaping did. */
export interface ApplyResult {
  layout: Layout;
  action: 'unchanged' | 'removed' | 'changed' | 'rebuilt';
}

/** The classes found in a status, as planShaping takes them. */
export function installedClasses(st: ShapingStatus): PlannedClass[] {
  return st.classes.map((c) => ({ name: `class ${c.classid}`, minor: c.minor, classid: tcHandle(1, c.minor), rateBps: c.rateBps, ceilBps: c.ceilBps, prio: c.prio }));
}

function key(object: string, kind: string, parent: number, handle: number): string {
  return `${object} ${kind} ${parent >>> 0} ${handle >>> 0}`;
}

/** The tree's shape: which objects of which kind sit where (numbers left out). */
function skeletonOfOps(ops: QdiscOp[]): string[] {
  // The kernel reports a class hanging off the qdisc root with parent TC_H_ROOT.
  return ops.map((o) => key(o.object, o.kind, o.object === 'class' && o.parent === ROOT_HANDLE ? TC_H_ROOT : o.parent, o.handle)).sort();
}

function skeletonOfTree(qdiscs: TcObject[], classes: TcObject[], clsCgroup: boolean): string[] {
  // A bfifo under a tbf is the fresh queue of an earlier change (plan.ts tbfShrinkFlush): part of the tbf.
  const tbfs = new Set(qdiscs.filter((q) => q.kind === 'tbf').map((q) => (q.handle | 1) >>> 0));
  const own = qdiscs.filter((q) => q.handle !== 0 && !(q.kind === 'bfifo' && tbfs.has(q.parent >>> 0)));
  const out = [...own, ...classes].map((o) => key(o.object, o.kind, o.parent, o.handle));
  if (clsCgroup) out.push(key('filter', 'cgroup', ROOT_HANDLE, 1));
  return out.sort();
}

async function build(rtnl: Rtnl, ifindex: number, ops: QdiscOp[], label: string): Promise<void> {
  for (const op of ops) await sendOp(rtnl, ifindex, op, label);
}

/**
 * Makes `shaping` the egress shaping of interface `ifindex` (in the namespace of
 * `rtnl`), replacing whatever netlab (or anyone) put at its root. `label` names
 * the interface in errors (`r1:eth1`). An empty shaping, or values of 0,
 * remove what they name.
 * @throws TopologyError for values the kernel cannot take; KernelError when
 *   the kernel refuses (a missing sch_netem is reported before anything changes).
 */
export async function applyShaping(rtnl: Rtnl, ifindex: number, shaping: Shaping, label: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const { qdiscs, classes: cls } = await dumpTc(rtnl, ifindex);
  const root = qdiscs.find((q) => q.parent === TC_H_ROOT);
  const hadFilter = root?.kind === 'htb' && root.handle === ROOT_HANDLE ? await hasCgroupFilter(rtnl, ifindex) : false;
  const before = decodeTree(qdiscs, cls, hadFilter);
  const classes = opts.classes ?? installedClasses(before);
  const clsCgroup = classes.length > 0 && (opts.clsCgroup ?? hadFilter);
  const mtu = opts.mtu ?? (await readLinkState(rtnl, ifindex, label)).mtu;
  const distTable = shaping.distribution && hasImpairment(shaping) ? loadDistribution(shaping.distribution) : undefined;
  const ops = planShaping(shaping, mtu, { classes, distTable, clsCgroup, where: opts.where ?? label });
  const layout: Layout = ops.length === 0 ? 'none' : shapingLayout(shaping, classes.length > 0);

  if (ops.length === 0) {
    if (!root || root.handle === 0) return { layout, action: 'unchanged' };
    await deleteRoot(rtnl, ifindex, label);
    return { layout, action: 'removed' };
  }
  if (ops.some((o) => o.kind === 'netem')) {
    const support = opts.support ?? await probeQdiscSupport();
    if (!support.netem) {
      throw new KernelError(`qdisc netem on ${label}`, 'RTM_NEWQDISC', osConstants.errno.ENOENT, KIND_FEATURE.netem!);
    }
  }

  const rootIsNetem = ops[0]!.kind === 'netem';
  const same = !rootIsNetem && root?.handle === ROOT_HANDLE
    && skeletonOfTree(qdiscs, cls, hadFilter).join('|') === skeletonOfOps(ops).join('|');
  if (same) {
    for (const op of ops) {
      if (op.object === 'filter' || (op.object === 'qdisc' && op.kind === 'htb')) continue; // present, same default class
      if (op.kind === 'netem') {
        await deleteQdisc(rtnl, ifindex, op.parent, op.handle, `${op.what} on ${label}`);
        await sendOp(rtnl, ifindex, op, label);
      } else {
        await sendOp(rtnl, ifindex, op, label, true);
        const now = op.kind === 'tbf' ? qdiscs.find((q) => q.kind === 'tbf' && q.handle === op.handle)?.options : undefined;
        const oldBurst = now ? decodeTbf(now)?.burstBytes : undefined;
        const flush = oldBurst === undefined ? undefined : tbfShrinkFlush(op, oldBurst, ops.some((o) => o.parent === ((op.handle | 1) >>> 0)));
        if (flush) await sendOp(rtnl, ifindex, flush, label, true);
      }
    }
    return { layout, action: 'changed' };
  }

  if (root && root.handle !== 0) await deleteRoot(rtnl, ifindex, label);
  try {
    await build(rtnl, ifindex, ops, label);
  } catch (err) {
    await deleteRoot(rtnl, ifindex, label).catch(() => undefined);
    if (before.layout !== 'none' && before.layout !== 'foreign') {
      try {
        const { distribution: _d, ...prev } = before.shaping;
        await build(rtnl, ifindex, planShaping(prev, mtu, { classes: installedClasses(before), clsCgroup: before.clsCgroup, where: label }), label);
      } catch {
        await deleteRoot(rtnl, ifindex, label).catch(() => undefined);
      }
    }
    throw err;
  }
  return { layout, action: 'rebuilt' };
}

/** Removes all shaping (and node classes) from `ifindex`: the default qdisc comes back. */
export async function removeShaping(rtnl: Rtnl, ifindex: number, label: string): Promise<void> {
  await deleteRoot(rtnl, ifindex, label);
}

export { readShaping } from './read.js';
export type { ShapingStatus } from './read.js';
