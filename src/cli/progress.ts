/**
 * Renders progress events: on a terminal, one line per phase rewritten in place
 * (`links 412/1000`); otherwise one plain line when a phase ends, so CI logs stay
 * short.
 */
import type { ProgressEvent } from '../lab/progress.js';
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
