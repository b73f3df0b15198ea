/**
 * A change to a running link's shaping as a person types it — `--rate 2mbit`
 * on the command line, "2mbit" in the web UI's rate field — parsed into a
 * Shaping (pure). The keys are the topology's `shaping:` keys; "0" (with any
 * unit) removes that value, as docs/cli.md says for `netlab link set`.
 */
import { UsageError } from '../errors.js';
import type { Shaping } from './types.js';
import { parsePercent, parseRate, parseSize, parseTime, UnitError } from './units.js';

/** A queue limit as typed: a whole number of packets from 1. */
function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error('a queue limit is a whole number of packets');
  return n;
}

/**
 * The one list of a change's keys (the topology's `shaping:` keys, in the
 * order forms and help list them): the Shaping field each sets and how its
 * text is read. ShapingChange and SHAPING_CHANGE_KEYS are derived from it.
 */
const CHANGE_FIELDS = {
  rate: ['rateBps', parseRate],
  burst: ['burstBytes', parseSize],
  limit: ['limitPackets', parseLimit],
  delay: ['delayMs', parseTime],
  jitter: ['jitterMs', parseTime],
  loss: ['lossPercent', parsePercent],
  corrupt: ['corruptPercent', parsePercent],
  duplicate: ['duplicatePercent', parsePercent],
  reorder: ['reorderPercent', parsePercent],
} as const satisfies Record<string, readonly [keyof Shaping, (v: string) => number]>;

/** A key of a shaping change: rate, burst, limit, delay, jitter, loss, corrupt, duplicate, reorder. */
export type ShapingChangeKey = keyof typeof CHANGE_FIELDS;

/** Values of a shaping change, as typed (units in the text: 10mbit, 20ms, 1%). */
export type ShapingChange = { [K in ShapingChangeKey]?: string };

/** The keys of a ShapingChange, in the order forms and help list them. */
export const SHAPING_CHANGE_KEYS = Object.keys(CHANGE_FIELDS) as readonly ShapingChangeKey[];

/**
 * Parses `change` into a Shaping: absent keys stay absent, "0" is 0 (remove).
 * `where(key, value)` names a bad value in the error (default `--key value`,
 * as the CLI's flags).
 * @throws UsageError naming the key and value, with a unit hint, for a value
 *   that is not a number with a known unit, negative, or out of range.
 */
export function parseShapingChange(change: ShapingChange, where: (key: string, value: string) => string = (k, v) => `--${k} ${v}`): Shaping {
  const s: Shaping = {};
  for (const key of SHAPING_CHANGE_KEYS) {
    const value = change[key];
    if (value === undefined) continue;
    const [field, parse] = CHANGE_FIELDS[key];
    if (/^0+(\.0+)?[a-z%]*$/i.test(value.trim())) { s[field] = 0; continue; }
    try {
      s[field] = parse(value);
    } catch (err) {
      throw new UsageError(where(key, value), (err as Error).message,
        err instanceof UnitError ? err.hint : 'units as in topologies: 10mbit, 500kbit; 20ms, 500us; 0.5%');
    }
  }
  return s;
}
