/**
 * What a lab may not ask for when netlab runs without root (docs/rootless.md):
 * objects in the host's own namespaces, which only host root may make. Pure:
 * `up` calls it before anything starts, and unit tests call it directly.
 */
import { isHostEndpoint } from './endpoints.js';
import type { Topology } from './types.js';

/** One refusal: where in the topology, what is wrong, and what to do. */
export interface RootlessRefusal {
  /** Path in the topology, as in every netlab error: `links[3].endpoints[1]`, `mgmt`, `nodes.r1.resources.devices`. */
  where: string;
  what: string;
  hint: string;
}

const ASK_ROOT = 'run this lab as root (sudo netlab up …), or drop it for the rootless lab';

/**
 * Everything in `t` that needs host root: a management network (`mgmt:`), a
 * host link (`host:IFNAME`), a macvlan link (on a host interface),
 * `userns: false` (node root = host root) and `resources.devices` (host
 * devices), in topology order. [] when the lab can run without root.
 */
export function rootlessRefusals(t: Topology): RootlessRefusal[] {
  const out: RootlessRefusal[] = [];
  if (t.mgmt) out.push({ where: 'mgmt', what: 'a management network is a bridge in the host\'s network namespace, which only root may make', hint: ASK_ROOT });
  if (!t.userns) out.push({ where: 'userns', what: 'userns: false makes the nodes\' root the host\'s root, which a lab without root cannot give', hint: 'drop userns: false (a rootless lab\'s nodes run in your own user namespace), or run the lab as root' });
  for (const l of t.links) {
    const hostAt = l.endpoints.findIndex((e) => isHostEndpoint(e));
    if (hostAt >= 0) {
      out.push({ where: `links[${l.index}].endpoints[${hostAt}]`, what: 'a host link puts a veth end into the host\'s network namespace, which only root may do', hint: ASK_ROOT });
    } else if (l.macvlan) {
      out.push({ where: `links[${l.index}]`, what: `a macvlan link sits on the host interface ${l.macvlan.parent}, which only root may use`, hint: ASK_ROOT });
    }
  }
  for (const n of t.nodes) {
    if (n.resources.devices?.length) {
      out.push({ where: `nodes.${n.name}.resources.devices`, what: 'host devices are given to nodes through cgroups and bind mounts that only root may make', hint: ASK_ROOT });
    }
  }
  return out;
}
