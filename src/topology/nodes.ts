/**
 * `nodes:`, `groups:`, `kinds:` and `defaults:` → Node objects with every
 * per-node field resolved (interfaces, addresses and routing come later).
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { TopologyError, type NetlabError } from '../errors.js';
import { looksLikePath, parseReference } from './image-ref.js';
import type { Bind, Group, Healthcheck, NetClass, Node, NodeConfig, Resources } from './types.js';
import { layer } from './defaults.js';
import { kindFacts, type KindCatalog, type KindFacts } from './kinds.js';
import { MAX_CLASSES } from './limits.js';
import { parsePriority } from './priority.js';
import { LOOPBACK } from './names.js';
import { formatPath, type PathPart } from './path.js';
import type { ClassInput, NodeSettings, TopologyInput } from './schema/source.js';
import { didYouMean } from './suggest.js';
import { parseRate, parseSize, parseTime } from './units.js';
import { parseDeviceEntry, type DeviceSpec } from './devices.js';

type Obj = Record<string, unknown>;
/** One entry of `nodes:` as written (empty in the list form). */
type NodeEntry = NonNullable<Exclude<TopologyInput['nodes'], unknown[] | undefined>[string]>;

/** A node being resolved, with what later steps need to report errors. */
export interface NodeDraft {
  node: Node;
  kind: KindFacts;
  /** Path of the node in the file: ['nodes', name] (or ['nodes', index] for the list form). */
  path: PathPart[];
  /** Per top-level key, the path of the layer that set it. */
  origin: Record<string, PathPart[]>;
  /** The node's own management addresses (`nodes.X.mgmt`, no prefix length), when it gives them. */
  mgmt?: { ipv4?: string; ipv6?: string };
}

/** Options for resolving paths. */
export interface NodeOptions {
  dir: string;
  checkFiles: boolean;
  /** The kinds a node may be (LoadOptions.kinds). */
  kinds: KindCatalog;
}

/**
 * Resolves all nodes in declaration order.
 * @throws TopologyError for unknown groups, a node in two groups, a group member that is not a node,
 *   missing files, `config` with both or neither of file/text.
 */
export function resolveNodes(raw: TopologyInput, opts: NodeOptions): { drafts: NodeDraft[]; groups: Record<string, Group> } {
  const entries = nodeEntries(raw.nodes);
  const names = entries.map((e) => e.name);
  const nameSet = new Set(names);
  const groupsRaw = raw.groups ?? {};
  const groupNames = Object.keys(groupsRaw);
  const memberOf = new Map<string, string>();
  for (const [g, def] of Object.entries(groupsRaw)) {
    (def.members ?? []).forEach((m, i) => {
      const path = formatPath(['groups', g, 'members', i]);
      if (!nameSet.has(m)) throw new TopologyError(path, `node "${m}" is not defined${didYouMean(m, names)}`, 'list nodes defined under nodes:');
      const other = memberOf.get(m);
      if (other && other !== g) throw new TopologyError(path, `node "${m}" is already a member of group "${other}"`, 'a node belongs to one group');
      memberOf.set(m, g);
    });
  }
  const kinds = raw.kinds ?? {};
  const defaults = raw.defaults;
  const drafts: NodeDraft[] = [];
  for (const [i, e] of entries.entries()) {
    const own = e.values;
    let group = own?.group;
    if (group !== undefined) {
      if (!(group in groupsRaw)) {
        throw new TopologyError(formatPath([...e.path, 'group']), `group "${group}" is not defined${didYouMean(group, groupNames)}`,
          groupNames.length ? `groups: ${groupNames.join(', ')}` : 'define it under groups:');
      }
      const listed = memberOf.get(e.name);
      if (listed && listed !== group) {
        throw new TopologyError(formatPath([...e.path, 'group']), `node "${e.name}" says group "${group}" but is a member of group "${listed}"`, 'a node belongs to one group');
      }
    } else group = memberOf.get(e.name);
    const groupValues = group ? groupsRaw[group] : undefined;
    const kindName = own?.kind ?? groupValues?.kind ?? defaults?.kind ?? 'linux';
    const kind = kindFacts(opts.kinds, kindName, formatPath([...e.path, 'kind'])); // the names were checked by checkKindNames
    const layered = layer([
      { values: defaults, path: ['defaults'] },
      { values: kinds[kindName], path: ['kinds', kindName] },
      { values: groupValues, path: ['groups', group ?? ''] },
      { values: own ?? undefined, path: e.path },
    ], ['members', 'group', 'mgmt']);
    layered.values.kind = kindName;
    // Layers that each passed the schema merge into settings that pass it too.
    const draft: NodeDraft = { node: baseNode(e.name, i + 1, kindName, group, layered.values as NodeSettings), kind, path: e.path, origin: layered.origin };
    if (own?.mgmt) draft.mgmt = own.mgmt;
    resolveFields(draft, opts);
    drafts.push(draft);
  }
  const groups: Record<string, Group> = {};
  for (const g of groupNames) groups[g] = { name: g, members: drafts.filter((d) => d.node.group === g).map((d) => d.node.name) };
  checkAfter(drafts, names);
  return { drafts, groups };
}

/**
 * `after:` names defined nodes, not the node itself, and no loop.
 * @throws TopologyError naming the node and the loop.
 */
function checkAfter(drafts: NodeDraft[], names: string[]): void {
  const byName = new Map(drafts.map((d) => [d.node.name, d]));
  for (const d of drafts) {
    d.node.after.forEach((a, i) => {
      const where = formatPath([...(d.origin.after ?? [...d.path, 'after']), i]);
      if (!byName.has(a)) throw new TopologyError(where, `node "${a}" is not defined${didYouMean(a, names)}`, 'list nodes defined under nodes:');
      if (a === d.node.name) throw new TopologyError(where, `node ${a} cannot start after itself`, 'remove it from after:');
    });
  }
  const state = new Map<string, 1 | 2>();
  const visit = (n: string, trail: string[]): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) {
      const loop = [...trail.slice(trail.indexOf(n)), n];
      const d = byName.get(n)!;
      throw new TopologyError(formatPath(d.origin.after ?? [...d.path, 'after']), `nodes wait for each other in a loop: ${loop.join(' → ')}`, 'remove one of these after: entries');
    }
    state.set(n, 1);
    for (const a of byName.get(n)!.node.after) visit(a, [...trail, n]);
    state.set(n, 2);
  };
  for (const d of drafts) visit(d.node.name, []);
}

/**
 * Refuses a kind the catalog does not know, wherever a layer names one
 * (`defaults.kind`, a key of `kinds:`, `groups.<g>.kind`, `nodes.<n>.kind`),
 * the first in file order.
 * @throws TopologyError "unknown kind" with a did-you-mean and the known kinds.
 */
export function checkKindNames(raw: TopologyInput, catalog: KindCatalog): void {
  const named = (values: { kind?: string } | null | undefined, path: PathPart[]): void => {
    if (values?.kind !== undefined) kindFacts(catalog, values.kind, formatPath([...path, 'kind']));
  };
  for (const key of Object.keys(raw)) {
    if (key === 'defaults') named(raw.defaults, ['defaults']);
    if (key === 'kinds') for (const k of Object.keys(raw.kinds ?? {})) kindFacts(catalog, k, formatPath(['kinds', k]));
    if (key === 'groups') for (const [g, def] of Object.entries(raw.groups ?? {})) named(def, ['groups', g]);
    if (key === 'nodes' && raw.nodes && !Array.isArray(raw.nodes)) for (const [n, values] of Object.entries(raw.nodes)) named(values, ['nodes', n]);
  }
}

function nodeEntries(nodes: TopologyInput['nodes']): { name: string; values: NodeEntry | null; path: PathPart[] }[] {
  if (nodes === undefined) throw new TopologyError('nodes', 'the lab has no nodes', 'add nodes:, e.g. nodes: { r1: {}, r2: {} }');
  if (Array.isArray(nodes)) {
    if (nodes.length === 0) throw new TopologyError('nodes', 'the lab has no nodes', 'add nodes:, e.g. nodes: [r1, r2]');
    const seen = new Map<string, number>();
    return nodes.map((name, i) => {
      const first = seen.get(name);
      if (first !== undefined) throw new TopologyError(`nodes[${i}]`, `node "${name}" is listed twice (also nodes[${first}])`, 'remove one');
      seen.set(name, i);
      return { name, values: null, path: ['nodes', i] };
    });
  }
  const out = Object.entries(nodes).map(([name, values]) => ({ name, values, path: ['nodes', name] as PathPart[] }));
  if (out.length === 0) throw new TopologyError('nodes', 'the lab has no nodes', 'add nodes:, e.g. nodes: { r1: {}, r2: {} }');
  return out;
}

function baseNode(name: string, id: number, kind: string, group: string | undefined, raw: NodeSettings): Node {
  const node: Node = {
    name, id, kind, exec: [], env: {}, binds: [], sysctls: {}, resources: {}, forwarding: false,
    loopback: {}, interfaces: [], routes: [], classes: {}, raw,
    autostart: true, compat: false, execErrors: 'fail', startup: [], shutdown: [], layers: [], after: [],
  };
  if (group) node.group = group;
  return node;
}

/**
 * `image:` as the loader keeps it: a path (it starts with `/`, `./`, `../`,
 * `~/`) made absolute against the topology's folder (and checked to exist),
 * or a registry reference, checked for form only (docs/images.md). Pure but
 * for the existence check.
 * @throws TopologyError at `where` for a malformed reference.
 */
function resolveImageKey(text: string, where: string, path: (p: string) => string): string {
  if (looksLikePath(text)) return path(text.startsWith('~/') ? join(process.env.HOME || homedir(), text.slice(2)) : text);
  try {
    parseReference(text);
  } catch (err) {
    throw new TopologyError(where, (err as NetlabError).message, (err as NetlabError).hint);
  }
  return text;
}

/** Resolves a path a node key names (relative to the topology's folder) and, with checkFiles, checks it exists and has the type the key needs. */
type FileCheck = (p: string, key: string, what: string, type: 'directory' | 'file' | 'any', ...rest: PathPart[]) => string;

function resolveFields(d: NodeDraft, opts: NodeOptions): void {
  const { node } = d;
  const raw = node.raw;
  const at = (key: string, ...rest: PathPart[]): string => formatPath([...(d.origin[key] ?? [...d.path, key]), ...rest]);
  /** An absolute path, checked (with checkFiles) to exist and to be of the type a key needs. */
  const file: FileCheck = (p, key, what, type, ...rest) => {
    const abs = isAbsolute(p) ? p : resolve(opts.dir, p);
    if (!opts.checkFiles) return abs;
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new TopologyError(at(key, ...rest), `${what} ${abs} does not exist`, `paths are relative to the topology file's directory (${opts.dir})`);
    if (type === 'directory' && !st.isDirectory()) {
      throw new TopologyError(at(key, ...rest), `${what} ${abs} is not a directory`, 'a root filesystem is a directory holding bin/, etc/, usr/ …, e.g. an unpacked image');
    }
    if (type === 'file' && !st.isFile()) throw new TopologyError(at(key, ...rest), `${what} ${abs} is not a regular file`, 'name the configuration file itself');
    return abs;
  };
  if (raw.rootfs !== undefined) node.rootfs = file(raw.rootfs, 'rootfs', 'root filesystem', 'directory');
  if (raw.image !== undefined) node.image = resolveImageKey(raw.image, at('image'), (p) => file(p, 'image', 'image', 'any'));
  if (node.image !== undefined && node.rootfs !== undefined) {
    throw new TopologyError(at('image'), 'a node has either image: or rootfs:, not both', 'keep image: (a folder is image: ./DIR)');
  }
  if (raw.config !== undefined) node.config = resolveConfig(raw.config, at('config'), (p) => file(p, 'config', 'config file', 'file'));
  if (raw.cmd !== undefined) node.cmd = raw.cmd;
  if (raw.exec !== undefined) node.exec = typeof raw.exec === 'string' ? [raw.exec] : [...raw.exec];
  for (const [k, v] of Object.entries(raw.env ?? {})) node.env[k] = String(v);
  for (const [k, v] of Object.entries(raw.sysctls ?? {})) node.sysctls[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  node.binds = (raw.binds ?? []).map((b, i) => resolveBind(b, (p) => file(p, 'binds', 'bind source', 'any', i)));
  node.resources = resolveResources(raw.resources ?? {}, at('resources'));
  if (raw.security?.seccomp) node.security = { seccomp: raw.security.seccomp };
  node.forwarding = raw.forwarding ?? d.kind.router;
  const classes = Object.keys(raw.classes ?? {}).length;
  if (classes > MAX_CLASSES) {
    throw new TopologyError(at('classes'), `${classes} traffic classes; a node has at most ${MAX_CLASSES} (htb's class numbers)`, 'put fewer classes on the node; processes of one kind can share a class');
  }
  for (const [name, c] of Object.entries(raw.classes ?? {})) {
    node.classes[name] = resolveClass(c, at('classes', name));
  }
  if (raw.priority !== undefined) {
    const p = parsePriority(raw.priority, at('priority'));
    if (p !== 0) node.priority = p;
  }
  if (raw.bridge !== undefined && !d.kind.switch) {
    throw new TopologyError(at('bridge'), `bridge: is for kind bridge nodes; "${node.name}" is kind ${node.kind}`, 'remove it, or set kind: bridge');
  }
  if (raw.bridge === LOOPBACK) throw new TopologyError(at('bridge'), 'bridge "lo" is the node\'s loopback', 'leave bridge out (br0), or name another bridge, e.g. br1');
  if (d.kind.switch) node.bridge = raw.bridge ?? 'br0';
  resolveImported(d, at, file);
}

/**
 * The keys imported labs need (and anyone may use): FRR daemons, autostart,
 * compat, exec_errors, startup/shutdown scripts, root layers, after, healthcheck.
 */
function resolveImported(d: NodeDraft, at: (key: string, ...rest: PathPart[]) => string, file: FileCheck): void {
  const { node } = d;
  const raw = node.raw;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);
  if (raw.daemons !== undefined) {
    if (node.kind !== 'frr') throw new TopologyError(at('daemons'), `daemons: is for kind frr nodes; "${node.name}" is kind ${node.kind}`, 'remove it, or set kind: frr');
    node.daemons = typeof raw.daemons === 'string' ? { path: file(raw.daemons, 'daemons', 'FRR daemons file', 'file') } : { names: [...raw.daemons] };
  }
  if (raw.autostart !== undefined) node.autostart = raw.autostart;
  if (raw.compat !== undefined) node.compat = raw.compat;
  if (!node.autostart && !node.compat && d.kind.daemon) {
    throw new TopologyError(at('autostart'), `${node.name}'s daemons would never start: autostart: false needs compat: true (systemctl start in the node)`, 'add compat: true, or remove autostart: false');
  }
  if (raw.exec_errors !== undefined) node.execErrors = raw.exec_errors;
  node.startup = list(raw.startup).map((p, i) => file(p, 'startup', 'startup file', 'file', ...(typeof raw.startup === 'string' ? [] : [i])));
  node.shutdown = list(raw.shutdown).map((p, i) => file(p, 'shutdown', 'shutdown file', 'file', ...(typeof raw.shutdown === 'string' ? [] : [i])));
  node.layers = list(raw.layers).map((p, i) => file(p, 'layers', 'layer folder', 'directory', i));
  node.after = list(raw.after);
  const hc = raw.healthcheck;
  if (hc) {
    const h: Healthcheck = {
      test: hc.test,
      intervalMs: hc.interval === undefined ? 1000 : parseTime(hc.interval),
      timeoutMs: hc.timeout === undefined ? 10_000 : parseTime(hc.timeout),
      startPeriodMs: hc.start_period === undefined ? 0 : parseTime(hc.start_period),
      retries: hc.retries ?? 30,
    };
    if (h.intervalMs <= 0 || h.timeoutMs <= 0) throw new TopologyError(at('healthcheck'), 'healthcheck interval and timeout must be more than 0', 'write e.g. interval: 1s, timeout: 5s');
    node.healthcheck = h;
  }
}

function resolveConfig(c: NonNullable<NodeSettings['config']>, where: string, file: (p: string) => string): NodeConfig {
  if (typeof c === 'string') return { path: file(c) };
  const o = c;
  if ((o.file === undefined) === (o.text === undefined)) {
    throw new TopologyError(where, 'config needs exactly one of file: or text:', 'write config: path/to/file, or config: { text: "…" }');
  }
  return o.file !== undefined ? { path: file(o.file) } : { text: o.text! };
}

function resolveBind(b: NonNullable<NodeSettings['binds']>[number], file: (p: string) => string): Bind {
  if (typeof b === 'string') {
    const [source, target, mode] = b.split(':') as [string, string, string | undefined];
    return { source: file(source), target, readonly: mode === 'ro' };
  }
  return { source: file(b.source), target: b.target, readonly: b.readonly ?? false };
}

function resolveResources(r: NonNullable<NodeSettings['resources']>, where: string): Resources {
  const out: Resources = {};
  if (r.memory !== undefined) out.memoryBytes = parseSize(r.memory);
  if (r.cpus !== undefined) out.cpus = r.cpus;
  if (r.pids !== undefined) out.pids = r.pids;
  if (r.cpuset !== undefined) out.cpuset = r.cpuset;
  if (r.upper !== undefined) out.upperBytes = parseSize(r.upper);
  if (r.devices !== undefined) out.devices = r.devices.map((d) => parseDeviceEntry(d) as DeviceSpec); // checked by the 'device' format
  if (r.io !== undefined) {
    const io = r.io;
    const limits: NonNullable<Resources['io']> = {};
    if (io.read_bps !== undefined) limits.readBytesPerS = parseSize(io.read_bps);
    if (io.write_bps !== undefined) limits.writeBytesPerS = parseSize(io.write_bps);
    if (io.read_iops !== undefined) limits.readIops = io.read_iops;
    if (io.write_iops !== undefined) limits.writeIops = io.write_iops;
    if (io.device !== undefined) limits.device = io.device;
    if (!Object.keys(limits).some((k) => k !== 'device')) throw new TopologyError(`${where}.io`, 'sets no limit', 'give read_bps, write_bps, read_iops or write_iops, e.g. io: { read_bps: 10M }');
    out.io = limits;
  }
  return out;
}

function resolveClass(c: ClassInput, where: string): NetClass {
  const out: NetClass = { rateBps: parseRate(c.rate) };
  if (c.ceil !== undefined) {
    out.ceilBps = parseRate(c.ceil);
    if (out.ceilBps < out.rateBps) throw new TopologyError(`${where}.ceil`, `ceil ${String(c.ceil)} is below rate ${String(c.rate)}`, 'ceil is the most a class may borrow up to; make it ≥ rate or leave it out');
  }
  if (c.prio !== undefined) out.prio = c.prio;
  return out;
}
