/**
 * A small JSON Schema (draft-07 subset) validator that speaks netlab's error
 * language: the first problem becomes a TopologyError with the key path, what
 * is wrong and a hint ("did you mean …" for unknown keys).
 *
 * Why our own and not ajv: the schema is the source of truth either way, but
 * ajv's errors (`must NOT have additional properties`, a list of failed anyOf
 * branches) would need a translation layer as big as this file; this one is
 * ~200 lines, costs nothing at start-up (ajv compiles a schema with `new
 * Function`, tens of ms per CLI run), and calls netlab's own format checks.
 * It supports exactly the keywords listed in KEYWORDS and throws on any other,
 * so a schema edit cannot silently stop being checked.
 */
import { TopologyError } from '../errors.js';
import { FORMATS } from './formats.js';
import { formatPath, type PathPart } from './path.js';
import { didYouMean } from './suggest.js';

type Schema = Record<string, unknown>;

const KEYWORDS = new Set([
  '$schema', '$id', '$ref', 'title', 'description', 'default', 'examples', 'definitions', 'x-hint',
  'type', 'properties', 'additionalProperties', 'propertyNames', 'required', 'items', 'minItems',
  'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'anyOf', 'format',
]);

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false',
  object: 'a mapping (key: value)', array: 'a list', null: 'empty',
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describeValue(v: unknown): string {
  const t = typeOf(v);
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  if (t === 'null') return 'empty';
  return JSON.stringify(v);
}

function typeMatches(t: string, v: unknown): boolean {
  const actual = typeOf(v);
  if (t === 'integer') return actual === 'number' && Number.isInteger(v);
  return t === actual;
}

/** Validates data against a schema with a given root (for $ref). */
export class Validator {
  private readonly root: Schema;
  private readonly refs = new Map<string, Schema>();

  constructor(root: Schema) {
    this.root = root;
    this.checkKeywords(root, '#');
  }

  /** @throws TopologyError at the first problem. */
  validate(value: unknown, schema: Schema = this.root, path: PathPart[] = []): void {
    schema = this.deref(schema);
    if (schema.anyOf) return this.validateAnyOf(value, schema, path);
    if ('const' in schema && value !== schema.const) {
      this.fail(path, `must be ${JSON.stringify(schema.const)}, not ${describeValue(value)}`, schema);
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(t, value))) {
        const words = types.map((t) => TYPE_WORDS[t] ?? t);
        const want = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0];
        this.fail(path, `must be ${want}, not ${describeValue(value)}`, schema);
      }
    }
    if (schema.enum && !(schema.enum as unknown[]).includes(value)) {
      const opts = (schema.enum as unknown[]).map(String);
      this.fail(path, `${describeValue(value)} is not one of ${opts.join(', ')}${didYouMean(String(value), opts)}`, schema);
    }
    if (typeof value === 'string') this.validateString(value, schema, path);
    if (typeof value === 'number') this.validateNumber(value, schema, path);
    if (Array.isArray(value)) this.validateArray(value, schema, path);
    else if (value !== null && typeof value === 'object') this.validateObject(value as Record<string, unknown>, schema, path);
  }

  private validateString(value: string, schema: Schema, path: PathPart[]): void {
    if (schema.format !== undefined) this.checkFormat(value, schema.format as string, path);
    if (schema.minLength !== undefined && value.length < (schema.minLength as number)) this.fail(path, 'must not be empty', schema);
    if (schema.maxLength !== undefined && Buffer.byteLength(value) > (schema.maxLength as number)) {
      this.fail(path, `"${value}" is longer than ${schema.maxLength as number} bytes`, schema);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern as string).test(value)) {
      this.fail(path, `"${value}" does not match ${schema.pattern as string}`, schema);
    }
  }

  private validateNumber(value: number, schema: Schema, path: PathPart[]): void {
    if (schema.format !== undefined) this.checkFormat(value, schema.format as string, path);
    if (schema.minimum !== undefined && value < (schema.minimum as number)) {
      this.fail(path, `${value} is below the minimum ${schema.minimum as number}`, schema);
    }
    if (schema.exclusiveMinimum !== undefined && value <= (schema.exclusiveMinimum as number)) {
      this.fail(path, `${value} must be above ${schema.exclusiveMinimum as number}`, schema);
    }
    if (schema.maximum !== undefined && value > (schema.maximum as number)) {
      this.fail(path, `${value} is above the maximum ${schema.maximum as number}`, schema);
    }
  }

  private validateArray(value: unknown[], schema: Schema, path: PathPart[]): void {
    if (schema.minItems !== undefined && value.length < (schema.minItems as number)) {
      this.fail(path, `needs at least ${schema.minItems as number} item(s), has ${value.length}`, schema);
    }
    if (schema.items) for (let i = 0; i < value.length; i++) this.validate(value[i], schema.items as Schema, [...path, i]);
  }

  private validateObject(value: Record<string, unknown>, schema: Schema, path: PathPart[]): void {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const known = Object.keys(props);
    const extra = schema.additionalProperties;
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        this.fail([...path, key], `"${key}" cannot be used as a key`, {});
      }
      if (schema.propertyNames) this.validate(key, schema.propertyNames as Schema, [...path, key]);
      if (!(key in props) && extra === false) {
        const where = path.length ? `in ${formatPath(path)}` : 'at the top level';
        throw new TopologyError(formatPath([...path, key]), `unknown key "${key}"${didYouMean(key, known)}`,
          `keys allowed ${where}: ${known.join(', ')}`);
      }
    }
    for (const req of (schema.required ?? []) as string[]) {
      if (!(req in value)) throw new TopologyError(formatPath(path), `"${req}" is missing`, `add ${req}: (see docs/topology.md)`);
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = props[key] ?? (typeof extra === 'object' ? (extra as Schema) : undefined);
      if (sub) this.validate(v, sub, [...path, key]);
    }
  }

  private validateAnyOf(value: unknown, schema: Schema, path: PathPart[]): void {
    const branches = (schema.anyOf as Schema[]).map((b) => this.deref(b));
    const fits = branches.filter((b) => this.typeFits(b, value));
    if (fits.length === 0) {
      const words = branches.map((b) => this.describeSchema(b));
      const uniq = [...new Set(words)];
      const want = uniq.length > 1 ? `${uniq.slice(0, -1).join(', ')} or ${uniq.at(-1)}` : uniq[0];
      this.fail(path, `must be ${want}, not ${describeValue(value)}`, schema);
    }
    let first: unknown;
    for (const b of fits) {
      try { this.validate(value, b, path); return; } catch (e) { first ??= e; }
    }
    throw first;
  }

  private typeFits(schema: Schema, value: unknown): boolean {
    if ('const' in schema) return value === schema.const;
    if (schema.type === undefined) return true;
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    return types.some((t) => typeMatches(t, value) || (t === 'integer' && typeof value === 'number'));
  }

  private describeSchema(schema: Schema): string {
    if ('const' in schema) return JSON.stringify(schema.const);
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
    return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ') || 'something else';
  }

  private checkFormat(value: unknown, format: string, path: PathPart[]): void {
    const check = FORMATS[format];
    if (!check) throw new Error(`schema uses unknown format "${format}"`);
    const p = check(value);
    if (p) throw new TopologyError(formatPath(path), p.what, p.hint);
  }

  private fail(path: PathPart[], what: string, schema: Schema): never {
    throw new TopologyError(formatPath(path), what, (schema['x-hint'] as string | undefined) ?? (schema.description as string | undefined) ?? '');
  }

  private deref(schema: Schema): Schema {
    const r = schema.$ref as string | undefined;
    if (!r) return schema;
    let s = this.refs.get(r);
    if (!s) {
      const name = /^#\/definitions\/(.+)$/.exec(r)?.[1];
      s = name ? ((this.root.definitions as Record<string, Schema> | undefined)?.[name]) : undefined;
      if (!s) throw new Error(`schema: unresolved $ref ${r}`);
      this.refs.set(r, s);
    }
    return s;
  }

  private checkKeywords(schema: unknown, where: string): void {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
    for (const [k, v] of Object.entries(schema as Schema)) {
      if (!KEYWORDS.has(k)) throw new Error(`schema keyword "${k}" at ${where} is not supported by src/topology/validate.ts`);
      if (v === undefined) continue;
      if (k === 'properties' || k === 'definitions') {
        for (const [pk, pv] of Object.entries(v as Schema)) this.checkKeywords(pv, `${where}/${k}/${pk}`);
      } else if (k === 'anyOf') {
        (v as unknown[]).forEach((b, i) => this.checkKeywords(b, `${where}/anyOf/${i}`));
      } else if (k === 'items' || k === 'additionalProperties' || k === 'propertyNames') {
        this.checkKeywords(v, `${where}/${k}`);
      } else if (k === 'format' && !FORMATS[v as string]) {
        throw new Error(`schema format "${String(v)}" at ${where} has no check in src/topology/formats.ts`);
      }
    }
  }
}
