/**
 * A converted lab written as a netlab topology file (`netlab convert`): the
 * front-end's document as YAML, its notes as comments on top, and its
 * relative paths rewritten for the folder the file is written to. Pure.
 */
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { dump } from 'js-yaml';
import type { LabDocument } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Node keys whose values are paths relative to the topology file. */
const PATH_KEYS = ['config', 'daemons', 'rootfs', 'layers', 'startup', 'shutdown', 'binds'] as const;

/**
 * The document with every relative path made relative to `toDir` instead of
 * the lab's folder (for a file written elsewhere). Pure; the input is not changed.
 */
export function rebasePaths(doc: LabDocument, toDir: string): Obj {
  const fromDir = doc.dir;
  const move = (p: string): string => {
    if (isAbsolute(p)) return p;
    const r = relative(resolve(toDir), join(fromDir, p));
    return r === '' ? '.' : r;
  };
  const node = (n: unknown): unknown => {
    if (!isObj(n)) return n;
    const out: Obj = { ...n };
    for (const k of PATH_KEYS) {
      const v = out[k];
      if (v === undefined) continue;
      if (k === 'config' && isObj(v) && typeof v.file === 'string') out[k] = { ...v, file: move(v.file) };
      else if (k === 'binds' && Array.isArray(v)) {
        out[k] = v.map((b) => (typeof b === 'string' ? `${move(b.split(':')[0]!)}${b.slice(b.indexOf(':'))}` : isObj(b) && typeof b.source === 'string' ? { ...b, source: move(b.source) } : b));
      } else if (typeof v === 'string') out[k] = move(v);
      else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'string' ? move(x) : x));
    }
    return out;
  };
  const data: Obj = { ...doc.data };
  for (const section of ['nodes', 'groups', 'kinds'] as const) {
    if (isObj(data[section])) data[section] = Object.fromEntries(Object.entries(data[section] as Obj).map(([k, v]) => [k, node(v)]));
  }
  if (isObj(data.defaults)) data.defaults = node(data.defaults);
  if (typeof data.tests === 'string') data.tests = move(data.tests);
  return data;
}

/**
 * The text of the netlab topology file for `doc`, to be written at `outFile`
 * (or, undefined, printed: paths then stay relative to the lab's folder, and
 * the header says so).
 */
export function documentYaml(doc: LabDocument, outFile?: string): string {
  const toDir = outFile ? dirname(resolve(outFile)) : doc.dir;
  const data = rebasePaths(doc, toDir);
  const header = [
    `# netlab topology converted from the ${doc.format} lab ${doc.file} (netlab convert)`,
    ...(outFile ? [] : [`# paths are relative to ${doc.dir}`]),
    ...(doc.notes.length ? ['#', '# What netlab does differently:'] : []),
    ...doc.notes.map((n) => `#   ${n.where}: ${n.text}`.replace(/\n/g, ' ')),
  ];
  return `${header.join('\n')}\n${dump(data, { lineWidth: -1, noRefs: true })}`;
}
