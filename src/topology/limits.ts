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
 * default bucket, 10 ms at the rate (src/shaping/tcmath.ts defaultBurstBytes),
 * would be 10^10 bytes and is clamped to TCA_TBF_BURST's u32 (max
 * 4 294 967 295, about 4.3 ms there). Far above this rate, 2^64 bytes/s
 * overflows TCA_TBF_RATE64 and tc's rate printing (bytes × 8 in a u64) wraps
 * from 2^61 bytes/s. Every other derived value (the bucket's ticks, the u32
 * limit, which is clamped) fits at this rate.
 */
export const MAX_RATE_BPS = 8e12;

/** The largest queue limit, packets: tc's `limit` is a u32 (struct tc_tbf_qopt, tc_netem_qopt). */
export const MAX_LIMIT_PACKETS = 0xffffffff;

/**
 * The longest delay or jitter netlab adds, ms: one hour. netem keeps the delay
 * in 64-bit nanoseconds (TCA_NETEM_LATENCY64), but a link that holds packets
 * longer than this is a cut link (`netlab link down`), and every packet sent
 * meanwhile waits in the queue.
 */
export const MAX_DELAY_MS = 3_600_000;

/**
 * The longest time any other setting may give, ms: 2^31 − 1 (24.8 days), the
 * longest a Node.js timer waits; a longer `wait:` or `timeout:` would fire at once.
 */
export const MAX_TIME_MS = 2 ** 31 - 1;

/** The largest size netlab takes, bytes: 2^53 − 1 (8 PiB), the largest whole number a JavaScript number holds exactly. */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * Most traffic classes one node may have: htb minors 0x11…0xfeff (src/shaping/plan.ts
 * FIRST_CLASS_MINOR; the minors above are netlab's own), 65,262 classes.
 */
export const MAX_CLASSES = 0xfeff - 0x11;

/** Longest traffic-class name, bytes: it names the class's cgroup directory (`class-<name>`, src/shaping/cgroups.ts). */
export const CLASS_NAME_MAX = 48;
