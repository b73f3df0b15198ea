/**
 * A change to a running link's shaping as a person types it — `--rate 2mbit`
 * on the command line, "2mbit" in the web UI's rate field — parsed into a
 * Shaping (pure). The keys are the topology's `shaping:` keys; "0" (with any
 * unit) removes that value, as docs/cli.md says for `netlab link set`.
 */
import { UsageError } from '../errors.js';
import type { Shaping } from './types.js';
import { parsePercent, parseRate, parseSize, parseTime, UnitError } from './units.js';

/** Values of a shaping change, as typed (units in the text: 10mbit, 20ms, 1%). */
export interface ShapingChange {
  rate?: string; burst?: string; limit?: string; delay?: string; jitter?: string;
  loss?: string; corrupt?: string; duplicate?: string; reorder?: string;
}

/** The keys of a ShapingChange, in the order forms and help list them. */
export const SHAPING_CHANGE_KEYS = ['rate', 'burst', 'limit', 'delay', 'jitter', 'loss', 'corrupt', 'duplicate', 'reorder'] as const;

/**
 * Parses `change` into a Shaping: absent keys stay absent, "0" is 0 (remove).
 * `where(key, value)` names a bad value in the error (default `--key value`,
 * as the CLI's flags).
 * @throws UsageError naming the key and value, with a unit hint, for a value
 *   that is not a number with a known unit, negative, or out of range.
 */
export function parseShapingChange(change: ShapingChange, where: (key: string, value: string) => string = (k, v) => `--${k} ${v}`): Shaping {
  const unit = <T>(key: string, value: string | undefined, parse: (v: string) => T): T | 0 | undefined => {
    if (value === undefined) return undefined;
    if (/^0+(\.0+)?[a-z%]*$/i.test(value.trim())) return 0;
    try {
      return parse(value);
    } catch (err) {
      throw new UsageError(where(key, value), (err as Error).message,
        err instanceof UnitError ? err.hint : 'units as in topologies: 10mbit, 500kbit; 20ms, 500us; 0.5%');
    }
  };
  const s: Shaping = {};
  const put = <K extends keyof Shaping>(k: K, v: Shaping[K] | 0 | undefined): void => { if (v !== undefined) s[k] = v as Shaping[K]; };
  put('rateBps', unit('rate', change.rate, parseRate));
  put('burstBytes', unit('burst', change.burst, parseSize));
  put('limitPackets', unit('limit', change.limit, (v) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new Error('a queue limit is a whole number of packets'); return n; }));
  put('delayMs', unit('delay', change.delay, parseTime));
  put('jitterMs', unit('jitter', change.jitter, parseTime));
  put('lossPercent', unit('loss', change.loss, parsePercent));
  put('corruptPercent', unit('corrupt', change.corrupt, parsePercent));
  put('duplicatePercent', unit('duplicate', change.duplicate, parsePercent));
  put('reorderPercent', unit('reorder', change.reorder, parsePercent));
  return s;
}
