/**
 * A running lab's interface counters, read cheaply enough to refresh every
 * second on a 1,000-node lab (the web UI's live view): each running node's
 * /proc/PID/net/dev — the kernel prints the counters of the network namespace
 * of that process (proc(5), net/core/net-procfs.c) — so no namespace is
 * entered and no socket opened. Shaped interfaces add the drops of their root
 * qdisc (tbf/htb/netem drop there, and /proc/net/dev does not count them),
 * read through the link commands' netlink path. The counters have the shape
 * of `netlab stats`' (src/observe/stats.ts, which reads them over netlink
 * inside each namespace: exact, but a namespace entered per node).
 */
import { readFileSync } from 'node:fs';
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { isAlive } from '../core/node.js';
import { isFrozen } from './cgroup-read.js';
import type { InterfaceCounters } from './stats.js';
import type { Topology } from '../topology/types.js';
import { showLinks } from '../lab/links.js';
import type { State } from '../lab/state.js';

export type { InterfaceCounters };

/** A lab's counters at one moment. */
export interface LinkCounters {
  /** When they were read, ms (Date.now()). */
  atMs: number;
  /** Whether each node's PID 1 runs, by name. */
  running: Record<string, boolean>;
  /** By endpoint (`r1:eth1`); an interface of a dead node, or one that vanished, is absent. */
  interfaces: Record<string, InterfaceCounters>;
  /** Running nodes that are paused (`netlab node pause`: their cgroup frozen), when the cgroup layout was given. */
  paused?: string[];
}

/**
 * Parses /proc/net/dev (pure): interface name → counters (qdiscDropped 0).
 * Lines other than `name: 16 numbers` (the two headers) are skipped.
 */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const out = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 16 || f.some((x) => !Number.isFinite(x))) continue;
    const name = line.slice(0, colon).trim();
    out.set(name, { name, rxBytes: f[0]!, rxPackets: f[1]!, rxDropped: f[3]!, txBytes: f[8]!, txPackets: f[9]!, txDropped: f[11]!, qdiscDropped: 0 });
  }
  return out;
}

/** Nodes whose liveness and freezer state are verified every reading; above this, they are verified in turn. */
export const VERIFY_ALL_UP_TO = 200;

/**
 * A reading gives the event loop a turn (setImmediate) after this many ms of
 * reading: netlab ui's keystroke echo waited behind whole readings (p95
 * 47-66 ms at 1,000 nodes, docs/performance.md).
 */
export const READ_SLICE_MS = 4;

/**
 * Reads a lab's counters again and again (the web UI's live view, every
 * second): each reading reads /proc/PID/net/dev of the nodes asked for. On a
 * lab of more than VERIFY_ALL_UP_TO nodes, the two other reads per node —
 * /proc/PID/stat (is PID 1 still that node: isAlive) and the freezer state
 * (paused) — are made for a share of the nodes in turn, each node at least
 * every ceil(nodes / VERIFY_ALL_UP_TO) readings (5 at 1,000 nodes): a node
 * whose net/dev cannot be read is dead at once (a PID that exited, also a
 * zombie, has no network namespace to show, proc(5)); a pause shows within
 * that many readings. Reading all three per node every second cost more
 * than the 5 % of a core issue 19 allows at 1,000 nodes (docs/performance.md).
 */
export class LinkCounterReader {
  private turn = 0;
  private readonly alive = new Map<string, boolean>();
  private readonly frozen = new Map<string, boolean>();

  /** `layout`: the host's cgroups, for paused nodes (without it, `paused` is left out). */
  constructor(private readonly t: Topology, private readonly state: State, private readonly layout?: CgroupLayout) {}

  /**
   * One reading of the lab interfaces of `nodes` (default: every node with an
   * interface). Never throws for a node that died meanwhile: its interfaces
   * are left out and it is reported not running.
   */
  async read(nodes?: readonly string[]): Promise<LinkCounters> {
    const { t, state, layout } = this;
    const atMs = Date.now();
    const running: Record<string, boolean> = {};
    const paused: string[] = [];
    const interfaces: Record<string, InterfaceCounters> = {};
    const wanted = nodes ? new Set(nodes) : undefined;
    const shaped: string[] = [];
    const spread = Math.max(1, Math.ceil(t.nodes.length / VERIFY_ALL_UP_TO));
    const turn = this.turn++ % spread;
    let sliceAt = performance.now();
    for (let index = 0; index < t.nodes.length; index++) {
      // A reading of 1,000 nodes is tens of ms of file reads: in slices, so that the process's other
      // work (a terminal's keystrokes and echo in netlab ui) waits for one slice, not the whole reading.
      if (performance.now() - sliceAt > READ_SLICE_MS) { await new Promise((r) => setImmediate(r)); sliceAt = performance.now(); }
      const n = t.nodes[index]!;
      const rec = state.nodes[n.name];
      const verify = index % spread === turn || !this.alive.has(n.name);
      let alive = !!rec && (verify ? isAlive(rec) : this.alive.get(n.name)!);
      let dev: Map<string, InterfaceCounters> | undefined;
      if (alive && n.interfaces.length && (!wanted || wanted.has(n.name))) {
        try { dev = parseNetDev(readFileSync(`/proc/${rec!.pid}/net/dev`, 'utf8')); } catch { alive = false; }
      }
      // A node found dead is verified again at the next reading (a restarted lab is opened anew).
      if (alive) this.alive.set(n.name, true); else this.alive.delete(n.name);
      running[n.name] = alive;
      if (alive && layout) {
        if (verify || !this.frozen.has(n.name)) this.frozen.set(n.name, isFrozen(layout, t.name, n.name));
        if (this.frozen.get(n.name)) paused.push(n.name);
      }
      if (!dev) continue;
      for (const i of n.interfaces) {
        const c = dev.get(i.name);
        if (!c) continue;
        interfaces[`${n.name}:${i.name}`] = c;
        if (i.shaping && Object.keys(i.shaping).length) shaped.push(`${n.name}:${i.name}`);
      }
    }
    if (shaped.length) {
      // Few interfaces are shaped; one that vanished since is skipped, not an error.
      const reports = await showLinks(t.name, shaped).catch(() => Promise.all(shaped.map((e) => showLinks(t.name, [e]).catch(() => []))).then((r) => r.flat()));
      for (const r of reports) {
        const c = interfaces[r.endpoint];
        if (c && r.shaping && r.shaping.layout !== 'none') c.qdiscDropped = r.shaping.counters.dropped;
      }
    }
    return { atMs, running, interfaces, ...(layout ? { paused } : {}) };
  }
}

/**
 * Reads the counters of the lab interfaces of `nodes` (default: every node
 * with an interface), which nodes run, and — with the cgroup `layout` — which
 * of them are paused (one small cgroup file per running node: cgroup.freeze
 * or freezer.state). One reading of a new LinkCounterReader: every node
 * verified. Never throws for a node that died meanwhile: its interfaces are left out.
 */
export async function readLinkCounters(t: Topology, state: State, nodes?: readonly string[], layout?: CgroupLayout): Promise<LinkCounters> {
  return new LinkCounterReader(t, state, layout).read(nodes);
}
