/**
 * Checks a parsed topology against its schema (./source.ts) and, when it does
 * not fit, says where and why in netlab's words: the first problem in file
 * order becomes a TopologyError with the key path, what is wrong and a hint
 * ("did you mean …" for unknown keys, netlab's own messages for formats).
 *
 * Two parts of TypeBox do the work. The check itself is TypeBox's compiled
 * JavaScript (check.generated.js, written at build time by ./emit.ts), loaded
 * on first use: nothing is compiled or interpreted when netlab runs, and
 * `netlab --help` loads none of it. Only when a file does not fit does TypeBox's
 * error reporter (`Errors`, which walks the JSON Schema) run, and this module
 * translates its list into one message:
 *   - an `anyOf` that failed keeps the errors of its first alternative whose
 *     type fits the value (a mapping-form link reports its own key, not "must
 *     be a list"), or, when none fits, becomes "must be a list or a mapping";
 *   - of what is left, the first in file order wins: at each mapping, its keys
 *     (unknown, or badly named) before a missing key before the values inside;
 *   - the message is computed from the schema node that failed, checked in a
 *     fixed order (const, type, enum, format, length, pattern, bounds), so one
 *     value gets one message however many keywords it breaks.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TopologyError } from '../../errors.js';
import { FORMATS } from '../format-checks.js';
import { formatPath, type PathPart } from '../path.js';
import { didYouMean } from '../suggest.js';
import type { TestInput, TopologyInput } from './source.js';

type Schema = Record<string, unknown>;

/** One error as TypeBox's `Errors` reports it: the schema node (`schemaPath`) and the value (`instancePath`) that failed. */
interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
}

interface Compiled { Check(value: unknown): boolean; TOP_LEVEL_KEYS: string[] }
interface Reporter { errors(schema: Schema, value: unknown): SchemaError[] }

const require = createRequire(import.meta.url);
let compiled: Compiled | undefined;
let reporter: Reporter | undefined;
let jsonSchema: Schema | undefined;

/** The compiled check (a cache: loaded once, on first use). */
function compiledCheck(): Compiled {
  compiled ??= require('./check.generated.js') as Compiled;
  return compiled;
}

/** The JSON Schema the check was compiled from (dist/…/topology.schema.json; read on the first error). */
export function topologyJsonSchema(): Schema {
  jsonSchema ??= JSON.parse(readFileSync(new URL('./topology.schema.json', import.meta.url), 'utf8')) as Schema;
  return jsonSchema;
}

/** TypeBox's error reporter, with netlab's formats registered (loaded on the first error: a cache). */
function errorReporter(): Reporter {
  if (!reporter) {
    const { Errors } = require('typebox/schema') as { Errors(schema: Schema, value: unknown): [boolean, SchemaError[]] };
    const { Settings } = require('typebox/system') as { Settings: { Set(o: { maxErrors: number }): void } };
    const Format = (require('typebox/format') as { default: { Set(name: string, check: (v: string) => boolean): void } }).default;
    for (const [name, check] of Object.entries(FORMATS)) Format.Set(name, (v) => check(v) === undefined);
    Settings.Set({ maxErrors: Number.MAX_SAFE_INTEGER }); // all of them: the first in file order is chosen below
    reporter = { errors: (schema, value) => Errors(schema, value)[1] };
  }
  return reporter;
}

/** The error for an unknown key in the mapping at `path`, whose keys are `known`. */
function unknownKey(path: PathPart[], key: string, known: readonly string[]): TopologyError {
  const where = path.length ? `in ${formatPath(path)}` : 'at the top level';
  return new TopologyError(formatPath([...path, key]), `unknown key "${key}"${didYouMean(key, known)}`, `keys allowed ${where}: ${known.join(', ')}`);
}

/**
 * Refuses an unknown key at the top level of a topology, before anything
 * walks the rest (an alias bomb under a misspelt key is refused at once).
 * @throws TopologyError at the first unknown key.
 */
export function checkTopLevelKeys(data: object): void {
  const known = compiledCheck().TOP_LEVEL_KEYS;
  const key = Object.keys(data).find((k) => !known.includes(k));
  if (key !== undefined) throw unknownKey([], key, known);
}

/**
 * Checks a whole topology (after ${VAR} expansion).
 * @throws TopologyError at the first problem in file order.
 */
export function checkTopology(data: unknown): asserts data is TopologyInput {
  if (compiledCheck().Check(data)) return;
  throw explain(topologyJsonSchema(), data);
}

/**
 * Checks the items of a tests file as if they were a topology's `tests:`;
 * errors name them `tests[i]…`.
 * @throws TopologyError at the first problem.
 */
export function checkTests(items: unknown[]): asserts items is TestInput[] {
  checkTopology({ tests: items });
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false',
  object: 'a mapping (key: value)', array: 'a list', null: 'empty',
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  return t === typeOf(v);
}

/** A value as a message shows it. */
export function describeValue(v: unknown): string {
  const t = typeOf(v);
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  if (t === 'null') return 'empty';
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

function typesOf(s: Schema): string[] {
  return Array.isArray(s.type) ? (s.type as string[]) : s.type !== undefined ? [s.type as string] : [];
}

function orList(words: string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0] ?? 'something else';
}

/** The schema node at a JSON pointer (`#/properties/links/items/anyOf/1`), following `$ref`s on the way. */
function nodeAt(root: Schema, pointer: string): Schema {
  let node = root;
  const deref = (s: Schema): Schema => {
    const ref = s.$ref;
    if (typeof ref !== 'string') return s;
    return deref(nodeAt(root, ref));
  };
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter((x) => x !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (deref(node) as Record<string, Schema>)[key]!;
  }
  return deref(node);
}

/** The path parts of a JSON pointer into the value (`/links/0/endpoints/1` → links, 0, endpoints, 1). */
function instanceParts(pointer: string, data: unknown): PathPart[] {
  const parts: PathPart[] = [];
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const part: PathPart = Array.isArray(cur) ? Number(key) : key;
    parts.push(part);
    cur = cur === null || typeof cur !== 'object' ? undefined : (cur as Record<string, unknown>)[key];
  }
  return parts;
}

function valueAt(data: unknown, parts: PathPart[]): unknown {
  let cur = data;
  for (const p of parts) cur = (cur as Record<string | number, unknown>)[p];
  return cur;
}

/** Whether a value's type fits an alternative of an anyOf (a number fits an integer alternative, which then says "whole number"). */
function fits(s: Schema, v: unknown): boolean {
  if ('const' in s) return v === s.const;
  const types = typesOf(s);
  if (types.length === 0) return true;
  return types.some((t) => typeMatches(t, v) || (t === 'integer' && typeof v === 'number'));
}

function hintOf(s: Schema): string {
  const h = s['x-hint'] ?? s.description;
  return typeof h === 'string' ? h : '';
}

/**
 * The hint for the schema node at `pointer`: its own x-hint or description,
 * else the nearest enclosing node's (`ospf.area`'s number alternative says
 * nothing itself; the area does), else a pointer to the docs.
 */
function hintAt(schema: Schema, pointer: string): string {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const node = nodeAt(schema, p);
    const h = Array.isArray(node) || /\/(properties|definitions)$/.test(p) ? '' : hintOf(node);
    if (h) return h;
    if (!p.includes('/')) return 'see docs/topology.md for this key';
  }
}

/** A problem found: where, what, and the position in the file that orders it. */
interface Finding { path: PathPart[]; what: string; hint: string; order: number[] }

/**
 * The message for a value that breaks its schema node `s` (not an anyOf),
 * checked in a fixed order so that one value gets one message.
 */
function valueProblem(s: Schema, v: unknown, hint: string): { what: string; hint: string } | undefined {
  if ('const' in s && v !== s.const) return { what: `must be ${JSON.stringify(s.const)}, not ${describeValue(v)}`, hint };
  const types = typesOf(s);
  if (types.length && !types.some((t) => typeMatches(t, v))) {
    return { what: `must be ${orList(types.map((t) => TYPE_WORDS[t] ?? t))}, not ${describeValue(v)}`, hint };
  }
  if (Array.isArray(s.enum) && !s.enum.includes(v)) {
    const opts = (s.enum as unknown[]).map(String);
    return { what: `${describeValue(v)} is not one of ${opts.join(', ')}${didYouMean(String(v), opts)}`, hint };
  }
  if (typeof s.format === 'string' && (typeof v === 'string' || typeof v === 'number')) {
    const check = FORMATS[s.format];
    const p = check?.(v);
    if (p) return p;
  }
  if (typeof v === 'string') {
    if (typeof s.minLength === 'number' && v.length < s.minLength) return { what: 'must not be empty', hint };
    if (typeof s.maxLength === 'number' && Buffer.byteLength(v) > s.maxLength) return { what: `"${v}" is longer than ${s.maxLength} bytes`, hint };
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) return { what: `"${v}" does not match ${s.pattern}`, hint };
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) return { what: `${v} is below the minimum ${s.minimum}`, hint };
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) return { what: `${v} must be above ${s.exclusiveMinimum}`, hint };
    if (typeof s.maximum === 'number' && v > s.maximum) return { what: `${v} is above the maximum ${s.maximum}`, hint };
  }
  if (Array.isArray(v) && typeof s.minItems === 'number' && v.length < s.minItems) {
    return { what: `needs at least ${s.minItems} item(s), has ${v.length}`, hint };
  }
  return undefined;
}

/** Position of each step of `path` in the file: the index of the key among its mapping's keys, or the list index. */
function positions(data: unknown, path: PathPart[]): number[] {
  const out: number[] = [];
  let cur = data;
  for (const p of path) {
    out.push(3 + (typeof p === 'number' ? p : Object.keys(cur as object).indexOf(p)));
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return out;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const under = (child: string, parent: string): boolean => child === parent || child.startsWith(`${parent}/`);

/**
 * The TopologyError for data that failed `schema`: TypeBox's errors, reduced
 * to the first problem in file order (see the module comment).
 */
function explain(schema: Schema, data: unknown): TopologyError {
  let errors = errorReporter().errors(schema, data).filter((e) => e.keyword !== 'boolean');
  // anyOf, outermost first: keep the first alternative whose type fits, or report that none fits.
  const findings: Finding[] = [];
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const a of anyOfs) {
    if (!errors.includes(a)) continue;
    const node = nodeAt(schema, a.schemaPath);
    const path = instanceParts(a.instancePath, data);
    const value = valueAt(data, path);
    const branches = (node.anyOf as Schema[]).map((b, i) => ({ i, b: nodeAt(schema, `${a.schemaPath}/anyOf/${i}`), raw: b }));
    const first = branches.find((x) => fits(x.b, value));
    const inside = (e: SchemaError): boolean => under(e.instancePath, a.instancePath) && under(e.schemaPath, `${a.schemaPath}/anyOf`) && e !== a;
    if (!first) {
      const words = [...new Set(branches.map((x) => ('const' in x.b ? JSON.stringify(x.b.const) : typesOf(x.b).map((t) => TYPE_WORDS[t] ?? t).join(' or ') || 'something else')))];
      findings.push({ path, what: `must be ${orList(words)}, not ${describeValue(value)}`, hint: hintAt(schema, a.schemaPath), order: [...positions(data, path), 0] });
      errors = errors.filter((e) => e !== a && !inside(e));
    } else {
      const keep = `${a.schemaPath}/anyOf/${first.i}`;
      errors = errors.filter((e) => e !== a && (!inside(e) || under(e.schemaPath, keep)));
    }
  }
  for (const e of errors) {
    const path = instanceParts(e.instancePath, data);
    const node = nodeAt(schema, e.schemaPath);
    const at = positions(data, path);
    if (e.keyword === 'additionalProperties') {
      if (node.additionalProperties !== false) continue; // a map: each bad value has its own error
      const obj = valueAt(data, path) as Record<string, unknown>;
      const known = Object.keys((node.properties ?? {}) as object);
      for (const key of e.params.additionalProperties as string[]) {
        const u = unknownKey(path, key, known);
        findings.push({ path: [...path, key], what: u.message, hint: u.hint, order: [...at, 1, Object.keys(obj).indexOf(key)] });
      }
    } else if (e.keyword === 'required') {
      const obj = valueAt(data, path) as Record<string, unknown>;
      for (const req of e.params.requiredProperties as string[]) {
        if (!(req in obj)) findings.push({ path, what: `"${req}" is missing`, hint: `add ${req}: (see docs/topology.md)`, order: [...at, 2] });
      }
    } else if (e.keyword === 'propertyNames') {
      continue; // each bad name has its own error at <object>/<name>, below
    } else if (e.schemaPath.endsWith('/propertyNames')) {
      const key = path.at(-1) as string;
      const obj = valueAt(data, path.slice(0, -1)) as Record<string, unknown>;
      const p = valueProblem(node, key, hintAt(schema, e.schemaPath));
      if (p) findings.push({ path, ...p, order: [...at.slice(0, -1), 1, Object.keys(obj).indexOf(key)] });
    } else {
      const p = valueProblem(node, valueAt(data, path), hintAt(schema, e.schemaPath));
      if (p) findings.push({ path, ...p, order: [...at, 0] });
    }
  }
  findings.sort((a, b) => compare(a.order, b.order));
  const f = findings[0];
  if (!f) return new TopologyError('', 'the topology does not fit its schema', 'see docs/topology.md');
  return new TopologyError(formatPath(f.path), f.what, f.hint);
}
