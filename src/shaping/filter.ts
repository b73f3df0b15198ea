/**
 * The cls_cgroup filter (net/sched/cls_cgroup.c), which sends a packet to the
 * htb class named by its socket's net_cls classid, on kernels that have it.
 */

/**
 * TCA_OPTIONS payload of a cls_cgroup filter: empty (no actions, no ematches);
 * tc sends an empty nest too (tc/f_cgroup.c).
 */
export function encodeCgroupFilter(): Buffer {
  return Buffer.alloc(0);
}

/** ETH_P_ALL in network byte order, as tcm_info's low 16 bits want it. */
export const ETH_P_ALL_BE = 0x0300;

/** tcm_info of a filter: priority in the high 16 bits, protocol (network order) in the low (TC_H_MAKE). */
export function filterInfo(prio: number, protoBe = ETH_P_ALL_BE): number {
  return ((prio & 0xffff) * 0x10000 + (protoBe & 0xffff)) >>> 0;
}
