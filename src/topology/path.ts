/**
 * Key paths inside a topology, as error messages print them:
 * `links[3].endpoints[1]`, `nodes.r1.resources.memory`, `nodes["odd key"]`.
 */

/** One step: a mapping key or a sequence index. */
export type PathPart = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Longest key a path shows in full, characters (no valid name is longer); a longer one is cut, with an ellipsis. */
const KEY_MAX = 100;

/** ['links', 3, 'endpoints', 1] → "links[3].endpoints[1]". */
export function formatPath(parts: readonly PathPart[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (p.length > KEY_MAX) out += `[${JSON.stringify(`${p.slice(0, KEY_MAX)}…`)}]`;
    else if (PLAIN_KEY.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** The inverse of formatPath (used to find the line of an error's path). */
export function parsePath(path: string): PathPart[] {
  const parts: PathPart[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') { i++; continue; }
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m) break;
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(m[3]!) as string);
    i = re.lastIndex;
  }
  return parts;
}
