/**
 * `priority:` of a node: the skb->priority its own packets carry (see
 * src/shaping/priority.ts for how it is set and which qdiscs use it).
 */
import { TopologyError } from '../errors.js';

/** The largest priority: skb->priority is a u32 (include/linux/skbuff.h). */
export const MAX_PRIORITY = 0xffffffff;

/** Why a value is not a priority, or undefined when it is one (the schema's `priority` format). Pure. */
export function priorityProblem(v: unknown): { what: string; hint: string } | undefined {
  return priorityValue(v) === undefined
    ? {
      what: `priority ${JSON.stringify(v)} is neither a whole number from 0 to ${MAX_PRIORITY} nor a tc handle MAJOR:MINOR`,
      hint: 'write e.g. priority: 6 (the first band of a prio qdisc with its default priomap) or priority: "1:2" (band 2 of the prio qdisc 1:)',
    }
    : undefined;
}

function priorityValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= MAX_PRIORITY ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d{1,10}$/.test(s)) return Number(s) <= MAX_PRIORITY ? Number(s) : undefined;
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(s);
  return m ? (parseInt(m[1]!, 16) * 0x10000 + parseInt(m[2]!, 16)) >>> 0 : undefined;
}

/**
 * A priority as written in a topology: a whole number 0..2^32−1 (what
 * SO_PRIORITY and net_prio take; 0–15 choose a prio qdisc's band through its
 * priomap, where 6 and 7 are the first band), or a tc handle `MAJOR:MINOR` in
 * hex as tc writes it (`1:2`: band 2 of the prio qdisc 1:, or htb class 1:2).
 * 0 is no priority. Pure.
 * @returns the u32 value of skb->priority.
 * @throws TopologyError at `where` for anything else.
 */
export function parsePriority(v: unknown, where: string): number {
  const p = priorityValue(v);
  if (p === undefined) {
    const problem = priorityProblem(v)!;
    throw new TopologyError(where, problem.what, problem.hint);
  }
  return p;
}

/** `6` for 6, `1:2` for 0x00010002: how `up --dry-run` and errors show a priority. Pure. */
export function formatPriority(p: number): string {
  return p >>> 16 ? `${(p >>> 16).toString(16)}:${(p & 0xffff).toString(16)}` : String(p);
}
