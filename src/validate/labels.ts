/**
 * Names for what a check sees: an address becomes "10.1.0.1 (r2)", a router
 * id "10.0.0.2 (r2)", so a student reading a failure knows which node is
 * meant without looking addresses up.
 */
import { nodeAddresses, routerId } from '../topology/tests.js';
import type { Topology } from '../topology/types.js';
import { isHostEndpoint } from '../topology/endpoints.js';

interface Labels {
  /** Address (no prefix length) → node name. */
  byAddress: Map<string, string>;
  /** OSPF router id → node name. */
  byRouterId: Map<string, string>;
  /** `node:iface` → the node at the other end (p2p links). */
  peerOf: Map<string, string>;
}

const cache = new WeakMap<Topology, Labels>();

function labels(t: Topology): Labels {
  let l = cache.get(t);
  if (l) return l;
  l = { byAddress: new Map(), byRouterId: new Map(), peerOf: new Map() };
  for (const n of t.nodes) {
    for (const a of nodeAddresses(n, 0)) if (!l.byAddress.has(a)) l.byAddress.set(a, n.name);
    const id = routerId(n);
    if (id && !l.byRouterId.has(id)) l.byRouterId.set(id, n.name);
    for (const i of n.interfaces) if (i.peer && !isHostEndpoint(i.peer)) l.peerOf.set(`${n.name}:${i.name}`, i.peer.node);
  }
  cache.set(t, l);
  return l;
}

/** The node that has `address`, or undefined. */
export function nodeOfAddress(t: Topology, address: string): string | undefined {
  return labels(t).byAddress.get(address.split('/')[0]!);
}

/** "10.1.0.1 (r2)", or the address alone when no node has it. */
export function labelAddress(t: Topology, address: string): string {
  const n = nodeOfAddress(t, address);
  return n ? `${address} (${n})` : address;
}

/** "10.0.0.2 (r2)" for a router id, or the id alone. */
export function labelRouterId(t: Topology, id: string): string {
  const n = labels(t).byRouterId.get(id) ?? labels(t).byAddress.get(id);
  return n ? `${id} (${n})` : id;
}

/** The node at the other end of `node:iface` (point-to-point links), or undefined. */
export function peerOfInterface(t: Topology, node: string, iface: string): string | undefined {
  return labels(t).peerOf.get(`${node}:${iface}`);
}

/** "1 route" / "3 routes". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** At most `max` lines of `lines`, then "… N more". */
export function clip(lines: readonly string[], max = 30): string[] {
  if (lines.length <= max) return [...lines];
  return [...lines.slice(0, max), `… ${lines.length - max} more`];
}

/** The last `max` lines of a command's output (trailing blank lines dropped). */
export function tail(text: string, max = 20): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length <= max) return lines.join('\n');
  return [`… ${lines.length - max} earlier lines`, ...lines.slice(-max)].join('\n');
}

export { firstLine } from '../topology/clip.js';
