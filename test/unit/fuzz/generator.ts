/**
 * A seeded generator of bad (and odd) topology files: what a careless or
 * hostile user could hand `netlab up --dry-run`. Each input is the bytes of a
 * file (or, for a few, a path that is not a regular file), built from a small
 * set of valid labs by mutations in six families:
 *
 *   types     a value replaced by one of another type (list for a string, …)
 *   values    huge, tiny, negative, NaN, ∞, odd strings, units with spaces, …
 *   names     lab, node, interface and key names: dots, slashes, NUL, 100 KB, …
 *   aliases   YAML anchors: self-references, alias bombs, merge keys
 *   nesting   deep flow and block nesting, in known and unknown keys
 *   encodings invalid UTF-8, UTF-16, BOM, NUL bytes, CR, truncation, byte flips
 *
 * Reproducible: the same seed gives the same inputs, byte for byte (a
 * mulberry32 stream, no Math.random). Pure: nothing is written here; the
 * caller writes the files.
 */
import { dump } from 'js-yaml';

/** One generated input. */
export interface FuzzInput {
  /** Position in the run (0-based). */
  index: number;
  /** The mutation family and what was done, e.g. `values: links[1].shaping.delay = -1`. */
  label: string;
  /** The file's bytes; undefined when `path` names a special file instead. */
  bytes?: Buffer;
  /** A path to load instead of a written file: a directory, /dev/zero, a FIFO (created by the caller), ''. */
  special?: 'dir' | 'dev-zero' | 'fifo' | 'empty-path' | 'missing';
}

/** A small, fast, seedable PRNG (mulberry32): 32 bits of state, period 2^32. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
type Path = (string | number)[];

/** Valid labs the mutations start from: together they use every key of the format. */
export const BASES: readonly Obj[] = [
  {
    name: 'fz-features',
    description: 'every key',
    mtu: 1400,
    userns: false,
    mgmt: { network: '192.168.200.0/24', iface: 'eth0' },
    defaults: { kind: 'linux', env: { LAB: 'x' } },
    kinds: { frr: { sysctls: { 'net.ipv4.conf.all.log_martians': 1 }, resources: { memory: '128M' } } },
    groups: { routers: { kind: 'frr', members: ['r1', 'r2'] }, hosts: { resources: { memory: '64M', pids: 256, cpus: 0.5, cpuset: '0' } } },
    nodes: {
      r1: { addresses: { ipv4: '10.255.0.1' }, ospf: { area: 0, cost: 10, interfaces: { eth1: { passive: true } } } },
      r2: { routes: ['10.99.0.0/16 via 10.1.0.0', { prefix: '10.98.0.0/16', via: '10.1.0.0', metric: 20 }], bgp: { as: 65002, neighbors: [{ node: 'r1', as: 65001 }] } },
      h1: {
        group: 'hosts', env: { PORT: '${NUM:-8080}' }, exec: ['echo $${HOME}'], cmd: 'sleep 1',
        classes: { bulk: { rate: '1mbit', ceil: '2mbit', prio: 5 } }, gateway: 'r1',
        sysctls: { 'net.ipv4.tcp_ecn': 1 }, binds: ['/tmp:/data:ro', { source: '/etc', target: '/host-etc', readonly: true }],
      },
      sw: { kind: 'bridge', bridge: 'br0' },
      h2: { group: 'hosts', gateway: { ipv4: 'r2' }, forwarding: false },
    },
    links: [
      ['r1:eth1', 'r2:eth1'],
      {
        endpoints: [{ node: 'r1', iface: 'eth2', ipv4: '192.168.7.1/24', mac: '02:00:00:00:00:01', shaping: { rate: '5mbit', burst: '32kb', limit: 1000 } }, 'h1:eth1'],
        shaping: { delay: '10ms', jitter: '2ms', distribution: 'normal', loss: '0.5%', loss_correlation: '25%' },
        state: 'down', mtu: 9000, name: 'lnk',
      },
      ['r2:eth2', 'sw:p1'],
      ['h2:eth1', 'sw:p2'],
      { endpoints: ['r1:eth3', 'r2:eth3'], prefix: { ipv4: '10.50.0.0/30', ipv6: false } },
      ['r1:eth9', 'host:fz-up1'],
    ],
    addressing: { loopback: '10.0.0.0/24', p2p: { pool: '10.1.0.0/16', prefix: 31 }, lan: '172.16.0.0/16', ipv6: '2001:db8::/48', loopback6: '2001:db8:ffff::/64' },
    ospf: { area: '0.0.0.0', hello: 10, dead: 40, redistribute: ['connected'], network: 'point-to-point' },
    bgp: { redistribute: ['connected'], options: { x: 1 } },
    tests: [
      { name: 'ping', reach: { from: 'h1', to: 'h2', count: 1, timeout: '1s', expect: 'success', family: 4 }, wait: '5s' },
      { route: { node: 'r1', prefix: 'default', via: ['r2'], protocol: 'ospf' } },
      { route: { node: 'h1', prefix: '10.99.0.0/16', expect: 'absent' } },
      { exec: { node: 'h1', cmd: ['true'], exit: 0, stdout: '.*', timeout: '2s' }, serial: true },
      { ospf_neighbors: { node: 'r1', count: 1, state: 'Full', neighbor: 'r2' } },
      { bgp_sessions: { node: 'r2', state: 'Established', peer: 'r1' } },
    ],
  },
  {
    name: 'fz-tri',
    defaults: { kind: 'frr' },
    nodes: { r1: {}, r2: {}, r3: {}, h1: { kind: 'linux', gateway: 'r3' } },
    links: [['r1:eth1', 'r2:eth1'], { endpoints: ['r2:eth2', 'r3:eth1'], mtu: 9000, shaping: { rate: '10mbit', delay: '20ms', loss: '0.5%' } }, ['r3:eth2', 'r1:eth2'], ['r3:eth3', 'h1:eth1']],
  },
  {
    name: 'fz-lan',
    nodes: ['a', 'b', 'c', 'd'],
    links: [['a:eth1', 'b:eth1', 'c:eth1', 'd:eth1'], { endpoints: ['a:eth2', 'b:eth2', 'c:eth2'], name: 'lan9', prefix: '10.9.0.0/24' }],
    addressing: { lan: { pool: '172.16.0.0/16', prefix: 24 } },
  },
  {
    name: 'fz-bird',
    nodes: { b1: { kind: 'bird', ospf: true }, b2: { kind: 'bird', ospf: { area: 1 } } },
    links: [{ endpoints: [{ node: 'b1', iface: 'eth1', ipv6: '2001:db8:1::1/64' }, { node: 'b2', iface: 'eth1', ipv6: '2001:db8:1::2/64' }] }],
    ospf: { area: 0 },
    tests: [{ bird_protocol: { node: 'b1', protocol: 'ospf1', state: 'up' } }],
  },
];

/** Values of every type and many odd shapes, for swaps and replacements. */
const ODD_NUMBERS: readonly number[] = [
  -1, 0, -0, 0.5, 1, 2, 7, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53 + 2, 1e30, -1e30, 1e-300,
  99999999999999, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 4294967296.5, 1.5, -65535,
];
const ODD_STRINGS: readonly string[] = [
  '', ' ', '\t', '\0', 'a\0b', 'eth1\0x', 'lo', 'host', 'mgmt', '.', '..', '/', 'a/b', '../../etc', 'a.b', 'a:b', 'a b',
  '-1', '0', '1e9', '1e30', 'NaN', 'nan', '.nan', 'Infinity', '∞', 'null', '~', 'true', 'yes', '0x10', '0o17',
  '10mbit', '10 mbit', '10mbps', '-10mbit', '1e9bit', '99999999999s', '5 %', '5%', '500%', '-5%', '0.5', '20ms', '20', '1ms ',
  '256M', '1e30', '4P', '99999999999999999999T', '0.0.0.0', '0.0.0.0/0', '127.0.0.1', '127.0.0.0/8', '::', '::1', '255.255.255.255',
  '10.0.0.0/33', '10.1.0.1/31', '2001:db8::/129', 'fe80::1%eth0', 'default', 'r1', 'r1:eth1', 'host:lo', 'r1:lo',
  '${FUZZ}', '${NOPE}', '${NOPE:?stop}', '${', '$${X}', '${NUM}', '${EMPTY:-7}', '$', '$$', '${A${B}}',
  '/data/../../etc', '/dev/zero', '/', '/etc/passwd', 'frr', 'bird', 'bridge', 'linux', 'quagga',
  '\u202e', '🙂', 'é', '\u0000\u0001\u0002', '\r\n', 'x'.repeat(300), 'eth-really-long-name1', 'a'.repeat(16), 'ab\ud800',
  '02:00:00:00:00:01', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '0-1', '0-99999', '3-1', '0,,1', 'up', 'down',
];
const ODD_CONTAINERS: readonly Json[] = [[], {}, [[]], [{}], { a: {} }, { '': 1 }, [null], { x: [1, { y: null }] }, null, true, false];

function oddValue(rng: Rng): Json {
  const r = rng.int(10);
  if (r < 3) return rng.pick(ODD_NUMBERS);
  if (r < 8) return rng.pick(ODD_STRINGS);
  return clone(rng.pick(ODD_CONTAINERS));
}

const KNOWN_KEYS: readonly string[] = [
  'name', 'description', 'defaults', 'kinds', 'groups', 'nodes', 'links', 'addressing', 'mtu', 'userns', 'mgmt', 'ospf', 'bgp', 'tests',
  'kind', 'group', 'rootfs', 'config', 'cmd', 'exec', 'env', 'binds', 'sysctls', 'resources', 'addresses', 'routes', 'gateway',
  'forwarding', 'classes', 'bridge', 'endpoints', 'shaping', 'prefix', 'state', 'node', 'iface', 'ipv4', 'ipv6', 'mac',
  'rate', 'burst', 'limit', 'delay', 'jitter', 'loss', 'memory', 'cpus', 'pids', 'cpuset', 'members', 'area', 'as',
];
const ODD_KEYS: readonly string[] = [
  '__proto__', 'constructor', 'prototype', '', ' ', 'a.b', 'x'.repeat(200), 'nodess', 'link', 'endpoint', 'interface', 'image',
  'Name', 'NODES', 'mtu ', '\0', '🙂', 'toString', 'hasOwnProperty', '0', '-', 'ipv4 ', 'security', 'events',
];

function clone<T extends Json>(v: T): T {
  return v === null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v)) as T;
}

/** Every path in a value (containers and leaves), root excluded. */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([...at, i]); paths(x, [...at, i], out); });
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push([...at, k]); paths(x, [...at, k], out); }
  return out;
}

function containers(v: Json, at: Path = [], out: { path: Path; value: Obj | Json[] }[] = []): { path: Path; value: Obj | Json[] }[] {
  if (v !== null && typeof v === 'object') {
    out.push({ path: at, value: v });
    if (Array.isArray(v)) v.forEach((x, i) => containers(x, [...at, i], out));
    else for (const [k, x] of Object.entries(v)) containers(x, [...at, k], out);
  }
  return out;
}

/** Sets an own property, also for keys like `__proto__` that plain assignment would not create. */
function put(obj: Obj, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(root: Obj, path: Path, value: Json): void {
  let cur: Json = root;
  for (const p of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[p]!;
  const last = path.at(-1)!;
  if (typeof last === 'number') (cur as Json[])[last] = value;
  else put(cur as Obj, last, value);
}

function deleteAt(root: Obj, path: Path): void {
  let cur: Json = root;
  for (const p of path.slice(0, -1)) cur = (cur as Record<string | number, Json>)[p]!;
  if (Array.isArray(cur)) cur.splice(path.at(-1) as number, 1);
  else delete (cur as Obj)[path.at(-1) as string];
}

const show = (p: Path): string => p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x.length > 20 ? `${x.slice(0, 20)}…` : x}`)).join('').replace(/^\./, '');
const brief = (v: Json): string => { const s = JSON.stringify(v) ?? String(v); return s.length > 40 ? `${s.slice(0, 40)}…` : s; };

/** YAML text of a value: block style, or flow style sometimes (both must be read alike). */
function yamlOf(v: Json, rng: Rng): string {
  return dump(v, { flowLevel: rng.chance(0.25) ? 1 : -1, lineWidth: -1, noRefs: true });
}

function typeSwap(rng: Rng, doc: Obj): string {
  const ps = paths(doc);
  const p = rng.pick(ps);
  const v = rng.pick<Json>([1, 'x', true, null, [], {}, ['a'], { k: 'v' }, 0.5, -3]);
  setAt(doc, p, v);
  return `types: ${show(p)} = ${brief(v)}`;
}

function valueMutation(rng: Rng, doc: Obj): string {
  const ps = paths(doc).filter((p) => typeof p.at(-1) === 'string' || rng.chance(0.5));
  const p = rng.pick(ps);
  const v = oddValue(rng);
  setAt(doc, p, v);
  return `values: ${show(p)} = ${brief(v)}`;
}

function keyMutation(rng: Rng, doc: Obj): string {
  const maps = containers(doc).filter((c) => !Array.isArray(c.value));
  const c = rng.pick(maps);
  const r = rng.int(3);
  const obj = c.value as Obj;
  if (r === 0 && Object.keys(obj).length) {
    const k = rng.pick(Object.keys(obj));
    delete obj[k];
    return `names: removed ${show([...c.path, k])}`;
  }
  const k = r === 1 ? rng.pick(ODD_KEYS) : rng.pick(KNOWN_KEYS);
  put(obj, k, r === 1 && rng.chance(0.5) ? {} : oddValue(rng));
  return `names: added key ${JSON.stringify(k.length > 20 ? `${k.slice(0, 20)}…` : k)} at ${show(c.path) || 'top'}`;
}

/** Node, interface and lab names: renamed, reused, pointed at nothing. */
function nameMutation(rng: Rng, doc: Obj): string {
  const odd = rng.pick(ODD_STRINGS.filter((s) => s.length < 100).concat(['n'.repeat(64), 'x'.repeat(100_000), 'r1', 'h1', 'eth1']));
  const r = rng.int(5);
  if (r === 0) { doc.name = odd; return `names: name = ${brief(odd)}`; }
  const links = Array.isArray(doc.links) ? doc.links : [];
  if (r === 1 && links.length) {
    const i = rng.int(links.length);
    const l = links[i]!;
    const eps = (Array.isArray(l) ? l : (l as Obj).endpoints) as Json[];
    const j = rng.int(eps.length);
    const cur = eps[j];
    const node = typeof cur === 'string' ? cur.split(':')[0]! : String((cur as Obj).node);
    eps[j] = rng.chance(0.5) ? `${node}:${odd}` : `${odd}:eth${rng.int(9)}`;
    return `names: links[${i}] endpoint ${j} = ${brief(eps[j]!)}`;
  }
  if (r === 2 && links.length) {
    const l = clone(rng.pick(links));
    links.push(l);
    return 'names: a link repeated (interfaces reused)';
  }
  const nodes = doc.nodes;
  if (nodes && typeof nodes === 'object' && !Array.isArray(nodes)) {
    const k = rng.pick(Object.keys(nodes));
    const v = nodes[k]!;
    delete nodes[k];
    put(nodes, odd, v);
    return `names: node ${k} renamed ${brief(odd)}`;
  }
  if (Array.isArray(nodes)) { nodes[rng.int(nodes.length)] = odd; return `names: a node of the list renamed ${brief(odd)}`; }
  doc.name = odd;
  return `names: name = ${brief(odd)}`;
}

/** Many of something: links between two nodes, nodes, classes, routes, LAN members. */
function sizeMutation(rng: Rng, doc: Obj): string {
  const n = rng.pick([500, 2000, 5000]);
  const r = rng.int(4);
  if (r === 0) {
    doc.nodes = { a: {}, b: {} };
    doc.links = Array.from({ length: n }, (_, i) => [`a:e${i}`, `b:e${i}`]);
    delete doc.tests; delete doc.groups; delete doc.mgmt; delete doc.kinds; delete doc.defaults;
    return `values: ${n} links between two nodes`;
  }
  if (r === 1) {
    const classes: Obj = {};
    for (let i = 0; i < n * 4; i++) classes[`c${i}`] = { rate: '1mbit' };
    doc.nodes = { a: { classes } };
    delete doc.links; delete doc.tests; delete doc.groups; delete doc.mgmt; delete doc.kinds; delete doc.defaults;
    return `values: ${n * 4} traffic classes on one node`;
  }
  if (r === 2) {
    doc.nodes = { a: { routes: Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24 via 10.1.0.1`) }, b: {} };
    doc.links = [['a:eth1', 'b:eth1']];
    delete doc.tests; delete doc.groups; delete doc.mgmt; delete doc.kinds; delete doc.defaults;
    return `values: ${n} routes on one node`;
  }
  const names = Array.from({ length: n }, (_, i) => `n${i}`);
  doc.nodes = names;
  doc.links = [names.map((x) => `${x}:eth1`)];
  delete doc.tests; delete doc.groups; delete doc.mgmt; delete doc.kinds; delete doc.defaults;
  return `values: a LAN of ${n} members`;
}

/** YAML anchors and aliases, written as text (dump never writes them). */
function aliasText(rng: Rng, doc: Obj): { text: string; label: string } {
  const key = rng.pick(['description', 'nodes', 'links', 'x-unknown', 'tests', 'defaults', 'bgp', 'ospf']);
  const without = (k: string): string => { const d = { ...doc }; delete d[k]; return dump(d, { lineWidth: -1, noRefs: true }); };
  const r = rng.int(5);
  if (r === 0) return { text: `${without(key)}${key}: &n { a: *n }\n`, label: `aliases: ${key} refers to itself` };
  if (r === 1) return { text: `${without(key)}${key}: &L [[r1:eth1, r2:eth1], *L]\n`, label: `aliases: ${key} is a list that contains itself` };
  if (r === 2) {
    const levels = 4 + rng.int(6);
    const width = 5 + rng.int(6);
    const lines = [`x0: &a0 [${Array.from({ length: width }, () => '"lol"').join(', ')}]`];
    for (let i = 1; i <= levels; i++) lines.push(`x${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
    const where = rng.pick(['top', 'description', 'nodes', 'env']);
    if (where === 'top') return { text: `${without('x0')}${lines.join('\n')}\n`, label: `aliases: a bomb of ${width}^${levels} in unknown top-level keys` };
    const body = lines.map((l) => `  ${l}`).join('\n');
    if (where === 'env') return { text: `${without('defaults')}defaults:\n  env:\n${lines.map((l) => `    ${l}`).join('\n')}\n`, label: `aliases: a bomb of ${width}^${levels} in defaults.env` };
    return { text: `${without(where)}${where}:\n${body}\n`, label: `aliases: a bomb of ${width}^${levels} under ${where}` };
  }
  if (r === 3) return { text: `${without('x-extra')}x-extra: &m { r9: {} }\nmore: { <<: *m }\n`, label: 'aliases: a merge key' };
  return { text: `${without('defaults').replace(/^kinds:.*$/m, '')}defaults: &d { kind: frr }\nkinds: { frr: *d }\n`, label: 'aliases: an anchor reused in kinds' };
}

/** Deep nesting of flow or block collections, at a known or an unknown key. */
function nestingText(rng: Rng, doc: Obj): { text: string; label: string } {
  const depth = rng.pick([50, 99, 100, 101, 1000, 20_000, 100_000]);
  const key = rng.pick(['description', 'x-deep', 'nodes', 'env', 'links', 'tests']);
  const d = { ...doc };
  delete d[key];
  const rest = dump(d, { lineWidth: -1, noRefs: true });
  const r = rng.int(4);
  if (r === 0) return { text: `${rest}${key}: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, label: `nesting: [ × ${depth} at ${key}` };
  if (r === 1) return { text: `${rest}${key}: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`, label: `nesting: {a: × ${depth} at ${key}` };
  if (r === 2) {
    const n = Math.min(depth, 3000);
    return { text: `${rest}${key}:\n${Array.from({ length: n }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`, label: `nesting: block mappings × ${n} at ${key}` };
  }
  return { text: `${rest}${key}: ${'['.repeat(depth)}\n`, label: `nesting: ${depth} unclosed [ at ${key}` };
}

/** Byte-level damage: invalid UTF-8, UTF-16, BOM, NUL, CR, truncation, flips. */
function encodingBytes(rng: Rng, doc: Obj): { bytes: Buffer; label: string } {
  const text = yamlOf(doc, rng);
  const buf = Buffer.from(text, 'utf8');
  const at = rng.int(buf.length);
  const r = rng.int(9);
  switch (r) {
    case 0: return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from([0xff, 0xfe]), buf.subarray(at)]), label: `encodings: bytes ff fe at ${at}` };
    case 1: return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from([0xc3]), buf.subarray(at)]), label: `encodings: a lone UTF-8 lead byte at ${at}` };
    case 2: return { bytes: Buffer.from(`\ufeff${text}`, 'utf16le'), label: 'encodings: UTF-16LE with BOM' };
    case 3: return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]), label: 'encodings: UTF-8 BOM' };
    case 4: return { bytes: Buffer.concat([buf.subarray(0, at), Buffer.from([0]), buf.subarray(at)]), label: `encodings: a NUL byte at ${at}` };
    case 5: return { bytes: Buffer.from(text.replace(/\n/g, rng.chance(0.5) ? '\r\n' : '\r'), 'utf8'), label: 'encodings: CR line ends' };
    case 6: return { bytes: buf.subarray(0, at), label: `encodings: cut after ${at} bytes` };
    case 7: {
      const b = Buffer.from(buf);
      for (let i = 0; i < 3; i++) { const j = rng.int(b.length); b[j] = rng.int(256); }
      return { bytes: b, label: 'encodings: 3 random bytes changed' };
    }
    default: return { bytes: Buffer.from(text.replace(/^( +)/gm, (m) => '\t'.repeat(m.length / 2)), 'utf8'), label: 'encodings: tabs for indentation' };
  }
}

/** Whole-file oddities: empty, comments only, several documents, a scalar, a list, binary. */
function wholeFile(rng: Rng, doc: Obj): { bytes?: Buffer; special?: FuzzInput['special']; label: string } {
  const r = rng.int(12);
  const text = yamlOf(doc, rng);
  switch (r) {
    case 0: return { bytes: Buffer.alloc(0), label: 'whole file: empty' };
    case 1: return { bytes: Buffer.from('# only a comment\n'), label: 'whole file: a comment' };
    case 2: return { bytes: Buffer.from(`${text}---\n${text}`), label: 'whole file: two documents' };
    case 3: return { bytes: Buffer.from('42\n'), label: 'whole file: a number' };
    case 4: return { bytes: Buffer.from('- r1\n- r2\n'), label: 'whole file: a list' };
    case 5: return { bytes: Buffer.from(Array.from({ length: 512 }, () => rng.int(256))), label: 'whole file: binary' };
    case 6: return { special: 'dir', label: 'whole file: a directory' };
    case 7: return { special: 'dev-zero', label: 'whole file: /dev/zero' };
    case 8: return { special: 'fifo', label: 'whole file: a FIFO' };
    case 9: return { special: 'empty-path', label: 'whole file: the path ""' };
    case 10: return { special: 'missing', label: 'whole file: no such file' };
    default: return { bytes: Buffer.from(`${text}${'#'.repeat(10)}\n`.repeat(2)), label: 'whole file: the lab twice' };
  }
}

/** Families and their weights (per 20). */
const FAMILIES: readonly [string, number][] = [['types', 4], ['values', 5], ['names', 3], ['keys', 2], ['size', 1], ['aliases', 2], ['nesting', 1], ['encodings', 1], ['whole', 1]];

/**
 * `count` inputs from `seed`. Input i depends only on (seed, i), so a failure
 * is reproduced with the same seed and index alone.
 */
export function generate(seed: number, count: number): FuzzInput[] {
  return Array.from({ length: count }, (_, i) => generateOne(seed, i));
}

/** The input at `index` of the run with `seed`. */
export function generateOne(seed: number, index: number): FuzzInput {
  const rng = new Rng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
  const doc = clone(rng.pick(BASES));
  const total = FAMILIES.reduce((k, [, w]) => k + w, 0);
  let roll = rng.int(total);
  const family = FAMILIES.find(([, w]) => (roll -= w) < 0)![0];
  const input: FuzzInput = { index, label: family };
  const twice = rng.chance(0.2);
  const mutate = (f: (r: Rng, d: Obj) => string): void => {
    const labels = [f(rng, doc)];
    if (twice) labels.push(f(rng, doc));
    input.label = labels.join('; ');
    input.bytes = Buffer.from(yamlOf(doc, rng), 'utf8');
  };
  switch (family) {
    case 'types': mutate(typeSwap); break;
    case 'values': mutate(valueMutation); break;
    case 'names': mutate(nameMutation); break;
    case 'keys': mutate(keyMutation); break;
    case 'size': mutate(sizeMutation); break;
    case 'aliases': { const a = aliasText(rng, doc); input.label = a.label; input.bytes = Buffer.from(a.text, 'utf8'); break; }
    case 'nesting': { const a = nestingText(rng, doc); input.label = a.label; input.bytes = Buffer.from(a.text, 'utf8'); break; }
    case 'encodings': { const a = encodingBytes(rng, doc); input.label = a.label; input.bytes = a.bytes; break; }
    default: {
      const a = wholeFile(rng, doc);
      input.label = a.label;
      if (a.bytes) input.bytes = a.bytes;
      if (a.special) input.special = a.special;
    }
  }
  return input;
}
