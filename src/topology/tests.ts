/**
 * `tests:` → TestSpec[]: every test checked against the lab it belongs to
 * (nodes exist and are of the right kind, interfaces exist, addresses parse
 * and belong to the right family, regular expressions compile) and given a
 * readable name when it has none. Pure: data in, data out, except
 * loadTestsFile, which reads the file `tests:` names.
 *
 * Errors are TopologyErrors naming the key path, e.g.
 * `tests[2].reach.from: node "h9" is not defined; did you mean "h1"?`.
 * The syntax is in docs/testing.md; src/validate runs the result.
 */
import { TopologyError } from '../errors.js';
import type {
  BgpSessionsTest, BirdProtocolTest, ExecTest, NextHopSpec, Node, OspfNeighborsTest, ReachTest,
  RouteProtocol, RouteTest, RoutingDaemon, TestKind, TestSpec, Topology,
} from './types.js';
import { formatCidr, network, parseCidr, parseIP, type Family } from './ip.js';
import type { KindCatalog, ProtocolTest } from './kinds.js';
import { formatPath, type PathPart } from './path.js';
import type { TestInput } from './schema/source.js';
import { didYouMean } from './suggest.js';
import { parseTime } from './units.js';
import { resolveAfter } from './events.js';

/** The settings of one kind of test, as written. */
type Spec<K extends TestKind> = NonNullable<TestInput[K]>;

/** The test kinds, in the order docs/testing.md lists them. */
export const TEST_KINDS: readonly TestKind[] = ['reach', 'route', 'exec', 'ospf_neighbors', 'bgp_sessions', 'bird_protocol'];

/** OSPF neighbour states, RFC 2328 section 10.1 (spelt as FRR and BIRD print them). */
export const OSPF_STATES: readonly string[] = ['Down', 'Attempt', 'Init', '2-Way', 'ExStart', 'Exchange', 'Loading', 'Full'];

/** BGP session states, RFC 4271 section 8.2.2. */
export const BGP_STATES: readonly string[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** Default per-command timeout of `exec` tests, ms. */
export const EXEC_TIMEOUT_MS = 10_000;

/**
 * Resolves the items of `tests:` against the lab's nodes (after addressing).
 * `items` must already have passed the schema (each a mapping of known keys).
 * @throws TopologyError at the first problem, with the path `tests[i].kind.field`.
 */
export function resolveTests(items: readonly unknown[], nodes: readonly Node[], kinds: KindCatalog, events?: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>): TestSpec[] {
  const lab = new LabIndex(nodes, kinds);
  const tests = items.map((item, i) => resolveTest(item as TestInput, i, lab, events));
  const seen = new Map<string, number>();
  for (const t of tests) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  for (const t of tests) if (seen.get(t.name)! > 1) t.name = `${t.name} (tests[${t.index}])`;
  return tests;
}

/** Lookups over the lab's nodes. */
class LabIndex {
  readonly byName: Map<string, Node>;
  readonly names: string[];
  /** Address (no prefix length) → node that has it. */
  readonly owner = new Map<string, string>();

  constructor(nodes: readonly Node[], readonly kinds: KindCatalog) {
    this.byName = new Map(nodes.map((n) => [n.name, n]));
    this.names = nodes.map((n) => n.name);
    for (const n of nodes) for (const a of nodeAddresses(n, 0)) if (!this.owner.has(a)) this.owner.set(a, n.name);
  }

  node(name: string, path: PathPart[]): Node {
    const n = this.byName.get(name);
    if (!n) {
      throw new TopologyError(formatPath(path), `node "${name}" is not defined${didYouMean(name, this.names)}`,
        `nodes of this lab: ${this.names.join(', ')}`);
    }
    return n;
  }
}

/** Addresses of a node (interfaces, then loopback), without prefix length; family 0 = both. */
export function nodeAddresses(n: Node, family: Family | 0): string[] {
  const out: string[] = [];
  const add = (cidr: string | undefined): void => {
    if (!cidr) return;
    const c = parseCidr(cidr, (f) => (f === 4 ? 32 : 128));
    if (c && (family === 0 || c.family === family)) out.push(cidr.split('/')[0]!);
  };
  for (const i of n.interfaces) { add(i.ipv4); add(i.ipv6); }
  add(n.loopback.ipv4);
  add(n.loopback.ipv6);
  return out;
}

function resolveTest(item: TestInput, index: number, lab: LabIndex, events?: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>): TestSpec {
  const path: PathPart[] = ['tests', index];
  const kinds = TEST_KINDS.filter((k) => k in item);
  if (kinds.length === 0) {
    throw new TopologyError(formatPath(path), `a test needs one of ${TEST_KINDS.join(', ')}`,
      'e.g. - { reach: { from: h1, to: h2 } } (see docs/testing.md)');
  }
  if (kinds.length > 1) {
    throw new TopologyError(formatPath(path), `the test has both ${kinds[0]} and ${kinds[1]}; a test checks one thing`,
      'split it into two tests, one item each');
  }
  const kind = kinds[0]!;
  const kpath: PathPart[] = [...path, kind];
  const base = {
    index,
    waitMs: item.wait === undefined ? 0 : parseTime(item.wait),
    serial: item.serial ?? false,
  };
  let test: TestSpec;
  switch (kind) {
    case 'reach': test = { ...base, ...reach(item.reach!, kpath, lab) }; break;
    case 'route': test = { ...base, ...route(item.route!, kpath, lab) }; break;
    case 'exec': test = { ...base, ...exec(item.exec!, kpath, lab) }; break;
    case 'ospf_neighbors': test = { ...base, ...ospfNeighbors(item.ospf_neighbors!, kpath, lab) }; break;
    case 'bgp_sessions': test = { ...base, ...bgpSessions(item.bgp_sessions!, kpath, lab) }; break;
    case 'bird_protocol': test = { ...base, ...birdProtocol(item.bird_protocol!, kpath, lab) }; break;
  }
  if (item.name !== undefined) test.name = item.name;
  if (item.after !== undefined) {
    if (!events) throw new TopologyError(formatPath([...path, 'after']), 'after: needs the lab\'s topology', 'this is a bug in netlab: please report it');
    test.after = resolveAfter(events, item.after, formatPath([...path, 'after']), Date.now());
  }
  if (item.within !== undefined) {
    if (item.after === undefined) throw new TopologyError(formatPath([...path, 'within']), 'within: needs after: (the event it counts from)', 'add after: NAME-OF-AN-EVENT, or after: { link_down: r1:eth1 }');
    test.withinMs = parseTime(item.within);
  }
  return test;
}

type Resolved<T extends TestSpec> = Omit<T, 'index' | 'waitMs' | 'serial'>;

function reach(spec: Spec<'reach'>, path: PathPart[], lab: LabIndex): Resolved<ReachTest> {
  const from = lab.node(spec.from, [...path, 'from']).name;
  const to = spec.to;
  const wantFamily = spec.family;
  const toPath = formatPath([...path, 'to']);
  let address: string;
  let family: 4 | 6;
  let toNode: string | undefined;
  const ip = parseIP(to);
  if (ip) {
    if (wantFamily && wantFamily !== ip.family) throw new TopologyError(toPath, `"${to}" is an IPv${ip.family} address but family is ${wantFamily}`, 'drop family: or give an address of that family');
    address = to;
    family = ip.family;
    toNode = lab.owner.get(to);
  } else if (to.includes(':')) {
    const [nodeName, iface] = to.split(':', 2) as [string, string];
    const n = lab.node(nodeName, [...path, 'to']);
    const intf = n.interfaces.find((i) => i.name === iface);
    if (!intf) {
      const names = n.interfaces.map((i) => i.name);
      throw new TopologyError(toPath, `node "${n.name}" has no interface "${iface}"${didYouMean(iface, names)}`, `interfaces of ${n.name}: ${names.join(', ') || 'none'}`);
    }
    family = wantFamily ?? (intf.ipv4 ? 4 : intf.ipv6 ? 6 : 4);
    const cidr = family === 4 ? intf.ipv4 : intf.ipv6;
    if (!cidr) throw new TopologyError(toPath, `${to} has no IPv${family} address`, 'give an interface that has one, or an address');
    address = cidr.split('/')[0]!;
    toNode = n.name;
  } else {
    const n = lab.node(to, [...path, 'to']);
    family = wantFamily ?? 4;
    const found = targetAddress(n, family);
    if (!found) {
      throw new TopologyError(toPath, `node "${n.name}" has no IPv${family} address to ping`,
        family === 4 ? 'give an address, or family: 6 if it only has IPv6' : 'give an address, or add IPv6 addressing');
    }
    address = found;
    toNode = n.name;
  }
  const expect = spec.expect ?? 'success';
  const label = family === 6 && !ip ? `${to} (IPv6)` : to;
  const test: Resolved<ReachTest> = {
    kind: 'reach', node: from, from, to, address, family,
    count: spec.count ?? 3,
    timeoutMs: spec.timeout === undefined ? 1000 : parseTime(spec.timeout),
    expect,
    name: expect === 'fail' ? `${from} cannot reach ${label}` : `${from} reaches ${label}`,
  };
  if (test.timeoutMs <= 0) throw new TopologyError(formatPath([...path, 'timeout']), 'the reply timeout must be above 0', 'write e.g. 1s');
  if (toNode) test.toNode = toNode;
  return test;
}

/**
 * The address `reach` pings for a node name: a router's loopback (routing
 * protocols announce it), otherwise the node's first interface address
 * (hosts' loopbacks are usually not routed), otherwise its loopback.
 */
export function targetAddress(n: Node, family: 4 | 6): string | undefined {
  const lo = family === 4 ? n.loopback.ipv4 : n.loopback.ipv6;
  if (n.forwarding && lo) return lo.split('/')[0];
  for (const i of n.interfaces) {
    const a = family === 4 ? i.ipv4 : i.ipv6;
    if (a) return a.split('/')[0];
  }
  return lo?.split('/')[0];
}

function route(spec: Spec<'route'>, path: PathPart[], lab: LabIndex): Resolved<RouteTest> {
  const n = lab.node(spec.node, [...path, 'node']);
  const written = spec.prefix;
  const viaList = spec.via === undefined ? [] : Array.isArray(spec.via) ? spec.via : [spec.via];
  const viaFamily = viaList.map((v) => parseIP(v)?.family).find((f) => f !== undefined);
  let prefix: string;
  let family: 4 | 6;
  if (written === 'default') {
    family = viaFamily ?? 4;
    prefix = family === 4 ? '0.0.0.0/0' : '::/0';
  } else {
    const c = parseCidr(written)!;
    family = c.family;
    prefix = formatCidr({ ...c, addr: network(c) });
  }
  const via: NextHopSpec[] = viaList.map((v, i) => nextHop(v, family, Array.isArray(spec.via) ? [...path, 'via', i] : [...path, 'via'], lab));
  const test: Resolved<RouteTest> = {
    kind: 'route', node: n.name, prefix, family, via,
    expect: spec.expect ?? 'present',
    name: '',
  };
  if (spec.dev !== undefined) {
    const dev = spec.dev;
    const names = ['lo', ...n.interfaces.map((i) => i.name), ...(n.mgmt ? [n.mgmt.iface] : []), ...(n.bridge ? [n.bridge] : [])];
    if (!names.includes(dev)) {
      throw new TopologyError(formatPath([...path, 'dev']), `node "${n.name}" has no interface "${dev}"${didYouMean(dev, names)}`, `interfaces of ${n.name}: ${names.join(', ')}`);
    }
    test.dev = dev;
  }
  if (spec.protocol !== undefined) test.protocol = spec.protocol;
  if (test.expect === 'absent' && (via.length || test.dev || test.protocol)) {
    throw new TopologyError(formatPath([...path, 'expect']), 'expect: absent checks that the prefix is not in the table at all; via, dev and protocol do not apply',
      'remove via/dev/protocol, or use expect: present');
  }
  const parts = [`${n.name} has ${test.expect === 'absent' ? 'no route to' : 'a route to'} ${written}`];
  if (test.protocol) parts.push(`from ${test.protocol}`);
  if (via.length) parts.push(`via ${via.map((v) => v.written).join(' and ')}`);
  if (test.dev) parts.push(`on ${test.dev}`);
  test.name = parts.join(' ');
  return test;
}

function nextHop(written: string, family: 4 | 6, path: PathPart[], lab: LabIndex): NextHopSpec {
  const ip = parseIP(written);
  if (ip) {
    if (ip.family !== family) throw new TopologyError(formatPath(path), `next hop ${written} is IPv${ip.family} but the prefix is IPv${family}`, 'give a next hop of the same family as the prefix');
    const hop: NextHopSpec = { written, addresses: [written] };
    const owner = lab.owner.get(written);
    if (owner) hop.node = owner;
    return hop;
  }
  const n = lab.node(written, path);
  const addresses = nodeAddresses(n, family);
  if (addresses.length === 0) throw new TopologyError(formatPath(path), `node "${n.name}" has no IPv${family} address to be a next hop`, 'give an address instead');
  return { written, addresses, node: n.name };
}

function exec(spec: Spec<'exec'>, path: PathPart[], lab: LabIndex): Resolved<ExecTest> {
  const n = lab.node(spec.node, [...path, 'node']);
  const cmd = spec.cmd;
  const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : [...cmd];
  const command = typeof cmd === 'string' ? cmd : cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  const test: Resolved<ExecTest> = {
    kind: 'exec', node: n.name, argv, command,
    exit: spec.exit ?? 0,
    timeoutMs: spec.timeout === undefined ? EXEC_TIMEOUT_MS : parseTime(spec.timeout),
    name: `${n.name} runs ${shorten(command, 60)}`,
  };
  for (const stream of ['stdout', 'stderr', 'output'] as const) {
    const re = spec[stream];
    if (re === undefined) continue;
    try {
      new RegExp(re, 'm');
    } catch (err) {
      throw new TopologyError(formatPath([...path, stream]), `not a regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`,
        'JavaScript syntax; escape \\ . * + ? ( ) [ ] { } | ^ $ with a backslash to match them literally');
    }
    test[stream] = re;
  }
  if (test.timeoutMs <= 0) throw new TopologyError(formatPath([...path, 'timeout']), 'the timeout must be above 0', 'write e.g. 10s');
  return test;
}

/** The daemon that answers protocol test `kind` on node `n`: its kind, when the kind's facts list the test. */
function routingDaemon(n: Node, kind: ProtocolTest, path: PathPart[], kinds: KindCatalog): RoutingDaemon {
  if (kinds.get(n.kind)?.tests[kind] !== undefined) return n.kind as RoutingDaemon;
  const allowed = [...kinds.values()].filter((k) => k.tests[kind] !== undefined);
  const tools = allowed.map((k) => k.tests[kind]!).join(' or ');
  throw new TopologyError(formatPath(path), `node "${n.name}" is kind ${n.kind}; ${kind} asks ${tools}`,
    `point it at a node of kind ${allowed.map((k) => k.name).join(' or ')}`);
}

function checkState(state: string, known: readonly string[], path: PathPart[]): string {
  const head = state.split('/')[0]!;
  if (known.some((k) => k.toLowerCase() === head.toLowerCase())) return state;
  throw new TopologyError(formatPath(path), `"${state}" is not a state${didYouMean(head, known)}`, `states: ${known.join(', ')}`);
}

function ospfNeighbors(spec: Spec<'ospf_neighbors'>, path: PathPart[], lab: LabIndex): Resolved<OspfNeighborsTest> {
  const n = lab.node(spec.node, [...path, 'node']);
  const daemon = routingDaemon(n, 'ospf_neighbors', [...path, 'node'], lab.kinds);
  const state = checkState(spec.state ?? 'Full', OSPF_STATES, [...path, 'state']);
  const test: Resolved<OspfNeighborsTest> = { kind: 'ospf_neighbors', node: n.name, daemon, state, name: '' };
  if (spec.count !== undefined) test.count = spec.count;
  if (spec.neighbor !== undefined) {
    const written = spec.neighbor;
    if (parseIP(written)?.family === 4) {
      const node = [...lab.byName.values()].find((m) => routerId(m) === written)?.name;
      test.neighbor = node ? { written, routerId: written, node } : { written, routerId: written };
    } else {
      const m = lab.node(written, [...path, 'neighbor']);
      const id = routerId(m);
      if (!id) throw new TopologyError(formatPath([...path, 'neighbor']), `node "${m.name}" has no router id (no ospf.router_id and no IPv4 loopback)`, 'give its router id as a dotted quad');
      test.neighbor = { written, routerId: id, node: m.name };
    }
  }
  test.name = test.neighbor ? `${n.name} has OSPF neighbour ${test.neighbor.written} ${state}`
    : test.count !== undefined ? `${n.name} has ${test.count} OSPF neighbour${test.count === 1 ? '' : 's'} ${state}`
      : `${n.name} has all OSPF neighbours ${state}`;
  return test;
}

/** A node's OSPF router id as netlab configures it: ospf.router_id, else the IPv4 loopback. */
export function routerId(n: Node): string | undefined {
  return n.ospf?.routerId ?? n.loopback.ipv4?.split('/')[0];
}

function bgpSessions(spec: Spec<'bgp_sessions'>, path: PathPart[], lab: LabIndex): Resolved<BgpSessionsTest> {
  const n = lab.node(spec.node, [...path, 'node']);
  const daemon = routingDaemon(n, 'bgp_sessions', [...path, 'node'], lab.kinds);
  const state = checkState(spec.state ?? 'Established', BGP_STATES, [...path, 'state']);
  const test: Resolved<BgpSessionsTest> = { kind: 'bgp_sessions', node: n.name, daemon, state, name: '' };
  if (spec.count !== undefined) test.count = spec.count;
  if (spec.peer !== undefined) {
    const written = spec.peer;
    const ip = parseIP(written);
    if (ip) {
      const owner = lab.owner.get(written);
      test.peer = owner ? { written, addresses: [written], node: owner } : { written, addresses: [written] };
    } else {
      const m = lab.node(written, [...path, 'peer']);
      test.peer = { written, addresses: nodeAddresses(m, 0), node: m.name };
    }
  }
  test.name = test.peer ? `${n.name} has a BGP session with ${test.peer.written} ${state}`
    : test.count !== undefined ? `${n.name} has ${test.count} BGP session${test.count === 1 ? '' : 's'} ${state}`
      : `${n.name} has all BGP sessions ${state}`;
  return test;
}

function birdProtocol(spec: Spec<'bird_protocol'>, path: PathPart[], lab: LabIndex): Resolved<BirdProtocolTest> {
  const n = lab.node(spec.node, [...path, 'node']);
  routingDaemon(n, 'bird_protocol', [...path, 'node'], lab.kinds);
  const protocol = spec.protocol;
  const state = spec.state ?? 'up';
  return { kind: 'bird_protocol', node: n.name, protocol, state, name: `${n.name} BIRD protocol ${protocol} is ${state}` };
}

function shorten(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
