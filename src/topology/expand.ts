/**
 * `${VAR}` expansion in the string values of a parsed topology (not in keys),
 * the way a shell and docker compose read it:
 *   ${VAR}           the value of VAR; an error when VAR is unset
 *   ${VAR:-default}  default when VAR is unset or empty
 *   ${VAR-default}   default when VAR is unset
 *   ${VAR:?message}  an error saying `message` when VAR is unset or empty
 *   $$               a literal `$` (so `$${i}` reaches a node's shell as `${i}`)
 * A `$` not followed by `{` or `$` stays as it is (`$HOME` in an exec line is
 * left for the node's shell). When a whole value is one `${…}` and the result
 * looks like a number or true/false, it becomes that number or boolean, so
 * `mtu: ${MTU:-9000}` is a number as if written directly.
 */
import { TopologyError } from '../errors.js';
import { formatPath, type PathPart } from './path.js';

const REF = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-|:\?)((?:[^{}]|\{[^{}]*\})*))?\})/g;
const WHOLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?-|:\?)(?:[^{}]|\{[^{}]*\})*)?\}$/;

/** Environment used for expansion. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Returns a copy of `data` with every string value expanded.
 * @throws TopologyError naming the path when a variable is unset without a
 *   default, or a `${` is not closed.
 */
export function expandVariables(data: unknown, env: Env, path: PathPart[] = []): unknown {
  if (typeof data === 'string') return data.includes('$') ? expandString(data, env, path) : data;
  if (Array.isArray(data)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      const e = typeof v === 'string' && !v.includes('$') ? v : expandVariables(v, env, [...path, i]);
      if (e !== v && !out) out = data.slice(0, i);
      if (out) out.push(e);
    }
    return out ?? data;
  }
  if (data !== null && typeof data === 'object') {
    let out: Record<string, unknown> | undefined;
    const entries = Object.entries(data as Record<string, unknown>);
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      const e = typeof v === 'string' && !v.includes('$') ? v : expandVariables(v, env, [...path, k]);
      if (e !== v && !out) out = Object.fromEntries(entries.slice(0, i));
      if (out) out[k] = e;
    }
    return out ?? data;
  }
  return data;
}

function expandString(s: string, env: Env, path: PathPart[]): unknown {
  const where = formatPath(path);
  const result = s.replace(REF, (_m, body: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (body === '$') return '$';
    const value = env[name!];
    if (op === ':-') return value === undefined || value === '' ? (arg ?? '') : value;
    if (op === '-') return value === undefined ? (arg ?? '') : value;
    if (op === ':?') {
      if (value === undefined || value === '') {
        throw new TopologyError(where, `\${${name}} is not set: ${arg || 'a value is required'}`, `export ${name}=… before running netlab`);
      }
      return value;
    }
    if (value === undefined) {
      throw new TopologyError(where, `\${${name}} is not set`,
        `export ${name}=…, or write \${${name}:-default}; to pass \${${name}} to a node's shell, write $\${${name}}`);
    }
    return value;
  });
  if (/\$\{/.test(s.replace(REF, ''))) {
    throw new TopologyError(where, `"${s}" has a \${ that is not a valid variable reference`,
      'write ${NAME} or ${NAME:-default} (letters, digits, _); write $$ for a literal $');
  }
  if (WHOLE.test(s)) {
    if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(result)) return Number(result);
    if (result === 'true') return true;
    if (result === 'false') return false;
  }
  return result;
}
