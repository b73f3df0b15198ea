/**
 * YAML text → Topology: parse, expand ${VAR}, validate against the schema,
 * layer defaults, resolve nodes and links, assign addresses and MACs, resolve
 * routing. Pure apart from reading the file and checking that referenced files
 * exist; never touches the kernel.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { TopologyError } from '../errors.js';
import { clipError } from './clip.js';
import type { KindCatalog } from './kinds.js';
import type { Topology } from './types.js';
import { assignAddresses } from './addressing.js';
import { expandVariables, type Env } from './expand.js';
import { resolveLinks } from './links.js';
import type { MacCounter } from './mac.js';
import { macPrefix } from './mac.js';
import { assignMgmt, readMgmt } from './mgmt.js';
import { checkLabName } from './names.js';
import { checkKindNames, resolveNodes } from './nodes.js';
import { formatPath, parsePath, type PathPart } from './path.js';
import { resolveRouting } from './routing.js';
import { readTextFile } from './read.js';
import { checkTopLevelKeys, checkTopology } from './schema/check.js';
import { scanStructure } from './structure.js';
import { resolveTests } from './tests.js';
import { resolveEvents } from './events.js';
import { loadTestsFile } from './tests-file.js';
import type { TopologyInput } from './schema/source.js';
import { parseYaml, type ParsedYaml } from './yaml.js';
import { parsePercent, parseSize } from './units.js';

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
  /**
   * The kinds a node may be, with their facts (src/daemons/registry.ts:
   * kindCatalog; src/load.ts passes it). The loader holds no list of its own.
   */
  kinds: KindCatalog;
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

/**
 * Loads a topology from a file path or from text.
 * @throws TopologyError (exit code 2) naming the key path, what is wrong and a
 *   hint; the message ends with the file and line when they are known. An
 *   error about the whole file (empty, not a mapping, not UTF-8, …) names the
 *   file (its base name), or `topology` for text without one.
 */
export function loadTopology(input: string | TopologySource, options: LoadOptions): Topology {
  const src: TopologySource = typeof input === 'string' ? { text: readTextFile(input, 'topology', input || 'FILE'), file: input } : input;
  const file = src.file === undefined ? undefined : resolve(src.file);
  const whole = file ? basename(file) : 'topology';
  const env = options.env ?? process.env;
  const checkFiles = options.checkFiles ?? true;
  if (src.data !== undefined) return loadConverted(src, file, env, checkFiles, options);
  let parsed: ParsedYaml | undefined;
  let topology: Topology;
  try {
    parsed = src.parsed ?? parseYaml(src.text ?? '', file);
    topology = resolveTopology(parsed.data, { file, env, checkFiles, name: options.name, kinds: options.kinds });
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    const e = clipError(err);
    if (e.path === '') throw new TopologyError(whole, e.message, e.hint);
    if (parsed && !e.path.startsWith('--')) {
      const line = parsed.lineOf(parsePath(e.path));
      if (line !== undefined) throw new TopologyError(e.path, `${e.message} (${file ? `${basename(file)}:` : 'line '}${line})`, e.hint);
    }
    throw e;
  }
  // `tests: FILE`: errors name lines of that file, so it is read outside the try above.
  if (topology.testsFile && (checkFiles || existsSync(topology.testsFile))) {
    topology.tests = loadTestsFile(topology.testsFile, topology, { env, kinds: options.kinds });
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
    topology = resolveTopology(src.data, { file, env: {}, checkFiles, name: options.name, dir: src.dir, expanded: true, kinds: options.kinds });
  } catch (err) {
    if (err instanceof TopologyError && file) {
      throw new TopologyError(err.path, `${err.message} (in the netlab form of ${origin.format} lab ${basename(file)}; netlab convert ${basename(file)} prints it)`, err.hint);
    }
    throw err;
  }
  topology.imported = { format: origin.format, notes: origin.notes };
  if (topology.testsFile && (checkFiles || existsSync(topology.testsFile))) {
    topology.tests = loadTestsFile(topology.testsFile, topology, { env, kinds: options.kinds });
  }
  return topology;
}

/**
 * The lab name a topology gives, by the loader's own rules — `options.name`,
 * else `name:` after ${VAR} expansion, else the file's name (`tri.yaml` → `tri`)
 * — each checked as `up` checks it, without reading the rest of the topology:
 * `netlab down FILE` finds the lab even when the file no longer loads (a
 * config it names was removed, a key was mistyped since `up`).
 * @throws TopologyError (exit 2) naming `--name` or `name` for a name that is
 *   not a lab name (`../../etc`), and for YAML that does not parse.
 */
export function topologyName(input: string | TopologySource, options: Omit<LoadOptions, 'kinds'> = {}): string {
  if (options.name !== undefined) return nameOverride(options.name);
  const src: TopologySource = typeof input === 'string' ? { text: readTextFile(input, 'topology', input || 'FILE'), file: input } : input;
  const file = src.file === undefined ? undefined : resolve(src.file);
  const parsed = src.parsed ?? parseYaml(src.text ?? '', file);
  const raw = parsed.data !== null && typeof parsed.data === 'object' && !Array.isArray(parsed.data) ? parsed.data as Record<string, unknown> : {};
  try {
    return labName({ name: raw.name === undefined ? undefined : expandVariables(raw.name, options.env ?? process.env, ['name']) as string }, file); // labName checks it is a name
  } catch (err) {
    const line = raw.name === undefined ? undefined : parsed.lineOf(['name']);
    if (err instanceof TopologyError && line !== undefined) throw new TopologyError(err.path, `${err.message} (${file ? `${basename(file)}:` : 'line '}${line})`, err.hint);
    throw err;
  }
}

/** Loads a topology file (the CLI's entry point). */
export function loadTopologyFile(path: string, options: LoadOptions): Topology {
  return loadTopology(path, options);
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
  kinds: KindCatalog;
}

function resolveTopology(data: unknown, ctx: ResolveContext): Topology {
  if (data === null || data === undefined) throw new TopologyError('', 'the topology file is empty', 'start with name: and nodes:, see docs/topology.md');
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TopologyError('', `a topology must be a mapping (name:, nodes:, links:, …), not ${Array.isArray(data) ? 'a list' : 'a single value'}`, 'see docs/topology.md');
  }
  checkTopLevelKeys(data);
  scanStructure(data);
  const raw: unknown = ctx.expanded ? data : expandVariables(data, ctx.env);
  checkTopology(raw);
  checkKindNames(raw, ctx.kinds); // which kinds exist is the catalog's, not the schema's
  const dir = ctx.dir ?? (ctx.file ? dirname(ctx.file) : process.cwd());
  const name = ctx.name === undefined ? labName(raw, ctx.file) : nameOverride(ctx.name);
  const mtu = raw.mtu ?? 1500;
  const mgmt = readMgmt(raw, name, mtu);
  const { drafts, groups } = resolveNodes(raw, { dir, checkFiles: ctx.checkFiles, kinds: ctx.kinds });
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
  else {
    const d = drafts.find((x) => x.mgmt);
    if (d) throw new TopologyError(formatPath([...d.path, 'mgmt']), `node ${d.node.name} gives a management address, but the lab has no management network`, 'add mgmt: true (or mgmt: { network: … }) at the top of the file');
  }
  const linkList = links.map((l) => l.link);
  resolveRouting(raw, drafts, linkList, mgmt?.mgmt.iface);
  const topology: Topology = {
    name, dir, mtu, userns: raw.userns ?? true,
    nodes: drafts.map((d) => d.node), links: linkList, addressing, tests: [], groups,
  };
  if (raw.events !== undefined) topology.events = resolveEvents(topology, raw.events, Date.now());
  if (Array.isArray(raw.tests)) topology.tests = resolveTests(raw.tests, topology.nodes, ctx.kinds, topology);
  if (typeof raw.tests === 'string') topology.testsFile = resolve(dir, raw.tests);
  if (ctx.file) topology.file = ctx.file;
  if (ctx.name !== undefined && name !== ownName(raw, ctx.file)) topology.renamed = true;
  if (raw.description !== undefined) topology.description = raw.description;
  if (raw.name_prefix !== undefined && raw.name_prefix !== '') topology.namePrefix = raw.name_prefix.replaceAll('{lab}', name);
  if (mgmt) topology.mgmt = mgmt.mgmt;
  if (raw.ospf !== undefined) topology.ospf = raw.ospf;
  if (raw.bgp !== undefined) topology.bgp = raw.bgp;
  const memory = raw.limits?.memory;
  if (memory !== undefined) {
    topology.limits = typeof memory === 'string' && memory.trim().endsWith('%') ? { memoryPercent: parsePercent(memory) } : { memoryBytes: parseSize(memory) };
  }
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
function ownName(raw: TopologyInput, file?: string): string {
  if (typeof raw.name === 'string') return raw.name;
  return file ? fileStem(file) : '';
}

function labName(raw: TopologyInput, file?: string): string {
  if (raw.name !== undefined) {
    const p = checkLabName(raw.name); // the schema checks it too (format lab-name); topologyName relies on this one
    if (p) throw new TopologyError('name', p.what, p.hint);
    return raw.name;
  }
  if (!file) throw new TopologyError('name', 'the lab has no name', 'add name: at the top, e.g. name: triangle');
  const guess = fileStem(file);
  const p = checkLabName(guess);
  if (p) throw new TopologyError('name', `the lab has no name, and the file name "${guess}" is not a valid one (${p.what})`, 'add name: at the top, e.g. name: triangle');
  return guess;
}
