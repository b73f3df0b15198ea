/**
 * Address pools: the `addressing:` block with its defaults, and handing out
 * blocks from a pool while skipping what explicit addresses already took.
 */
import { TopologyError } from '../errors.js';
import type { Addressing, Pool } from './types.js';
import { bits, formatCidr, network, overlaps, parseCidr, range, size, type Cidr, type Family } from './ip.js';
import { formatPath, type PathPart } from './path.js';
import type { AddressingInput } from './schema/source.js';

/** Pool names and their defaults (docs/decisions.md: IPv4 only unless IPv6 pools are given). */
export const POOL_DEFAULTS: Record<keyof Omit<Addressing, 'enabled'>, { family: Family; cidr?: string; prefix: number; what: string }> = {
  loopback: { family: 4, cidr: '10.0.0.0/16', prefix: 32, what: 'node loopbacks' },
  loopback6: { family: 6, prefix: 128, what: 'node IPv6 loopbacks' },
  p2p: { family: 4, cidr: '10.1.0.0/16', prefix: 31, what: 'point-to-point and host links' },
  lan: { family: 4, cidr: '172.16.0.0/12', prefix: 24, what: 'LAN segments' },
  ipv6: { family: 6, prefix: 64, what: 'links' },
};

export type PoolName = keyof typeof POOL_DEFAULTS;

/** A pool ready to allocate from. */
export interface LivePool {
  name: PoolName;
  pool: Pool;
  cidr: Cidr;
  /** Where the pool is set (or would be set) in the file. */
  path: PathPart[];
  /** Whether the user wrote it (otherwise it is a default). */
  given: boolean;
}

/**
 * Resolves `addressing:` (absent, false, or a mapping of pools).
 * @throws TopologyError when a block prefix is shorter than its pool, a p2p
 *   block is longer than /31, or two pools overlap.
 */
export function resolvePools(raw: AddressingInput | undefined): { addressing: Addressing; live: Partial<Record<PoolName, LivePool>> } {
  if (raw === false) return { addressing: { enabled: false }, live: {} };
  const given = raw ?? {};
  const addressing: Addressing = { enabled: true };
  const live: Partial<Record<PoolName, LivePool>> = {};
  for (const [name, def] of Object.entries(POOL_DEFAULTS) as [PoolName, (typeof POOL_DEFAULTS)[PoolName]][]) {
    const v = given[name];
    if (v === false) continue;
    const path: PathPart[] = ['addressing', name];
    let cidrText = def.cidr;
    let prefix = def.prefix;
    if (typeof v === 'string') cidrText = v;
    else if (v && typeof v === 'object') {
      cidrText = v.pool;
      prefix = v.prefix ?? prefix;
    }
    if (!cidrText) continue;
    const cidr = parseCidr(cidrText)!;
    const where = formatPath(v && typeof v === 'object' && v.prefix !== undefined ? [...path, 'prefix'] : path);
    if (prefix < cidr.len) throw new TopologyError(where, `blocks of /${prefix} do not fit in the pool ${cidrText}`, `use a prefix of ${cidr.len} or more`);
    if (prefix > bits(def.family)) throw new TopologyError(where, `/${prefix} is not an IPv${def.family} prefix length`, 'use a smaller number');
    if (name === 'p2p' && prefix > 31) throw new TopologyError(where, `point-to-point blocks of /${prefix} hold one address; a link has two ends`, 'use 31 (RFC 3021) or 30');
    if (name === 'lan' && prefix > 30) throw new TopologyError(where, `LAN blocks of /${prefix} are too small for a LAN`, 'use 24, or at most 29');
    addressing[name] = { cidr: formatCidr(cidr), prefix };
    live[name] = { name, pool: addressing[name]!, cidr, path, given: v !== undefined };
  }
  const list = Object.values(live);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!, b = list[j]!;
      if (overlaps(a.cidr, b.cidr)) {
        const later = b.given ? b : a, other = later === b ? a : b;
        throw new TopologyError(formatPath(later.path), `pool ${later.pool.cidr} overlaps addressing.${other.name} ${other.pool.cidr}${other.given ? '' : ' (a default)'}`,
          `pools must not overlap; move one, or set addressing.${other.name}: false`);
      }
    }
  }
  return { addressing, live };
}

/** Private ranges a larger pool is looked for in, in order (RFC 1918, RFC 6598; RFC 3849, RFC 4193). */
const PRIVATE: Record<Family, readonly string[]> = {
  4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'],
  6: ['2001:db8::/32', 'fd00::/8'],
};

/**
 * The first /len block, aligned, in the private ranges of `family` that
 * touches none of the `avoid` ranges (inclusive, any order), or undefined. Pure.
 */
export function freeBlock(family: Family, len: number, avoid: readonly [bigint, bigint][]): Cidr | undefined {
  const bs = size(family, len);
  const sorted = [...avoid].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const text of PRIVATE[family]) {
    const r = parseCidr(text)!;
    if (len < r.len) continue;
    const [first, last] = range(r);
    let start = first;
    while (start + bs - 1n <= last) {
      const end = start + bs - 1n;
      const hit = sorted.find(([a, b]) => a <= end && b >= start);
      if (!hit) return { family, addr: start, len };
      start = ((hit[1] + 1n + bs - 1n) / bs) * bs; // the next aligned block after the range it hit
    }
  }
  return undefined;
}

/**
 * Takes `count` blocks of /prefix from the pool in order, skipping any block
 * that touches a reserved range (sorted by start, non-overlapping, inclusive).
 * Loopback pools skip their first block (so node 1 gets 10.0.0.1, not 10.0.0.0).
 * `others` are the ranges of the lab's other pools: the hint's larger pool overlaps none of them.
 * @throws TopologyError stating how many blocks were needed and how many the pool has.
 */
export function allocate(p: LivePool, count: number, reserved: readonly [bigint, bigint][], what: string, others: readonly Cidr[] = []): bigint[] {
  const out: bigint[] = [];
  if (count === 0) return out;
  const { family } = p.cidr;
  const bs = size(family, p.pool.prefix);
  const base = network(p.cidr);
  const total = size(family, p.cidr.len) / bs;
  const skipFirst = p.name === 'loopback' || p.name === 'loopback6';
  let idx = skipFirst ? 1n : 0n;
  let r = 0;
  while (out.length < count && idx < total) {
    const start = base + idx * bs;
    const end = start + bs - 1n;
    while (r < reserved.length && reserved[r]![1] < start) r++;
    if (r < reserved.length && reserved[r]![0] <= end) {
      idx = (reserved[r]![1] - base) / bs + 1n;
      continue;
    }
    out.push(start);
    idx++;
  }
  if (out.length < count) {
    const taken = Number(total - (skipFirst ? 1n : 0n)) - out.length;
    const want = count + taken + (skipFirst ? 1 : 0);
    const len = Math.max(0, p.pool.prefix - Math.ceil(Math.log2(want)));
    // The pool's own supernet when that is free; else a free block of that size elsewhere: never one that overlaps another pool.
    const pools = others.filter((o) => o.family === family);
    const own: Cidr = { family, addr: network({ family, addr: base, len }), len };
    const free = pools.some((o) => overlaps(o, own)) ? freeBlock(family, len, [...reserved, ...pools.map((o) => range(o))]) : own;
    const bigger = free ? formatCidr(free) : `a /${len} that overlaps no other pool`;
    throw new TopologyError(formatPath(p.path),
      `pool ${p.pool.cidr} is too small: the lab needs ${count} /${p.pool.prefix} blocks for ${what}, the pool has ${out.length} available` +
      (taken > 0 ? ` (${Number(total)} in all, ${taken} taken by explicit addresses or skipped)` : ''),
      `give a larger pool, e.g. addressing: { ${p.name}: ${bigger} }`);
  }
  return out;
}
