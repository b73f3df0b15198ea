/** Small formatting helpers of the page (pure). */

/** Bits per second as people read them: 0, 950 b/s, 12.3 kb/s, 1.02 Mb/s, 1.00 Gb/s (SI, 1000). */
export function formatBps(bps: number | undefined): string {
  if (bps === undefined || !Number.isFinite(bps)) return '–';
  if (bps < 1) return '0';
  const units = ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'];
  let v = bps, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 100 || u === 0 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** A short rate for edge labels: 0, 950, 12k, 1.0M, 1.0G. */
export function shortBps(bps: number | undefined): string {
  if (bps === undefined || bps < 1) return '0';
  const units = ['', 'k', 'M', 'G', 'T'];
  let v = bps, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)}${units[u]}`;
}

/** Text for HTML: & < > " ' escaped. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
