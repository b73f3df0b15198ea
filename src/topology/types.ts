/**
 * The resolved lab model: what `loadTopology` returns after parsing, checking,
 * layering defaults (node → group → kind → defaults) and assigning addresses
 * and MACs. Everything the planner and the applier need is here, already
 * checked; nothing in it needs re-validation.
 *
 * It is plain JSON data (no Maps, no classes, no undefined-vs-missing games),
 * so a Topology can be written to the State file and read back unchanged.
 * Units are in the names or documented per field; addresses are strings in
 * CIDR form ("10.1.0.0/31", "2001:db8::1/64"), IPv6 in RFC 5952 form.
 *
 * These types are written by hand, apart from the file's own shapes (`raw`,
 * `ospf`, `bgp` as given), which come from the format's source
 * (./schema/source.ts): docs/decisions.md says why.
 */
import type { BgpInput, NodeSettings, OspfInput, ShapingInput, TestInput } from './schema/source.js';
import type { DeviceSpec } from './devices.js';
import type { EventSpec } from './events.js';

/** A whole lab. */
export interface Topology {
  /** Lab name: a letter, then letters, digits, '-' or '_', at most 32 bytes, no dot. */
  name: string;
  /** Free text from `description:`, if any. */
  description?: string;
  /** Absolute path of the topology file; undefined when loaded from text without a file name. */
  file?: string;
  /**
   * True when the lab runs under another name than the file's own (`--name`):
   * then `save` writes `<lab>.saved` and hints that repeat `up` add `--name`.
   */
  renamed?: true;
  /** Absolute directory of the file (or the working directory): base of relative paths (config, rootfs, binds). */
  dir: string;
  /** Default link MTU, bytes (68–65535); 1500 unless `mtu:` says otherwise. */
  mtu: number;
  /** Whether nodes run in user namespaces of their own (default true; `userns: false`: their root is host root). */
  userns: boolean;
  /** Limits of the lab as a whole (`limits:`); absent keys take the defaults of src/core/limits.ts. */
  limits?: LabLimitsSpec;
  /** Nodes in declaration order; `nodes[i].id === i + 1`. */
  nodes: Node[];
  /** Links in declaration order; `links[i].index === i` (the `links[i]` of error paths). */
  links: Link[];
  /** The address pools that were in force (after defaults). */
  addressing: Addressing;
  /** Management network, only when the topology asks for one (`mgmt:`). */
  mgmt?: Mgmt;
  /** Lab-level OSPF defaults (`ospf:`), as given; already merged into each router's `ospf`. */
  ospf?: OspfInput;
  /** Lab-level BGP defaults (`bgp:`), as given; already merged into each router's `bgp`. */
  bgp?: BgpInput;
  /** The `tests:` list (inline, or read from the file `tests:` names), checked and resolved; src/validate runs them. */
  tests: TestSpec[];
  /** Absolute path of the tests file when `tests:` names one (or `netlab validate --tests` gave one). */
  testsFile?: string;
  /** Groups by name, with their members in node order. */
  groups: Record<string, Group>;
  /** `name_prefix:`: every node is also `<namePrefix><node>` in /run/netns and /etc/hosts (containerlab's `clab-<lab>-`). */
  namePrefix?: string;
  /**
   * Set when the lab was read from another tool's format (src/frontends):
   * the format, and what its front-end mapped differently, ignored or fell
   * back on, one line each (`up` prints them).
   */
  imported?: { format: string; notes: { where: string; text: string }[] };
  /** Timed events (`events:`), checked (src/events/spec.ts); run by the events supervisor after `up`. */
  events?: EventSpec[];
}

/** One lab node: a container with its own namespaces, overlay root and cgroup. */
export interface Node {
  /** Node name: a letter, then letters, digits, '-' or '_', at most 63 bytes; not `host` or `mgmt`. */
  name: string;
  /** Stable 1-based id: position in `nodes:`. */
  id: number;
  /** Kind name from the kind registry: 'linux' (default), 'frr', 'bird', 'bridge'. */
  kind: string;
  /** Group name, when the node belongs to one. */
  group?: string;
  /** Absolute path of the lower root filesystem; undefined = the host's `/` (read-only view). */
  rootfs?: string;
  /**
   * The node's image (docs/images.md): a registry reference (`alpine:3.20`),
   * or a path (`./frr.tar`, relative to the topology file's folder) of an
   * archive, an OCI layout folder or a root filesystem folder. Undefined: the
   * host's `/` (or `rootfs`).
   */
  image?: string;
  /** Daemon configuration: a file (absolute path) or inline text. */
  config?: NodeConfig;
  /** The node's main command (run by /bin/sh -c after the node is up), if any. */
  cmd?: string;
  /** Shell lines run in order, each with /bin/sh -c, after daemons start. */
  exec: string[];
  /** Environment variables for cmd, exec and `netlab exec`. */
  env: Record<string, string>;
  /** Host paths made visible inside the node (sources absolute, checked to exist). */
  binds: Bind[];
  /** User sysctls, `net.*` only, dotted keys, values as strings, in file order. */
  sysctls: Record<string, string>;
  /** cgroup limits, the size of its upper layer, extra devices. */
  resources: Resources;
  /** `security: { seccomp: unconfined }` turns the node's seccomp filter off; absent: the default filter. */
  security?: { seccomp: 'default' | 'unconfined' };
  /** Whether the node forwards packets (true for router kinds frr/bird, or `forwarding: true`). */
  forwarding: boolean;
  /** Loopback addresses (CIDR, /32 and /128) put on `lo`. */
  loopback: { ipv4?: string; ipv6?: string };
  /** Interfaces from links, in link order (then endpoint order). */
  interfaces: Interface[];
  /** Static routes, in file order (the `gateway` default routes are NOT included here). */
  routes: RouteSpec[];
  /** Default-route next hops (resolved addresses, no prefix length). */
  gateway?: { ipv4?: string; ipv6?: string };
  /** net_cls traffic classes by name. */
  classes: Record<string, NetClass>;
  /**
   * skb->priority of the packets the node sends itself (`priority:`),
   * a u32; undefined or 0: none (src/shaping/priority.ts).
   */
  priority?: number;
  /** OSPF settings when this node runs OSPF (merged with the lab-level `ospf:`). */
  ospf?: Ospf;
  /** BGP settings when this node runs BGP (merged with the lab-level `bgp:`). */
  bgp?: Bgp;
  /** Management interface, when the lab has `mgmt:`. */
  mgmt?: NodeMgmt;
  /** For kind 'bridge': name of the Linux bridge inside the node that enslaves all its interfaces ('br0'). */
  bridge?: string;
  /** kind frr: which daemons run — an FRR daemons file (absolute path) or daemon names; undefined: what the config needs. */
  daemons?: { path?: string; names?: string[] };
  /** False: the kind's daemons do not start during `up`; `systemctl start <daemon>` in the node starts them (needs `compat`). */
  autostart: boolean;
  /** The node gets netlab's compatibility commands (systemctl, service, init.d scripts, apk, apt-get, ash) as a read-only layer. */
  compat: boolean;
  /** What a failing `exec` line does: 'fail' stops `up`, 'warn' prints a warning and goes on. */
  execErrors: 'fail' | 'warn';
  /** Startup scripts (absolute host paths), run in order after daemons and before exec; failures warn. */
  startup: string[];
  /** Shutdown scripts (absolute host paths), run when the lab goes down. */
  shutdown: string[];
  /** Extra read-only root layers (absolute host folders), top first, over the node's root filesystem. */
  layers: string[];
  /** Nodes whose start this node's start (daemons, healthcheck, startup, exec) waits for. */
  after: string[];
  /** Readiness command, polled after the node's daemons start. */
  healthcheck?: Healthcheck;
  /** The user's settings after layering defaults (node → group → kind → defaults), before resolution. */
  raw: NodeSettings;
}

/** `healthcheck:`: a command that says the node is ready. Times in ms. */
export interface Healthcheck {
  /** Shell line run with /bin/sh -c in the node; exit 0 = healthy. */
  test: string;
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

/** Where a node's daemon configuration comes from; exactly one field is set. */
export interface NodeConfig {
  /** Absolute path of a file (given relative to the topology file). */
  path?: string;
  /** Inline text (`config: { text: … }`). */
  text?: string;
}

/** One interface of a node, created by a link. */
export interface Interface {
  /** Node name. */
  node: string;
  /** Interface name inside the node, 1–15 bytes (IFNAMSIZ − 1). */
  name: string;
  /** Index of the link that made it (`topology.links[link]`). */
  link: number;
  /** Position of this interface's endpoint in `links[link].endpoints`. */
  endpoint: number;
  /** MAC address, lower-case `02:xx:…`, locally administered unicast, unique within the lab. */
  mac: string;
  /** MTU, bytes (the link's MTU; both ends equal). */
  mtu: number;
  /** IPv4 address with prefix length, e.g. "10.1.0.0/31"; undefined = none. */
  ipv4?: string;
  /** IPv6 address with prefix length, e.g. "2001:db8:0:1::1/64"; undefined = none. */
  ipv6?: string;
  /** Egress shaping (link-level shaping merged with this endpoint's override); undefined = none. */
  shaping?: Shaping;
  /** The other end, for point-to-point and host links (a HostEndpoint for a host link). */
  peer?: Endpoint;
  /** For a LAN member: the segment (bridge) name the interface hangs off. */
  segment?: string;
  /** For an interface of a kind 'bridge' node: the bridge it is enslaved to inside the node. */
  master?: string;
  /** Administrative state after `up` ('down' when the link says `state: down`). */
  state: 'up' | 'down';
}

/** A node's end of a link: a node name and an interface name inside it. */
export interface NodeEndpoint {
  /** Node name (starts with a letter; never 'host' or 'mgmt', which are reserved). */
  node: string;
  iface: string;
}

/**
 * The host's end of a host link (`host:IFNAME`, and `mgmt:IFNAME` once
 * resolved): an interface in the host's network namespace.
 */
export interface HostEndpoint {
  node: 'host';
  iface: string;
}

/**
 * An endpoint of a link. The two shapes share `node`, so tell them apart with
 * `isHostEndpoint` (src/topology/endpoints.ts), not by comparing strings.
 */
export type Endpoint = NodeEndpoint | HostEndpoint;

/** The link types; each is one module of src/topology/link-types (docs/architecture.md, "Adding a link type"). */
export type LinkKind = 'p2p' | 'lan' | 'host' | 'dummy' | 'macvlan' | 'vxlan';

/** One link of the lab. */
export interface Link {
  /** Position in `links:` (0-based, as in error paths `links[3]`). */
  index: number;
  /**
   * 'p2p': two node endpoints, one veth pair.
   * 'lan': three or more endpoints, a bridge in the lab's hidden segment namespace.
   * 'host': a node and `host:IFNAME`, a veth pair whose other end is in the host
   *   (joined to a host bridge when `host.bridge` is set: containerlab's bridge
   *   kind, and `mgmt:IFNAME` ports on the management network).
   * 'dummy', 'macvlan', 'vxlan': one node endpoint, an interface of that type
   *   (macvlan on the host interface `parent`, vxlan to `vxlan.remote`).
   * A 'lan' may have a single endpoint: a network of one (Kathará's one-member collision domain).
   * Ask the type (`linkType(link)`, src/topology/link-types) rather than compare this string.
   */
  kind: LinkKind;
  /** macvlan: the host interface it sits on, and its mode. */
  macvlan?: { parent: string; mode: 'bridge' | 'private' | 'vepa' | 'passthru' | 'source' };
  /** vxlan: remote tunnel end, VNI, UDP port. */
  vxlan?: { remote: string; vni: number; port: number };
  /** Optional user label (`name:`); for a LAN it is also the segment name. */
  name?: string;
  /** Endpoints in file order (a host link's `host:IFNAME` endpoint included, node 'host'). */
  endpoints: Endpoint[];
  /** MTU, bytes, of every interface of the link. */
  mtu: number;
  /** IPv4 subnet of the link (CIDR, network address), when it has IPv4 addresses. */
  prefix4?: string;
  /** IPv6 subnet of the link (CIDR), when it has IPv6 addresses. */
  prefix6?: string;
  /** LAN only: bridge name in the segment namespace, ≤15 bytes, unique within the lab. */
  segment?: string;
  /** LAN only: the segment-side veth end of each endpoint, aligned with `endpoints`. */
  ports?: SegmentPort[];
  /** Host link only: the end in the host's namespace. */
  host?: HostEnd;
  /** Link-level shaping as given (both directions); each interface's `shaping` is the effective one. */
  shaping?: Shaping;
  /** Administrative state after `up`. */
  state: 'up' | 'down';
}

/** The segment-namespace end of a LAN member's veth pair. */
export interface SegmentPort {
  /** Generated name, ≤15 bytes, unique in the segment namespace: `s<link>e<endpoint>`. */
  iface: string;
  mac: string;
}

/** The host-side end of a host link. */
export interface HostEnd {
  /** Interface name in the host namespace, as written after `host:`. */
  iface: string;
  mac: string;
  ipv4?: string;
  ipv6?: string;
  /** Egress shaping of the host side (link-level shaping, or the host endpoint's own). */
  shaping?: Shaping;
  /** A bridge on the host the host end joins (the management bridge for `mgmt:IFNAME`). */
  bridge?: string;
  /** True for a `mgmt:IFNAME` port: `bridge` is the lab's management bridge. */
  mgmt?: true;
}

/** An address pool: a CIDR and the prefix length of each block taken from it. */
export interface Pool {
  /** The pool, e.g. "10.1.0.0/16". */
  cidr: string;
  /** Prefix length of each block: 32/128 loopbacks, 31 (or 30) p2p, 24 LAN, 64 IPv6 links. */
  prefix: number;
}

/** Address pools in force; a missing pool assigns nothing of its kind. */
export interface Addressing {
  /** False when `addressing: false`: no address is assigned from any pool. */
  enabled: boolean;
  /** IPv4 loopbacks, one /32 per node in node order (default 10.0.0.0/16). */
  loopback?: Pool;
  /** IPv6 loopbacks, one /128 per node (only when given). */
  loopback6?: Pool;
  /** IPv4 point-to-point and host links, one /31 per link in link order (default 10.1.0.0/16). */
  p2p?: Pool;
  /** IPv4 LAN segments, one /24 per segment in link order (default 172.16.0.0/12). */
  lan?: Pool;
  /** IPv6 link subnets, one /64 per link in link order (only when given). */
  ipv6?: Pool;
}

/** The lab's management network (opt-in): a bridge in the host, one interface per node. */
export interface Mgmt {
  /** Bridge name in the host namespace (≤15 bytes). */
  bridge: string;
  /** Interface name inside every node (default 'eth0'). */
  iface: string;
  /** IPv4 network, CIDR (default 192.168.121.0/24). */
  network: string;
  /** Host bridge address, CIDR (first address of the network). */
  gateway: string;
  /** IPv6 network, when given. */
  network6?: string;
  /** Host bridge IPv6 address, CIDR, when network6 is given. */
  gateway6?: string;
  /** MTU of the management veths. */
  mtu: number;
}

/** A node's end of the management network. */
export interface NodeMgmt {
  /** Interface name inside the node. */
  iface: string;
  /** Host-side veth name (≤15 bytes, unique on the host: derived from a hash of the lab name and the node id). */
  hostIface: string;
  mac: string;
  /** CIDR, e.g. "192.168.121.2/24" (network + 1 + node id). */
  ipv4?: string;
  ipv6?: string;
}

/** A group of nodes sharing settings. */
export interface Group {
  name: string;
  /** Members in node order. */
  members: string[];
}

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

/** OSPF (v2 for IPv4; the daemons engineer decides v3) settings of one node. */
export interface Ospf {
  /** Default area of the node's interfaces, dotted quad ("0.0.0.0"); `area: 0` is normalised. */
  area: string;
  /** Router id, dotted quad; defaults to the node's IPv4 loopback address when it has one. */
  routerId?: string;
  /** Default interface cost (1–65535). */
  cost?: number;
  /** Default passive state of interfaces. */
  passive?: boolean;
  /** Default network type of interfaces. */
  network?: OspfNetworkType;
  /** Hello interval, seconds. */
  helloS?: number;
  /** Dead interval, seconds. */
  deadS?: number;
  /** Per-interface overrides by interface name (checked to exist on the node). */
  interfaces: Record<string, OspfInterface>;
  /** Route sources to redistribute: 'connected', 'static', 'kernel', 'bgp'. */
  redistribute: string[];
  /** Free-form daemon-specific options, passed through unchecked. */
  options: Record<string, unknown>;
}

/** OSPF settings of one interface. */
export interface OspfInterface {
  area?: string;
  cost?: number;
  passive?: boolean;
  network?: OspfNetworkType;
}

/** An OSPF interface's network type: the values of `ospf: { network }`. */
export type OspfNetworkType = NonNullable<OspfInput['network']>;

/** BGP settings of one node. */
export interface Bgp {
  /** Autonomous system number, 1–4294967295. */
  as: number;
  /** Router id, dotted quad; defaults to the node's IPv4 loopback address when it has one. */
  routerId?: string;
  /** Explicit neighbours; empty means "the daemons layer decides" (e.g. directly connected routers). */
  neighbors: BgpNeighbor[];
  /** Prefixes to announce (CIDR). */
  networks: string[];
  /** Route sources to redistribute: 'connected', 'static', 'kernel', 'ospf'. */
  redistribute: string[];
  /** Free-form daemon-specific options, passed through unchecked. */
  options: Record<string, unknown>;
}

/** One BGP neighbour: by address, by node name (checked to exist), or both. */
export interface BgpNeighbor {
  address?: string;
  node?: string;
  /** Remote AS; when omitted and `node` runs BGP, the loader fills in that node's AS. */
  as?: number;
  description?: string;
  options: Record<string, unknown>;
}

// Shapes the later layers share: src/core (Resources, Bind), src/net (RouteSpec)
// and src/shaping (Shaping, NetClass) re-export them from here.

/** Limits of one node's cgroup. */
export interface Resources {
  /** memory limit, bytes (memory.max on v2, memory.limit_in_bytes on v1). */
  memoryBytes?: number;
  /** CPU quota in CPUs, e.g. 0.5 (cpu.max "50000 100000" on v2; cfs_quota_us/cfs_period_us on v1). */
  cpus?: number;
  /** Maximum number of tasks (pids.max); netlab sets a default so a fork bomb stays inside. */
  pids?: number;
  /** CPUs the node may run on, cpuset syntax: "0-1", "0,2". */
  cpuset?: string;
  /** Size of the node's upper layer (its tmpfs), bytes; default DEFAULT_UPPER_BYTES (src/core/limits.ts). */
  upperBytes?: number;
  /** Devices it may use beyond the default list (src/core/devices.ts), resolved at `up`. */
  devices?: DeviceSpec[];
  /** Block I/O limits on one block device (v2 io.max, v1 blkio.throttle.*). */
  io?: IoLimits;
}

/**
 * Block I/O limits of a node (`resources.io`): on the block device its root
 * filesystem's lower layer lives on, or on `device`. A node's writable layer
 * is in memory, so these limit reads of its lower layer (the host's files,
 * or an image's) and writes through binds to host folders.
 */
export interface IoLimits {
  /** Bytes read per second. */
  readBytesPerS?: number;
  /** Bytes written per second. */
  writeBytesPerS?: number;
  readIops?: number;
  writeIops?: number;
  /** A block device (/dev/vdb) or any path on the filesystem whose device is limited; default the node's rootfs (or /). */
  device?: string;
}

/** The lab-wide limits as the topology gives them (`limits:`). */
export interface LabLimitsSpec {
  /** `limits.memory` as bytes… */
  memoryBytes?: number;
  /** …or as a percentage of the host's MemTotal (0–100]. */
  memoryPercent?: number;
}

/** A host path made visible inside a node. */
export interface Bind {
  /** Absolute path on the host. */
  source: string;
  /** Absolute path inside the node. */
  target: string;
  readonly: boolean;
}

/** A static route inside a node. */
export interface RouteSpec {
  /** Destination prefix, CIDR ("10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0" for default). */
  prefix: string;
  /** Next-hop address of the same family; several for ECMP. Omitted for a device route. */
  via?: string[];
  /** Outgoing interface name inside the node; optional when `via` resolves it. */
  dev?: string;
  /** Route metric (priority); lower wins. */
  metric?: number;
}

/** netem delay distributions (tc-netem(8), tables from iproute2's /usr/lib/tc/*.dist). */
export type DelayDistribution = NonNullable<ShapingInput['distribution']>;

/**
 * Egress shaping of one interface. Units are in the names: bits per second,
 * bytes, packets, milliseconds (float, so 0.5 = 500 µs), percent (0–100, float,
 * kept as given: 0.01 stays 0.01).
 */
export interface Shaping {
  /** Rate limit, bits/s (tbf, or htb when impairments are also set). */
  rateBps?: number;
  /** Token bucket size, bytes; default derived from the rate (tc-tbf(8)). */
  burstBytes?: number;
  /** Queue limit, packets. */
  limitPackets?: number;
  /** Added one-way delay, ms. */
  delayMs?: number;
  /** Delay variation, ms (± around delayMs). */
  jitterMs?: number;
  /** Correlation of successive delays, percent. */
  delayCorrelationPercent?: number;
  /** Distribution of the jitter; netem's default is uniform. */
  distribution?: DelayDistribution;
  /** Random loss, percent. */
  lossPercent?: number;
  /** Correlation of successive losses, percent. */
  lossCorrelationPercent?: number;
  /** Single-bit corruption, percent of packets. */
  corruptPercent?: number;
  /** Duplication, percent of packets. */
  duplicatePercent?: number;
  /** Reordering, percent of packets sent at once (needs delayMs > 0, tc-netem(8)). */
  reorderPercent?: number;
  /** Correlation of reordering, percent. */
  reorderCorrelationPercent?: number;
}

/**
 * A traffic class of a node (issue: net_cls classes). Processes run with
 * `netlab exec --class NAME` are shaped by it on every interface of the node.
 */
export interface NetClass {
  /** Guaranteed (and, unless ceilBps, maximum) rate, bits/s. */
  rateBps: number;
  /** Maximum rate when borrowing, bits/s; default rateBps. */
  ceilBps?: number;
  /** htb priority, 0 (highest) to 7; default 3. */
  prio?: number;
}
