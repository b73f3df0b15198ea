/**
 * Units of a topology file: rates, times, percentages, sizes. Small pure
 * parsers, each returning the number or throwing a UnitError whose message
 * says what was expected. The loader turns a UnitError into a TopologyError
 * with the key path.
 *
 * The unit names follow tc(8), section "PARAMETERS" (RATES, TIMES, SIZES), and
 * iproute2's tc/tc_util.c, which matches unit names case-insensitively. Two
 * deliberate differences from tc: a rate or a time must carry a unit (tc reads
 * a bare number as bits/s and µs respectively — too easy to misread in a
 * topology file), and a percentage must carry a `%`. Negative numbers and
 * exponents (1e9bit) are refused with a message saying so.
 */
import { MAX_RATE_BPS, MAX_SIZE_BYTES, MAX_TIME_MS } from './limits.js';

/** MAX_RATE_BPS as a topology file writes it. */
const MAX_RATE_TEXT = '8tbit';

/** A value that does not parse; `message` says what was expected. */
export class UnitError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'UnitError';
    this.hint = hint;
  }
}

/** Multipliers to bits per second, tc(8) RATES: SI prefixes are powers of 1000, IEC (ki, mi, gi, ti) powers of 1024; "bps" is BYTES per second. */
const RATE_UNITS: Record<string, number> = {
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12,
  kibit: 1024, mibit: 1024 ** 2, gibit: 1024 ** 3, tibit: 1024 ** 4,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12,
  kibps: 8 * 1024, mibps: 8 * 1024 ** 2, gibps: 8 * 1024 ** 3, tibps: 8 * 1024 ** 4,
};

/** Multipliers to milliseconds, tc(8) TIMES (plus ns/nsec/nsecs, which tc accepts since iproute2 4.x). */
const TIME_UNITS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000,
  ms: 1, msec: 1, msecs: 1,
  us: 1e-3, usec: 1e-3, usecs: 1e-3,
  ns: 1e-6, nsec: 1e-6, nsecs: 1e-6,
};

/**
 * Multipliers to bytes, tc(8) SIZES: b = bytes; k/kb = KiB (1024), m/mb, g/gb
 * likewise; kbit/mbit/gbit = 1024·bits/8. netlab also accepts the IEC names
 * KiB/MiB/GiB/TiB and t/tb — all powers of 1024, as in tc and in cgroup files
 * (memparse() in the kernel's lib/cmdline.c reads K/M/G as powers of 1024).
 */
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
  kbit: 1024 / 8, mbit: 1024 ** 2 / 8, gbit: 1024 ** 3 / 8,
};

const NUMBER_UNIT = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([A-Za-z%]*)\s*$/;
/** A number with a minus sign or an exponent, and a unit: caught to say which is wrong. */
const SIGNED_OR_EXPONENT = /^\s*(-?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]+)?\s*[A-Za-z%]*\s*$/i;

function split(value: unknown, what: string, example: string): { num: number; text: string; unit: string } {
  if (typeof value === 'number') {
    if (value < 0) throw new UnitError(`${what} ${value} is negative; a ${what} cannot be negative`, `write e.g. ${example}`);
    if (!Number.isFinite(value)) throw new UnitError(`${what} ${value} is not a finite number`, `write e.g. ${example}`);
    return { num: value, text: String(value), unit: '' };
  }
  if (typeof value !== 'string') throw new UnitError(`${what} must be a string like "${example}"`, `write e.g. ${example}`);
  const m = NUMBER_UNIT.exec(value);
  const odd = m ? undefined : SIGNED_OR_EXPONENT.exec(value);
  if (odd?.[1]) throw new UnitError(`${what} "${value}" is negative; a ${what} cannot be negative`, `write e.g. ${example}`);
  if (odd?.[3]) throw new UnitError(`${what} "${value}" is written with an exponent (${odd[3]})`, `write it without an exponent, e.g. ${example}`);
  if (!m) throw new UnitError(`${what} "${value}" is not a number with a unit`, `write e.g. ${example}`);
  // tc refuses "10 mbit"; and "10 mbps" is often meant as megabits, which tc's mbps is not.
  if (m[2] && /\d\s+[A-Za-z%]/.test(value)) {
    const bytes = /bps$/i.test(m[2]) ? ` (in tc, ${m[2]} means BYTES per second: ${m[1]}${m[2].toLowerCase()} is ${Number(m[1]) * 8}${m[2].toLowerCase().replace(/bps$/, 'bit')}; ${m[1]}${m[2].toLowerCase().replace(/bps$/, 'bit')} is bits)` : '';
    throw new UnitError(`${what} "${value}" has a space before its unit`, `write it as tc does, without the space: ${m[1]}${m[2]}${bytes}`);
  }
  return { num: Number(m[1]), text: m[1]!, unit: m[2]! };
}

/**
 * A rate in bits per second: "10mbit" → 10_000_000, "1.5gbit", "500kbit",
 * "100kibit" (×1024), "1mbps" → 8_000_000 (tc(8): "bps" means BYTES per second).
 * Units are case-insensitive as in tc. A bare number is refused (tc would read
 * bits/s), and so are k/m/g alone, which tc does not accept for rates.
 * @throws UnitError on anything else, on a rate below 8 bit/s (one byte per second)
 *   or above MAX_RATE_BPS (8 Tbit/s, src/shaping/tcmath.ts says why).
 */
export function parseRate(value: unknown): number {
  const { num, unit } = split(value, 'rate', '10mbit');
  if (unit === '') {
    throw new UnitError(`rate ${String(value)} has no unit`, 'write the unit as tc does, e.g. 10mbit, 500kbit, 1gbit (a bare number would be bits/s)');
  }
  const mult = RATE_UNITS[unit.toLowerCase()];
  if (mult === undefined) {
    const lower = unit.toLowerCase();
    const guess = ['k', 'm', 'g', 't'].includes(lower) ? `; tc has no "${unit}" for rates: write ${num}${lower}bit (bits/s) or ${num}${lower}bps (BYTES/s)` : '';
    throw new UnitError(`rate "${String(value)}" has an unknown unit "${unit}"${guess}`,
      'rate units (tc(8)): bit, kbit, mbit, gbit, tbit, kibit…; bps, kbps, mbps, gbps (bytes/s)');
  }
  const bps = num * mult;
  if (bps < 8) throw new UnitError(`rate "${String(value)}" is below 8 bit/s`, 'give at least 8bit (one byte per second)');
  if (bps > MAX_RATE_BPS) {
    throw new UnitError(`rate "${String(value)}" is above netlab's maximum of ${MAX_RATE_TEXT}`,
      `netlab shapes up to ${MAX_RATE_TEXT}, the largest rate whose token bucket fits the kernel's 32-bit burst; leave rate out for no limit`);
  }
  return Math.round(bps);
}

/**
 * A time in milliseconds (float): "20ms" → 20, "500us" → 0.5, "1s" → 1000,
 * "1.5sec" → 1500. Units per tc(8) TIMES: s/sec/secs, ms/msec/msecs,
 * us/usec/usecs, ns/nsec/nsecs; case-insensitive. `0` alone is allowed.
 * @throws UnitError on a missing or unknown unit, or a time above MAX_TIME_MS (24.8 days).
 */
export function parseTime(value: unknown): number {
  const { num, unit } = split(value, 'time', '20ms');
  if (unit === '') {
    if (num === 0) return 0;
    throw new UnitError(`time ${String(value)} has no unit`, `write e.g. ${num}ms or ${num}us (tc would read a bare number as µs)`);
  }
  const mult = TIME_UNITS[unit.toLowerCase()];
  if (mult === undefined) {
    throw new UnitError(`time "${String(value)}" has an unknown unit "${unit}"`, 'time units (tc(8)): s, ms, us (also sec, msec, usec, ns)');
  }
  // Multiply by an exact power of ten as a string operation would: 0.1s → 100, not 100.00000000000001.
  const ms = Number((num * mult).toPrecision(15));
  if (ms > MAX_TIME_MS) {
    throw new UnitError(`time "${String(value)}" is longer than ${MAX_TIME_MS} ms (24.8 days), the longest netlab waits`, 'give a shorter time, e.g. 30s or 600s');
  }
  return ms;
}

/**
 * A percentage (0–100) kept exactly as written: "0.5%" → 0.5, "0.01%" → 0.01
 * (the number is read from the text, never scaled, so it is the same double as
 * the literal). `0` alone is allowed; any other bare number is refused as
 * ambiguous (0.5 could mean 0.5 % or 50 %).
 * @throws UnitError when the `%` is missing or the value is above 100.
 */
export function parsePercent(value: unknown): number {
  const { num, unit } = split(value, 'percentage', '0.5%');
  if (unit === '' && num === 0) return 0;
  if (unit !== '%' && num > 100) {
    throw new UnitError(`percentage ${typeof value === 'string' ? `"${value}"` : String(value)} needs a % sign and is above 100%`, 'give a value from 0% to 100%, e.g. 1%');
  }
  if (unit !== '%') {
    throw new UnitError(`percentage ${typeof value === 'string' ? `"${value}"` : String(value)} needs a % sign`, `write e.g. ${num}% (a bare number is ambiguous: 0.5 could mean 0.5% or 50%)`);
  }
  if (num > 100) throw new UnitError(`percentage "${String(value)}" is above 100%`, 'give a value from 0% to 100%');
  return num;
}

/**
 * A size in bytes: "256M" → 268435456, "64k" → 65536, "1GiB", "1500b", or a
 * bare number of bytes. Units per tc(8) SIZES (k/kb, m/mb, g/gb are powers of
 * 1024; kbit/mbit/gbit are bits) plus KiB/MiB/GiB/TiB and t/tb, case-insensitive.
 * The result is rounded to whole bytes.
 * @throws UnitError on an unknown unit, or a size above MAX_SIZE_BYTES (2^53 − 1).
 */
export function parseSize(value: unknown): number {
  const { num, unit } = split(value, 'size', '256M');
  const mult = unit === '' ? 1 : SIZE_UNITS[unit.toLowerCase()];
  if (mult === undefined) {
    throw new UnitError(`size "${String(value)}" has an unknown unit "${unit}"`, 'size units: b, K/KiB, M/MiB, G/GiB (powers of 1024, as tc(8) and cgroups read them)');
  }
  const bytes = Math.round(num * mult);
  if (bytes > MAX_SIZE_BYTES) {
    throw new UnitError(`size "${String(value)}" is more than ${MAX_SIZE_BYTES} bytes (8 PiB)`, 'give a size netlab can count exactly, e.g. 256M or 4G');
  }
  return bytes;
}

/**
 * Formats bits/s for humans in tc's units (SI, as tc(8) prints rates):
 * 10000000 → "10Mbit", 1.5e6 → "1.5Mbit", 64e3 → "64Kbit", 8e12 → "8Tbit",
 * below 1000 → "500bit". Six significant digits, so a rate a user typed
 * (1.23456mbit) reads back as typed and float noise is not shown.
 * Used by `netlab up --dry-run`, `netlab link show` and `netlab status`.
 */
export function formatRate(bps: number): string {
  for (const [div, unit] of [[1e12, 'Tbit'], [1e9, 'Gbit'], [1e6, 'Mbit'], [1e3, 'Kbit']] as const) {
    if (bps >= div) return `${Number((bps / div).toPrecision(6))}${unit}`;
  }
  return `${bps}bit`;
}

/** Formats milliseconds as tc writes times: 30 → "30ms", 0.5 → "0.5ms" (six significant digits). */
export function formatMs(ms: number): string {
  return `${Number(ms.toPrecision(6))}ms`;
}
