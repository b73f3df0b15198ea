/**
 * `shaping:` blocks (link level, endpoint level) → Shaping (src/shaping/types.ts),
 * with the combinations tc-netem(8) refuses or ignores caught here: jitter or
 * a distribution without delay, reorder without delay, a correlation without
 * the value it correlates.
 */
import { TopologyError } from '../errors.js';
import type { ShapingInput } from './schema/source.js';
import type { Shaping } from './types.js';
import { MAX_BURST_BYTES, MAX_DELAY_MS, MAX_LIMIT_PACKETS } from './limits.js';
import { formatPath, type PathPart } from './path.js';
import { formatMs, formatRate, parsePercent, parseRate, parseSize, parseTime } from './units.js';

/** Parses one block (already schema-checked). Returns undefined for an empty block. */
export function parseShaping(raw: ShapingInput | undefined): Shaping | undefined {
  if (!raw) return undefined;
  const s: Shaping = {};
  if (raw.rate !== undefined) s.rateBps = parseRate(raw.rate);
  if (raw.burst !== undefined) s.burstBytes = parseSize(raw.burst);
  if (raw.limit !== undefined) s.limitPackets = raw.limit;
  if (raw.delay !== undefined) s.delayMs = parseTime(raw.delay);
  if (raw.jitter !== undefined) s.jitterMs = parseTime(raw.jitter);
  if (raw.delay_correlation !== undefined) s.delayCorrelationPercent = parsePercent(raw.delay_correlation);
  if (raw.distribution !== undefined) s.distribution = raw.distribution;
  if (raw.loss !== undefined) s.lossPercent = parsePercent(raw.loss);
  if (raw.loss_correlation !== undefined) s.lossCorrelationPercent = parsePercent(raw.loss_correlation);
  if (raw.corrupt !== undefined) s.corruptPercent = parsePercent(raw.corrupt);
  if (raw.duplicate !== undefined) s.duplicatePercent = parsePercent(raw.duplicate);
  if (raw.reorder !== undefined) s.reorderPercent = parsePercent(raw.reorder);
  if (raw.reorder_correlation !== undefined) s.reorderCorrelationPercent = parsePercent(raw.reorder_correlation);
  return Object.keys(s).length ? s : undefined;
}

/**
 * A Shaping in one line, in tc-netem(8)'s and tc-tbf(8)'s words:
 * `rate 10Mbit delay 30ms 5ms 25% loss 0.01%`; `none` when it asks for nothing.
 * A value of 0 is left out (0 asks for nothing: no qdisc carries it, see
 * src/shaping/netem.ts hasImpairment); the queue limit is in packets (`limit
 * 100p`); a delay's correlation shows only with its jitter and the
 * distribution only when not netem's default (uniform), as tc takes them.
 * The one description of shaping: `netlab up --dry-run` (src/graph/plan-text.ts),
 * `netlab link show`, `netlab status`, the UI and the events' step labels.
 */
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

/** Field-wise merge: the endpoint's values win over the link's. */
export function mergeShaping(link: Shaping | undefined, own: Shaping | undefined): Shaping | undefined {
  if (!link) return own;
  if (!own) return link;
  return { ...link, ...own };
}

/** How a check names a setting in its hint: as a topology key (`delay: 20ms`) or as a `link set` flag (`--delay 20ms`). */
export type ShapingKeys = 'yaml' | 'flags';

/**
 * Checks a (merged) Shaping for combinations netem cannot do, for a burst or a
 * queue limit that does not fit the kernel's u32 (MAX_BURST_BYTES,
 * MAX_LIMIT_PACKETS), and for a delay or jitter above MAX_DELAY_MS.
 * `where` is a key path (errors read `links[0].shaping: …`) or, from the CLI,
 * the endpoint as typed (`r1:eth1: …`); `keys` picks how hints name settings.
 * @throws TopologyError at `where`.
 */
export function checkShaping(s: Shaping | undefined, where: PathPart[] | string, keys: ShapingKeys = 'yaml'): void {
  if (!s) return;
  const at = typeof where === 'string' ? where : formatPath(where);
  const k = (name: string, example?: string): string => keys === 'flags'
    ? `--${name.replace(/_/g, '-')}${example ? ` ${example}` : ''}`
    : `${name}:${example ? ` ${example}` : ''}`;
  const need = (cond: boolean, what: string, hint: string): void => {
    if (cond) throw new TopologyError(at, what, hint);
  };
  const noDelay = !s.delayMs;
  need(s.jitterMs !== undefined && noDelay, 'jitter needs a delay', `add ${k('delay')} (jitter varies the delay around it), e.g. ${k('delay', '20ms')}${keys === 'flags' ? ' ' : ', '}${k('jitter', '5ms')}`);
  need(s.distribution !== undefined && s.jitterMs === undefined, 'distribution needs jitter', `add ${k('jitter')} (the distribution shapes the jitter)`);
  need(s.reorderPercent !== undefined && noDelay, 'reorder needs a delay', `netem reorders by sending some packets without the delay (tc-netem(8)); add ${k('delay')}, e.g. ${k('delay', '20ms')}`);
  need(s.delayCorrelationPercent !== undefined && s.jitterMs === undefined, 'delay_correlation needs jitter', `add ${k('jitter')}, e.g. ${k('jitter', '5ms')}`);
  need(s.lossCorrelationPercent !== undefined && s.lossPercent === undefined, 'loss_correlation needs loss', `add ${k('loss')}, e.g. ${k('loss', '1%')}`);
  need(s.reorderCorrelationPercent !== undefined && s.reorderPercent === undefined, 'reorder_correlation needs reorder', `add ${k('reorder')}, e.g. ${k('reorder', '25%')}`);
  need(s.burstBytes !== undefined && s.rateBps === undefined, 'burst needs a rate', `add ${k('rate')} (burst is the token bucket of the rate limit), e.g. ${k('rate', '10mbit')}`);
  need(s.burstBytes !== undefined && s.burstBytes > MAX_BURST_BYTES, `burst ${s.burstBytes} bytes is above ${MAX_BURST_BYTES} (the kernel keeps a tbf bucket in 32 bits)`,
    `give a burst below 4G, e.g. ${k('burst', '32kb')}`);
  need(s.limitPackets !== undefined && s.limitPackets > MAX_LIMIT_PACKETS, `limit ${s.limitPackets} packets is above ${MAX_LIMIT_PACKETS} (the kernel keeps a queue limit in 32 bits)`,
    `give a smaller limit, e.g. ${k('limit', '1000')}`);
  for (const [key, v] of [['delay', s.delayMs], ['jitter', s.jitterMs]] as const) {
    need(v !== undefined && v > MAX_DELAY_MS, `${key} ${v} ms is longer than one hour, the most netlab adds`,
      `give a shorter ${key}, e.g. ${k(key, '500ms')}; to cut a link, use netlab link down`);
  }
}
