/**
 * The library API: a running lab as an object. The CLI uses nothing else, and
 * neither should scripts and test suites:
 *
 *   const lab = await Lab.up('topologies/lan-static.yaml');
 *   const r = await lab.exec('h1', ['ping', '-c1', 'h2']);
 *   await lab.down();
 */
import { readdirSync } from 'node:fs';
import { isAlive } from '../core/node.js';
import type { ExecOptions, ExecResult } from '../daemons/kind.js';
import { UsageError } from '../errors.js';
import { loadLab } from '../frontends/index.js';
import type { LoadOptions } from '../topology/load.js';
import type { Topology } from '../topology/types.js';
import { runRoot } from './paths.js';
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

  private constructor(readonly name: string, readonly topology: Topology, private readonly state: State) {}

  /**
   * Loads a lab (a topology file, a containerlab file, a Kathará lab folder;
   * src/frontends) or takes a loaded Topology, and brings the lab up.
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
    const t = typeof source === 'string' ? loadLab(source, { ...opts.load, ...(opts.name === undefined ? {} : { name: opts.name }) }) : source;
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
    const { state, damaged } = readState(name);
    if (!state) {
      const labs = Lab.running();
      throw new UsageError(`lab ${name}`, damaged ? `has a damaged State file (${damaged})` : 'is not running',
        damaged ? `netlab down ${name} removes what is left` : labs.length ? `running: ${labs.join(', ')}` : 'start it: netlab up FILE');
    }
    return new Lab(name, readLabTopology(name), state);
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

  /** The lab's status (nodes, liveness, interfaces, shaping, daemons). */
  status(): Promise<LabStatus> {
    return labStatus(this.name);
  }

  /** Takes the lab down: everything it created is removed. */
  down(opts: Parameters<typeof teardown>[1] = {}): Promise<DownReport> {
    return teardown(this.name, opts);
  }
}
