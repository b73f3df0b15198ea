/**
 * How a kind's routing daemon tells its state: OSPF adjacencies and BGP
 * sessions, read the way a user would ask (FRR's `vtysh -c '… json'`, BIRD's
 * `birdc show …`). A kind with a routing daemon declares a `RoutingState`
 * (Kind.routingState); `netlab validate`'s ospf_neighbors and bgp_sessions
 * tests and the web UI's router card ask it, and know no kind by name.
 */
import type { ExecOptions, ExecResult } from './kind.js';

/**
 * Runs a read-only query (argv) inside the node and resolves with its exit
 * code and output; never rejects for a non-zero exit. validate passes its
 * shared reads (src/validate/reads.ts), so tests asking at once ask once.
 */
export type NodeQuery = (argv: string[], opts?: ExecOptions) => Promise<ExecResult>;

/**
 * A daemon's answer (`value`), or why there is none (`problem`, one line):
 * a daemon that does not answer yet is retried while a test waits; with
 * `missing` the tool itself is not installed in the node, and retrying cannot
 * help. `source` is the command asked, as a user would type it.
 */
export type StateAnswer<T> =
  | { source: string; value: T }
  | { source: string; problem: string; missing?: boolean };

/** One OSPF neighbour, whichever daemon reported it. */
export interface OspfNeighbor {
  routerId: string;
  /** As the daemon prints it: "Full/-", "Full/DR", "Init/-", "Full/PtP". */
  state: string;
  /** Interface name (FRR's "eth1:10.1.0.0" is cut at the colon). */
  iface: string;
  /** The neighbour's interface address. */
  address: string;
}

/** One BGP session as the daemon reports it (not the configured session of src/daemons/bgp-sessions.ts). */
export interface BgpSessionState {
  /** Neighbour address, or an interface name for FRR's unnumbered sessions ("eth1"). */
  peer: string;
  /** Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  remoteAs?: number;
  /** Why the session last went down, as the daemon puts it. */
  reason?: string;
  /** BIRD's protocol name (bgp_r2). */
  protocol?: string;
}

/**
 * How a kind reads its routing daemon's state. Each method asks through
 * `query` (commands run inside node `node`, named in messages) and never
 * throws for a daemon that does not answer: that is a `problem`.
 */
export interface RoutingState {
  /** The node's OSPF neighbours (the kind's facts list `ospf_neighbors`). */
  ospfNeighbors(query: NodeQuery, node: string): Promise<StateAnswer<OspfNeighbor[]>>;
  /** The node's BGP sessions, every configured neighbour with its state (the kind's facts list `bgp_sessions`). */
  bgpSessions(query: NodeQuery, node: string): Promise<StateAnswer<BgpSessionState[]>>;
}
