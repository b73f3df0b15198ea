/**
 * Does a lab fit this host? Before any node starts, `up` adds up what its
 * nodes will take (each kind's measured `memoryBytes`, src/daemons/*.ts) and
 * compares it with the host's MemAvailable and with the lab's memory limit;
 * a lab that cannot fit is refused with the numbers, unless the user says
 * `--force` (then the lab's memory limit keeps the host alive: the kernel's
 * OOM killer picks inside the lab).
 */
import { getKind } from '../daemons/registry.js';
import { NetlabError } from '../errors.js';
import { labMemoryBytes, type HostMemory } from '../core/limits.js';
import { isLan } from '../topology/link-types/index.js';
import type { Topology } from '../topology/types.js';

/** The nodes of one kind and what they need together. */
export interface KindNeed {
  kind: string;
  count: number;
  /** count × the kind's memoryBytes. */
  bytes: number;
}

/** What a lab will take, bytes, by kind (in order of first appearance). */
export interface LabNeed {
  bytes: number;
  byKind: KindNeed[];
}

/**
 * The memory a lab needs once it runs: per node its kind's `memoryBytes`
 * (measured on an idle lab, docs/performance.md), plus one idle node for the
 * lab's hidden LAN namespace when it has LANs. Pure.
 */
export function labMemoryNeed(t: Topology): LabNeed {
  const byKind = new Map<string, KindNeed>();
  const add = (kind: string, count: number): void => {
    const k = byKind.get(kind) ?? { kind, count: 0, bytes: 0 };
    k.count += count;
    k.bytes += count * getKind(kind).facts.memoryBytes;
    byKind.set(kind, k);
  };
  for (const n of t.nodes) add(n.kind, 1);
  const segments = t.links.some(isLan);
  const list = [...byKind.values()];
  const bytes = list.reduce((s, k) => s + k.bytes, 0) + (segments ? getKind('linux').facts.memoryBytes : 0);
  return { bytes, byKind: list };
}

/** 13958643712 → "13 GiB", 1572864 → "1.5 MiB": two significant digits, binary units. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 10 || u === 0 ? Math.round(v) : Math.round(v * 10) / 10} ${units[u]}`;
}

/** "1,024 FRR routers and 3 linux nodes". */
function describe(need: LabNeed): string {
  const parts = need.byKind.map((k) => {
    const [one, many] = getKind(k.kind).facts.noun;
    return `${k.count.toLocaleString('en-US')} ${k.count === 1 ? one : many}`;
  });
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0] ?? 'no nodes';
}

/**
 * Refuses a lab that will not fit: more memory needed (labMemoryNeed) than
 * the host has available, or than the lab's memory limit (`limits.memory`,
 * default 90 % of MemTotal) allows. Pure given `host`; `up` and issue 20's
 * large-lab runs call it with hostMemory().
 * @throws NetlabError (exit 1) with both numbers and what to do:
 *   "1,024 FRR routers need about 18 GiB of memory; this host has 9.1 GiB available".
 */
export function checkCapacity(t: Topology, host: HostMemory, opts: { force?: boolean } = {}): LabNeed {
  const need = labMemoryNeed(t);
  if (opts.force) return need;
  const force = `or start it anyway: netlab up --force (the lab's memory limit then keeps the host alive; its nodes are OOM-killed first)`;
  if (need.bytes > host.availableBytes) {
    throw new NetlabError(`lab ${t.name}`, `${describe(need)} need about ${formatBytes(need.bytes)} of memory; this host has ${formatBytes(host.availableBytes)} available`,
      `free memory or run a smaller lab, ${force}`);
  }
  const cap = labMemoryBytes(t.limits, host);
  if (need.bytes > cap) {
    throw new NetlabError('limits.memory', `${describe(need)} need about ${formatBytes(need.bytes)} of memory; the lab's memory limit is ${formatBytes(cap)}`,
      `raise limits.memory (e.g. limits: { memory: ${formatBytes(need.bytes * 1.25).replace(/ ([KMGT])iB/, '$1').replace(' B', '')} }), ${force}`);
  }
  return need;
}
