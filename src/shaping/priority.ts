/**
 * A node's packet priority (`priority:` on a node): the skb->priority of
 * every packet the node sends itself (its processes' and its kernel's own,
 * such as ICMP errors and IPv6 neighbour discovery), which a `prio` or `mqprio`
 * qdisc on its links sorts into bands or traffic classes — what the cgroup v1
 * net_prio controller does for a cgroup's sockets on the host.
 *
 * Why not net_prio itself: its `net_prio.ifpriomap` names interfaces of the
 * host's first network namespace only (net/core/netprio_cgroup.c,
 * write_priomap: `dev_get_by_name(&init_net, devname)`), and every interface
 * of a node lives in the node's own namespace; it has no cgroup v2 form at
 * all; and a v1 hierarchy netlab mounted would hand a node a `release_agent`
 * (docs/decisions.md). So netlab sets the priority where the node's packets
 * leave their sockets, the same way on cgroup v1, hybrid and v2 hosts: one
 * nftables rule in the node's network namespace,
 *
 *     meta priority none meta priority set 0:6
 *
 * in table `inet netlab_priority`, output hook, hook priority 10 — after
 * `classes:` (table netlab_classes, hook priority 0), whose class wins for a
 * process run in a class. Like net_prio (net/core/dev.c, skb_update_prio),
 * it leaves a packet alone whose socket set a priority itself (SO_PRIORITY),
 * and it covers what the node sends, not what it forwards.
 *
 * How a qdisc uses it (tc-prio(8), tc-mqprio(8)): prio takes a priority whose
 * major number is its own handle (`1:2`) as the band directly, else the band
 * of `priomap[priority & 15]` (default priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1:
 * 6 and 7 go to band 0, the first served); mqprio maps `priority & 15` to a
 * traffic class; htb takes a priority equal to one of its classids as that class.
 */
import { NetlabError } from '../errors.js';
import { runInNetns } from './classify.js';

/** nftables table of the node priority rule. */
export const PRIORITY_TABLE = 'netlab_priority';
/** Hook priority of its chain: after table netlab_classes (0), so a class set for a process wins. */
export const PRIORITY_HOOK = 10;
/**
 * The nft script that (re)creates table inet netlab_priority: packets of the
 * node's sockets that carry no priority of their own get `priority`. It
 * declares and deletes the table first, so loading it replaces an older
 * version in one transaction; priority 0 gives the empty table's removal. Pure.
 */
export function priorityRuleset(priority: number): string {
  const reset = `table inet ${PRIORITY_TABLE}\ndelete table inet ${PRIORITY_TABLE}\n`;
  if (priority === 0) return reset;
  const hi = priority >>> 16;
  const lo = priority & 0xffff;
  return reset + [
    `table inet ${PRIORITY_TABLE} {`,
    '  chain output {',
    `    type filter hook output priority ${PRIORITY_HOOK}; policy accept;`,
    `    meta priority none meta priority set ${hi.toString(16)}:${lo.toString(16)}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Sets the priority of what the node at `netnsPath` sends (0: removes it).
 * Runs `nft -f -` in the node's network namespace (nsenter --net).
 * @throws NetlabError naming the node when nft is missing or refuses (nft's own words).
 */
export function applyPriority(netnsPath: string, node: string, priority: number): void {
  const err = runInNetns(netnsPath, 'nft', ['-f', '-'], priorityRuleset(priority));
  if (err) {
    throw new NetlabError(`nodes.${node}.priority`, `cannot set the priority of ${node}'s packets: nft: ${err}`,
      'install nftables (apt install nftables) and a kernel with nf_tables (CONFIG_NF_TABLES, CONFIG_NFT_META), or leave priority: out');
  }
}
