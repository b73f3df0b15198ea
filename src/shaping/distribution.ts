/**
 * netem's jitter distributions. `uniform` is built into the kernel; `normal`,
 * `pareto` and `paretonormal` are tables of s16 values that iproute2 ships as
 * data files (<tc lib dir>/<name>.dist) and tc sends in TCA_NETEM_DELAY_DIST.
 * netlab reads the same files at run time: they are iproute2's data, not ours.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { NetlabError } from '../errors.js';
import type { DelayDistribution } from './types.js';
import { NETEM_DIST_MAX } from './netem.js';

/**
 * Where iproute2 installs its .dist files, most specific first: $NETLAB_TC_LIB,
 * $TC_LIB_DIR (tc's own override), /usr/lib/tc and /usr/lib64/tc (upstream and
 * Fedora), /usr/lib/<multiarch>/tc (Debian, Ubuntu), /usr/share/tc,
 * /usr/local/lib/tc.
 */
export function tcLibDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.NETLAB_TC_LIB) dirs.push(env.NETLAB_TC_LIB);
  if (env.TC_LIB_DIR) dirs.push(env.TC_LIB_DIR);
  dirs.push('/usr/lib/tc', '/usr/lib64/tc');
  try {
    for (const d of readdirSync('/usr/lib')) if (/-linux-gnu/.test(d)) dirs.push(join('/usr/lib', d, 'tc'));
  } catch { /* no /usr/lib: fine */ }
  dirs.push('/usr/share/tc', '/usr/local/lib/tc');
  return dirs;
}

/**
 * Parses a .dist file: `#` comment lines, then integers separated by blanks
 * (tc reads them with strtol base 0, so 0x.. is allowed).
 * @throws Error when a value is outside s16 or there are more than NETEM_DIST_MAX.
 */
export function parseDistribution(text: string, name = 'table'): Int16Array {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    for (const tok of line.trim().split(/\s+/)) {
      const neg = tok.startsWith('-');
      const body = neg || tok.startsWith('+') ? tok.slice(1) : tok;
      const v = (neg ? -1 : 1) * (/^0x/i.test(body) ? parseInt(body.slice(2), 16) : /^0[0-7]+$/.test(body) ? parseInt(body, 8) : Number(body));
      if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new Error(`${name}: "${tok}" is not a 16-bit integer`);
      values.push(v);
    }
  }
  if (values.length === 0) throw new Error(`${name}: no values`);
  if (values.length > NETEM_DIST_MAX) throw new Error(`${name}: ${values.length} values; the kernel takes at most ${NETEM_DIST_MAX}`);
  return Int16Array.from(values);
}

/**
 * The table for a jitter distribution, read from the first tc lib directory
 * that has `<name>.dist`; undefined for `uniform` (no table needed).
 * @throws NetlabError naming every directory looked in when the file is missing.
 */
export function loadDistribution(name: DelayDistribution, dirs: string[] = tcLibDirs()): Int16Array | undefined {
  if (name === 'uniform') return undefined;
  for (const dir of dirs) {
    const file = join(dir, `${name}.dist`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return parseDistribution(text, file);
  }
  throw new NetlabError(`distribution ${name}`,
    `netem's ${name} table (${name}.dist) is not installed; looked in ${dirs.join(', ')}`,
    'install iproute2 (it ships the tables), or set NETLAB_TC_LIB to the folder holding normal.dist');
}
