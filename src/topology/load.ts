/**
 * YAML text → Topology: parse, expand ${VAR}, validate against the schema,
 * layer defaults, resolve nodes and links, assign addresses and MACs, resolve
 * routing. Pure apart from reading the file and checking that referenced files
 * exist; never touches the kernel.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { TopologyError } from '../errors.js';
import type { Topology } from './types.js';
import { assignAddresses } from './addressing.js';
import { expandVariables, type Env } from './expand.js';
import { resolveLinks, type MacCounter } from './links.js';
import { macPrefix } from './mac.js';
import { assignMgmt, readMgmt } from './mgmt.js';
import { checkLabName } from './names.js';
import { resolveNodes } from './nodes.js';
import { parsePath, type PathPart } from './path.js';
import { resolveRouting } from './routing.js';
import { topologySchema } from './schema-def.js';
import { resolveTests } from './tests.js';
import { loadTestsFile } from './tests-file.js';
import { Validator } from './validate.js';
import { parseYaml, type ParsedYaml } from './yaml.js';

/** Options of loadTopology. */
export interface LoadOptions {
  /** Variables for ${VAR} expansion; default process.env. */
  env?: Env;
  /** Check that config files, rootfs and bind sources exist (default true). */
  checkFiles?: boolean;
  /**
   * The lab's name, used instead of the file's `name:` (as containerlab's
   * `deploy --name`): runs a second copy of a lab, or a test's copy that never
   * meets the user's own lab. Checked like `name:`; errors name `--name`.
   */
  name?: string;
}

/** Source text, with the file it came from when there is one (for relative paths and messages). */
export interface TopologySource {
  text?: string;
  file?: string;
  /** The text already parsed (the front-end registry parses once to tell formats apart). */
  parsed?: ParsedYaml;
  /**
   * A netlab input document made by a front-end (src/frontends) from another
   * tool's lab: checked like a parsed file, with `dir` as the base of its
   * relative paths, and errors that say which lab it came from.
   */
  data?: unknown;
  /** Base folder of relative paths when `data` is given (default: the file's folder). */
  dir?: string;
  /** Where `data` came from: the format and what its front-end noted (kept on the Topology as `imported`). */
  origin?: { format: string; notes: { where: string; text: string }[] };
}

let validator: Validator | undefined;

/**
 * Loads a topology from a file path or from text.
 * @throws TopologyError (exit code 2) naming the key path, what is wrong and a
 *   hint; the message ends with the file and line when they are known.
 */
export function loadTopology(input: string | TopologySource, options: LoadOptions = {}): Topology {
  const src: TopologySource = typeof input === 'string' ? { text: readTopologyFile(input), file: input } : input;
  const file = src.file === undefined ? undefined : resolve(src.file);
  const env = options.env ?? process.env;
  const checkFiles = options.checkFiles ?? true;
  if (src.data !== undefined) return loadConverted(src, file, env, checkFiles, options);
  const parsed = src.parsed ?? parseYaml(src.text ?? '', file);
  let topology: Topology;
  try {
    topology = resolveTopology(parsed.data, { file, env, checkFiles, name: options.name });
  } catch (err) {
    if (err instanceof TopologyError && err.path !== '' && !err.path.startsWith('--')) {
      const line = parsed.lineOf(parsePath(err.path));
      if (line !== undefined) throw new TopologyError(err.path, `${err.message} (${file ? `${basename(file)}:` : 'line '}${line})`, err.hint);
    }
    if (err instanceof TopologyError && err.path === '' && file) throw new TopologyError(err.path, `${err.message} (${basename(file)})`, err.hint);
    throw err;
  }
  // `tests: FILE`: errors name lines of that file, so it is read outside the try above.
  if (topology.testsFile && (checkFiles || existsSync(topology.testsFile))) {
    topology.tests = loadTestsFile(topology.testsFile, topology, { env, validator: schemaValidator() });
  }
  return topology;
}

/**
 * A front-end's document: resolved like a file, but its relative paths are
 * relative to `src.dir`, `${…}` was already expanded the other tool's way, and
 * an error says it is about the netlab form of that lab.
 */
function loadConverted(src: TopologySource, file: string | undefined, env: Env, checkFiles: boolean, options: LoadOptions): Topology {
  const origin = src.origin ?? { format: 'another format', notes: [] };
  let topology: Topology;
  try {
    topology = resolveTopology(src.data, { file, env: {}, checkFiles, name: options.name, dir: src.dir, expanded: true });
  } catch (err) {
    if (err instanceof TopologyError && file) {
      throw new TopologyError(err.path, `${err.message} (in the netlab form of ${origin.format} lab ${basename(file)}; netlab convert ${basename(file)} prints it)`, err.hint);
    }
    throw err;
  }
  topology.imported = { format: origin.format, notes: origin.notes };
  if (topology.testsFile && (checkFiles || existsSync(topology.testsFile))) {
    topology.tests = loadTestsFile(topology.testsFile, topology, { env, validator: schemaValidator() });
  }
  return topology;
}

/** Loads a topology file (the CLI's entry point). */
export function loadTopologyFile(path: string, options: LoadOptions = {}): Topology {
  return loadTopology(path, options);
}

function readTopologyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : code;
    throw new TopologyError(path, `cannot read the topology: ${what}`, 'give the path of a topology .yaml file');
  }
}

/** The schema validator (built once: a cache). */
export function schemaValidator(): Validator {
  validator ??= new Validator(topologySchema);
  return validator;
}

interface ResolveContext {
  file?: string;
  env: Env;
  checkFiles: boolean;
  name?: string;
  /** Base of relative paths (default: the file's folder). */
  dir?: string;
  /** `${…}` was expanded already (a front-end's document): do not expand again. */
  expanded?: boolean;
}

function resolveTopology(data: unknown, ctx: ResolveContext): Topology {
  if (data === null || data === undefined) throw new TopologyError('', 'the topology file is empty', 'start with name: and nodes:, see docs/topology.md');
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TopologyError('', `a topology must be a mapping (name:, nodes:, links:, …), not ${Array.isArray(data) ? 'a list' : 'a single value'}`, 'see docs/topology.md');
  }
  const raw = (ctx.expanded ? data : expandVariables(data, ctx.env)) as Record<string, unknown>;
  schemaValidator().validate(raw);
  const dir = ctx.dir ?? (ctx.file ? dirname(ctx.file) : process.cwd());
  const name = ctx.name === undefined ? labName(raw, ctx.file) : nameOverride(ctx.name);
  const mtu = (raw.mtu as number | undefined) ?? 1500;
  const mgmt = readMgmt(raw, name, mtu);
  const { drafts, groups } = resolveNodes(raw, { dir, checkFiles: ctx.checkFiles });
  const macs: MacCounter = { prefix: macPrefix(name), next: 1, used: new Map() };
  const links = resolveLinks(raw, drafts, mtu, macs, mgmt?.mgmt.iface);
  const mgmtRanges: { cidr: import('./ip.js').Cidr; path: PathPart[] }[] = [];
  if (mgmt) {
    const mpath: PathPart[] = raw.mgmt === true ? ['mgmt'] : ['mgmt', 'network'];
    mgmtRanges.push({ cidr: mgmt.cidr, path: mpath });
    if (mgmt.cidr6) mgmtRanges.push({ cidr: mgmt.cidr6, path: ['mgmt', 'ipv6'] });
  }
  const addressing = assignAddresses(raw, drafts, links, mgmtRanges);
  if (mgmt) assignMgmt(name, mgmt, drafts, macs);
  const linkList = links.map((l) => l.link);
  resolveRouting(raw, drafts, linkList, mgmt?.mgmt.iface);
  const topology: Topology = {
    name, dir, mtu, userns: (raw.userns as boolean | undefined) ?? false,
    nodes: drafts.map((d) => d.node), links: linkList, addressing,
    tests: Array.isArray(raw.tests) ? resolveTests(raw.tests, drafts.map((d) => d.node)) : [], groups,
  };
  if (typeof raw.tests === 'string') topology.testsFile = resolve(dir, raw.tests);
  if (ctx.file) topology.file = ctx.file;
  if (ctx.name !== undefined && name !== ownName(raw, ctx.file)) topology.renamed = true;
  if (raw.description !== undefined) topology.description = raw.description as string;
  if (typeof raw.name_prefix === 'string' && raw.name_prefix !== '') topology.namePrefix = raw.name_prefix.replaceAll('{lab}', name);
  if (mgmt) topology.mgmt = mgmt.mgmt;
  if (raw.ospf !== undefined) topology.ospf = raw.ospf as Topology['ospf'];
  if (raw.bgp !== undefined) topology.bgp = raw.bgp as Topology['bgp'];
  return topology;
}

function nameOverride(name: string): string {
  const p = checkLabName(name);
  if (p) throw new TopologyError('--name', p.what, p.hint);
  return name;
}

/** `labs/tri.clab.yaml` → `tri`: the name a file without `name:` gives its lab. */
function fileStem(file: string): string {
  return basename(file).replace(/(\.clab)?\.ya?ml$/i, '');
}

/** The name the file itself gives (`name:`, else from the file name), unchecked; '' when none. */
function ownName(raw: Record<string, unknown>, file?: string): string {
  if (typeof raw.name === 'string') return raw.name;
  return file ? fileStem(file) : '';
}

function labName(raw: Record<string, unknown>, file?: string): string {
  if (raw.name !== undefined) return raw.name as string;
  if (!file) throw new TopologyError('name', 'the lab has no name', 'add name: at the top, e.g. name: triangle');
  const guess = fileStem(file);
  const p = checkLabName(guess);
  if (p) throw new TopologyError('name', `the lab has no name, and the file name "${guess}" is not a valid one (${p.what})`, 'add name: at the top, e.g. name: triangle');
  return guess;
}
