/**
 * The library API: a running lab as an object. The CLI uses nothing else, and
 * neither should scripts and test suites:
 *
 *   const lab = await Lab.up('topologies/lan-static.yaml');
 *   const r = await lab.exec('h1', ['ping', '-c1', 'h2']);
 *   await lab.down();
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../core/node.js';
import type { DaemonHealth, ExecOptions, ExecResult } from '../daemons/kind.js';
import { getKind } from '../daemons/registry.js';
import { UsageError } from '../errors.js';
import { loadTopologyFile, type LoadOptions } from '../topology/load.js';
import type { Topology } from '../topology/types.js';
import { readLinkCounters, type LinkCounters } from './counters.js';
import { LinkEndpoint } from './link-endpoint.js';
import { routerNeighbors, type RouterNeighbors } from './neighbors.js';
import { labDir, runRoot, stateFile } from './paths.js';
import { readPositions, savePositions, type Positions } from './positions.js';
import { openTerminal, type NodeTerminal, type TerminalOptions } from './terminal.js';
import { readState, type State } from './state.js';
import { labStatus, readLabTopology, type LabStatus } from './status.js';
import { nodeContext } from './steps-run.js';
import { teardown, type DownReport } from './teardown.js';
import { labIsRunning, up, type UpOptions, type UpReport } from './up.js';

/** Options of `waitFor`. */
export interface WaitOptions {
  /** Give up after this many ms. */
  timeoutMs: number;
  /** First retry after this many ms (doubling up to 1 s); default 100. */
  intervalMs?: number;
  /** What is awaited, for the timeout error: "r1 to learn 10.0.0.3/32". */
  what: string;
}

export class Lab {
  /** How the last `up` went (undefined for a lab opened with `Lab.open`). */
  report?: UpReport;

  /** mtime and size of the State file and topology.json when they were read (see `stale`). */
  private readonly version: string;

  private constructor(readonly name: string, readonly topology: Topology, private readonly state: State, version?: string) {
    this.version = version ?? filesVersion(name);
  }

  /**
   * Loads a topology file (or takes a loaded Topology) and brings the lab up.
   * `name` runs the file's lab under another name (`netlab up --name`), e.g. a
   * test's own copy that never meets a lab of the same file someone has running;
   * for a loaded Topology, give the name to loadTopology instead.
   * @throws TopologyError for bad input (nothing was created), UsageError when
   *   the lab already runs, KernelError/NetlabError when the kernel or a daemon
   *   refuses (everything made is removed again unless `keepOnError`).
   */
  static async up(source: string | Topology, opts: UpOptions & { name?: string; load?: LoadOptions } = {}): Promise<Lab> {
    if (typeof source !== 'string' && opts.name !== undefined && opts.name !== source.name) {
      throw new UsageError('Lab.up', 'name: applies to a topology file, not to a loaded Topology', 'pass the file, or loadTopology(file, { name })');
    }
    const t = typeof source === 'string' ? loadTopologyFile(source, { ...opts.load, ...(opts.name === undefined ? {} : { name: opts.name }) }) : source;
    const report = await up(t, opts);
    const lab = Lab.open(t.name);
    lab.report = report;
    return lab;
  }

  /**
   * A running lab by name; without a name, the only running lab.
   * @throws UsageError when there is no such lab, or no name and not exactly one lab.
   */
  static open(name?: string): Lab {
    if (name === undefined) {
      const labs = Lab.running();
      if (labs.length !== 1) {
        throw new UsageError('lab', labs.length ? `${labs.length} labs are running (${labs.join(', ')})` : 'no lab is running',
          labs.length ? `name one of them: the lab argument, or --lab ${labs[0]} for netlab link` : 'start one: netlab up FILE');
      }
      name = labs[0];
    }
    const version = filesVersion(name); // before reading: a change while reading shows as stale
    const { state, damaged } = readState(name);
    if (!state) {
      const labs = Lab.running();
      throw new UsageError(`lab ${name}`, damaged ? `has a damaged State file (${damaged})` : 'is not running',
        damaged ? `netlab down ${name} removes what is left` : labs.length ? `running: ${labs.join(', ')}` : 'start it: netlab up FILE');
    }
    return new Lab(name, readLabTopology(name), state, version);
  }

  /**
   * Whether the lab's State file or topology changed since this object read
   * them — another netlab command cut or shaped a link, or the lab went down
   * (and maybe up again). Two stat(2) calls; Lab.open the lab again to see the change.
   */
  stale(): boolean {
    return filesVersion(this.name) !== this.version;
  }

  /** Names of the labs that have a State file on this host, sorted. */
  static running(): string[] {
    let dirs: string[] = [];
    try { dirs = readdirSync(runRoot()); } catch { return []; }
    return dirs.filter((d) => readState(d).state !== undefined).sort();
  }

  /** Takes a lab down by name (idempotent: a lab that is not there is a no-op report with found=false). */
  static async down(name: string, opts: Parameters<typeof teardown>[1] = {}): Promise<DownReport> {
    return teardown(name, opts);
  }

  /** Whether the lab has running nodes (or an `up` in progress). */
  get running(): boolean {
    return labIsRunning(this.name);
  }

  /**
   * Runs argv inside `node` (all its namespaces and its cgroup) and returns the
   * exit code and output. A non-zero exit is a result, not an error.
   * `opts.cls` runs it in one of the node's traffic classes (`classes:`).
   * @throws UsageError when the node does not exist or is not running.
   */
  async exec(node: string, argv: string[], opts?: ExecOptions & { cls?: string }): Promise<ExecResult> {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) {
      throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    }
    const rec = this.state.nodes[node];
    if (!rec || !isAlive(rec)) throw new UsageError(`${this.name}/${node}`, 'is not running (its PID 1 is gone)', `netlab status ${this.name} shows the lab; netlab down ${this.name} cleans it`);
    return nodeContext(this.name, this.topology, n, rec.pid).exec(argv, opts);
  }

  /**
   * Polls `probe` until it returns a value other than undefined/false, with a
   * short backoff (networks converge), and returns that value.
   * @throws NetlabError `timed out after N ms waiting for <what>` (with the probe's
   *   last error, if it threw) when the time is up.
   */
  async waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
    const deadline = performance.now() + opts.timeoutMs;
    let delay = opts.intervalMs ?? 100;
    let lastError = '';
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined && v !== false) return v as T;
        lastError = '';
      } catch (err) {
        lastError = (err as Error).message;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new UsageError(`lab ${this.name}`, `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${lastError ? ` (last error: ${lastError})` : ''}`,
          'the network may need longer to converge, or something is broken: netlab status, netlab exec');
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /**
   * One endpoint of a link (`r1:eth1`): `set()` its shaping, cut it with
   * `down()`, restore it with `up()`, read it with `show()` — what
   * `netlab link set/down/up/show` do.
   * @throws UsageError when the lab has no such node or interface.
   */
  link(endpoint: string): LinkEndpoint {
    return new LinkEndpoint(this.name, endpoint);
  }

  /**
   * Opens a terminal in `node` (what `netlab shell` does, with the bytes and
   * the window size over pipes: src/lab/terminal.ts), for the web UI.
   * @throws UsageError when the node does not exist or is not running.
   */
  terminal(node: string, opts?: TerminalOptions): NodeTerminal {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    const rec = this.state.nodes[node];
    if (!rec || !isAlive(rec)) throw new UsageError(`${this.name}/${node}`, 'is not running (its PID 1 is gone)', `netlab status ${this.name} shows the lab`);
    return openTerminal({ lab: this.name, name: node, pid: rec.pid, startTime: rec.startTime }, { ...opts, env: { ...n.env, ...opts?.env } });
  }

  /**
   * Interface counters of every node (or of `nodes`) and which nodes run, read
   * cheaply enough for a live view of 1,000 nodes every second
   * (src/lab/counters.ts). Two readings make rates.
   */
  linkCounters(nodes?: readonly string[]): Promise<LinkCounters> {
    return readLinkCounters(this.topology, this.state, nodes);
  }

  /**
   * Health of each daemon of `node` (its kind's check, as `netlab status`
   * shows it); [] for a kind without daemons or a node that is not running.
   * @throws UsageError for a node the lab does not have.
   */
  async health(node: string): Promise<DaemonHealth[]> {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    const rec = this.state.nodes[node];
    const kind = getKind(n.kind);
    if (!rec || !isAlive(rec) || !kind.health) return [];
    return kind.health(nodeContext(this.name, this.topology, n, rec.pid));
  }

  /**
   * A router's OSPF neighbours and BGP sessions as its daemon reports them
   * (src/lab/neighbors.ts); empty for a node that is no router.
   * @throws UsageError for a node the lab does not have.
   */
  neighbors(node: string): Promise<RouterNeighbors> {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    return routerNeighbors(this.topology, n, (x, argv, o) => this.exec(x, argv, o));
  }

  /** Where the web UI draws the lab's elements (saved in the run folder; {} until someone drags). */
  positions(): Positions {
    return readPositions(this.name);
  }

  /**
   * Saves drawing positions (merged over the saved ones) and returns them all.
   * @throws UsageError for entries that are not `id → { x, y }` with finite numbers.
   */
  savePositions(positions: unknown): Positions {
    return savePositions(this.name, positions);
  }

  /** The lab's status (nodes, liveness, interfaces, shaping, daemons). */
  status(): Promise<LabStatus> {
    return labStatus(this.name);
  }

  /** Takes the lab down: everything it created is removed. */
  down(opts: Parameters<typeof teardown>[1] = {}): Promise<DownReport> {
    return teardown(this.name, opts);
  }
}

/** mtime and size of a lab's State file and topology.json ('' for a missing one). */
function filesVersion(lab: string): string {
  const sig = (path: string): string => {
    try { const st = statSync(path); return `${st.mtimeMs}:${st.size}:${st.ino}`; } catch { return ''; }
  };
  return `${sig(stateFile(lab))}|${sig(join(labDir(lab), 'topology.json'))}`;
}
