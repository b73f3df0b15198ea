/**
 * src/shaping: tc qdiscs, classes and filters (tbf, htb, netem) and node
 * traffic classes. What the rest of netlab calls. (Link up/down and link
 * state are interface operations: src/net/iface.ts.)
 */
export type { Shaping, NetClass, DelayDistribution } from './types.js';
export { planShaping, shapingLayout, hasRate, type QdiscOp, type Layout, type PlannedClass, type PlanOptions } from './plan.js';
export { applyShaping, removeShaping, installedClasses, type ApplyOptions, type ApplyResult } from './apply.js';
export { readShaping, decodeTree, type ShapingStatus, type TcCounters, type InstalledClass } from './read.js';
export { probeQdiscSupport, supportReport, type ShapingSupport, type DoctorItem } from './probe.js';
export { mergeShaping } from './merge.js';
export { describeShaping } from '../topology/shaping.js';
export { formatRate } from '../topology/units.js';
export { hasImpairment } from './netem.js';
export { loadDistribution } from './distribution.js';
export {
  planClasses, applyClasses, removeClasses, classCgroupProcs, joinClass,
  type ClassNodeSpec, type ClassesRecord, type ClassesNodeRecord, type ApplyClassesOptions,
} from './classes.js';
export { nftRuleset, iptablesRules, type Classifier, type ClassMatch } from './classify.js';
export type { ClassHierarchy, ClassHierarchyMode } from './cgroups.js';
