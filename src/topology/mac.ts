/**
 * Deterministic MAC addresses: 3 bytes from a hash of the lab name, 3 bytes of
 * a per-interface counter. The first byte has the locally-administered bit set
 * and the multicast bit clear (IEEE 802: bit 1 = U/L, bit 0 = I/G), so the
 * addresses never collide with vendor (universally administered) MACs; inside
 * one lab they are unique for up to 16,777,215 interfaces, and two labs differ
 * in 22 hash bits.
 */
import { createHash } from 'node:crypto';
import { TopologyError } from '../errors.js';

/** Largest counter a lab can use (24 bits). */
export const MAC_COUNTER_MAX = 0xffffff;

/** The 3-byte lab prefix, e.g. [0x36, 0x9f, 0x01]. */
export function macPrefix(lab: string): [number, number, number] {
  const h = createHash('sha256').update(`netlab:${lab}`).digest();
  return [(h[0]! & 0xfc) | 0x02, h[1]!, h[2]!];
}

/**
 * The MAC of interface number `counter` (1-based) of a lab with this prefix,
 * lower-case, colon-separated.
 * @throws RangeError when counter is outside 1…MAC_COUNTER_MAX.
 */
export function macFor(prefix: readonly number[], counter: number): string {
  if (!Number.isInteger(counter) || counter < 1 || counter > MAC_COUNTER_MAX) {
    throw new RangeError(`MAC counter ${counter} outside 1..${MAC_COUNTER_MAX}`);
  }
  const b = [prefix[0]!, prefix[1]!, prefix[2]!, (counter >> 16) & 0xff, (counter >> 8) & 0xff, counter & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A short hex tag of the lab name (for host-side names that must differ between labs). */
export function labTag(lab: string, hexDigits = 5): string {
  return createHash('sha256').update(`netlab:${lab}`).digest('hex').slice(0, hexDigits);
}

/** Counts MACs handed out; starts at 1. */
export interface MacCounter {
  prefix: [number, number, number];
  next: number;
  used: Map<string, string>;
}

/** Takes the next MAC, or uses an explicit one, checking it is unique in the lab. */
export function takeMac(c: MacCounter, explicit: string | undefined, where: string): string {
  if (c.next > MAC_COUNTER_MAX) throw new TopologyError(where, `more than ${MAC_COUNTER_MAX} interfaces in one lab`, 'split the lab');
  const generated = macFor(c.prefix, c.next++);
  const mac = explicit?.toLowerCase() ?? generated;
  const other = c.used.get(mac);
  if (other !== undefined) throw new TopologyError(where, `MAC ${mac} is also used by ${other}`, 'give each interface its own MAC, or leave mac: out');
  c.used.set(mac, where);
  return mac;
}
