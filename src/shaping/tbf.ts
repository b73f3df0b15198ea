/**
 * tbf, the token-bucket filter (tc-tbf(8), net/sched/sch_tbf.c): the qdisc
 * netlab puts on an interface when only a rate is asked for.
 *
 * TCA_OPTIONS of a tbf qdisc, as iproute2's tc/q_tbf.c sends it:
 *   TCA_TBF_PARMS (1)  struct tc_tbf_qopt { tc_ratespec rate, peakrate; u32 limit, buffer, mtu } (36 bytes)
 *   TCA_TBF_BURST (6)  u32 bucket size, bytes (the kernel prefers it to `buffer`)
 *   TCA_TBF_RATE64 (4) u64 bytes/s, only when the rate is ≥ 2^32 bytes/s (34.4 Gbit/s)
 *   TCA_TBF_RTAB (2)   the 1 KiB rate table
 */
import { TopologyError } from '../errors.js';
import { attr, attrMap, readU64, u32, u64 } from '../net/nlattr.js';
import {
  checkBucket, DEFAULT_QUEUE_MS, MIN_QUEUE_PACKETS, RATE32_LIMIT, bytesPerSec, defaultBurstBytes, frameBytes,
  rateSpec, readRateSpecRate, xmitBytes, xmitTicks, xmitTicksFits,
} from './tcmath.js';

export const TCA_TBF_PARMS = 1;
export const TCA_TBF_RTAB = 2;
export const TCA_TBF_RATE64 = 4;
export const TCA_TBF_BURST = 6;

/** What a tbf qdisc is built from. */
export interface TbfParams {
  /** Rate, bytes/s (tc's unit); may exceed 2^32. */
  rateBytes: number;
  /** Bucket size, bytes. */
  burstBytes: number;
  /** Bytes that may wait for tokens. */
  limitBytes: number;
}

/** tc computes rate tables for this MTU when none is given (tc_calc_rtable: mtu 0 → 2047). */
const TBF_TABLE_MTU = 2047;

/**
 * tbf parameters for a rate in bits/s on a link of `mtu` bytes.
 *
 * burst: `burstBytes`, or the larger of two full frames and 10 ms at the rate
 * (tc-tbf(8): at least one MTU and at least rate/HZ; defaultBurstBytes), and never below one full
 * frame (tbf drops a non-GSO packet larger than its bucket).
 * limit: `limitPackets` full frames, or 100 ms at the rate plus the burst, at
 * least 10 frames. Float arithmetic throughout: a small rate never gives a
 * latency or limit of 0 (an older tool divided integers and did).
 * @throws TopologyError (at `where`) when the rate is below 8 bit/s or above
 *   MAX_RATE_BPS, the burst above MAX_BURST_BYTES (u32), or the rate so low
 *   that the bucket would take more than ~274 s to fill (the kernel's u32 ticks).
 */
export function tbfParams(rateBps: number, mtu: number, burstBytes?: number, limitPackets?: number, where = 'shaping'): TbfParams {
  const rateBytes = bytesPerSec(rateBps);
  checkBucket(rateBps, burstBytes, where);
  const frame = frameBytes(mtu);
  const burst = Math.max(frame, Math.ceil(burstBytes ?? defaultBurstBytes(rateBytes, mtu)));
  if (!xmitTicksFits(rateBytes, burst)) {
    throw new TopologyError(`${where}.rate`, `rate ${rateBps} bit/s is too low for a ${burst}-byte bucket (the kernel's bucket holds at most ~274 s)`,
      'raise the rate or lower burst');
  }
  const limit = limitPackets !== undefined
    ? Math.max(1, Math.ceil(limitPackets)) * frame
    : Math.max(MIN_QUEUE_PACKETS * frame, Math.ceil((rateBytes * DEFAULT_QUEUE_MS) / 1000) + burst);
  return { rateBytes, burstBytes: burst, limitBytes: Math.min(limit, 0xffffffff) };
}

/** TCA_OPTIONS payload of a tbf qdisc. */
export function encodeTbf(p: TbfParams): Buffer {
  const { spec, table } = rateSpec(p.rateBytes, TBF_TABLE_MTU);
  const qopt = Buffer.alloc(36);
  spec.copy(qopt, 0); // rate; peakrate (12..23) stays zero
  qopt.writeUInt32LE(p.limitBytes, 24);
  qopt.writeUInt32LE(xmitTicks(p.rateBytes, p.burstBytes), 28);
  qopt.writeUInt32LE(0, 32); // mtu (peak bucket): unused without peakrate
  const attrs = [attr(TCA_TBF_PARMS, qopt), attr(TCA_TBF_BURST, u32(p.burstBytes))];
  if (p.rateBytes >= RATE32_LIMIT) attrs.push(attr(TCA_TBF_RATE64, u64(p.rateBytes)));
  attrs.push(attr(TCA_TBF_RTAB, table));
  return Buffer.concat(attrs);
}

/**
 * Reads a tbf qdisc's TCA_OPTIONS as the kernel dumps it (PARMS, RATE64; the
 * burst comes back as 64-ns ticks and is converted at the rate: up to one
 * tick's bytes under what was set, e.g. 3 bytes at 100 Mbit/s). Options that
 * carry TCA_TBF_BURST (netlab's own requests; the kernel never dumps it) give
 * that exact burst.
 * @returns undefined when the options carry no TCA_TBF_PARMS.
 */
export function decodeTbf(options: Buffer): TbfParams | undefined {
  const a = attrMap(options);
  const parms = a.get(TCA_TBF_PARMS);
  if (!parms || parms.length < 36) return undefined;
  const rate64 = a.get(TCA_TBF_RATE64);
  const rateBytes = rate64 && rate64.length >= 8 ? readU64(rate64) : readRateSpecRate(parms, 0);
  const burst = a.get(TCA_TBF_BURST);
  const burstBytes = burst && burst.length >= 4 ? burst.readUInt32LE(0) : xmitBytes(rateBytes, parms.readUInt32LE(28));
  return { rateBytes, burstBytes, limitBytes: parms.readUInt32LE(24) };
}
