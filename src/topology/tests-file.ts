/**
 * `tests: FILE`: a YAML file of tests next to the topology (or given with
 * `netlab validate --tests`). Holds the list of tests, or a mapping with
 * `tests:`; each item is checked against the schema's `test` definition and
 * resolved like inline tests. Errors keep the `tests[i]…` path the user knows
 * and end with the file's name and line.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TopologyError } from '../errors.js';
import { expandVariables, type Env } from './expand.js';
import { formatPath, parsePath, type PathPart } from './path.js';
import { resolveTests } from './tests.js';
import type { TestSpec, Topology } from './types.js';
import type { Validator } from './validate.js';
import { parseYaml } from './yaml.js';

type Obj = Record<string, unknown>;

/** Options of loadTestsFile. */
export interface TestsFileOptions {
  /** Variables for ${VAR} expansion; default process.env. */
  env?: Env;
  /** The schema validator of the topology loader (checks each item against `#/definitions/test`). */
  validator: Validator;
}

/**
 * Reads a tests file (a YAML list of tests, or a mapping with `tests:`) and
 * resolves it against `topology`. Errors name the path inside that file and
 * end with `(FILE:LINE)`.
 * @throws TopologyError when the file cannot be read, is not a list, or a test is wrong.
 */
export function loadTestsFile(file: string, topology: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>, opts: TestsFileOptions): TestSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new TopologyError('tests', `cannot read the tests file ${file}: ${code === 'ENOENT' ? 'no such file' : code}`,
      'tests: takes a list of tests or the path of a YAML file with one, relative to the topology file');
  }
  const name = basename(file);
  let parsed: ReturnType<typeof parseYaml>;
  try {
    parsed = parseYaml(text, file);
  } catch (err) {
    if (err instanceof TopologyError) throw new TopologyError(`${name}, ${err.path}`, err.message, err.hint);
    throw err;
  }
  let data = parsed.data;
  const root: PathPart[] = [];
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'tests' in data) {
    data = (data as Obj).tests;
    root.push('tests');
  }
  // Paths inside the file are [i]… (a bare list) or tests[i]…; the user reads tests[i]… either way.
  const fail = (err: TopologyError, filePath: string): never => {
    const line = parsed.lineOf(parsePath(filePath));
    const shown = root.length || filePath.startsWith('tests') ? filePath : `tests${filePath}`;
    throw new TopologyError(shown, `${err.message} (${name}${line === undefined ? '' : `:${line}`})`, err.hint);
  };
  if (!Array.isArray(data)) {
    fail(new TopologyError('', 'a tests file holds a list of tests (or a mapping with tests:)', 'start each test with "- ", e.g. - { reach: { from: h1, to: h2 } }'), formatPath(root));
  }
  let items: unknown[] = [];
  try {
    items = expandVariables(data, opts.env ?? process.env, root) as unknown[];
    items.forEach((item, i) => opts.validator.validate(item, { $ref: '#/definitions/test' }, [...root, i]));
  } catch (err) {
    if (err instanceof TopologyError) fail(err, err.path);
    throw err;
  }
  try {
    return resolveTests(items, topology.nodes, topology);
  } catch (err) {
    if (err instanceof TopologyError) fail(err, root.length ? err.path : err.path.replace(/^tests/, ''));
    throw err;
  }
}
