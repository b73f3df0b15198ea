/**
 * Renders progress events: on a terminal, one line per phase rewritten in place
 * (`links 412/1000`); otherwise one plain line when a phase ends, so CI logs stay
 * short.
 */
import type { ImageProgress, ProgressEvent } from '../index.js';
import { colors } from './output.js';

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: ProgressEvent) => void {
  const tty = Boolean(stream.isTTY);
  return (e) => {
    const finished = e.done >= e.total;
    const text = `${e.phase.padEnd(10)} ${String(e.done).padStart(String(e.total).length)}/${e.total}`;
    if (tty) {
      stream.write(`\r\x1b[K${finished ? colors.green('✓') : ' '} ${text}${finished ? colors.dim(`  ${fmtMs(e.ms)}`) : ''}`);
      if (finished) stream.write('\n');
    } else if (finished) {
      stream.write(`${text}  ${fmtMs(e.ms)}\n`);
    }
  };
}

/** 1234.5 → "1.23 s"; 12.3 → "12 ms". */
export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** 1536 → "1.5 KB"; bytes in powers of 1000, as registries and `docker images` show sizes. */
export function fmtBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/**
 * Renders the progress of pulls and imports: on a terminal one line per image
 * rewritten in place (`pull alpine:3.20  2/5 layers  12.3 MB/45.6 MB`);
 * otherwise one line per layer as it is done, so CI logs stay short.
 */
export function imageProgressPrinter(verb = 'pull', stream: NodeJS.WriteStream = process.stderr): (e: ImageProgress) => void {
  const tty = Boolean(stream.isTTY);
  const images = new Map<string, { layers: Map<number, { bytes: number; total: number; state: string }>; count: number; started: number }>();
  return (e) => {
    let img = images.get(e.image);
    if (!img) { img = { layers: new Map(), count: 0, started: performance.now() }; images.set(e.image, img); }
    if (e.phase === 'layer' && e.layer !== undefined) {
      img.count = e.layers ?? img.count;
      const before = img.layers.get(e.layer)?.state;
      img.layers.set(e.layer, { bytes: e.bytes ?? 0, total: e.total ?? 0, state: e.state ?? 'reading' });
      if (!tty && (e.state === 'done' || e.state === 'present') && before !== e.state && before !== 'present') {
        stream.write(`${verb} ${e.image}: layer ${e.layer + 1}/${img.count} ${e.state === 'present' ? 'already in the store' : `${fmtBytes(e.bytes ?? 0)} done`}\n`);
      }
    }
    if (!tty) return;
    const all = [...img.layers.values()];
    const done = all.filter((l) => l.state === 'done' || l.state === 'present').length;
    const bytes = all.reduce((s, l) => s + l.bytes, 0);
    const total = all.reduce((s, l) => s + l.total, 0);
    const waiting = all.some((l) => l.state === 'waiting') ? colors.dim('  (waiting for another pull of the same layer)') : '';
    if (e.phase === 'done') {
      stream.write(`\r\x1b[K${colors.green('✓')} ${verb} ${e.image}  ${img.count} layer${img.count === 1 ? '' : 's'}${colors.dim(`  ${fmtMs(performance.now() - img.started)}`)}\n`);
      return;
    }
    const size = total ? `${fmtBytes(bytes)}/${fmtBytes(total)}` : bytes ? fmtBytes(bytes) : '';
    stream.write(`\r\x1b[K  ${verb} ${e.image}  ${e.phase === 'resolve' ? 'reading the manifest' : `${done}/${img.count} layers  ${size}`}${waiting}`);
  };
}
