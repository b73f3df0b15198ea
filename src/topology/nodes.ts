/**
 * `nodes:`, `groups:`, `kinds:` and `defaults:` → Node objects with every
 * per-node field resolved (interfaces, addresses and routing come later).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { TopologyError } from '../errors.js';
import type { Bind, Resources } from '../core/types.js';
import type { NetClass } from '../shaping/types.js';
import type { Group, Healthcheck, Node, NodeConfig } from './types.js';
import { layer } from './defaults.js';
import { getKind, type KindInfo } from './kinds.js';
import { formatPath, type PathPart } from './path.js';
import { didYouMean } from './suggest.js';
import { parseRate, parseSize, parseTime } from './units.js';

type Obj = Record<string, unknown>;

/** A node being resolved, with what later steps need to report errors. */
export interface NodeDraft {
  node: Node;
  kind: KindInfo;
  /** Path of the node in the file: ['nodes', name] (or ['nodes', index] for the list form). */
  path: PathPart[];
  /** Per top-level key, the path of the layer that set it. */
  origin: Record<string, PathPart[]>;
}

/** Options for resolving paths. */
export interface NodeOptions {
  dir: string;
  checkFiles: boolean;
}

/**
 * Resolves all nodes in declaration order.
 * @throws TopologyError for unknown groups, a node in two groups, a group member that is not a node,
 *   missing files, `config` with both or neither of file/text.
 */
export function resolveNodes(raw: Obj, opts: NodeOptions): { drafts: NodeDraft[]; groups: Record<string, Group> } {
  const entries = nodeEntries(raw.nodes);
  const names = entries.map((e) => e.name);
  const nameSet = new Set(names);
  const groupsRaw = (raw.groups ?? {}) as Record<string, Obj>;
  const groupNames = Object.keys(groupsRaw);
  const memberOf = new Map<string, string>();
  for (const [g, def] of Object.entries(groupsRaw)) {
    ((def.members ?? []) as string[]).forEach((m, i) => {
      const path = formatPath(['groups', g, 'members', i]);
      if (!nameSet.has(m)) throw new TopologyError(path, `node "${m}" is not defined${didYouMean(m, names)}`, 'list nodes defined under nodes:');
      const other = memberOf.get(m);
      if (other && other !== g) throw new TopologyError(path, `node "${m}" is already a member of group "${other}"`, 'a node belongs to one group');
      memberOf.set(m, g);
    });
  }
  const kinds = (raw.kinds ?? {}) as Record<string, Obj>;
  const defaults = raw.defaults as Obj | undefined;
  const drafts: NodeDraft[] = [];
  for (const [i, e] of entries.entries()) {
    const own = e.values;
    let group = own?.group as string | undefined;
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
    const kindName = (own?.kind ?? groupValues?.kind ?? defaults?.kind ?? 'linux') as string;
    const kind = getKind(kindName)!;
    const layered = layer([
      { values: defaults, path: ['defaults'] },
      { values: kinds[kindName], path: ['kinds', kindName] },
      { values: groupValues, path: ['groups', group ?? ''] },
      { values: own ?? undefined, path: e.path },
    ], ['members', 'group']);
    layered.values.kind = kindName;
    const draft: NodeDraft = { node: baseNode(e.name, i + 1, kindName, group, layered.values), kind, path: e.path, origin: layered.origin };
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

function nodeEntries(nodes: unknown): { name: string; values: Obj | null; path: PathPart[] }[] {
  if (nodes === undefined) throw new TopologyError('nodes', 'the lab has no nodes', 'add nodes:, e.g. nodes: { r1: {}, r2: {} }');
  if (Array.isArray(nodes)) {
    const seen = new Map<string, number>();
    return (nodes as string[]).map((name, i) => {
      const first = seen.get(name);
      if (first !== undefined) throw new TopologyError(`nodes[${i}]`, `node "${name}" is listed twice (also nodes[${first}])`, 'remove one');
      seen.set(name, i);
      return { name, values: null, path: ['nodes', i] };
    });
  }
  const out = Object.entries(nodes as Record<string, Obj | null>).map(([name, values]) => ({ name, values, path: ['nodes', name] as PathPart[] }));
  if (out.length === 0) throw new TopologyError('nodes', 'the lab has no nodes', 'add nodes:, e.g. nodes: { r1: {}, r2: {} }');
  return out;
}

function baseNode(name: string, id: number, kind: string, group: string | undefined, raw: Obj): Node {
  const node: Node = {
    name, id, kind, exec: [], env: {}, binds: [], sysctls: {}, resources: {}, forwarding: false,
    loopback: {}, interfaces: [], routes: [], classes: {}, raw,
    autostart: true, compat: false, execErrors: 'fail', startup: [], shutdown: [], layers: [], after: [],
  };
  if (group) node.group = group;
  return node;
}

function resolveFields(d: NodeDraft, opts: NodeOptions): void {
  const { node } = d;
  const raw = node.raw;
  const at = (key: string, ...rest: PathPart[]): string => formatPath([...(d.origin[key] ?? [...d.path, key]), ...rest]);
  const file = (p: string, key: string, what: string, ...rest: PathPart[]): string => {
    const abs = isAbsolute(p) ? p : resolve(opts.dir, p);
    if (opts.checkFiles && !existsSync(abs)) throw new TopologyError(at(key, ...rest), `${what} ${abs} does not exist`, `paths are relative to the topology file's directory (${opts.dir})`);
    return abs;
  };
  if (raw.rootfs !== undefined) node.rootfs = file(raw.rootfs as string, 'rootfs', 'root filesystem');
  if (raw.config !== undefined) node.config = resolveConfig(raw.config, at('config'), (p) => file(p, 'config', 'config file'));
  if (raw.cmd !== undefined) node.cmd = raw.cmd as string;
  if (raw.exec !== undefined) node.exec = typeof raw.exec === 'string' ? [raw.exec] : [...(raw.exec as string[])];
  for (const [k, v] of Object.entries((raw.env ?? {}) as Obj)) node.env[k] = String(v);
  for (const [k, v] of Object.entries((raw.sysctls ?? {}) as Obj)) node.sysctls[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  node.binds = ((raw.binds ?? []) as unknown[]).map((b, i) => resolveBind(b, (p) => file(p, 'binds', 'bind source', i)));
  node.resources = resolveResources((raw.resources ?? {}) as Obj);
  node.forwarding = raw.forwarding === undefined ? d.kind.router : Boolean(raw.forwarding);
  for (const [name, c] of Object.entries((raw.classes ?? {}) as Record<string, Obj>)) {
    node.classes[name] = resolveClass(c, at('classes', name));
  }
  if (raw.bridge !== undefined && !d.kind.switch) {
    throw new TopologyError(at('bridge'), `bridge: is for kind bridge nodes; "${node.name}" is kind ${node.kind}`, 'remove it, or set kind: bridge');
  }
  if (d.kind.switch) node.bridge = (raw.bridge as string | undefined) ?? 'br0';
  resolveImported(d, at, file);
}

/**
 * The keys imported labs need (and anyone may use): FRR daemons, autostart,
 * compat, exec_errors, startup/shutdown scripts, root layers, after, healthcheck.
 */
function resolveImported(d: NodeDraft, at: (key: string, ...rest: PathPart[]) => string, file: (p: string, key: string, what: string, ...rest: PathPart[]) => string): void {
  const { node } = d;
  const raw = node.raw;
  const list = (v: unknown): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...(v as string[])]);
  if (raw.daemons !== undefined) {
    if (node.kind !== 'frr') throw new TopologyError(at('daemons'), `daemons: is for kind frr nodes; "${node.name}" is kind ${node.kind}`, 'remove it, or set kind: frr');
    node.daemons = typeof raw.daemons === 'string' ? { path: file(raw.daemons, 'daemons', 'FRR daemons file') } : { names: [...(raw.daemons as string[])] };
  }
  if (raw.autostart !== undefined) node.autostart = Boolean(raw.autostart);
  if (raw.compat !== undefined) node.compat = Boolean(raw.compat);
  if (!node.autostart && !node.compat && d.kind.daemon) {
    throw new TopologyError(at('autostart'), `${node.name}'s daemons would never start: autostart: false needs compat: true (systemctl start in the node)`, 'add compat: true, or remove autostart: false');
  }
  if (raw.exec_errors !== undefined) node.execErrors = raw.exec_errors as 'fail' | 'warn';
  node.startup = list(raw.startup).map((p, i) => file(p, 'startup', 'startup file', ...(typeof raw.startup === 'string' ? [] : [i])));
  node.shutdown = list(raw.shutdown).map((p, i) => file(p, 'shutdown', 'shutdown file', ...(typeof raw.shutdown === 'string' ? [] : [i])));
  node.layers = list(raw.layers).map((p, i) => file(p, 'layers', 'layer folder', i));
  node.after = list(raw.after);
  const hc = raw.healthcheck as Record<string, unknown> | undefined;
  if (hc) {
    const h: Healthcheck = {
      test: hc.test as string,
      intervalMs: hc.interval === undefined ? 1000 : parseTime(hc.interval),
      timeoutMs: hc.timeout === undefined ? 10_000 : parseTime(hc.timeout),
      startPeriodMs: hc.start_period === undefined ? 0 : parseTime(hc.start_period),
      retries: (hc.retries as number | undefined) ?? 30,
    };
    if (h.intervalMs <= 0 || h.timeoutMs <= 0) throw new TopologyError(at('healthcheck'), 'healthcheck interval and timeout must be more than 0', 'write e.g. interval: 1s, timeout: 5s');
    node.healthcheck = h;
  }
}

function resolveConfig(c: unknown, where: string, file: (p: string) => string): NodeConfig {
  if (typeof c === 'string') return { path: file(c) };
  const o = c as { file?: string; text?: string };
  if ((o.file === undefined) === (o.text === undefined)) {
    throw new TopologyError(where, 'config needs exactly one of file: or text:', 'write config: path/to/file, or config: { text: "…" }');
  }
  return o.file !== undefined ? { path: file(o.file) } : { text: o.text! };
}

function resolveBind(b: unknown, file: (p: string) => string): Bind {
  if (typeof b === 'string') {
    const [source, target, mode] = b.split(':') as [string, string, string | undefined];
    return { source: file(source), target, readonly: mode === 'ro' };
  }
  const o = b as { source: string; target: string; readonly?: boolean };
  return { source: file(o.source), target: o.target, readonly: o.readonly ?? false };
}

function resolveResources(r: Obj): Resources {
  const out: Resources = {};
  if (r.memory !== undefined) out.memoryBytes = parseSize(r.memory);
  if (r.cpus !== undefined) out.cpus = r.cpus as number;
  if (r.pids !== undefined) out.pids = r.pids as number;
  if (r.cpuset !== undefined) out.cpuset = r.cpuset as string;
  return out;
}

function resolveClass(c: Obj, where: string): NetClass {
  const out: NetClass = { rateBps: parseRate(c.rate) };
  if (c.ceil !== undefined) {
    out.ceilBps = parseRate(c.ceil);
    if (out.ceilBps < out.rateBps) throw new TopologyError(`${where}.ceil`, `ceil ${String(c.ceil)} is below rate ${String(c.rate)}`, 'ceil is the most a class may borrow up to; make it ≥ rate or leave it out');
  }
  if (c.prio !== undefined) out.prio = c.prio as number;
  return out;
}
