/**
 * Messages echo what the user wrote ("lab name \"…\" contains …"); a 100 KB
 * value must not make a 100 KB message. Values in messages are quoted, so one
 * rule covers every message: a quoted string longer than ECHO_MAX characters
 * keeps its start and says how long it was.
 */
import { TopologyError } from '../errors.js';

/** Longest quoted value a message shows in full, characters. */
export const ECHO_MAX = 60;

const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

/** `text` with every quoted string longer than `max` cut: `"aaaa…" (100000 characters)`. Pure. */
export function clipQuoted(text: string, max = ECHO_MAX): string {
  if (text.length <= max + 2) return text;
  return text.replace(QUOTED, (whole, inner: string) => {
    if (inner.length <= max) return whole;
    let cut = inner.slice(0, max);
    const slash = cut.lastIndexOf('\\');
    if (slash >= max - 6) cut = cut.slice(0, slash); // not inside an escape such as \u0000
    return `"${cut}…" (${inner.length} characters)`;
  });
}

/** The same error with long echoed values cut in its message and hint (the path is cut where it is made). */
export function clipError(err: TopologyError): TopologyError {
  const message = clipQuoted(err.message);
  const hint = clipQuoted(err.hint);
  return message === err.message && hint === err.hint ? err : new TopologyError(err.path, message, hint);
}

/** First non-empty line of a text (a command's output), trimmed, at most 160 characters. Pure. */
export function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
