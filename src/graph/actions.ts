/**
 * The plan's vocabulary: what the applier must do to the kernel, as data.
 *
 * A Plan is a list of phases run in order; the actions inside one phase are
 * independent of each other (the applier may run them in parallel, within a
 * bounded window). Every action names the namespace it works in with `node`
 * (or `ns`): a lab node name, or one of two pseudo-nodes:
 *   SEGMENTS ('.segments') — the lab's hidden namespace holding LAN bridges;
 *   HOST ('.host')         — the host's own network namespace (host links, mgmt).
 * Node names never start with a dot, so these cannot collide (isHidden,
 * src/topology/namespaces.ts, tells them apart).
 */
import type { MultiUndirectedGraph } from 'graphology';
import type { Healthcheck, NetClass, RouteSpec, Shaping, Topology } from '../topology/types.js';

/** The pseudo-nodes SEGMENTS and HOST (defined with the other hidden names in src/topology/namespaces.ts). */
export { HOST, SEGMENTS } from '../topology/namespaces.js';

/** One end of a veth pair, created directly in its namespace, named, with its MAC and MTU. */
export interface VethEnd {
  /** Lab node name or SEGMENTS. */
  node: string;
  iface: string;
  mac: string;
  mtu: number;
}

/** The host-side end of a host link (in HOST). */
export interface HostVethEnd {
  iface: string;
  mac: string;
  mtu: number;
}

/** Start a node: its netlab-init with namespaces, overlay root and cgroup (everything in topology.nodes[id-1]). */
export interface NodeStartAction { op: 'node.start'; node: string }
/** Create the lab's hidden segment namespace (only when the lab has LAN segments). */
export interface SegmentNsAction { op: 'segment.ns' }
/** Write sysctls (dotted keys under /proc/sys, e.g. net.ipv4.ip_forward) in the node's namespace, in key order. */
export interface SysctlAction { op: 'sysctl'; node: string; values: Record<string, string> }
/** Create a Linux bridge (STP off), up, with this MTU, and enslave `ports` (veth ends made in the links phase). */
export interface BridgeAction { op: 'bridge'; ns: string; name: string; ports: string[]; mtu: number; stp: false }
/** Create a veth pair with both ends placed in their namespaces (one RTM_NEWLINK); end b is created down, `ifup` brings it up. */
export interface VethAction { op: 'veth'; link: number; a: VethEnd; b: VethEnd }
/** A veth pair between a node and the host namespace (`host:IFNAME` endpoint). */
export interface HostLinkAction { op: 'host.link'; link: number; node: VethEnd; host: HostVethEnd }
/** The node's management veth: `iface` in the node, `hostIface` in HOST enslaved to the mgmt `bridge`. */
export interface MgmtAction { op: 'mgmt'; node: string; iface: string; mac: string; mtu: number; hostIface: string; bridge: string }
/**
 * Bring a node's link ends up (IFF_UP; `lo` is up from the node's start) and,
 * once every node's are, wait until each has carrier (operstate UP): first in
 * the addresses phase, so a lab with no addresses at all comes up too.
 */
export interface IfUpAction {
  op: 'ifup'; node: string; ifaces: string[];
  /** The interfaces whose carrier is awaited (veth ends); default all of `ifaces`. Dummy, macvlan and vxlan interfaces are not awaited. */
  carrier?: string[];
}
/** Add an address (CIDR) to an interface ('lo' for loopbacks). */
export interface AddrAction { op: 'addr'; node: string; iface: string; cidr: string }
/**
 * A permanent neighbour entry in `node`: the peer of a point-to-point link, `ip`
 * (no prefix length) at `mac` through `iface` (src/net/neigh.ts says why).
 */
export interface NeighAction { op: 'neigh'; node: string; iface: string; ip: string; mac: string }
/** Add a static route. */
export interface RouteAction { op: 'route'; node: string; route: RouteSpec }
/** Install egress shaping on an interface. */
export interface QdiscAction { op: 'qdisc'; node: string; iface: string; shaping: Shaping }
/** Set an interface administratively up or down (links with `state: down`). */
export interface LinkStateAction { op: 'link.state'; node: string; iface: string; up: boolean }
/** Set up the node's net_cls traffic classes on all its interfaces. */
export interface ClassesAction { op: 'classes'; node: string; classes: Record<string, NetClass> }
/** Give the packets the node sends itself a priority (skb->priority) that prio/mqprio qdiscs honour (src/shaping/priority.ts). */
export interface PriorityAction { op: 'priority'; node: string; priority: number }
/**
 * Start the node's daemon(s) for its kind (frr, bird) and/or its `cmd`, and
 * wait until ready. `autostart: false`: only `cmd` (the daemons start when the
 * node asks, through its compat commands).
 */
export interface DaemonAction { op: 'daemon'; node: string; kind: string; autostart?: false }
/** Poll the node's healthcheck until it passes (or its retries are used up). */
export interface HealthAction { op: 'health'; node: string; check: Healthcheck }
/** Run the node's startup scripts (paths inside the node), in order; failures are warnings. */
export interface StartupAction { op: 'startup'; node: string; scripts: string[] }
/** Run the node's `exec` lines in order (each with /bin/sh -c); `errors: 'warn'` goes on after a failure. */
export interface ExecAction { op: 'exec'; node: string; lines: string[]; errors?: 'warn' }
/** A dummy interface in a node (type: dummy link). */
export interface DummyAction { op: 'dummy'; link: number; node: string; iface: string; mac: string; mtu: number }
/** A macvlan interface in a node on the host interface `parent` (type: macvlan link). */
export interface MacvlanAction { op: 'macvlan'; link: number; node: string; iface: string; mac: string; mtu: number; parent: string; mode: string }
/** A vxlan interface in a node whose tunnel runs through the host's namespace (type: vxlan link). */
export interface VxlanAction { op: 'vxlan'; link: number; node: string; iface: string; mac: string; mtu: number; remote: string; vni: number; port: number }
/** A bridge on the host for host ends to join: created (and recorded) when the host has none of that name. */
export interface HostBridgeAction { op: 'host.bridge'; name: string; mtu: number }
/** A host link's host end joins a host bridge (a containerlab bridge node, or the management network). */
export interface HostPortAction { op: 'host.port'; link: number; iface: string; bridge: string }

/** Every kernel step the applier knows, discriminated on `op`. */
export type Action =
  | NodeStartAction | SegmentNsAction | SysctlAction | BridgeAction | VethAction | HostLinkAction
  | MgmtAction | IfUpAction | AddrAction | NeighAction | RouteAction | QdiscAction | LinkStateAction | ClassesAction | PriorityAction
  | DaemonAction | HealthAction | StartupAction | ExecAction
  | DummyAction | MacvlanAction | VxlanAction | HostBridgeAction | HostPortAction;

/** Names of the phases, in the order they run. Empty phases are left out of a plan. */
export const PHASES = [
  'nodes', 'sysctls', 'links', 'bridges', 'addresses', 'routes', 'shaping', 'link-state', 'daemons', 'healthcheck', 'startup', 'exec',
] as const;

/** The phases that start what runs in nodes; with `after:` they repeat once per start level. */
export const RUN_PHASES = ['daemons', 'healthcheck', 'startup', 'exec'] as const;
export type PhaseName = (typeof PHASES)[number];

/** A set of independent actions; phases run one after the other. */
export interface Phase {
  name: PhaseName;
  actions: Action[];
  /**
   * For the run phases of a lab with `after:`: the start level (0 = nodes that
   * wait for nobody; level n waits for levels below). Run phases repeat per level.
   */
  level?: number;
  /**
   * Runs at the same time as the phase before it instead of after it: the
   * `exec` lines of nodes that start nothing themselves (no daemons,
   * healthcheck or startup scripts) run while the other nodes' daemons start,
   * as containerlab runs a node's exec once its own container is up.
   */
  alongside?: true;
}

/** Attributes of a graph vertex: a lab node, a LAN segment, or the host. */
export interface VertexAttributes {
  type: 'node' | 'segment' | 'host';
  /** Node name, segment name, or 'host'. */
  label: string;
  /** Node kind ('linux', 'frr', …) for lab nodes. */
  kind?: string;
  /** Node id for lab nodes. */
  id?: number;
  /** How pictures draw a lab node, and its fill: its kind's facts (absent for a kind the catalog lacks). */
  shape?: 'router' | 'host';
  color?: string;
}

/** Attributes of the whole graph: every kind of the catalog with its colour, for pictures' legends. */
export interface GraphAttributes {
  kinds: { name: string; color: string }[];
}

/** Attributes of a graph edge: one link (a LAN contributes one edge per member). */
export interface EdgeAttributes {
  /** Link index. */
  link: number;
  /** Interface on the source side (the lab node for LAN edges), and on the target side ('' for a segment). */
  sourceIface: string;
  targetIface: string;
  state: 'up' | 'down';
}

/** The lab as a graph: vertices keyed by node name, `lan:<segment>` or 'host'. */
export type LabGraph = MultiUndirectedGraph<VertexAttributes, EdgeAttributes, GraphAttributes>;

/** What `netlab up` will do, in order. */
export interface Plan {
  lab: string;
  topology: Topology;
  graph: LabGraph;
  phases: Phase[];
}
