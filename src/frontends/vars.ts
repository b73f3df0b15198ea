/**
 * `${VAR}` in a containerlab file, the way containerlab reads it (bash's
 * parameter expansion, as its envsubst does): `${VAR}` is the value or empty,
 * `${VAR:-d}` / `${VAR:=d}` give d when VAR is unset or empty, `${VAR-d}` /
 * `${VAR=d}` when it is unset, `$$` is a literal `$`. `$VAR` without braces
 * is left for the node's shell. String values only, never keys. When a whole
 * value is one `${…}` and expands to a number, it becomes that number (a
 * YAML `mtu: ${MTU:-9000}` is a number as if written directly). Pure.
 */
import type { Env } from '../topology/expand.js';
import type { Note } from './types.js';

const REF = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])((?:[^{}]|\{[^{}]*\})*))?\})/g;
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-=])(?:[^{}]|\{[^{}]*\})*)?\}$/;

/** Path parts joined the way notes name keys: `topology.nodes.l1.env.A`, `topology.links[0]`. */
export function keyPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

/**
 * Returns a copy of `data` with every string value expanded; an unset `${VAR}`
 * without a default becomes '' and adds a note (never silently).
 */
export function expandClabVariables(data: unknown, env: Env, notes: Note[], path: (string | number)[] = []): unknown {
  if (typeof data === 'string') return data.includes('$') ? expandOne(data, env, notes, path) : data;
  if (Array.isArray(data)) return data.map((v, i) => expandClabVariables(v, env, notes, [...path, i]));
  if (data !== null && typeof data === 'object') {
    return Object.fromEntries(Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, expandClabVariables(v, env, notes, [...path, k])]));
  }
  return data;
}

function expandOne(s: string, env: Env, notes: Note[], path: (string | number)[]): unknown {
  const out = s.replace(REF, (_m, body: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (body === '$') return '$';
    const value = env[name!];
    if (op === ':-' || op === ':=') return value === undefined || value === '' ? (arg ?? '') : value;
    if (op === '-' || op === '=') return value === undefined ? (arg ?? '') : value;
    if (value === undefined) {
      notes.push({ where: keyPath(path), text: `\${${name}} is not set: it expands to an empty string, as in containerlab (export ${name}=… to give it a value)` });
      return '';
    }
    return value;
  });
  if (WHOLE.test(s) && /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(out)) return Number(out);
  return out;
}
