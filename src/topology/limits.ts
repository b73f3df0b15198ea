/**
 * Numbers the kernel (or netlab's arithmetic) cannot go beyond, which the
 * loader checks a topology against. They live here, in the pure base, so that
 * src/topology needs nothing from the layers that apply a lab; src/shaping
 * re-exports them for its own checks.
 */

/** The largest bucket a tbf takes, bytes: TCA_TBF_BURST is a u32 (net/sched/sch_tbf.c, tbf_change). */
export const MAX_BURST_BYTES = 0xffffffff;

/**
 * The largest rate netlab shapes, bits/s: 8 Tbit/s (10^12 bytes/s). Its
 * default bucket, 4 ms at the rate (src/shaping/tcmath.ts defaultBurstBytes), is 4·10^9
 * bytes and still fits TCA_TBF_BURST (u32, max 4 294 967 295); at about
 * 8.6 Tbit/s it no longer does. Far above that, 2^64 bytes/s overflows
 * TCA_TBF_RATE64 and tc's rate printing (bytes × 8 in a u64) wraps from
 * 2^61 bytes/s. Every other derived value (4 ms of ticks, the u32 limit,
 * which is clamped) fits at this rate.
 */
export const MAX_RATE_BPS = 8e12;
