/**
 * htb, the hierarchical token bucket (tc-htb(8), net/sched/sch_htb.c): the
 * qdisc netlab uses when a rate meets impairments (a netem child under an htb
 * class, Mininet's layout) or when a node has traffic classes.
 *
 * Qdisc TCA_OPTIONS (tc/q_htb.c):
 *   TCA_HTB_INIT (2)  struct tc_htb_glob { u32 version = 3, rate2quantum = 10, defcls, debug, direct_pkts }
 * Class TCA_OPTIONS:
 *   TCA_HTB_RATE64 (6), TCA_HTB_CEIL64 (7)  u64 bytes/s, only when ≥ 2^32 bytes/s
 *   TCA_HTB_PARMS (1)  struct tc_htb_opt { tc_ratespec rate, ceil; u32 buffer, cbuffer, quantum, level, prio } (44 bytes)
 *   TCA_HTB_RTAB (4), TCA_HTB_CTAB (3)  rate tables for rate and ceil
 */
import { TopologyError } from '../errors.js';
import { attr, attrMap, readU64, u64 } from '../net/nlattr.js';
import {
  RATE32_LIMIT, bytesPerSec, checkBucket, defaultBurstBytes, frameBytes, rateSpec, readRateSpecRate,
  xmitBytes, xmitTicks, xmitTicksFits,
} from './tcmath.js';

export const TCA_HTB_PARMS = 1;
export const TCA_HTB_INIT = 2;
export const TCA_HTB_CTAB = 3;
export const TCA_HTB_RTAB = 4;
export const TCA_HTB_RATE64 = 6;
export const TCA_HTB_CEIL64 = 7;

/** TC_HTB_PROTOVER and tc's default r2q. */
const HTB_VERSION = 3;
const HTB_R2Q = 10;
/** tc builds class rate tables for a 1600-byte MTU. */
const HTB_TABLE_MTU = 1600;
/** The kernel clamps automatic quanta to 1000..200000 bytes and logs a warning; netlab sets them. */
const HTB_MAX_QUANTUM = 200000;

/** The root qdisc: which class minor gets unclassified traffic (0 = send it unshaped). */
export interface HtbQdiscParams {
  defaultMinor: number;
}

/** One htb class. Rates in bytes/s (tc's unit), sizes in bytes. */
export interface HtbClassParams {
  rateBytes: number;
  ceilBytes: number;
  burstBytes: number;
  cburstBytes: number;
  /** Bytes served per round when classes of one priority share spare rate. */
  quantum: number;
  /** 0 (served first) to 7. */
  prio: number;
}

/** TCA_OPTIONS payload of the htb qdisc. */
export function encodeHtbQdisc(p: HtbQdiscParams): Buffer {
  const glob = Buffer.alloc(20);
  glob.writeUInt32LE(HTB_VERSION, 0);
  glob.writeUInt32LE(HTB_R2Q, 4);
  glob.writeUInt32LE(p.defaultMinor, 8);
  return attr(TCA_HTB_INIT, glob);
}

/** Reads the htb qdisc's options; undefined without TCA_HTB_INIT. */
export function decodeHtbQdisc(options: Buffer): (HtbQdiscParams & { directPackets: number }) | undefined {
  const init = attrMap(options).get(TCA_HTB_INIT);
  if (!init || init.length < 20) return undefined;
  return { defaultMinor: init.readUInt32LE(8), directPackets: init.readUInt32LE(16) };
}

/**
 * Class parameters for a rate and ceiling in bits/s on a link of `mtu` bytes.
 * burst/cburst default like tbf's bucket (two full frames or 10 ms at rate resp.
 * ceil, whichever is larger); quantum is rate/10 clamped to one frame..200000
 * bytes, set explicitly so the kernel does not warn about r2q.
 * @throws TopologyError (at `where`) for a rate below 8 bit/s, a ceiling below
 *   the rate, a prio outside 0..7, or a bucket that overflows the kernel's ticks.
 */
export function htbClassParams(rateBps: number, ceilBps: number, mtu: number, prio = 3, burstBytes?: number, where = 'shaping'): HtbClassParams {
  const rateBytes = bytesPerSec(rateBps);
  const ceilBytes = bytesPerSec(ceilBps);
  checkBucket(rateBps, burstBytes, where, Math.max(rateBps, ceilBps));
  if (!(ceilBytes >= rateBytes)) {
    throw new TopologyError(`${where}.ceil`, `ceil ${ceilBps} bit/s is below the rate ${rateBps} bit/s`, 'leave ceil out or make it at least the rate');
  }
  if (!Number.isInteger(prio) || prio < 0 || prio > 7) {
    throw new TopologyError(`${where}.prio`, `prio ${prio} is outside 0..7`, 'htb priorities run from 0 (first) to 7');
  }
  const frame = frameBytes(mtu);
  const burst = Math.max(frame, Math.ceil(burstBytes ?? defaultBurstBytes(rateBytes, mtu)));
  const cburst = Math.max(frame, Math.ceil(burstBytes ?? defaultBurstBytes(ceilBytes, mtu)));
  if (!xmitTicksFits(rateBytes, burst)) {
    throw new TopologyError(`${where}.rate`, `rate ${rateBps} bit/s is too low for a ${burst}-byte bucket (the kernel's bucket holds at most ~274 s)`,
      'raise the rate or lower burst');
  }
  const quantum = Math.min(HTB_MAX_QUANTUM, Math.max(frame, Math.floor(rateBytes / HTB_R2Q)));
  return { rateBytes, ceilBytes, burstBytes: burst, cburstBytes: cburst, quantum, prio };
}

/** TCA_OPTIONS payload of an htb class. */
export function encodeHtbClass(p: HtbClassParams): Buffer {
  const r = rateSpec(p.rateBytes, HTB_TABLE_MTU);
  const c = rateSpec(p.ceilBytes, HTB_TABLE_MTU);
  const opt = Buffer.alloc(44);
  r.spec.copy(opt, 0);
  c.spec.copy(opt, 12);
  opt.writeUInt32LE(xmitTicks(p.rateBytes, p.burstBytes), 24);
  opt.writeUInt32LE(xmitTicks(p.ceilBytes, p.cburstBytes), 28);
  opt.writeUInt32LE(p.quantum, 32);
  opt.writeUInt32LE(0, 36); // level: the kernel computes it
  opt.writeUInt32LE(p.prio, 40);
  const attrs: Buffer[] = [];
  if (p.rateBytes >= RATE32_LIMIT) attrs.push(attr(TCA_HTB_RATE64, u64(p.rateBytes)));
  if (p.ceilBytes >= RATE32_LIMIT) attrs.push(attr(TCA_HTB_CEIL64, u64(p.ceilBytes)));
  attrs.push(attr(TCA_HTB_PARMS, opt), attr(TCA_HTB_RTAB, r.table), attr(TCA_HTB_CTAB, c.table));
  return Buffer.concat(attrs);
}

/** Reads an htb class's options as the kernel dumps them; `level` 0 is a leaf. */
export function decodeHtbClass(options: Buffer): (HtbClassParams & { level: number }) | undefined {
  const a = attrMap(options);
  const parms = a.get(TCA_HTB_PARMS);
  if (!parms || parms.length < 44) return undefined;
  const r64 = a.get(TCA_HTB_RATE64);
  const c64 = a.get(TCA_HTB_CEIL64);
  const rateBytes = r64 && r64.length >= 8 ? readU64(r64) : readRateSpecRate(parms, 0);
  const ceilBytes = c64 && c64.length >= 8 ? readU64(c64) : readRateSpecRate(parms, 12);
  return {
    rateBytes,
    ceilBytes,
    burstBytes: xmitBytes(rateBytes, parms.readUInt32LE(24)),
    cburstBytes: xmitBytes(ceilBytes, parms.readUInt32LE(28)),
    quantum: parms.readUInt32LE(32),
    level: parms.readUInt32LE(36),
    prio: parms.readUInt32LE(40),
  };
}
