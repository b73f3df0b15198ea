/**
 * The tc requests src/shaping makes: qdiscs, classes and filters created and
 * deleted over the program's one rtnetlink socket type (src/net/rtnl.ts), so
 * they share its bounded batches and its error decoding: a refusal becomes a
 * KernelError naming the object (`qdisc netem on r1:eth1`), the kernel's own
 * message, and for an unknown qdisc or filter kind the kernel module.
 */
import { tcBody } from '../net/messages.js';
import { NLM_F, RTM, type FeatureRule, type Rtnl } from '../net/rtnl.js';
import type { QdiscOp } from './plan.js';
import { TC_H_ROOT } from './tcmath.js';

/** The kernel feature behind each tc kind netlab uses, as KernelError names it. */
export const KIND_FEATURE: Record<string, string> = {
  tbf: 'sch_tbf (CONFIG_NET_SCH_TBF)',
  htb: 'sch_htb (CONFIG_NET_SCH_HTB)',
  netem: 'sch_netem (CONFIG_NET_SCH_NETEM)',
  cgroup: 'cls_cgroup (CONFIG_NET_CLS_CGROUP)',
};

/**
 * What the kernel says when the kind itself is unknown (it answers ENOENT once
 * request_module has failed): "Specified qdisc kind is unknown" (Linux 6.3+),
 * "Specified qdisc not found" (4.16–6.2), "TC classifier not found" (filters),
 * net/sched/sch_api.c and cls_api.c. ENOENT with another message (e.g.
 * "Failed to find specified qdisc": no such parent) is not a missing module.
 */
export const UNKNOWN_KIND_MESSAGE = /kind is unknown|^Specified qdisc not found|classifier not found/i;

/** The ENOENT rule that names the module behind `kind` (none for classes: their kind is their qdisc's). */
export function kindFeature(object: QdiscOp['object'], kind: string): Partial<Record<string, FeatureRule>> {
  const feature = object === 'class' ? undefined : KIND_FEATURE[kind];
  return feature ? { ENOENT: { feature, message: UNKNOWN_KIND_MESSAGE } } : {};
}

const NEW: Record<QdiscOp['object'], number> = { qdisc: RTM.NEWQDISC, class: RTM.NEWTCLASS, filter: RTM.NEWTFILTER };

/**
 * Sends one planned operation to interface `ifindex`. `replace` sends
 * NLM_F_CREATE|NLM_F_REPLACE (create, or change in place when an object with
 * this handle and kind exists); otherwise NLM_F_CREATE|NLM_F_EXCL.
 * @throws KernelError naming `<op.what> on <label>`; a kind the kernel does not
 *   know names its module (see UNKNOWN_KIND_MESSAGE).
 */
export async function sendOp(rtnl: Rtnl, ifindex: number, op: QdiscOp, label: string, replace = false): Promise<void> {
  await rtnl.request(NEW[op.object], tcBody({ ifindex, handle: op.handle, parent: op.parent, info: op.info }, op.kind, op.options), {
    object: `${op.what} on ${label}`,
    flags: NLM_F.CREATE | (replace ? NLM_F.REPLACE : NLM_F.EXCL),
    features: kindFeature(op.object, op.kind),
  });
}

/**
 * Deletes the root qdisc of `ifindex` (the kernel puts the default back and
 * destroys everything under it). ENOENT/EINVAL (nothing to delete) are not errors.
 */
export async function deleteRoot(rtnl: Rtnl, ifindex: number, label: string): Promise<void> {
  await rtnl.request(RTM.DELQDISC, tcBody({ ifindex, parent: TC_H_ROOT }), { object: `root qdisc on ${label}`, ignore: ['ENOENT', 'EINVAL'] });
}

/** Deletes one qdisc by parent and handle (a leaf under an htb class); absent is not an error. */
export async function deleteQdisc(rtnl: Rtnl, ifindex: number, parent: number, handle: number, what: string): Promise<void> {
  await rtnl.request(RTM.DELQDISC, tcBody({ ifindex, parent, handle }), { object: what, ignore: ['ENOENT'] });
}
