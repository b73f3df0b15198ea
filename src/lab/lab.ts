/**
 * The library API: a running lab as an object. The CLI uses nothing else, and
 * neither should scripts and test suites:
 *
 *   const lab = await Lab.up('topologies/lan-static.yaml');
 *   const r = await lab.exec('h1', ['ping', '-c1', 'h2']);
 *   await lab.down();
 *
 * Load on use: what only some methods need (bringing a lab up, a router's
 * daemons, saving, pausing) is imported inside those methods, so that opening
 * a lab or taking it down does not load the loader, the kinds and the images
 * (docs/architecture.md, "Load on use").
 */
import { readdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroups } from '../core/cgroups.js';
import { isAlive } from '../core/node.js';
import type { DaemonHealth, ExecOptions, ExecResult } from '../daemons/kind.js';
import { NetlabError, UsageError } from '../errors.js';
import { hasImpairment } from '../shaping/netem.js';
import { probeQdiscSupport } from '../shaping/probe.js';
import { eventHooks } from '../events/hooks.js';
import { addEvent, eventsReport, type EventsReport } from '../events/manage.js';
import type { EventHooks } from '../validate/types.js';
import type { NodeTarget } from '../events/nodes.js';
import type { EventSpec } from '../topology/events.js';
import { captureTargets, startCapture, type Capture, type CaptureOptions } from '../observe/capture.js';
import { LinkCounterReader, type LinkCounters } from '../observe/link-counters.js';
import { oomOf, sampleLab, statsBetween, type LabSample, type LabStats } from '../observe/stats.js';
import type { Topology } from '../topology/types.js';
import type { NodeRoot } from './images.js';
import { LinkEndpoint } from './link-endpoint.js';
import type { RouterNeighbors } from './neighbors.js';
import { isLabName, labPath, requireLabName, runRoot, stateFile } from './paths.js';
import { readPositions, savePositions, type Positions } from './positions.js';
import { openTerminal, type NodeTerminal, type TerminalOptions } from './terminal.js';
import { labIsRunning, readState, type State } from './state.js';
import { allLabStatuses, labStatus, labStatusOrProblem, readLabTopology, type LabStatus } from './status.js';
import type { SaveReport } from './save.js';
import { setShaping, showLinks, type LinkChangeOptions, type LinkReport } from './links.js';
import type { Shaping } from '../shaping/types.js';
import { findAllLabs, takeDown, type DownOptions, type DownReport } from './teardown.js';
import type { UpOptions, UpReport } from './up.js';
import type { LoadTopologyOptions } from './load.js';

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
  /** The nodes' images, read once (a cache). */
  private roots?: Map<string, NodeRoot>;

  /** mtime and size of the State file and topology.json when they were read (see `stale`). */
  private readonly version: string;
  /** Reads linkCounters() again and again (keeps whose liveness it verified when). */
  private counterReader?: LinkCounterReader;

  private constructor(readonly name: string, readonly topology: Topology, private readonly state: State, version?: string) {
    this.version = version ?? filesVersion(name);
  }

  /**
   * Loads a lab (a topology file, a containerlab file, a Kathará lab folder;
   * src/frontends) or takes a loaded Topology, and brings the lab up.
   * `name` runs the file's lab under another name (`netlab up --name`), e.g. a
   * test's own copy that never meets a lab of the same file someone has running;
   * for a loaded Topology, give the name to loadTopology instead.
   * Holds the lab's lock while it builds (src/lab/lock.ts): an `up` or `down`
   * of the same lab from another process waits.
   * @throws TopologyError for bad input, also a bad `name` (nothing was
   *   created), UsageError when the lab already runs, KernelError/NetlabError
   *   when the kernel or a daemon refuses (everything made is removed again
   *   unless `keepOnError`) or another command holds the lab too long.
   */
  static async up(source: string | Topology, opts: UpOptions & { name?: string; load?: LoadTopologyOptions } = {}): Promise<Lab> {
    if (typeof source !== 'string' && opts.name !== undefined && opts.name !== source.name) {
      throw new UsageError('Lab.up', 'name: applies to a topology file, not to a loaded Topology', 'pass the file, or loadTopology(file, { name })');
    }
    const [{ loadLab }, { up }] = await Promise.all([import('./load.js'), import('./up.js')]);
    const t = typeof source === 'string' ? loadLab(source, { ...opts.load, ...(opts.name === undefined ? {} : { name: opts.name }) }) : source;
    const report = await up(t, opts);
    const lab = Lab.open(t.name);
    lab.report = report;
    return lab;
  }

  /**
   * A running lab by name; without a name, the only running lab.
   * @throws UsageError when `name` is not a lab name (paths.ts requireLabName),
   *   there is no such lab, or no name and not exactly one lab.
   */
  static open(name?: string): Lab {
    if (name !== undefined) requireLabName(name, 'Lab.open');
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

  /** Names of the labs that have a readable State file on this host, sorted (only valid lab names count). */
  static running(): string[] {
    let dirs: string[] = [];
    try { dirs = readdirSync(runRoot()); } catch { return []; }
    return dirs.filter((d) => isLabName(d) && hasState(d)).sort();
  }

  /**
   * Every lab that has anything on this host — a run folder, cgroups, `ip netns`
   * names — also one whose start crashed or whose State file is gone (what
   * `netlab down --all` removes), sorted. Only valid lab names count. Unlike
   * `running()`, this looks at the cgroups too (src/lab/teardown.ts findAllLabs).
   */
  static list(): string[] {
    return findAllLabs();
  }

  /**
   * The status of every lab with a State file on this host (`netlab status`),
   * sorted by name; a lab whose files cannot be read is listed with `problem`
   * set instead of failing the whole call. [] when no lab runs.
   */
  static statusAll(): Promise<LabStatus[]> {
    return allLabStatuses();
  }

  /**
   * The status of one lab by name (`netlab status LAB`), without opening it:
   * a lab whose files are damaged comes back with `problem` set.
   * @throws UsageError when `name` is not a lab name or the lab has no State file (it is not running).
   */
  static statusOf(name: string): Promise<LabStatus> {
    return labStatusOrProblem(requireLabName(name, 'LAB'));
  }

  /**
   * Takes a lab down by name (idempotent: a lab that is not there is a no-op
   * report with found=false). Waits while another command holds the lab.
   * @throws UsageError when `name` is not a lab name (nothing is touched).
   */
  static async down(name: string, opts: DownOptions = {}): Promise<DownReport> {
    return takeDown(requireLabName(name, 'Lab.down'), opts);
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
    const [{ labRoots }, { nodeContext }] = await Promise.all([import('./images.js'), import('./steps-run.js')]);
    this.roots ??= labRoots(this.name);
    return nodeContext(this.name, this.topology, n, rec.pid, this.roots.get(node)).exec(argv, opts);
  }

  /**
   * PID 1 of `node` on the host as the lab's State file records it (undefined
   * for a node the lab does not have or that never started); whether it
   * still runs is another matter (linkCounters, status).
   */
  nodePid(node: string): number | undefined {
    return this.state.nodes[node]?.pid;
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
   * Interface counters of every node (or of `nodes`), which nodes run and which are paused, read
   * cheaply enough for a live view of 1,000 nodes every second
   * (src/observe/link-counters.ts). Two readings make rates.
   */
  linkCounters(nodes?: readonly string[]): Promise<LinkCounters> {
    // The layout is the host's and does not change while the lab is open: read once (a 1,000-node lab's
    // mountinfo has a line per `ip netns` name, parsed every second otherwise).
    this.counterReader ??= new LinkCounterReader(this.topology, this.state, detectCgroups());
    return this.counterReader.read(nodes);
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
    const [{ getKind }, { nodeContext }] = await Promise.all([import('../daemons/registry.js'), import('./steps-run.js')]);
    const kind = getKind(n.kind);
    if (!rec || !isAlive(rec) || !kind.health) return [];
    return kind.health(nodeContext(this.name, this.topology, n, rec.pid));
  }

  /**
   * A router's OSPF neighbours and BGP sessions as its daemon reports them
   * (src/lab/neighbors.ts); empty for a node that is no router.
   * @throws UsageError for a node the lab does not have.
   */
  async neighbors(node: string): Promise<RouterNeighbors> {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    const { routerNeighbors } = await import('./neighbors.js');
    return routerNeighbors(this.topology, n, (x, argv, o) => this.exec(x, argv, o));
  }

  /**
   * Changes the egress shaping of several endpoints (`r1:eth1`) at once, under
   * one hold of the lab's lock (`netlab link set --both` gives both ends):
   * `change` is merged over what is in effect unless `opts.reset`; a value of 0
   * removes that impairment. Rates in bit/s, times in ms, percentages 0–100
   * (the `Shaping` type). Resolves with the shaping now in effect per endpoint,
   * in the order given.
   * @throws UsageError for an unknown endpoint or a combination tc refuses
   *   (jitter without delay …), nothing changed; KernelError when the kernel
   *   refuses (no sch_netem); NetlabError when another command holds the lab
   *   for the whole wait.
   */
  setShaping(endpoints: readonly string[], change: Shaping, opts: { reset?: boolean } & LinkChangeOptions = {}): Promise<Shaping[]> {
    return setShaping(this.name, [...endpoints], change, opts.reset ?? false, opts);
  }

  /**
   * State, shaping in effect and counters of every interface (or of
   * `endpoints`) — `netlab link show`. Without `endpoints`, an interface that
   * is gone (its node or its peer died) is listed with `gone` set and no state.
   * @throws UsageError when a named endpoint is unknown or gone, saying why.
   */
  showLinks(endpoints?: readonly string[]): Promise<LinkReport[]> {
    return showLinks(this.name, endpoints ? [...endpoints] : undefined);
  }

  /**
   * Writes every running router's configuration (its kind's `save`: FRR,
   * BIRD) into `opts.output`, default `<topology>.saved` next to the topology
   * file (`netlab save`). Holds the lab's lock while it asks the daemons.
   * @returns the folder, the files written (node, path, bytes) and the nodes
   *   skipped with why ("r2 (not running)").
   * @throws UsageError when the lab is no longer running or the folder cannot
   *   be written; NetlabError when another command holds the lab for the whole wait.
   */
  async save(opts: { output?: string; onWarning?: (text: string) => void } = {}): Promise<SaveReport> {
    const { saveConfigs } = await import('./save.js');
    return saveConfigs(this.name, opts.output, { onWarning: opts.onWarning });
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

  /**
   * Starts a packet capture: one pcapng with an interface block per endpoint
   * (`r1:eth1`), packets in time order (src/observe/capture.ts). Await
   * `ready` before making traffic, `done` for the report; `stop()` ends it.
   * @throws UsageError for an unknown endpoint or LAN, a named node that is
   *   not running, or an output that cannot be written.
   */
  capture(opts: CaptureOptions): Capture {
    return startCapture(this.name, captureTargets(this.topology, (n) => this.runningNode(n), opts), opts);
  }

  /**
   * Every node's counters once: CPU time, memory, tasks, block I/O and OOM
   * kills from its cgroups, interface counters from netlink
   * (src/observe/stats.ts). Two samples make rates: statsBetween(a, b).
   */
  sample(): Promise<LabSample> {
    return sampleLab(this.topology, this.state, detectCgroups());
  }

  /**
   * What each node uses over `intervalMs` (default 1000): CPU %, memory
   * (anonymous, file, kernel), tasks, block I/O, bytes/packets/drops per
   * second per interface, OOM kills; dead nodes are listed as dead.
   */
  async stats(opts: { intervalMs?: number } = {}): Promise<LabStats> {
    const a = await this.sample();
    await sleep(opts.intervalMs ?? 1000);
    const b = await this.sample();
    return statsBetween(a, b, oomOf(b));
  }

  /**
   * Freezes every process of `node` (the cgroup freezer): its links stay up,
   * so neighbours notice only when their dead interval expires.
   * @throws UsageError for an unknown node, one that is not running or already paused.
   */
  async pause(node: string): Promise<void> {
    const target = this.nodeTarget(node);
    return (await import('../events/nodes.js')).pauseNode(target);
  }

  /** Thaws a paused node. @throws UsageError for an unknown node, or one that is not paused. */
  async resume(node: string): Promise<void> {
    const target = this.nodeTarget(node);
    return (await import('../events/nodes.js')).resumeNode(target);
  }

  /**
   * Restarts the node's daemons (and `cmd`) from the config files now in it,
   * and waits until they are ready.
   * @throws UsageError for an unknown, dead or paused node; NetlabError when a daemon does not come back.
   */
  async restart(node: string): Promise<void> {
    const target = this.nodeTarget(node);
    return (await import('../events/nodes.js')).restartNode(target);
  }

  /** The lab's events: what is scheduled (with the next time), what ran, when, and what failed. */
  events(): EventsReport {
    return eventsReport(this.name);
  }

  /**
   * Schedules one more event on the running lab: `raw` as an item of
   * `events:` (src/events/spec.ts), durations counted from now. The
   * supervisor is told, or started when none runs.
   * @throws TopologyError (exit 2) for an unknown node or endpoint, a clock
   *   time in the past, or an overlap with the lab's other events;
   *   NetlabError when it sets delay or loss and the kernel has no netem.
   */
  async addEvent(raw: unknown): Promise<EventSpec> {
    return addEvent(this.topology, detectCgroups(), raw, Date.now(), async (e) => {
      if (e.action.op !== 'shape' || !hasImpairment({ ...e.action.set, ...e.action.ramp?.from, ...e.action.ramp?.to })) return;
      const support = await probeQdiscSupport();
      if (!support.netem) {
        throw new NetlabError(`events[${e.index}].shape`, 'delay, jitter, loss, corrupt, duplicate and reorder need the kernel\'s netem qdisc (sch_netem), which this machine lacks',
          'load it: modprobe sch_netem; or shape only rate: on this machine (netlab doctor lists what works)');
      }
    });
  }

  /** What `netlab validate` needs to measure `after:` tests on this lab (src/events/hooks.ts). */
  eventHooks(): EventHooks {
    return eventHooks(this.name);
  }

  /** @throws UsageError for a node the lab does not have. */
  private nodeTarget(node: string): NodeTarget {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`lab ${this.name}`, `has no node "${node}"`, `its nodes: ${this.topology.nodes.map((x) => x.name).slice(0, 20).join(', ')}`);
    const record = this.state.nodes[node];
    if (!record) throw new UsageError(`${this.name}/${node}`, 'was never started', `netlab status ${this.name}`);
    return { layout: detectCgroups(), topology: this.topology, node: n, record };
  }

  /** A node's PID 1 when it is running (as the State file has it), else undefined. */
  private runningNode(node: string): { pid: number; startTime: number } | undefined {
    const rec = this.state.nodes[node];
    return rec && isAlive(rec) ? rec : undefined;
  }

  /** The lab's status (nodes, liveness, interfaces, shaping, daemons). */
  status(): Promise<LabStatus> {
    return labStatus(this.name);
  }

  /** Takes the lab down: everything it created is removed (waits while another command holds the lab). */
  down(opts: DownOptions = {}): Promise<DownReport> {
    return takeDown(this.name, opts);
  }
}

/** mtime and size of a lab's State file and topology.json ('' for a missing one). */
function filesVersion(lab: string): string {
  const sig = (path: string): string => {
    try { const st = statSync(path); return `${st.mtimeMs}:${st.size}:${st.ino}`; } catch { return ''; }
  };
  return `${sig(stateFile(lab))}|${sig(labPath(lab, 'topology.json'))}`;
}

/** Whether a lab's State could be read, by the State file's signature when it was read (a cache: the web UI asks every 2 s, and a 1,000-node lab's State takes milliseconds to parse). */
const stateReadable = new Map<string, { sig: string; ok: boolean }>();

/** Whether `lab` has a State that can be read (as stateOf), parsed again only when its file changed. */
function hasState(lab: string): boolean {
  let sig: string;
  try { const st = statSync(stateFile(lab)); sig = `${st.mtimeMs}:${st.size}:${st.ino}`; } catch { stateReadable.delete(lab); return false; }
  const known = stateReadable.get(lab);
  if (known?.sig === sig) return known.ok;
  const ok = stateOf(lab) !== undefined;
  stateReadable.set(lab, { sig, ok });
  return ok;
}

/** A lab's State, or undefined when it has none or it cannot be read (a symbolic link in the way). */
function stateOf(lab: string): State | undefined {
  try { return readState(lab).state; } catch { return undefined; }
}
