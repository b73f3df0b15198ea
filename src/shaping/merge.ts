/**
 * `netlab link set r1:eth1 --delay 30ms`: a change on top of what a link has.
 * Pure. A value of 0 removes what it names, together with what only makes sense
 * with it (loss 0 also drops the loss correlation; rate 0 drops the burst);
 * `reset` starts from nothing.
 */
import type { Shaping } from './types.js';

/** Keys that go when the key on the left is set to 0. */
const DEPENDENTS: Partial<Record<keyof Shaping, (keyof Shaping)[]>> = {
  rateBps: ['burstBytes'],
  delayMs: ['jitterMs', 'delayCorrelationPercent', 'distribution'],
  jitterMs: ['delayCorrelationPercent', 'distribution'],
  lossPercent: ['lossCorrelationPercent'],
  reorderPercent: ['reorderCorrelationPercent'],
};

/**
 * `base` with `change` applied: numbers replace, 0 removes the key and its
 * dependents, distribution `uniform` removes the distribution.
 * @returns a new object; neither input is modified.
 */
export function mergeShaping(base: Shaping, change: Shaping, reset = false): Shaping {
  const out: Record<string, unknown> = reset ? {} : { ...base };
  for (const [k, v] of Object.entries(change) as [keyof Shaping, unknown][]) {
    if (v === undefined) continue;
    if (v === 0 || (k === 'distribution' && v === 'uniform')) {
      delete out[k];
      for (const d of DEPENDENTS[k] ?? []) delete out[d];
    } else {
      out[k] = v;
    }
  }
  return out as Shaping;
}
