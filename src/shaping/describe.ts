/**
 * Shaping in words, the way tc writes it: `rate 10Mbit delay 30ms 5ms 25%
 * loss 0.01%`. Pure. For `netlab link show` and `netlab status`.
 */
import type { Shaping } from './types.js';

/** `10Mbit`, `1.5Mbit`, `64Kbit`, `2Gbit`, `8Tbit` (SI, as tc prints rates). */
export function formatRate(bps: number): string {
  for (const [unit, f] of [['Tbit', 1e12], ['Gbit', 1e9], ['Mbit', 1e6], ['Kbit', 1e3]] as const) {
    if (bps >= f) return `${Number((bps / f).toPrecision(4))}${unit}`;
  }
  return `${bps}bit`;
}

/** `30ms`, `0.5ms`. */
export function formatMs(ms: number): string {
  return `${Number(ms.toPrecision(6))}ms`;
}

/** One line describing what `s` asks for; `none` when nothing. */
export function describeShaping(s: Shaping): string {
  const parts: string[] = [];
  const pct = (p: number | undefined): string => (p ? `${p}%` : '');
  if (s.rateBps) parts.push(`rate ${formatRate(s.rateBps)}`);
  if (s.burstBytes) parts.push(`burst ${s.burstBytes}b`);
  if (s.limitPackets) parts.push(`limit ${s.limitPackets}p`);
  if (s.delayMs || s.jitterMs) {
    parts.push(['delay', formatMs(s.delayMs ?? 0), s.jitterMs ? formatMs(s.jitterMs) : '', s.jitterMs ? pct(s.delayCorrelationPercent) : ''].filter(Boolean).join(' '));
    if (s.distribution && s.distribution !== 'uniform') parts.push(`distribution ${s.distribution}`);
  }
  if (s.lossPercent) parts.push(['loss', pct(s.lossPercent), pct(s.lossCorrelationPercent)].filter(Boolean).join(' '));
  if (s.corruptPercent) parts.push(`corrupt ${pct(s.corruptPercent)}`);
  if (s.duplicatePercent) parts.push(`duplicate ${pct(s.duplicatePercent)}`);
  if (s.reorderPercent) parts.push(['reorder', pct(s.reorderPercent), pct(s.reorderCorrelationPercent)].filter(Boolean).join(' '));
  return parts.length ? parts.join(' ') : 'none';
}
