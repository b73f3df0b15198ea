/**
 * A kind of node (containerlab's "kind"): its facts (pure data: what the
 * loader, the planner, pictures, doctor and tests need to know) and its
 * behaviour (what runs inside a node and how netlab knows it is ready). Each
 * kind is one plug-in file in src/daemons implementing `Kind`, listed in
 * src/daemons/registry.ts; a new kind is one new file plus one line there
 * (docs/architecture.md, "Adding a kind").
 *
 * The applier calls, per node:
 *   0. check()    optional, before anything is created: the user's config
 *                 checked by the daemon's own parser on the host (fast failure);
 *   1. files()    before the node starts — written into the node's upper layer
 *                 (src/daemons/files.ts: writeNodeFiles does it);
 *   2. sysctls()  with the other sysctls, before links exist;
 *   3. start()    after every link, address and route exists; also starts the
 *                 node's `cmd` in the background (every kind does);
 *   4. ready()    once, after start(); it polls until ready or throws at its timeout;
 * and later save() for `netlab save`, health() for `netlab status`.
 * The node's `exec` lines are not the kind's: the applier runs them after ready().
 * Kinds of one lab are independent: the applier may run start()/ready() of
 * all nodes in parallel.
 */
import type { ImageRun } from '../image/run.js';
import type { KindFacts } from '../topology/kinds.js';
import type { Node, Topology } from '../topology/types.js';
import type { RouteTable } from './route-table.js';
import type { RoutingState } from './routing-state.js';

/** Result of a command run inside a node. */
export interface ExecResult {
  /** Exit code; 128 + n when killed by signal n. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of a command run inside a node. */
export interface ExecOptions {
  env?: Record<string, string>;
  /** Bytes written to the command's stdin, then closed. */
  input?: string;
  /** Kill the command (SIGKILL) after this many ms; the result then has code 137. */
  timeoutMs?: number;
  /** Kill the command (SIGKILL) when this aborts (Ctrl-C of validate); the result then has code 137. */
  signal?: AbortSignal;
  /** Working directory inside the node (default /). */
  cwd?: string;
  /** Run as this uid:gid of the node instead of root (an image's User). */
  user?: { uid: number; gid: number };
  /** Start it in its own session and return once it runs; its output goes to `log` (a path inside the node). */
  detach?: boolean;
  log?: string;
}

/**
 * A file (or, with `directory`, a directory) a kind writes into a node before
 * it starts. Directories a daemon's user must own go here too: in a user
 * namespace whose lower layer could not be idmapped, the node's root cannot
 * change the owner of a directory of the lower layer (docs/nodes.md).
 */
export interface NodeFile {
  /** Absolute path inside the node, e.g. /etc/frr/frr.conf. */
  path: string;
  /** The file's text (ignored for a directory). */
  content: string;
  /** A directory: made (with its mode and owner) instead of a file. */
  directory?: boolean;
  /** Permission bits, default 0o644 (0o755 for a directory). */
  mode?: number;
  /** Owner user and group names, resolved in the node's lower /etc/passwd (e.g. 'frr'); default root. */
  owner?: string;
  group?: string;
}

/** What a kind gets to act on a running node. */
export interface NodeContext {
  lab: string;
  node: Node;
  topology: Topology;
  /** Runs argv inside the node (all its namespaces and cgroup). Never throws for a non-zero exit. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Host path of the node's upper layer directory (its changes to the root filesystem). */
  upperDir: string;
  /** How the node's image runs (its config's Env, Entrypoint + Cmd, WorkingDir, User); undefined without an image. */
  run?: ImageRun;
  /** Says something that does not stop `up` (the CLI prints it as a warning). */
  warn?: (text: string) => void;
  /**
   * The node's configuration, as the topology gives it, was checked with the
   * kind's `check` on the host before `up` built anything, and the node runs
   * the host's programs (no image or rootfs of its own): the same check in
   * the node would only repeat it. Unset for a restart (the node's files may
   * have changed since).
   */
  configChecked?: boolean;
}

/** One daemon's health, for `netlab status`. */
export interface DaemonHealth {
  daemon: string;
  running: boolean;
  detail?: string;
}

/**
 * Facts of a kind beyond what the loader needs: pure data too, read by `up`
 * (programs, memory) and messages. src/topology sees only the `KindFacts` part.
 */
export interface PluginFacts extends KindFacts {
  /** Hint when a node's image lacks a program of `requires`. */
  readonly imageHint?: string;
  /** Host programs `netlab doctor` looks for on behalf of this kind: [check name, program, what needs it, how to install]. */
  readonly doctor: readonly (readonly [string, string, string, string])[];
  /**
   * Programs the kind needs in the node's root filesystem (checked on the host
   * before any node starts when the node uses the host's root): a name looked
   * up in PATH, /usr/sbin and /sbin, or an absolute path.
   */
  readonly requires: readonly { program: string; package: string }[];
  /**
   * Host memory one running node of this kind takes, bytes: the drop of the
   * host's MemAvailable per node of an idle lab, measured with
   * bench/kind-memory.ts (docs/performance.md has the table). `up` adds these
   * up and refuses a lab the host cannot hold (src/lab/capacity.ts).
   */
  readonly memoryBytes: number;
  /** What users call one node of this kind and several, for messages: ['FRR router', 'FRR routers']. */
  readonly noun: readonly [string, string];
}

/**
 * What start() hands to ready() for one node (e.g. "already ready"): returned,
 * never kept in module scope; the applier passes it back unchanged.
 */
export type StartState = unknown;

/** A kind plug-in: its facts and its behaviour. */
export interface Kind {
  /** Pure facts; `facts.name` is the `kind:` value, e.g. 'frr'. */
  readonly facts: PluginFacts;
  /**
   * Files to write into the node before it starts (pure: no I/O except reading
   * the node's `config.path`). Errors in the user's config are TopologyErrors
   * naming `nodes.<name>.config`.
   */
  files(node: Node, topology: Topology): NodeFile[];
  /** Extra sysctls for this node (dotted keys, net.* only); the node's own `sysctls:` win over these. */
  sysctls?(node: Node): Record<string, string>;
  /**
   * Checks the node's user-given config on the host with the daemon's own
   * parser (`vtysh -C`, `bird -p`) before the lab is built. Resolves when there
   * is nothing to check or the parser is not installed.
   * @throws NetlabError naming the node, with the daemon's message.
   */
  check?(node: Node, topology: Topology): Promise<void>;
  /**
   * Starts the daemons. Throws NetlabError with the daemon's own message and the node name on failure.
   * @param timeoutMs how long the start may take before it is killed; the applier gives more when many
   *   routers already run (src/lab/steps-run.ts: daemonTimeoutMs); each kind has its own default.
   * @returns what ready() needs to know about this start (undefined when nothing).
   */
  start(ctx: NodeContext, timeoutMs?: number): Promise<StartState>;
  /**
   * Resolves when the daemons answer (polling with a short backoff, no fixed
   * sleeps); throws NetlabError naming the node, with what was last seen and
   * the daemon's log tail, after `timeoutMs` or when a daemon died. Called once, after start,
   * with what start() returned (undefined when start() was not called in this process).
   */
  ready(ctx: NodeContext, timeoutMs: number, started?: StartState): Promise<void>;
  /**
   * The OSPF hello/dead intervals (seconds) a user's own config `text` sets on
   * interface `iface`, the defaults (10/40, RFC 2328) where it sets none; a
   * neighbour's generated config matches them (src/daemons/peers.ts: ospfTimers).
   * Without it, a node's own config is taken to use the defaults.
   */
  ospfTimers?(text: string, iface: string): { helloS: number; deadS: number };
  /**
   * How its routing daemon's state is read (OSPF neighbours, BGP sessions), for
   * validate's ospf_neighbors/bgp_sessions tests and the web UI's router card;
   * absent for a kind without a routing daemon. A kind whose facts list
   * `ospf_neighbors` or `bgp_sessions` in `tests` must have it.
   */
  readonly routingState?: RoutingState;
  /**
   * Where `route:` tests read the node's routes and how its protocol names
   * match (src/daemons/route-table.ts); absent: the kernel's main table
   * (`kernelRoutes`), as for linux and bird nodes.
   */
  readonly routes?: RouteTable;
  /** Running configuration, file name → text (for `netlab save`); undefined when the kind has none. */
  save?(ctx: NodeContext): Promise<Record<string, string>>;
  /** Health of each daemon (for `netlab status`). */
  health?(ctx: NodeContext): Promise<DaemonHealth[]>;
}
