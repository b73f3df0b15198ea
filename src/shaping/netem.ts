/**
 * netem, the network emulator (tc-netem(8), net/sched/sch_netem.c): delay,
 * jitter, loss, duplication, corruption, reordering.
 *
 * TCA_OPTIONS of netem is NOT a plain attribute list: it starts with
 * struct tc_netem_qopt { u32 latency, limit, loss, gap, duplicate, jitter }
 * (24 bytes; latency/jitter in scheduler ticks) and the attributes follow:
 *   TCA_NETEM_CORR (1)       { u32 delay_corr, loss_corr, dup_corr }
 *   TCA_NETEM_DELAY_DIST (2) s16[] distribution table
 *   TCA_NETEM_REORDER (3)    { u32 probability, correlation }
 *   TCA_NETEM_CORRUPT (4)    { u32 probability, correlation }
 *   TCA_NETEM_LATENCY64 (10), TCA_NETEM_JITTER64 (11)  s64 nanoseconds (kernel ≥ 4.15)
 * Probabilities are u32 scaled so that 2^32 - 1 is 100 % (tc's set_percent).
 * netlab always sends CORR, REORDER and CORRUPT, zeros included, so that a
 * change really resets what is no longer asked for.
 */
import { TopologyError } from '../errors.js';
import type { Shaping } from './types.js';
import { attr, attrMap, s64 } from '../net/nlattr.js';
import { percentToU32, u32ToPercent, usToTicks, ticksToUs } from './tcmath.js';

export const TCA_NETEM_CORR = 1;
export const TCA_NETEM_DELAY_DIST = 2;
export const TCA_NETEM_REORDER = 3;
export const TCA_NETEM_CORRUPT = 4;
export const TCA_NETEM_LATENCY64 = 10;
export const TCA_NETEM_JITTER64 = 11;

/** netem's own default queue, packets (tc-netem(8): limit 1000). */
export const NETEM_DEFAULT_LIMIT = 1000;
/** Largest distribution table the kernel accepts (NETEM_DIST_MAX). */
export const NETEM_DIST_MAX = 16384;

/** netem's parameters in the kernel's units: ns, packets, u32-scaled probabilities. */
export interface NetemParams {
  limitPackets: number;
  delayNs: number;
  jitterNs: number;
  delayCorr: number;
  loss: number;
  lossCorr: number;
  duplicate: number;
  dupCorr: number;
  reorder: number;
  reorderCorr: number;
  /** Reorder every gap-th packet; tc sets 1 whenever reorder is asked for. */
  gap: number;
  corrupt: number;
  corruptCorr: number;
  /** Jitter distribution (tc's .dist table); absent = uniform. */
  distTable?: Int16Array;
}

/** True when `s` asks for anything netem does (delay, jitter, loss, corrupt, duplicate, reorder > 0). */
export function hasImpairment(s: Shaping): boolean {
  return (s.delayMs ?? 0) > 0 || (s.jitterMs ?? 0) > 0 || (s.lossPercent ?? 0) > 0 || (s.corruptPercent ?? 0) > 0
    || (s.duplicatePercent ?? 0) > 0 || (s.reorderPercent ?? 0) > 0;
}

function percent(where: string, key: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0 || v > 100) {
    throw new TopologyError(`${where}.${key}`, `${key} ${v}% is outside 0..100`, 'give a percentage such as 1% or 0.01%');
  }
  return percentToU32(v);
}

function ms(where: string, key: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isFinite(v) || v < 0) throw new TopologyError(`${where}.${key}`, `${key} ${v} ms is negative or not a number`, 'give a time such as 20ms');
  return Math.round(v * 1e6);
}

/**
 * netem parameters for the impairments in `s`.
 * `distTable` is the table for s.distribution (see distribution.ts); it is
 * required when the distribution is not uniform.
 * @throws TopologyError (at `where`) for percentages outside 0..100, negative
 *   times, reorder without delay, or a distribution without jitter (both rules
 *   of tc-netem(8)).
 */
export function netemParams(s: Shaping, limitPackets: number, distTable?: Int16Array, where = 'shaping'): NetemParams {
  const delayNs = ms(where, 'delay', s.delayMs);
  const jitterNs = ms(where, 'jitter', s.jitterMs);
  const reorder = percent(where, 'reorder', s.reorderPercent);
  if (reorder > 0 && delayNs === 0) {
    throw new TopologyError(`${where}.reorder`, 'reorder needs a delay: netem reorders by sending some packets without it',
      'add a delay, e.g. delay: 10ms');
  }
  const dist = s.distribution && s.distribution !== 'uniform' ? s.distribution : undefined;
  if (dist && jitterNs === 0) {
    throw new TopologyError(`${where}.distribution`, `distribution ${dist} shapes the jitter, and no jitter is set`, 'add jitter, e.g. jitter: 5ms');
  }
  if (dist && !distTable) throw new Error(`netemParams: distribution ${dist} needs its table`);
  return {
    limitPackets: Math.max(1, Math.ceil(limitPackets)),
    delayNs,
    jitterNs,
    delayCorr: percent(where, 'delay-correlation', s.delayCorrelationPercent),
    loss: percent(where, 'loss', s.lossPercent),
    lossCorr: percent(where, 'loss-correlation', s.lossCorrelationPercent),
    duplicate: percent(where, 'duplicate', s.duplicatePercent),
    dupCorr: 0,
    reorder,
    reorderCorr: percent(where, 'reorder-correlation', s.reorderCorrelationPercent),
    gap: reorder > 0 ? 1 : 0,
    corrupt: percent(where, 'corrupt', s.corruptPercent),
    corruptCorr: 0,
    distTable: dist ? distTable : undefined,
  };
}

function pair(a: number, b: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  return out;
}

/** TCA_OPTIONS payload of a netem qdisc (qopt, then the attributes). */
export function encodeNetem(p: NetemParams): Buffer {
  const qopt = Buffer.alloc(24);
  qopt.writeUInt32LE(usToTicks(p.delayNs / 1000), 0); // for kernels < 4.15; LATENCY64 wins elsewhere
  qopt.writeUInt32LE(p.limitPackets, 4);
  qopt.writeUInt32LE(p.loss, 8);
  qopt.writeUInt32LE(p.gap, 12);
  qopt.writeUInt32LE(p.duplicate, 16);
  qopt.writeUInt32LE(usToTicks(p.jitterNs / 1000), 20);
  const corr = Buffer.alloc(12);
  corr.writeUInt32LE(p.delayCorr, 0);
  corr.writeUInt32LE(p.lossCorr, 4);
  corr.writeUInt32LE(p.dupCorr, 8);
  const parts = [
    qopt,
    attr(TCA_NETEM_LATENCY64, s64(p.delayNs)),
    attr(TCA_NETEM_JITTER64, s64(p.jitterNs)),
    attr(TCA_NETEM_CORR, corr),
    attr(TCA_NETEM_REORDER, pair(p.reorder, p.reorderCorr)),
    attr(TCA_NETEM_CORRUPT, pair(p.corrupt, p.corruptCorr)),
  ];
  if (p.distTable) {
    const t = Buffer.alloc(p.distTable.length * 2);
    p.distTable.forEach((v, i) => t.writeInt16LE(v, i * 2));
    parts.push(attr(TCA_NETEM_DELAY_DIST, t));
  }
  return Buffer.concat(parts);
}

/** Reads netem's options as dumped (LATENCY64/JITTER64 when present, else the ticks). */
export function decodeNetem(options: Buffer): NetemParams | undefined {
  if (options.length < 24) return undefined;
  const a = attrMap(options.subarray(24));
  const lat = a.get(TCA_NETEM_LATENCY64);
  const jit = a.get(TCA_NETEM_JITTER64);
  const corr = a.get(TCA_NETEM_CORR);
  const reorder = a.get(TCA_NETEM_REORDER);
  const corrupt = a.get(TCA_NETEM_CORRUPT);
  const u = (b: Buffer | undefined, off: number): number => (b && b.length >= off + 4 ? b.readUInt32LE(off) : 0);
  return {
    limitPackets: options.readUInt32LE(4),
    delayNs: lat && lat.length >= 8 ? Number(lat.readBigInt64LE(0)) : Math.round(ticksToUs(options.readUInt32LE(0)) * 1000),
    jitterNs: jit && jit.length >= 8 ? Number(jit.readBigInt64LE(0)) : Math.round(ticksToUs(options.readUInt32LE(20)) * 1000),
    delayCorr: u(corr, 0),
    loss: options.readUInt32LE(8),
    lossCorr: u(corr, 4),
    duplicate: options.readUInt32LE(16),
    dupCorr: u(corr, 8),
    reorder: u(reorder, 0),
    reorderCorr: u(reorder, 4),
    gap: options.readUInt32LE(12),
    corrupt: u(corrupt, 0),
    corruptCorr: u(corrupt, 4),
  };
}

/** The Shaping fields netem parameters stand for (the distribution is not dumped by the kernel). */
export function netemToShaping(p: NetemParams): Shaping {
  const out: Shaping = {};
  const pct = (v: number): number | undefined => (v ? u32ToPercent(v) : undefined);
  if (p.delayNs) out.delayMs = p.delayNs / 1e6;
  if (p.jitterNs) out.jitterMs = p.jitterNs / 1e6;
  const fields: [keyof Shaping, number][] = [
    ['delayCorrelationPercent', p.delayCorr], ['lossPercent', p.loss], ['lossCorrelationPercent', p.lossCorr],
    ['duplicatePercent', p.duplicate], ['reorderPercent', p.reorder], ['reorderCorrelationPercent', p.reorderCorr],
    ['corruptPercent', p.corrupt],
  ];
  for (const [k, v] of fields) {
    const x = pct(v);
    if (x !== undefined) (out as Record<string, number>)[k] = x;
  }
  return out;
}
