/**
 * YAML text → plain JavaScript data (YAML 1.2 core schema: `yes`/`on` stay
 * strings, `2001:db8::/48` is a string), with syntax errors and duplicate keys
 * turned into TopologyErrors that give line and column. The parser's event
 * stream is kept so that a later error about a key path (`links[3].endpoints[1]`)
 * can be located in the file — computed only when an error happens.
 */
import { basename } from 'node:path';
import { constructFromEvents, getScalarValue, parseEvents, YAMLException } from 'js-yaml';
import type { Event, ScalarEvent } from 'js-yaml';
import { TopologyError } from '../errors.js';
import type { PathPart } from './path.js';

/** A parsed document and what is needed to find a path's line later. */
export interface ParsedYaml {
  data: unknown;
  /** 1-based line of the key or item at `path`, or of its nearest existing ancestor. */
  lineOf(path: PathPart[]): number | undefined;
}

const DOCUMENT = 1, SEQUENCE = 2, MAPPING = 3, SCALAR = 4, POP = 6;

/**
 * Parses one YAML document.
 * @throws TopologyError with path `line L, column C` on a syntax error, a
 *   duplicate key, or more than one document.
 */
export function parseYaml(text: string, filename?: string): ParsedYaml {
  let events: Event[];
  let docs: unknown[];
  try {
    events = parseEvents(text, { filename });
    docs = constructFromEvents(events, { source: text, filename });
  } catch (err) {
    if (err instanceof YAMLException) {
      const line = (err.mark?.line ?? 0) + 1;
      const column = (err.mark?.column ?? 0) + 1;
      const dup = /duplicate/i.test(err.reason);
      const inFile = filename ? ` (${basename(filename)})` : '';
      // `{ A: ${X} }`: in a { } or [ ] collection, an unquoted ${…} is read as YAML's own braces.
      // (Two linear searches: a regex of the pair backtracks quadratically on a long line of brackets.)
      const lineText = lineAt(text, line);
      const dollar = lineText.indexOf('${');
      const flowVar = dollar > 0 && /[{[]/.test(lineText.slice(0, dollar));
      throw new TopologyError(`line ${line}, column ${column}`, `YAML ${dup ? 'error' : 'syntax error'}: ${err.reason}${inFile}`,
        dup ? 'each key may appear once in a mapping; merge the two entries or rename one'
          : flowVar ? 'inside { } or [ ], quote a value that holds ${…}: A: "${VAR}"'
            : 'check the indentation and the brackets/quotes around this place');
    }
    throw err;
  }
  if (docs.length > 1) {
    throw new TopologyError('', `the file holds ${docs.length} YAML documents; netlab reads one topology per file`, 'remove the extra `---` separators');
  }
  const lineOf = (path: PathPart[]): number | undefined => {
    const offset = locate(events, text, path);
    if (offset === undefined) return undefined;
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    return line;
  };
  return { data: docs[0], lineOf };
}

/** Line `n` (1-based) of `text`, without splitting the whole text. */
function lineAt(text: string, n: number): string {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return '';
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

function position(ev: Event): number {
  if (ev.type === SCALAR) return (ev as ScalarEvent).valueStart;
  if (ev.type === MAPPING || ev.type === SEQUENCE) return (ev as { start: number }).start;
  return -1;
}

function skip(events: Event[], i: number): number {
  const t = events[i]!.type;
  if (t !== MAPPING && t !== SEQUENCE) return i + 1;
  i++;
  while (i < events.length && events[i]!.type !== POP) i = skip(events, i);
  return i + 1;
}

/** Source offset of the deepest existing part of `path` (the key for mapping entries). */
function locate(events: Event[], text: string, path: PathPart[]): number | undefined {
  let i = events.findIndex((e) => e.type === DOCUMENT) + 1;
  if (i <= 0 || i >= events.length) return undefined;
  let best = position(events[i]!);
  for (const part of path) {
    const ev = events[i]!;
    if (ev.type === MAPPING && typeof part === 'string') {
      let j = i + 1;
      let found = -1;
      while (j < events.length && events[j]!.type !== POP) {
        const keyEv = events[j]!;
        const key = keyEv.type === SCALAR ? getScalarValue(text, keyEv as ScalarEvent) : undefined;
        const valueIndex = skip(events, j);
        if (key === part) { best = position(keyEv); found = valueIndex; break; }
        j = skip(events, valueIndex);
      }
      if (found < 0) return best < 0 ? undefined : best;
      i = found;
    } else if (ev.type === SEQUENCE && typeof part === 'number') {
      let j = i + 1;
      for (let k = 0; k < part && j < events.length && events[j]!.type !== POP; k++) j = skip(events, j);
      if (j >= events.length || events[j]!.type === POP) return best < 0 ? undefined : best;
      i = j;
      const p = position(events[i]!);
      if (p >= 0) best = p;
    } else {
      break;
    }
  }
  return best < 0 ? undefined : best;
}
