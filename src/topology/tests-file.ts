/**
 * `tests: FILE`: a YAML file of tests next to the topology (or given with
 * `netlab validate --tests`). Holds the list of tests, or a mapping with
 * `tests:`; each item is checked against the schema's `test` definition and
 * resolved like inline tests. Errors keep the `tests[i]…` path the user knows
 * and end with the file's name and line.
 */
import { basename } from 'node:path';
import { TopologyError } from '../errors.js';
import { expandVariables, type Env } from './expand.js';
import type { KindCatalog } from './kinds.js';
import { clipError } from './clip.js';
import { formatPath, parsePath, type PathPart } from './path.js';
import { readTextFile } from './read.js';
import { checkTests } from './schema/check.js';
import { scanStructure } from './structure.js';
import { resolveTests } from './tests.js';
import type { TestSpec, Topology } from './types.js';
import { parseYaml } from './yaml.js';

type Obj = Record<string, unknown>;

/** Options of loadTestsFile. */
export interface TestsFileOptions {
  /** Variables for ${VAR} expansion; default process.env. */
  env?: Env;
  /** The kinds nodes may be (LoadOptions.kinds): which protocol tests each answers. */
  kinds: KindCatalog;
}

/**
 * Reads a tests file (a YAML list of tests, or a mapping with `tests:`) and
 * resolves it against `topology`. Errors name the path inside that file and
 * end with `(FILE:LINE)`.
 * @throws TopologyError when the file cannot be read, is not a list, or a test is wrong.
 */
export function loadTestsFile(file: string, topology: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>, opts: TestsFileOptions): TestSpec[] {
  const text = readTextFile(file, 'tests file', 'tests');
  const name = basename(file);
  let parsed: ReturnType<typeof parseYaml>;
  try {
    parsed = parseYaml(text, file);
  } catch (err) {
    if (err instanceof TopologyError) throw new TopologyError(err.path ? `${name}, ${err.path}` : name, err.message, err.hint);
    throw err;
  }
  let data = parsed.data;
  const root: PathPart[] = [];
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'tests' in data) {
    data = (data as Obj).tests;
    root.push('tests');
  }
  // Paths inside the file are [i]… (a bare list) or tests[i]…; the user reads tests[i]… either way.
  const fail = (raw: TopologyError, filePath: string): never => {
    const err = clipError(raw);
    const line = parsed.lineOf(parsePath(filePath));
    const shown = root.length || filePath.startsWith('tests') ? filePath : `tests${filePath}`;
    throw new TopologyError(shown, `${err.message} (${name}${line === undefined ? '' : `:${line}`})`, err.hint);
  };
  if (!Array.isArray(data)) {
    fail(new TopologyError('', 'a tests file holds a list of tests (or a mapping with tests:)', 'start each test with "- ", e.g. - { reach: { from: h1, to: h2 } }'), formatPath(root));
  }
  let items: unknown[] = [];
  try {
    scanStructure(data, root);
    items = expandVariables(data, opts.env ?? process.env, root) as unknown[];
    checkTests(items);
  } catch (err) {
    // checkTests names items tests[i]…; inside a bare list they are [i]….
    if (err instanceof TopologyError) fail(err, root.length ? err.path : err.path.replace(/^tests(?=\[)/, ''));
    throw err;
  }
  try {
    return resolveTests(items, topology.nodes, opts.kinds, topology);
  } catch (err) {
    if (err instanceof TopologyError) fail(err, root.length ? err.path : err.path.replace(/^tests/, ''));
    throw err;
  }
}
