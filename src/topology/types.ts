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
import type { BgpInput, NodeSettings, OspfInput } from './schema/source.js';
import type { EventSpec } from './events.js';
import type { Resources, LabLimitsSpec, Bind } from './resources.js';
import type { Ospf, Bgp, RouteSpec } from './routing-types.js';
import type { Shaping, NetClass } from './shaping-types.js';
import type { TestSpec } from './test-types.js';

// The parts of the resolved lab kept in files of their own, re-exported so importers need one path.
export type { Resources, IoLimits, LabLimitsSpec, Bind } from './resources.js';
export type { Ospf, OspfInterface, OspfNetworkType, Bgp, BgpNeighbor, RouteSpec } from './routing-types.js';
export type { DelayDistribution, Shaping, NetClass } from './shaping-types.js';
export type { TestSpec, TestKind, TestBase, ReachTest, RouteProtocol, RouteTest, NextHopSpec, ExecTest, RoutingDaemon, OspfNeighborsTest, BgpSessionsTest, BirdProtocolTest } from './test-types.js';

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
