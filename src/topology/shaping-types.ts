/**
 * Egress shaping (`Shaping`: tbf, htb, netem, in tc's terms) and traffic
 * classes (`NetClass`) of the resolved lab, as src/shaping applies them.
 * src/shaping re-exports them; ./types.ts too.
 */
import type { ShapingInput } from './schema/source.js';

/** netem delay distributions (tc-netem(8), tables from iproute2's /usr/lib/tc/*.dist). */
export type DelayDistribution = NonNullable<ShapingInput['distribution']>;

/**
 * Egress shaping of one interface. Units are in the names: bits per second,
 * bytes, packets, milliseconds (float, so 0.5 = 500 µs), percent (0–100, float,
 * kept as given: 0.01 stays 0.01).
 */
export interface Shaping {
  /** Rate limit, bits/s (tbf, or htb when impairments are also set). */
  rateBps?: number;
  /** Token bucket size, bytes; default derived from the rate (tc-tbf(8)). */
  burstBytes?: number;
  /** Queue limit, packets. */
  limitPackets?: number;
  /** Added one-way delay, ms. */
  delayMs?: number;
  /** Delay variation, ms (± around delayMs). */
  jitterMs?: number;
  /** Correlation of successive delays, percent. */
  delayCorrelationPercent?: number;
  /** Distribution of the jitter; netem's default is uniform. */
  distribution?: DelayDistribution;
  /** Random loss, percent. */
  lossPercent?: number;
  /** Correlation of successive losses, percent. */
  lossCorrelationPercent?: number;
  /** Single-bit corruption, percent of packets. */
  corruptPercent?: number;
  /** Duplication, percent of packets. */
  duplicatePercent?: number;
  /** Reordering, percent of packets sent at once (needs delayMs > 0, tc-netem(8)). */
  reorderPercent?: number;
  /** Correlation of reordering, percent. */
  reorderCorrelationPercent?: number;
}

/**
 * A traffic class of a node (issue: net_cls classes). Processes run with
 * `netlab exec --class NAME` are shaped by it on every interface of the node.
 */
export interface NetClass {
  /** Guaranteed (and, unless ceilBps, maximum) rate, bits/s. */
  rateBps: number;
  /** Maximum rate when borrowing, bits/s; default rateBps. */
  ceilBps?: number;
  /** htb priority, 0 (highest) to 7; default 3. */
  prio?: number;
}
