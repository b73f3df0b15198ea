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

/**
 * Reads the counters of the lab interfaces of `nodes` (default: every node
 * with an interface), which nodes run, and — with the cgroup `layout` — which
 * of them are paused (one small cgroup file per running node: cgroup.freeze or freezer.state). Never throws for a node that died
 * meanwhile: its interfaces are left out.
 */
export async function readLinkCounters(t: Topology, state: State, nodes?: readonly string[], layout?: CgroupLayout): Promise<LinkCounters> {
  const atMs = Date.now();
  const running: Record<string, boolean> = {};
  const paused: string[] = [];
  const interfaces: Record<string, InterfaceCounters> = {};
  const wanted = nodes ? new Set(nodes) : undefined;
  const shaped: string[] = [];
  for (const n of t.nodes) {
    const rec = state.nodes[n.name];
    const alive = !!rec && isAlive(rec);
    running[n.name] = alive;
    if (alive && layout && isFrozen(layout, t.name, n.name)) paused.push(n.name);
    if (!alive || !n.interfaces.length || (wanted && !wanted.has(n.name))) continue;
    let text: string;
    try { text = readFileSync(`/proc/${rec!.pid}/net/dev`, 'utf8'); } catch { running[n.name] = false; continue; }
    const dev = parseNetDev(text);
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
