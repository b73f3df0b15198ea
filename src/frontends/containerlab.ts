/**
 * containerlab front-end: a `.clab.yml` (a top-level `topology:` key, or a
 * `*.clab.yml`/`*.clab.yaml` name) → a netlab input document.
 *
 * containerlab's own semantics are kept: settings layer node → group → kind
 * → defaults (env, labels and sysctls merge key by key, binds add up, other
 * keys are replaced), `group:` without a matching `groups:` entry is a free
 * label, `${VAR:=default}` expands as in bash, node and link forms as
 * containerlab documents them (docs/manual/nodes.md, links.md). What netlab
 * does instead (image fall-backs, ignored Docker settings) is said in one
 * note per item; vendor network OSes are refused with one message.
 * docs/containerlab.md is the user's side of this file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TopologyError } from '../errors.js';
import { isOwnKind, vendorInfo } from './clab-kinds.js';
import { convertLinks, type ClabNodeRole } from './clab-links.js';
import { recipeFor } from './clab-recipes.js';
import { imageRole, unrunnableWhat } from './images.js';
import { NODE_KEY_ORDER, NoteBook, ordered } from './notes.js';
import { labFile } from './paths.js';
import type { Frontend, FrontendOptions, ImageCatalog, LabDocument, Note, ParsedSource } from './types.js';
import { NO_IMAGES } from './types.js';
import { expandClabVariables, keyPath } from './vars.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys merged key by key across layers (containerlab: env, labels; sysctls likewise). */
const MERGED = new Set(['env', 'labels', 'sysctls']);

/**
 * Node keys netlab does not use, and why — said once per key in the notes.
 * Everything containerlab documents for nodes is either mapped below or listed here.
 */
const IGNORED: Record<string, string> = {
  labels: 'container labels are Docker metadata; netlab keeps no labels',
  ports: 'netlab publishes no ports on the host: reach the node at its management address (mgmt:) or through a host link',
  publish: 'netlab publishes no ports',
  'cgroup-parent': 'netlab puts every node in its own cgroup under netlab/<lab>/',
  user: 'commands run as root in the node',
  'cap-add': 'nodes get the capabilities netlab gives every node',
  devices: 'nodes get the devices netlab gives every node',
  'shm-size': 'nodes share the lab\'s /dev/shm size',
  runtime: 'netlab is its own runtime',
  'restart-policy': 'netlab does not restart nodes',
  'auto-remove': 'nodes are removed by netlab down',
  'image-pull-policy': 'images come from netlab\'s store',
  'startup-config': 'a linux node has no startup configuration (FRR\'s comes from a bound frr.conf)',
  'startup-delay': 'netlab orders starts with stages/wait-for',
  'enforce-startup-config': 'a linux node has no startup configuration',
  'suppress-startup-config': 'a linux node has no startup configuration',
  license: 'only vendor kinds use a licence',
  type: 'only vendor kinds have types',
  extras: 'vendor-specific extras',
  certificate: 'netlab issues no TLS certificates',
  config: 'containerlab\'s config engine templates are not rendered',
  sandbox: 'nodes are namespaces, not VMs',
  kernel: 'nodes share the host\'s kernel',
  components: 'vendor-specific',
};

/** Node keys mapped (handled below); anything else is unknown and noted. */
const MAPPED = new Set([
  'kind', 'image', 'group', 'binds', 'exec', 'cmd', 'entrypoint', 'env', 'env-files', 'cpu', 'memory', 'cpu-set',
  'sysctls', 'network-mode', 'stages', 'wait-for', 'healthcheck', 'dns', 'aliases', 'mgmt-ipv4', 'mgmt-ipv6',
]);

/** The containerlab front-end. */
export const containerlab: Frontend = {
  name: 'containerlab',

  detect(path: string, data?: unknown): boolean {
    if (/\.clab\.ya?ml$/i.test(path)) return true;
    return isObj(data) && 'topology' in data;
  },

  labName(path: string, opts: FrontendOptions, parsed?: ParsedSource): string {
    const data = (parsed?.data ?? {}) as Obj;
    const notes: Note[] = [];
    const name = expandClabVariables(data.name, opts.env ?? process.env, notes);
    return typeof name === 'string' && name ? name : basename(path).replace(/(\.clab)?\.ya?ml$/i, '');
  },

  convert(path: string, opts: FrontendOptions, parsed?: ParsedSource): LabDocument {
    const dir = dirname(path);
    const notes: Note[] = [];
    const raw = parsed?.data;
    const at = (p: (string | number)[]): string => {
      const line = parsed?.lineOf(p);
      return line === undefined ? keyPath(p) : `${keyPath(p)} (${basename(path)}:${line})`;
    };
    if (!isObj(raw)) throw new TopologyError('', 'a containerlab file must be a mapping with name: and topology:', 'see containerlab.dev/manual/topo-def-file');
    const data = expandClabVariables(raw, opts.env ?? process.env, notes) as Obj;
    const topo = data.topology;
    if (!isObj(topo)) throw new TopologyError(at(['topology']), 'topology: must be a mapping with nodes: and links:', 'see containerlab.dev/manual/topo-def-file');
    const name = typeof data.name === 'string' && data.name ? data.name : basename(path).replace(/(\.clab)?\.ya?ml$/i, '');
    const ctx: ClabContext = { dir, notes, at, images: opts.images ?? NO_IMAGES, file: path, book: new NoteBook(notes) };

    const nodesRaw = topo.nodes;
    if (!isObj(nodesRaw) || Object.keys(nodesRaw).length === 0) {
      throw new TopologyError(at(['topology', 'nodes']), 'the lab has no nodes', 'add nodes under topology.nodes');
    }
    const resolved = resolveClabNodes(topo, ctx);
    refuseVendors(resolved, ctx);

    const doc: Obj = { name };
    doc.description = `containerlab lab ${basename(path)}, read by netlab`;
    const prefix = namePrefix(data.prefix, name);
    if (prefix) doc.name_prefix = prefix;
    doc.addressing = false;
    const mgmt = mgmtOf(data.mgmt, resolved, topo, ctx);
    if (mgmt !== undefined) doc.mgmt = mgmt;

    const roles = new Map<string, ClabNodeRole>();
    const nodes: Obj = {};
    const labels: Record<string, string[]> = {};
    for (const n of resolved) {
      const role = nodeRole(n);
      roles.set(n.name, role);
      if (role.type !== 'node') {
        if (role.type === 'host') notes.push({ where: at(n.path), text: `${n.name} is kind host: the host itself; its links are host links` });
        continue;
      }
      nodes[n.name] = ordered(convertNode(n, ctx), NODE_KEY_ORDER);
      if (n.label) (labels[n.label] ??= []).push(n.name);
    }
    if (Object.keys(nodes).length === 0) {
      throw new TopologyError(at(['topology', 'nodes']), 'the lab has no node netlab runs (only bridges and the host)', 'add a linux node');
    }
    if (Object.keys(labels).length) doc.groups = Object.fromEntries(Object.entries(labels).map(([g, members]) => [g, { members }]));
    doc.nodes = nodes;
    const links = convertLinks(topo.links, roles, ctx);
    if (links.needsMgmt && doc.mgmt === undefined) doc.mgmt = true;
    doc.links = links.links;
    ctx.book.flush();
    return { data: doc, dir, file: path, format: 'containerlab', notes };
  },
};

/** What conversion needs all along. */
export interface ClabContext {
  dir: string;
  file: string;
  notes: Note[];
  /** Key path (with file:line when known) for messages. */
  at(path: (string | number)[]): string;
  images: ImageCatalog;
  /** Notes said once per image or ignored key. */
  book: NoteBook;
}

/** One containerlab node with its layers merged. */
interface ClabNode {
  name: string;
  path: (string | number)[];
  kind: string;
  /** The merged settings. */
  s: Obj;
  /** Which layer set each key (for messages). */
  origin: Record<string, (string | number)[]>;
  /** A free `group:` label (no groups: entry of that name), or a group's name. */
  label?: string;
}

function resolveClabNodes(topo: Obj, ctx: ClabContext): ClabNode[] {
  const defaults = isObj(topo.defaults) ? topo.defaults : {};
  const kinds = isObj(topo.kinds) ? topo.kinds : {};
  const groups = isObj(topo.groups) ? topo.groups : {};
  const out: ClabNode[] = [];
  for (const [name, own] of Object.entries(topo.nodes as Obj)) {
    const path = ['topology', 'nodes', name];
    const node = isObj(own) ? own : {};
    if (own !== null && own !== undefined && !isObj(own)) throw new TopologyError(ctx.at(path), 'a node must be a mapping of settings (or empty)', 'write e.g. r1: { kind: linux, image: alpine:3 }');
    const groupName = (node.group ?? defaults.group) as string | undefined;
    const group = groupName !== undefined && isObj(groups[groupName]) ? groups[groupName] as Obj : undefined;
    const kind = String(node.kind ?? group?.kind ?? defaults.kind ?? 'linux');
    if (node.kind === undefined && group?.kind === undefined && defaults.kind === undefined) {
      ctx.notes.push({ where: ctx.at(path), text: `${name} has no kind: netlab takes linux` });
    }
    const kindValues = isObj(kinds[kind]) ? kinds[kind] as Obj : undefined;
    const layers: [Obj | undefined, (string | number)[]][] = [
      [defaults, ['topology', 'defaults']], [kindValues, ['topology', 'kinds', kind]],
      [group, ['topology', 'groups', groupName ?? '']], [node, path],
    ];
    const s: Obj = {};
    const origin: Record<string, (string | number)[]> = {};
    for (const [values, lpath] of layers) {
      if (!values) continue;
      for (const [k, v] of Object.entries(values)) {
        if (k === 'group' || k === 'kind') continue;
        if (MERGED.has(k) && isObj(v) && isObj(s[k])) s[k] = { ...(s[k] as Obj), ...v };
        else if (k === 'binds' && Array.isArray(v) && Array.isArray(s[k])) s[k] = mergeBinds(s[k] as unknown[], v);
        else s[k] = v;
        origin[k] = [...lpath, k];
      }
    }
    const n: ClabNode = { name, path, kind, s, origin };
    if (groupName !== undefined) n.label = groupName;
    out.push(n);
  }
  return out;
}

/** containerlab adds binds up across layers; a later layer's bind to the same target wins. */
function mergeBinds(base: unknown[], over: unknown[]): unknown[] {
  const target = (b: unknown): string => (typeof b === 'string' ? b.split(':')[1] ?? b : '');
  const overTargets = new Set(over.map(target));
  return [...base.filter((b) => !overTargets.has(target(b))), ...over];
}

function refuseVendors(nodes: ClabNode[], ctx: ClabContext): void {
  const vendor = nodes.filter((n) => !isOwnKind(n.kind));
  const ext = nodes.find((n) => n.kind === 'ext-container');
  if (vendor.length) {
    const first = vendor[0]!;
    const info = vendorInfo(first.kind);
    const more = vendor.slice(1);
    const others = more.length ? ` (and ${more.length} more: ${more.slice(0, 5).map((n) => `${n.name} (${n.kind})`).join(', ')}${more.length > 5 ? ', …' : ''})` : '';
    throw new TopologyError(ctx.at(first.origin.kind ?? [...first.path, 'kind']),
      `node ${first.name} is kind ${first.kind}, ${info.what}: netlab cannot run it${others}`,
      `it needs ${info.needs}; netlab runs Linux nodes with FRR or BIRD. Run this lab with containerlab, or make ${first.name} kind: linux with an FRR image (quay.io/frrouting/frr) and an frr.conf to run its routing on netlab`);
  }
  if (ext) {
    throw new TopologyError(ctx.at([...ext.path, 'kind']), `node ${ext.name} is kind ext-container: a container started outside the lab, which netlab does not have`,
      `netlab runs its own nodes only: make ${ext.name} kind: linux (with the commands that container runs in exec:)`);
  }
}

function nodeRole(n: ClabNode): ClabNodeRole {
  if (n.kind === 'bridge' || n.kind === 'ovs-bridge') return { type: 'bridge', ovs: n.kind === 'ovs-bridge' };
  if (n.kind === 'host') return { type: 'host' };
  return { type: 'node' };
}

/** containerlab's `prefix:` → the extra name prefix of nodes (`clab-<lab>-` by default). */
function namePrefix(prefix: unknown, _lab: string): string {
  // {lab} is the lab's name when it runs (`netlab up --name` changes it, as containerlab's --name does).
  if (prefix === undefined || prefix === null) return 'clab-{lab}-';
  const p = String(prefix);
  if (p === '') return '';
  if (p === '__lab-name') return '{lab}-';
  return `${p}-{lab}-`;
}

/**
 * containerlab's `mgmt:` → netlab's management network, only when the lab
 * asks for one (a subnet, a bridge name, or a node's mgmt-ipv4/6): netlab's
 * management network is opt-in; containerlab's Docker network is always
 * there but most labs never use it.
 */
function mgmtOf(m: unknown, nodes: ClabNode[], _topo: Obj, ctx: ClabContext): Obj | true | undefined {
  const perNode = nodes.some((n) => n.s['mgmt-ipv4'] !== undefined || n.s['mgmt-ipv6'] !== undefined);
  if (!isObj(m) && !perNode) return undefined;
  const out: Obj = {};
  const mm = isObj(m) ? m : {};
  if (typeof mm['ipv4-subnet'] === 'string') out.network = mm['ipv4-subnet'];
  if (typeof mm['ipv6-subnet'] === 'string') out.ipv6 = mm['ipv6-subnet'];
  if (typeof mm.bridge === 'string') out.bridge = mm.bridge;
  for (const k of Object.keys(mm)) {
    if (['ipv4-subnet', 'ipv6-subnet', 'bridge'].includes(k)) continue;
    const why = k === 'network' ? 'the Docker network\'s name: netlab\'s management network is a bridge of the lab'
      : k === 'mtu' ? 'the management network has the lab\'s MTU'
        : k === 'ipv4-gw' || k === 'ipv6-gw' ? 'the host bridge takes the subnet\'s first address'
          : 'not used by netlab';
    ctx.notes.push({ where: ctx.at(['mgmt', k]), text: `mgmt.${k} is ignored: ${why}` });
  }
  // containerlab's default subnets (its docs, "Management network"): a node's own address lies in them.
  if (perNode && out.network === undefined) out.network = '172.20.20.0/24';
  if (nodes.some((n) => n.s['mgmt-ipv6'] !== undefined) && out.ipv6 === undefined) out.ipv6 = '3fff:172:20:20::/64';
  return Object.keys(out).length ? out : true;
}

/** One linux node → a netlab node. */
function convertNode(n: ClabNode, ctx: ClabContext): Obj {
  const s = n.s;
  const out: Obj = {};
  const at = (k: string, ...rest: (string | number)[]): string => ctx.at([...(n.origin[k] ?? [...n.path, k]), ...rest]);
  for (const k of Object.keys(s)) {
    if (MAPPED.has(k)) continue;
    ctx.book.ignore(k, n.name, at(k), IGNORED[k] ?? '');
  }
  const image = typeof s.image === 'string' ? s.image : undefined;
  let kind = 'linux';
  // An image the store has (or up pulls, with --pull) runs as itself; only the others fall back.
  const own = image !== undefined && ctx.images.available(image);
  if (image !== undefined) {
    const role = imageRole(image);
    if (role === 'unrunnable' && !own) {
      throw new TopologyError(at('image'), `node ${n.name} runs ${image}, ${unrunnableWhat(image)}: it is neither in netlab's image store nor installed on this host`,
        'put the image in netlab\'s store (netlab image pull, or netlab image import of a docker save archive) or run netlab up --pull, or switch the node to an FRR image and its FRR configuration');
    }
    if (role === 'frr') kind = 'frr';
    else if (role === 'bird') kind = 'bird';
  }
  if (kind !== 'linux') out.kind = kind;
  if (own) out.image = image;
  const binds = (Array.isArray(s.binds) ? s.binds : []) as unknown[];
  const kept = routerFiles(n, kind, binds, out, ctx);
  if (image !== undefined && own) ctx.book.runs(image, n.name, ctx.images.stored?.(image) ?? true ? 'stored' : 'pulled', kind, at('image'));
  else if (image !== undefined) {
    fallbackNote(n, image, kind, ctx, at('image'));
    // On the host's root in place of its image: systemctl/service, apk/apt-get and ash as the image would have them (compat/README.md).
    out.compat = true;
  }
  if (kept.length) out.binds = kept.map((b, i) => bindOf(b, ctx, at('binds', i)));
  if (typeof s.cmd === 'string' || typeof s.entrypoint === 'string') {
    out.cmd = [s.entrypoint, s.cmd].filter((x) => typeof x === 'string' && x).join(' ');
  }
  const exec = execLines(s.exec, at('exec'));
  const env = envOf(n, ctx, at);
  if (Object.keys(env).length) out.env = env;
  const resources: Obj = {};
  if (s.cpu !== undefined) resources.cpus = Number(s.cpu);
  if (s.memory !== undefined) resources.memory = String(s.memory).replace(/b$/i, '');
  if (s['cpu-set'] !== undefined) resources.cpuset = String(s['cpu-set']);
  if (Object.keys(resources).length) out.resources = resources;
  if (isObj(s.sysctls)) {
    const sys: Obj = {};
    for (const [k, v] of Object.entries(s.sysctls)) {
      if (k.startsWith('net.')) sys[k] = v;
      else ctx.notes.push({ where: at('sysctls', k), text: `sysctl ${k} is not set: only net.* belong to a node (the rest would change the host)` });
    }
    if (Object.keys(sys).length) out.sysctls = sys;
  }
  const recipe = recipeFor(image);
  if (recipe) recipe.apply(n.name, out, env, ctx.notes, at('image'));
  ordering(n, out, exec, ctx, at);
  if (exec.length) {
    out.exec = exec;
    out.exec_errors = 'warn';
  }
  if (s['network-mode'] !== undefined) {
    ctx.notes.push({ where: at('network-mode'), text: `network-mode ${String(s['network-mode'])} is not supported yet: ${n.name} has a network namespace of its own` });
  }
  if (s.dns !== undefined) ctx.notes.push({ where: at('dns'), text: 'dns is ignored: nodes use the host\'s /etc/resolv.conf' });
  if (s.aliases !== undefined) ctx.notes.push({ where: at('aliases'), text: 'aliases are ignored: netlab has no DNS of its own' });
  // The node's own management addresses, kept (the loader checks them against the network).
  const mgmt: Obj = {};
  if (s['mgmt-ipv4'] !== undefined) mgmt.ipv4 = s['mgmt-ipv4'];
  if (s['mgmt-ipv6'] !== undefined) mgmt.ipv6 = s['mgmt-ipv6'];
  if (Object.keys(mgmt).length) out.mgmt = mgmt;
  return out;
}

/**
 * FRR and BIRD files among the binds: `…:/etc/frr/frr.conf` becomes the node's
 * `config:`, `…:/etc/frr/daemons` its `daemons:` (and a bound /etc/frr folder
 * both); BIRD's `/etc/bird.conf` or `/etc/bird/bird.conf` its `config:`.
 * Returns the binds that stay binds.
 */
function routerFiles(n: ClabNode, kind: string, binds: unknown[], out: Obj, ctx: ClabContext): unknown[] {
  const kept: unknown[] = [];
  binds.forEach((b, i) => {
    const where = ctx.at([...(n.origin.binds ?? [...n.path, 'binds']), i]);
    const [src, dst] = typeof b === 'string' ? b.split(':') : [undefined, undefined];
    if (src === undefined || dst === undefined) { kept.push(b); return; }
    const target = dst.replace(/\/+$/, '');
    if (kind === 'frr' && target === '/etc/frr/frr.conf') { out.config = labFile(ctx.dir, src, where, 'frr.conf').rel; return; }
    if (kind === 'frr' && target === '/etc/frr/daemons') { out.daemons = labFile(ctx.dir, src, where, 'FRR daemons file').rel; return; }
    if (kind === 'frr' && target === '/etc/frr') {
      const d = labFile(ctx.dir, src, where, 'FRR folder');
      if (d.isDir && existsSync(join(d.abs, 'frr.conf'))) out.config = join(d.rel, 'frr.conf');
      if (d.isDir && existsSync(join(d.abs, 'daemons'))) out.daemons = join(d.rel, 'daemons');
      ctx.notes.push({ where, text: `the bound FRR folder ${src} gives frr.conf and daemons; netlab writes the rest of /etc/frr` });
      return;
    }
    if (kind === 'bird' && (target === '/etc/bird.conf' || target === '/etc/bird/bird.conf')) { out.config = labFile(ctx.dir, src, where, 'bird.conf').rel; return; }
    kept.push(b);
  });
  if (kind === 'frr' && out.config === undefined && recipeFor(typeof n.s.image === 'string' ? n.s.image : undefined) === undefined) {
    ctx.notes.push({ where: ctx.at(n.path), text: `${n.name} binds no frr.conf: FRR starts with an empty configuration` });
  }
  return kept;
}

/** One line per image that does not run as itself (netlab never falls back silently). */
function fallbackNote(n: ClabNode, image: string, kind: string, ctx: ClabContext, where: string): void {
  ctx.book.image(image, n.name, kind === 'frr' || kind === 'bird' ? kind : 'root', where);
}

/** A bind as netlab writes it: the source checked to lie inside the lab folder. */
function bindOf(b: unknown, ctx: ClabContext, where: string): string {
  if (typeof b !== 'string') throw new TopologyError(where, 'a bind must be a string "source:target[:ro|rw]"', 'write e.g. data/file.txt:/file.txt:ro');
  const parts = b.split(':');
  if (parts.length < 2 || parts.length > 3) throw new TopologyError(where, `bind "${b}" is not "source:target[:options]"`, 'write e.g. data/file.txt:/file.txt:ro');
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const f = labFile(ctx.dir, src, where, 'bind source');
  const opts = (mode ?? '').split(',');
  return `${f.rel}:${dst}${opts.includes('ro') ? ':ro' : ''}`;
}

function execLines(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return [...v] as string[];
  throw new TopologyError(where, 'exec must be a list of commands', 'write exec: ["ip addr add 10.0.0.1/24 dev eth1"]');
}

function envOf(n: ClabNode, ctx: ClabContext, at: (k: string, ...rest: (string | number)[]) => string): Record<string, string> {
  const env: Record<string, string> = {};
  const files = n.s['env-files'];
  if (Array.isArray(files)) {
    files.forEach((f, i) => {
      const file = labFile(ctx.dir, String(f), at('env-files', i), 'env file');
      for (const line of readFileSync(file.abs, 'utf8').split('\n')) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (m) env[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
      }
    });
  }
  if (isObj(n.s.env)) for (const [k, v] of Object.entries(n.s.env)) env[k] = v === null ? '' : String(v);
  return env;
}

/**
 * `stages` and the older `wait-for` → `after:` (this node's start waits for
 * those nodes), a stage's in-node exec commands → exec lines, a
 * `healthcheck` → readiness; commands for the host are not run.
 */
function ordering(n: ClabNode, out: Obj, exec: string[], ctx: ClabContext, at: (k: string, ...rest: (string | number)[]) => string): void {
  const after: string[] = [];
  const add = (node: unknown): void => { if (typeof node === 'string' && !after.includes(node)) after.push(node); };
  const wf = n.s['wait-for'];
  if (Array.isArray(wf)) wf.forEach(add);
  const stages = n.s.stages;
  if (isObj(stages)) {
    for (const [stage, def] of Object.entries(stages)) {
      if (!isObj(def)) continue;
      if (Array.isArray(def['wait-for'])) for (const w of def['wait-for']) add(isObj(w) ? w.node : w);
      if (Array.isArray(def.exec)) {
        def.exec.forEach((e, i) => {
          const cmd = isObj(e) ? e.command : e;
          if (typeof cmd !== 'string') return;
          if (isObj(e) && e.target === 'host') {
            ctx.notes.push({ where: at('stages', stage, 'exec', i), text: `"${cmd}" is for the host and is not run: netlab runs no lab file's commands on the host (run it yourself if you trust it)` });
          } else exec.push(cmd);
        });
      }
    }
  }
  if (after.length) out.after = after;
  const hc = n.s.healthcheck;
  if (isObj(hc)) {
    const test = hc.test;
    let cmd: string | undefined;
    if (typeof test === 'string') cmd = test;
    else if (Array.isArray(test) && test.length) {
      const [form, ...rest] = test.map(String);
      if (form === 'CMD-SHELL') cmd = rest.join(' ');
      else if (form === 'CMD') cmd = rest.map((w) => (/^[A-Za-z0-9_./=:-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
      else if (form !== 'NONE') cmd = test.map(String).join(' ');
    }
    if (cmd !== undefined) {
      const h: Obj = { test: cmd };
      const secs = (v: unknown): string | undefined => (v === undefined ? undefined : typeof v === 'number' ? `${v}s` : String(v));
      if (hc.interval !== undefined) h.interval = secs(hc.interval);
      if (hc.timeout !== undefined) h.timeout = secs(hc.timeout);
      if (hc['start-period'] !== undefined) h.start_period = secs(hc['start-period']);
      if (hc.retries !== undefined) h.retries = Number(hc.retries);
      out.healthcheck = h;
    }
  }
}
