/**
 * `status`: what a lab is made of and whether each node still runs. Read from
 * the State file and the lab's topology.json (which `netlab link set` keeps up
 * to date), plus a liveness check per node (/proc/PID/stat) and each kind's
 * daemon health from the node's cgroup — no exec and no netlink, so a
 * 1,000-node lab prints in well under a second.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { detectCgroups } from '../core/cgroups.js';
import { isAlive } from '../core/node.js';
import { isFrozen, labOomCount, readOomCount } from '../observe/cgroup-read.js';
import { readOomKills, type OomKill } from '../observe/oom.js';
import type { DaemonHealth } from '../daemons/kind.js';
import { UsageError } from '../errors.js';
import type { Shaping } from '../shaping/types.js';
import type { Interface, Topology } from '../topology/types.js';
import { isLabName, labPath, requireLabName, runRoot } from './paths.js';
import { readState, upInProgress, type LabPhase } from './state.js';

/** One interface in a status. */
export interface InterfaceStatus {
  name: string;
  mac: string;
  mtu: number;
  ipv4?: string;
  ipv6?: string;
  /** `r2:eth1`, `segment lan1`, `host:veth-lab`. */
  peer?: string;
  /** Shaping in effect (egress), as set by `up` or `netlab link set`. */
  shaping?: Shaping;
  /**
   * As the topology asks ('up' or 'down'), except: 'down' when this node or the
   * peer node is dead (see `reason`), 'unknown' when the lab's up was
   * interrupted (the link may not exist).
   */
  state: 'up' | 'down' | 'unknown';
  /** Why the interface is down although the topology asks for up: 'node dead' or 'peer dead'. */
  reason?: 'node dead' | 'peer dead';
}

/** One node in a status. */
export interface NodeStatus {
  name: string;
  kind: string;
  state: 'running' | 'dead';
  pid: number;
  loopback: { ipv4?: string; ipv6?: string };
  interfaces: InterfaceStatus[];
  /** Daemons of the kind and whether each runs (empty for kinds without daemons, and for a paused node: asking would hang). */
  daemons: DaemonHealth[];
  /** The node's image: as the topology names it, and its ID and manifest digest (stored images); absent for the host's root. */
  image?: { name: string; kind: string; id?: string; digest?: string };
  /** Set when the node is frozen by `netlab node pause` (its state stays 'running'). */
  paused?: true;
  /** Processes of the node the OOM killer killed (name and time from the kernel log, as far as it still holds them). */
  oom?: { kills: number; events: OomKill[] };
}

/** A lab's status. */
export interface LabStatus {
  lab: string;
  file?: string;
  phase: LabPhase;
  /** The `netlab up` that was building the lab died before it finished (kill -9, a second Ctrl-C). */
  interrupted: boolean;
  createdAt: string;
  nodes: NodeStatus[];
  /**
   * Set when the lab's files cannot be read (a damaged State file, a missing
   * topology.json, a symbolic link in its run folder): the lab is listed with
   * no nodes and this reason, so one broken lab never hides the others.
   * `netlab down LAB` removes what is left of it.
   */
  problem?: string;
}

/** The topology a lab was started with (as `up` wrote it, updated by `netlab link set`). */
export function readLabTopology(lab: string): Topology {
  const path = labPath(lab, 'topology.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Topology;
  } catch {
    throw new UsageError(`lab ${lab}`, 'has no readable topology.json (it is not running, or its start was interrupted)', `netlab down ${lab} removes what is left`);
  }
}

/**
 * The status of `lab`.
 * @throws UsageError when `lab` is not a lab name, or the lab has no State
 *   file, a damaged one, or no topology.json.
 */
export async function labStatus(lab: string): Promise<LabStatus> {
  requireLabName(lab);
  const { state, damaged } = readState(lab);
  if (!state) {
    throw new UsageError(`lab ${lab}`, damaged ? `its State file is damaged (${damaged})` : 'is not running', damaged ? `netlab down ${lab} removes it` : 'netlab status lists running labs');
  }
  const t = readLabTopology(lab);
  // Loaded here, not at the top: links, capture and the events read topology.json through this module (docs/architecture.md, "Load on use").
  const [{ getKind }, { labRoots }, { nodeContext }] = await Promise.all([import('../daemons/registry.js'), import('./images.js'), import('./steps-run.js')]);
  const roots = labRoots(lab);
  const interrupted = state.phase === 'starting' && state.cliPid !== process.pid && !upInProgress(state);
  const nodes: NodeStatus[] = [];
  const alive = new Map(t.nodes.map((n) => [n.name, state.nodes[n.name] ? isAlive(state.nodes[n.name]!) : false]));
  const layout = detectCgroups();
  // cgroup v2 counts OOM kills up the tree: one read of the lab's memory.events says whether any node had one.
  const anyKill = layout.mode !== 'v2' || labOomCount(layout, lab) > 0;
  const kills = new Map(t.nodes.map((n) => [n.name, anyKill && state.nodes[n.name] ? readOomCount(layout, lab, n.name) : 0]));
  const oomEvents = [...kills.values()].some((k) => k > 0) ? readOomKills(lab) : [];
  for (const n of t.nodes) {
    const rec = state.nodes[n.name];
    const isUp = alive.get(n.name)!;
    const paused = isUp && isFrozen(layout, lab, n.name);
    let daemons: DaemonHealth[] = [];
    const kind = getKind(n.kind);
    const root = roots.get(n.name);
    if (isUp && !paused && kind.health) daemons = await kind.health(nodeContext(lab, t, n, rec!.pid, root));
    const img = root?.image;
    const oom = kills.get(n.name) ? { kills: kills.get(n.name)!, events: oomEvents.filter((e) => e.node === n.name) } : undefined;
    nodes.push({
      name: n.name, kind: n.kind, state: isUp ? 'running' : 'dead', pid: rec?.pid ?? 0, loopback: n.loopback, daemons,
      ...(img ? { image: { name: img.image, kind: img.kind, ...(img.id ? { id: img.id } : {}), ...(img.digest ? { digest: img.digest } : {}) } } : {}),
      ...(paused ? { paused: true as const } : {}), ...(oom ? { oom } : {}),
      interfaces: n.interfaces.map((i) => ({
        name: i.name, mac: i.mac, mtu: i.mtu, ipv4: i.ipv4, ipv6: i.ipv6, shaping: i.shaping,
        ...interfaceState(i.state, interrupted, isUp, i.peer ? alive.get(i.peer.node) : undefined),
        peer: peerLabel(i),
      })),
    });
  }
  return { lab, file: state.file, phase: state.phase, interrupted, createdAt: state.createdAt, nodes };
}

/**
 * The status of `lab` as `netlab status` shows it: a lab whose files cannot be
 * read is returned with `problem` set instead of failing.
 * @throws UsageError when `lab` is not a lab name or has no State file at all (it is not running).
 */
export async function labStatusOrProblem(lab: string): Promise<LabStatus> {
  requireLabName(lab);
  let r: ReturnType<typeof readState>;
  try {
    r = readState(lab);
  } catch (err) {
    return broken(lab, undefined, err);
  }
  if (!r.state && !r.damaged) return labStatus(lab); // throws: not running
  try {
    return await labStatus(lab);
  } catch (err) {
    return broken(lab, r.state, err);
  }
}

function broken(lab: string, state: ReturnType<typeof readState>['state'], err: unknown): LabStatus {
  return {
    lab, file: state?.file, phase: state?.phase ?? 'failed', interrupted: false, createdAt: state?.createdAt ?? '', nodes: [],
    problem: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Every lab with a State file on this host (a damaged one too), sorted, each
 * as labStatusOrProblem gives it: one broken lab is listed with its problem,
 * and the others as usual.
 */
export async function allLabStatuses(): Promise<LabStatus[]> {
  let dirs: string[] = [];
  try { dirs = readdirSync(runRoot()); } catch { return []; }
  const labs = dirs.filter((d) => isLabName(d) && hasStateFile(d)).sort();
  return Promise.all(labs.map((l) => labStatusOrProblem(l)));
}

function hasStateFile(lab: string): boolean {
  try {
    const r = readState(lab);
    return Boolean(r.state || r.damaged);
  } catch {
    return true; // a symbolic link in the way: listed as broken
  }
}

/** What an interface faces, for status and link show (pure): `r2:eth1`, `segment lan1`, or undefined. */
export function peerLabel(i: Interface): string | undefined {
  return i.peer ? `${i.peer.node}:${i.peer.iface}` : i.segment ? `segment ${i.segment}` : undefined;
}

/**
 * An interface's state in a status (pure): 'unknown' while the lab's up was
 * interrupted; 'down' with a reason when its node is dead (its namespace, and
 * with it the interface, is gone) or the node at the other end of its veth is
 * dead (deleting one end of a veth deletes the other: no carrier);
 * otherwise what the topology asks. `peerAlive` is undefined for a peer that is
 * not a node (the host, a LAN segment).
 */
export function interfaceState(asked: 'up' | 'down', interrupted: boolean, nodeAlive: boolean, peerAlive: boolean | undefined): Pick<InterfaceStatus, 'state' | 'reason'> {
  if (interrupted) return { state: 'unknown' };
  if (!nodeAlive) return { state: 'down', reason: 'node dead' };
  if (peerAlive === false) return { state: 'down', reason: 'peer dead' };
  return { state: asked };
}
