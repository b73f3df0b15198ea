/**
 * The arithmetic tc and the kernel agree on: handles, scheduler ticks, rate
 * specs with their rate tables, netem's scaled probabilities, and netlab's
 * default bucket and queue sizes. Pure functions.
 *
 * Sources: include/uapi/linux/pkt_sched.h (struct tc_ratespec, TC_H_*),
 * include/net/pkt_sched.h (PSCHED_SHIFT = 6: one tick is 64 ns, which
 * /proc/net/psched reports as "000003e8 00000040"), and iproute2's tc/tc_core.c
 * for how tc fills rate tables (reproduced here so that netlab sends what tc sends).
 */
import { TopologyError } from '../errors.js';

/**
 * Truncates to an unsigned 32-bit integer, saturating at 0 and 2^32 - 1: what
 * tc and the kernel do where a time or probability overflows its u32 field
 * (tc_core_time2tick, min_t(..., ~0U)). The attribute encoder refuses such
 * values (src/net/nlattr.ts); this is where tc's saturation is meant.
 */
export function clampU32(v: number): number {
  if (!(v > 0)) return 0;
  return v >= 0xffffffff ? 0xffffffff : Math.trunc(v);
}

/** tcm_parent of a root qdisc. */
export const TC_H_ROOT = 0xffffffff;
/** Scheduler ticks per microsecond: 1 tick = 2^6 ns (PSCHED_SHIFT). */
export const TICKS_PER_USEC = 1000 / 64;
/** Ethernet header bytes counted by qdiscs on a veth (skb->len includes it). */
export const ETH_HLEN = 14;
/** TC_LINKLAYER_ETHERNET: tells the kernel to ignore the rate table (it computes lengths itself). */
export const TC_LINKLAYER_ETHERNET = 1;
/** Rates at or above this many bytes/s do not fit tc_ratespec.rate and go in a *_RATE64 attribute. */
export const RATE32_LIMIT = 2 ** 32;

/** A tc handle from major and minor (TC_H_MAKE). */
export function tcHandle(major: number, minor: number): number {
  return ((major & 0xffff) * 0x10000 + (minor & 0xffff)) >>> 0;
}

/** tc's notation of a handle: hex `major:minor`, minor left out when 0 (`1:`, `1:11`, `root`). */
export function formatHandle(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  const major = (h >>> 16).toString(16);
  const minor = h & 0xffff;
  return minor ? `${major}:${minor.toString(16)}` : `${major}:`;
}

/** Parses `1:11`, `1:` or `root` (hex, as tc does). @throws Error on anything else. */
export function parseHandle(s: string): number {
  if (s === 'root') return TC_H_ROOT;
  const m = /^([0-9a-f]{1,4}):([0-9a-f]{0,4})$/i.exec(s);
  if (!m) throw new Error(`not a tc handle: "${s}"`);
  return tcHandle(parseInt(m[1]!, 16), m[2] ? parseInt(m[2], 16) : 0);
}

/** Frame bytes of a full-size packet on an Ethernet-like link of this MTU. */
export function frameBytes(mtu: number): number {
  return mtu + ETH_HLEN;
}

/**
 * Microseconds → ticks the way tc does (tc_core_time2tick: the microseconds are
 * an unsigned integer, the product is truncated). Saturates at 2^32 - 1.
 */
export function usToTicks(us: number): number {
  return clampU32(Math.trunc(Math.trunc(us) * TICKS_PER_USEC));
}

/** Ticks → microseconds (float). */
export function ticksToUs(ticks: number): number {
  return ticks / TICKS_PER_USEC;
}

/**
 * Ticks needed to send `sizeBytes` at `rateBytes` bytes/s (tc_calc_xmittime).
 * Saturates at 2^32 - 1; use {@link xmitTicksFits} to detect that.
 */
export function xmitTicks(rateBytes: number, sizeBytes: number): number {
  return usToTicks(1e6 * (sizeBytes / rateBytes)); // this order of operations, as tc's C does it
}

/** False when the time to send `sizeBytes` at `rateBytes` overflows a u32 tick count (about 274 s). */
export function xmitTicksFits(rateBytes: number, sizeBytes: number): boolean {
  return Math.trunc(1e6 * (sizeBytes / rateBytes)) * TICKS_PER_USEC < 2 ** 32;
}

/** Bytes sent in `ticks` at `rateBytes` bytes/s, rounded (inverse of xmitTicks, for decoding dumps). */
export function xmitBytes(rateBytes: number, ticks: number): number {
  return Math.round((rateBytes * ticksToUs(ticks)) / 1e6);
}

/** Bits/s → bytes/s as tc does it (integer division by 8). */
export function bytesPerSec(rateBps: number): number {
  return Math.floor(rateBps / 8);
}

/**
 * struct tc_ratespec (12 bytes) and its 256-entry rate table (1 KiB), as
 * tc_calc_rtable builds them for an Ethernet link layer: cell_log chosen so
 * that `tableMtu` fits 256 cells, cell_align -1, each entry the ticks to send
 * (i + 1) << cell_log bytes. `rateBytes` ≥ 2^32 is stored as ~0 (the caller
 * adds a RATE64 attribute). The kernel ignores the table when linklayer is
 * set, but tc sends it and older kernels need it, so netlab sends it too.
 */
export function rateSpec(rateBytes: number, tableMtu: number): { spec: Buffer; table: Buffer } {
  const rate32 = rateBytes >= RATE32_LIMIT ? 0xffffffff : rateBytes;
  let cellLog = 0;
  while (tableMtu >> cellLog > 255) cellLog++;
  const spec = Buffer.alloc(12);
  spec.writeUInt8(cellLog, 0);
  spec.writeUInt8(TC_LINKLAYER_ETHERNET, 1);
  spec.writeUInt16LE(0, 2); // overhead
  spec.writeInt16LE(-1, 4); // cell_align
  spec.writeUInt16LE(0, 6); // mpu
  spec.writeUInt32LE(rate32, 8);
  const table = Buffer.alloc(1024);
  for (let i = 0; i < 256; i++) table.writeUInt32LE(xmitTicks(rate32, (i + 1) << cellLog), i * 4);
  return { spec, table };
}

/** The rate (bytes/s) in a tc_ratespec at `off`. */
export function readRateSpecRate(b: Buffer, off: number): number {
  return b.readUInt32LE(off + 8);
}

/** netem's "percent" scale: 0 → 0, 100 → 2^32 - 1 (tc's set_percent: rint(p × UINT32_MAX)). */
export function percentToU32(percent: number): number {
  return clampU32(rint((percent / 100) * 0xffffffff));
}

/**
 * The percent a scaled u32 stands for, rounded to 7 decimals. One step of the
 * scale is 2.3e-8 %, so any percentage given with up to 7 decimals comes back
 * as given (0.01 % is stored as 429497 and read as 0.01).
 */
export function u32ToPercent(v: number): number {
  return Number(((v / 0xffffffff) * 100).toFixed(7));
}

/** C's rint(): round half to even. */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Default token bucket, seconds of traffic at the rate (defaultBurstBytes). */
export const DEFAULT_BURST_S = 0.010;

/**
 * Default token-bucket size, bytes: the larger of two full frames and 10 ms at
 * the rate (DEFAULT_BURST_S), and never more than the kernel's u32
 * (MAX_BURST_BYTES). tc-tbf(8) asks for at least rate/HZ and notes that
 * 10 Mbit/s needs about 10 kB to reach its rate. The tokens a bucket cannot
 * hold are lost while the shaper's timer fires late, and on a busy or virtual
 * machine it does: with 4 ms (rate/HZ at HZ=250) iperf3 measured 91.1–93.9
 * Mbit/s of goodput through a 100 Mbit/s tbf and 9.06–9.44 through 10 Mbit/s
 * on this VM, with 10 ms 95.0–95.6 and 9.54–9.55 (the ceiling at MTU 1500
 * is 95.6 resp. 9.56: docs/performance.md, "A shaper's default bucket").
 */
export function defaultBurstBytes(rateBytes: number, mtu: number): number {
  return Math.min(MAX_BURST_BYTES, Math.max(2 * frameBytes(mtu), Math.ceil(rateBytes * DEFAULT_BURST_S)));
}

import { MAX_BURST_BYTES, MAX_RATE_BPS } from '../topology/limits.js';

/** The largest bucket and rate netlab shapes (defined with the topology format, which checks them first). */
export { MAX_BURST_BYTES, MAX_RATE_BPS };

/**
 * The bounds every token bucket (tbf, an htb class) shares: a rate of at least
 * 8 bit/s (one byte per second), at most MAX_RATE_BPS (`peakBps`: the highest
 * rate the bucket is given, an htb ceil included), and a burst that fits u32.
 * @throws TopologyError at `where`.rate / `where`.burst.
 */
export function checkBucket(rateBps: number, burstBytes: number | undefined, where: string, peakBps = rateBps): void {
  if (!Number.isFinite(rateBps) || bytesPerSec(rateBps) < 1) {
    throw new TopologyError(`${where}.rate`, `rate ${rateBps} bit/s is below 8 bit/s`, 'give a rate such as 64kbit, 10mbit or 1gbit');
  }
  if (peakBps > MAX_RATE_BPS) {
    throw new TopologyError(`${where}.rate`, `rate ${peakBps} bit/s is above netlab's maximum of 8 Tbit/s`, 'netlab shapes up to 8tbit; leave rate out for no limit');
  }
  if (burstBytes !== undefined && burstBytes > MAX_BURST_BYTES) {
    throw new TopologyError(`${where}.burst`, `burst ${burstBytes} bytes is above ${MAX_BURST_BYTES} (the kernel keeps it in 32 bits)`, 'give a burst below 4G, e.g. 32kb');
  }
}

/** Default queue (ms of traffic at the rate) in front of a shaper. */
export const DEFAULT_QUEUE_MS = 100;
/** Never fewer packets than this in a shaper's queue, whatever the rate. */
export const MIN_QUEUE_PACKETS = 10;

/** Default queue length in packets for `ms` of traffic at `rateBytes` (at least MIN_QUEUE_PACKETS). */
export function queuePackets(rateBytes: number, mtu: number, ms: number): number {
  return Math.max(MIN_QUEUE_PACKETS, Math.ceil((rateBytes * ms) / 1000 / frameBytes(mtu)));
}
