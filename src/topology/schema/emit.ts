/**
 * Build step (`npm run build` runs it after tsc): turns the format's source
 * (./source.ts, TypeBox) into
 *   dist/src/topology/schema/topology.schema.json  the JSON Schema: for editors
 *                                                 (schema/topology.schema.json in
 *                                                 the repository is a copy that
 *                                                 `npm run schema` writes), and for
 *                                                 the loader's error reports
 *   dist/src/topology/schema/check.generated.js   the validator, compiled by
 *                                                 TypeBox (`Code`) into plain
 *                                                 JavaScript: no compile step when
 *                                                 netlab runs
 *
 *   node dist/src/topology/schema/emit.js [--write-repo]
 *
 * The validator calls netlab's format checks (src/topology/format-checks.ts
 * FORMAT_TESTS) and the regular expressions of the schema; TypeBox hands them
 * over as "external variables", which the generated module receives at the
 * end (`SetExternal`), in the order TypeBox numbered them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TSchema } from 'typebox';
import { Code } from 'typebox/compile';
import Format from 'typebox/format';
import { definitions, Topology } from './source.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A schema as plain JSON (TypeBox's own markers are not enumerable and drop out). */
function plain(s: TSchema): Json {
  return JSON.parse(JSON.stringify(s)) as Json;
}

/**
 * The JSON Schema: the topology schema with every subschema that equals a
 * definition replaced by `{ $ref: '#/definitions/<name>' }`, and the
 * definitions themselves (which may refer to each other) under `definitions`.
 */
export function topologyJsonSchema(): Record<string, Json> {
  const defs = Object.entries(definitions).map(([name, s]) => ({ name, json: plain(s), text: JSON.stringify(plain(s)) }));
  const byText = new Map(defs.map((d) => [d.text, d.name]));
  const refer = (v: Json, self?: string): Json => {
    if (Array.isArray(v)) return v.map((x) => refer(x));
    if (v === null || typeof v !== 'object') return v;
    const name = byText.get(JSON.stringify(v));
    if (name !== undefined && name !== self) return { $ref: `#/definitions/${name}` };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'properties'
      ? Object.fromEntries(Object.entries(x as Record<string, Json>).map(([pk, pv]) => [pk, refer(pv)]))
      : refer(x)]));
  };
  const { $schema, $id, title, description, ...rest } = plain(Topology) as Record<string, Json>;
  return {
    $schema: $schema!, $id: $id!, title: title!, description: description!,
    ...(refer(rest) as Record<string, Json>),
    definitions: Object.fromEntries(defs.map((d) => [d.name, refer(d.json, d.name)])),
  };
}

/** Format names a schema uses (each needs a check in src/topology/format-checks.ts). */
export function formatNames(schema: Json): string[] {
  const names = new Set<string>();
  JSON.stringify(schema, (k, v: unknown) => { if (k === 'format' && typeof v === 'string') names.add(v); return v; });
  return [...names].sort();
}

/**
 * The source of the compiled validator (an ES module exporting `Check(value):
 * boolean`), for the JSON Schema `schema`.
 * @throws Error when TypeBox hands over an external variable that is neither a
 *   regular expression nor one of the schema's formats.
 */
export function compiledModule(schema: Record<string, Json>): string {
  const byFunction = new Map<unknown, string>();
  for (const name of formatNames(schema)) {
    const test = (_value: string): boolean => true;
    byFunction.set(test, name);
    Format.Set(name, test);
  }
  const { Code: code, External: external } = Code(schema as unknown as TSchema);
  const variables = (external.variables as unknown[]).map((v, i) => {
    if (v instanceof RegExp) return v.toString();
    const name = byFunction.get(v);
    if (name === undefined) throw new Error(`schema: external variable ${i} of TypeBox's code is ${String(v)}, neither a pattern nor a format`);
    return `FORMAT_TESTS[${JSON.stringify(name)}]`;
  });
  // The generated code imports two TypeBox helpers. Hashing serves const/enum of objects, which the schema has none of;
  // of Guard it calls only CodePointCount (minLength/maxLength), a one-liner. Importing them would cost ~15 ms at the
  // first load (typebox/system alone ~50 ms), so they are dropped, or replaced, when the code needs no more than that.
  let body = /\bHashing\./.test(code) ? code : code.replace(/^import \{ Hashing \} from "typebox\/system"\n/m, '');
  const guards = new Set([...body.matchAll(/\bGuard\.([A-Za-z]+)/g)].map((m) => m[1]));
  if ([...guards].every((g) => g === 'CodePointCount')) {
    body = body.replace(/^import \{ Guard \} from "typebox\/guard"\n/m, '/** Unicode code points in a string (what TypeBox\'s Guard.CodePointCount counts). */\nconst Guard = { CodePointCount: (value) => [...value].length };\n');
  }
  return [
    '// Generated by src/topology/schema/emit.ts from src/topology/schema/source.ts (TypeBox Code): do not edit.',
    body,
    'import { FORMAT_TESTS } from "../format-checks.js";',
    `SetExternal({ identifier: ${JSON.stringify(external.identifier)}, variables: [\n  ${variables.join(',\n  ')},\n] });`,
    '/** The keys a topology may have at its top level (checked before anything walks the file). */',
    `export const TOP_LEVEL_KEYS = ${JSON.stringify(Object.keys(schema.properties as object))};`,
    '',
  ].join('\n');
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const schema = topologyJsonSchema();
  const json = `${JSON.stringify(schema, null, 2)}\n`;
  mkdirSync(here, { recursive: true });
  writeFileSync(join(here, 'topology.schema.json'), json);
  writeFileSync(join(here, 'check.generated.js'), compiledModule(schema));
  if (process.argv.includes('--write-repo')) {
    const repo = resolve(here, '../../../../schema/topology.schema.json');
    writeFileSync(repo, json);
    process.stdout.write(`wrote ${repo}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
