/**
 * The namespaces of a lab that are not nodes, and how each layer names them.
 *
 * A plan action names the namespace it works in by node name, or by one of two
 * pseudo-nodes: SEGMENTS, the lab's hidden namespace that holds the LAN
 * bridges, and HOST, the host's own network namespace (host links, the
 * management network). The core (src/core, the State file's `nodes`) knows the
 * segment namespace as a node of its own, SEGMENTS_NODE. Node names start with
 * a letter (names.ts checkNodeName), so none of these can be a node's name, and
 * `isHidden` tells them apart from nodes in one place.
 */

/** Plan pseudo-node: the per-lab namespace that holds LAN segment bridges. */
export const SEGMENTS = '.segments';
/** Plan pseudo-node: the host's network namespace. */
export const HOST = '.host';
/**
 * The core's (and the State file's) node name of the segment namespace. It is
 * on disk in the State of running labs, so it keeps its spelling.
 */
export const SEGMENTS_NODE = '_segments';

/**
 * True for a namespace that is netlab's, not a node of the lab: the plan's
 * SEGMENTS and HOST, and the core's SEGMENTS_NODE (any name that does not start
 * with a letter: node names do).
 */
export function isHidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** The core's name of a plan node: SEGMENTS → SEGMENTS_NODE, a node → itself. */
export function coreName(planNode: string): string {
  return planNode === SEGMENTS ? SEGMENTS_NODE : planNode;
}

/** The plan's name of a core node: SEGMENTS_NODE → SEGMENTS, a node → itself. */
export function planName(coreNode: string): string {
  return coreNode === SEGMENTS_NODE ? SEGMENTS : coreNode;
}
