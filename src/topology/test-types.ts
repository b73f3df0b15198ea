/**
 * The tests of `tests:` as the loader resolves them (src/topology/tests.ts)
 * and src/validate runs them: one type per kind of test. Part of the
 * resolved lab (./types.ts re-exports them).
 */
import type { EventSpec } from './events.js';
import type { TestInput } from './schema/source.js';

/**
 * One item of `tests:`, checked and resolved at load time (src/topology/tests.ts):
 * node names exist, addresses parse, regular expressions compile, and a name is
 * generated when none is given. src/validate runs them; docs/testing.md has the
 * file syntax.
 */
export type TestSpec = ReachTest | RouteTest | ExecTest | OspfNeighborsTest | BgpSessionsTest | BirdProtocolTest;

/** The kinds of test: the key that holds the test's settings (`reach:`, `route:`, …). */
export type TestKind = TestSpec['kind'];

/** Fields every test has. */
export interface TestBase {
  /** Position in `tests:` (0-based, as in error paths `tests[2]`). */
  index: number;
  /** The user's `name:`, or a generated one ("h1 reaches h2"); unique within the lab (a " (tests[N])" suffix settles clashes). */
  name: string;
  /** The node the test runs on (reach: `from`). */
  node: string;
  /** Retry until the test passes or this many ms have passed (`wait: 30s`); 0 = one try. */
  waitMs: number;
  /** Run alone: after every earlier test has finished and before any later test starts (`serial: true`). */
  serial: boolean;
  /**
   * Measure convergence (`after:`): the test runs after an event — the next
   * occurrence of a named `events:` entry, or an event of its own that
   * validate makes happen — and must hold within `withinMs` of it; the
   * report gives the time it took.
   */
  after?: { event: string } | { spec: EventSpec };
  /** With `after`: how long the check may take to hold after the event, ms (`within: 5s`). */
  withinMs?: number;
}

/** `reach: { from, to, count, timeout, expect, family }`: ping from a node. */
export interface ReachTest extends TestBase {
  kind: 'reach';
  /** Node that pings (same as `node`). */
  from: string;
  /** The target as written: a node name, `node:iface`, or an address. */
  to: string;
  /** The node the target belongs to, when `to` names one (or the address is one of its addresses). */
  toNode?: string;
  /** Address pinged, without prefix length. */
  address: string;
  family: 4 | 6;
  /** Echo requests sent (ping -c), 1–100; default 3. */
  count: number;
  /** How long to wait for each reply, ms (ping -W); default 1000. */
  timeoutMs: number;
  /** 'success': at least one reply; 'fail': no reply at all (a firewall lab). */
  expect: NonNullable<NonNullable<TestInput['reach']>['expect']>;
}

/** Where a route comes from, in FRR's words (`show ip route json` "protocol"): the values of `route: { protocol }`. */
export type RouteProtocol = NonNullable<NonNullable<TestInput['route']>['protocol']>;

/** `route: { node, prefix, via, dev, protocol, expect }`: a node's routing table has a prefix. */
export interface RouteTest extends TestBase {
  kind: 'route';
  /** Destination, normalised CIDR ("10.0.0.3/32", "2001:db8::/64"), or "default" made explicit ("0.0.0.0/0", "::/0"). */
  prefix: string;
  family: 4 | 6;
  /** Next hops that must all be present (ECMP: several). Each as written and the addresses it stands for. */
  via: NextHopSpec[];
  /** Outgoing interface that some next hop must use. */
  dev?: string;
  /** The source of the selected route. */
  protocol?: RouteProtocol;
  /** 'present' (default) or 'absent' (the prefix must not be in the table). */
  expect: NonNullable<NonNullable<TestInput['route']>['expect']>;
}

/** A next hop as written (an address or a node name) and the addresses that satisfy it. */
export interface NextHopSpec {
  written: string;
  /** For a node name: every address of that node (interfaces and loopback); for an address: itself. Without prefix length. */
  addresses: string[];
  /** The node it names, if any. */
  node?: string;
}

/** `exec: { node, cmd, exit, stdout, stderr, timeout }`: a command inside a node. */
export interface ExecTest extends TestBase {
  kind: 'exec';
  /** argv run in the node; a `cmd:` string becomes ['/bin/sh', '-c', cmd]. */
  argv: string[];
  /** The command as the user wrote it, for names and reports. */
  command: string;
  /** Expected exit code; default 0. */
  exit: number;
  /** JavaScript regular expression (source) that stdout must match (multiline flag on). */
  stdout?: string;
  /** Regular expression that stderr must match. */
  stderr?: string;
  /** Regular expression that stdout and stderr together (stdout first) must match. */
  output?: string;
  /** Kill the command after this many ms (per try); default 10000. */
  timeoutMs: number;
}

/**
 * Which routing daemon answers a protocol test: the node's kind ('frr',
 * 'bird'), one whose facts list the test; its plug-in reads the state
 * (src/daemons/routing-state.ts).
 */
export type RoutingDaemon = string;

/** `ospf_neighbors: { node, count, state, neighbor }`: OSPF adjacencies of a node. */
export interface OspfNeighborsTest extends TestBase {
  kind: 'ospf_neighbors';
  daemon: RoutingDaemon;
  /** Exact number of neighbours in `state`; undefined = every neighbour (at least one). */
  count?: number;
  /** Neighbour state, compared case-insensitively with the part before '/' ("Full" matches "Full/DR"); default "Full". */
  state: string;
  /** A particular neighbour (node name or router id) that must be in `state`. */
  neighbor?: { written: string; routerId: string; node?: string };
}

/** `bgp_sessions: { node, count, state, peer }`: BGP sessions of a node. */
export interface BgpSessionsTest extends TestBase {
  kind: 'bgp_sessions';
  daemon: RoutingDaemon;
  /** Exact number of sessions in `state`; undefined = every configured session (at least one). */
  count?: number;
  /** Session state, case-insensitive (Idle, Connect, Active, OpenSent, OpenConfirm, Established); default "Established". */
  state: string;
  /** A particular peer (node name or address) whose session must be in `state`. */
  peer?: NextHopSpec;
}

/** `bird_protocol: { node, protocol, state }`: one protocol of a BIRD node (birdc show protocols). */
export interface BirdProtocolTest extends TestBase {
  kind: 'bird_protocol';
  /** Protocol name in bird.conf, e.g. "ospf1", "bgp_r2". */
  protocol: string;
  /** Matched case-insensitively against the State column (up, down, start) or the start of Info (Running, Established); default "up". */
  state: string;
}
