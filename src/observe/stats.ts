/**
 * `netlab stats` / `lab.stats()`: what each node uses — CPU %, memory
 * (anonymous, file, kernel), tasks, block I/O — from its cgroups
 * (src/observe/cgroup-read.ts), and what each interface moves — bytes,
 * packets and drops per second — from netlink counters (IFLA_STATS64 of an
 * RTM_GETLINK dump, and the root qdisc's drops of an RTM_GETQDISC dump,
 * inside each node's namespace through one Rtnl socket).
 *
 * A rate needs two samples: `sampleLab` reads counters once; `statsBetween`
 * (pure) turns two samples into rates. `lab.stats()` samples twice,
 * `intervalMs` apart; `netlab stats --watch` keeps the previous sample.
 */
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { closeNetns, openNetns } from '../core/netns.js';
import { isAlive } from '../core/node.js';
import type { State } from '../lab/state.js';
import { linkBody, parseLink, parseTc, tcBody } from '../net/messages.js';
import { readU64 } from '../net/nlattr.js';
import { RTM, Rtnl } from '../net/rtnl.js';
import { decodeCounters } from '../shaping/read.js';
import { TC_H_ROOT } from '../shaping/tcmath.js';
import type { Topology } from '../topology/types.js';
import { readNodeCounters, type MemoryCounters, type NodeCounters } from './cgroup-read.js';
import { readOomKills, type OomKill } from './oom.js';

/** Counters of one interface since it was made. */
export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** Dropped on receive / send by the device (rx_dropped, tx_dropped). */
  rxDropped: number;
  txDropped: number;
  /** Dropped by the root qdisc: shaping's queue full, netem's loss. */
  qdiscDropped: number;
}

/** One node at one moment. */
export interface NodeSample {
  node: string;
  kind: string;
  state: 'running' | 'dead';
  /** Absent for a dead node. */
  counters?: NodeCounters;
  /** The node's lab interfaces that exist now (a vanished one is left out). */
  interfaces: InterfaceCounters[];
}

/** A lab at one moment. */
export interface LabSample {
  lab: string;
  /** When it was read, ms (Date.now()). */
  atMs: number;
  nodes: NodeSample[];
}

/** One interface's rates over a sampling interval (per second), with the counters at its end. */
export interface InterfaceStats {
  name: string;
  rxBytesPerS: number;
  txBytesPerS: number;
  rxPacketsPerS: number;
  txPacketsPerS: number;
  /** Device drops (both directions) and qdisc drops, per second. */
  dropsPerS: number;
  totals: InterfaceCounters;
}

/** One node's use over a sampling interval. */
export interface NodeStats {
  node: string;
  kind: string;
  /** 'paused': frozen by `netlab node pause`. */
  state: 'running' | 'paused' | 'dead';
  /** CPU use over the interval, percent of one CPU (200 = two CPUs busy); undefined without a previous sample. */
  cpuPercent?: number;
  /** CPU time since the node started, µs, and where it is read from. */
  cpuUsec?: number;
  cpuSource?: 'cgroup' | 'proc';
  memory?: MemoryCounters;
  pids?: { current: number; max?: number };
  /** Block I/O per second over the interval, and the totals. */
  io?: { readBytesPerS: number; writeBytesPerS: number; readOpsPerS: number; writeOpsPerS: number; readBytes: number; writeBytes: number };
  /** Processes of the node the OOM killer killed since it started. */
  oomKills: number;
  /** Those kills with name and time, as far as the kernel log still holds them. */
  oom: OomKill[];
  interfaces: InterfaceStats[];
}

/** A lab's use over a sampling interval. */
export interface LabStats {
  lab: string;
  /** End of the interval, ISO 8601. */
  at: string;
  /** Length of the interval, ms (0 for a single sample). */
  intervalMs: number;
  nodes: NodeStats[];
}

/** The lab interfaces of one node's namespace, with counters: one link dump, one qdisc dump. */
async function interfaceCounters(pid: number, node: string, names: Set<string>): Promise<InterfaceCounters[]> {
  const fd = openNetns(pid, `node ${node}`);
  let sock: Rtnl | undefined;
  try {
    sock = Rtnl.open({ netnsFd: fd, label: `node ${node}` });
    const links = (await sock.dump(RTM.GETLINK, linkBody({}), { object: `interfaces of node ${node}` })).map(parseLink);
    const qdiscs = (await sock.dump(RTM.GETQDISC, tcBody({ ifindex: 0 }), { object: `qdiscs of node ${node}` })).map(parseTc);
    const rootDrops = new Map<number, number>();
    for (const q of qdiscs) {
      if (q.parent !== TC_H_ROOT) continue;
      rootDrops.set(q.ifindex, decodeCounters(q.stats2, q.stats).dropped);
    }
    const out: InterfaceCounters[] = [];
    for (const l of links) {
      if (!l.name || !names.has(l.name)) continue;
      // struct rtnl_link_stats64 (include/uapi/linux/if_link.h): rx_packets 0, tx_packets 8,
      // rx_bytes 16, tx_bytes 24, rx_errors 32, tx_errors 40, rx_dropped 48, tx_dropped 56
      const st = l.stats64 && l.stats64.length >= 64 ? l.stats64 : undefined;
      const at = (off: number): number => (st ? readU64(st, off) : 0);
      out.push({
        name: l.name, rxBytes: at(16), txBytes: at(24), rxPackets: at(0), txPackets: at(8),
        rxDropped: at(48), txDropped: at(56), qdiscDropped: rootDrops.get(l.ifindex) ?? 0,
      });
    }
    return out;
  } finally {
    sock?.close();
    closeNetns(fd);
  }
}

/**
 * Reads every node's counters once (cgroups, then netlink inside each running
 * node, 8 nodes at a time).
 */
export async function sampleLab(t: Topology, state: State, layout: CgroupLayout): Promise<LabSample> {
  const nodes: NodeSample[] = t.nodes.map((n) => ({ node: n.name, kind: n.kind, state: 'dead', interfaces: [] }));
  const jobs = t.nodes.map((n, i) => async (): Promise<void> => {
    const rec = state.nodes[n.name];
    if (!rec || !isAlive(rec)) {
      // A dead node's cgroups stay until down: its OOM kills are still there to read.
      if (rec) nodes[i] = { node: n.name, kind: n.kind, state: 'dead', counters: readNodeCounters(layout, t.name, n.name), interfaces: [] };
      return;
    }
    const names = new Set([...n.interfaces.map((x) => x.name), ...(n.mgmt ? [n.mgmt.iface] : [])]);
    let interfaces: InterfaceCounters[] = [];
    try {
      interfaces = await interfaceCounters(rec.pid, n.name, names);
    } catch {
      if (isAlive(rec)) throw new Error(`cannot read the interfaces of ${n.name}`);
      return; // it died while we read
    }
    nodes[i] = { node: n.name, kind: n.kind, state: 'running', counters: readNodeCounters(layout, t.name, n.name), interfaces };
  });
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, async () => { while (next < jobs.length) await jobs[next++]!(); }));
  return { lab: t.name, atMs: Date.now(), nodes };
}

const rate = (a: number | undefined, b: number, s: number): number => (a === undefined || s <= 0 || b < a ? 0 : (b - a) / s);

/**
 * Rates between two samples of the same lab (pure); without `before`, the
 * counters of `after` with zero rates and no CPU %. `oom` are the kills the
 * kernel log names (readOomKills), attached to their nodes.
 */
export function statsBetween(before: LabSample | undefined, after: LabSample, oom: OomKill[] = []): LabStats {
  const s = before ? (after.atMs - before.atMs) / 1000 : 0;
  const prev = new Map(before?.nodes.map((n) => [n.node, n]) ?? []);
  return {
    lab: after.lab, at: new Date(after.atMs).toISOString(), intervalMs: before ? after.atMs - before.atMs : 0,
    nodes: after.nodes.map((n): NodeStats => {
      const c = n.counters;
      const p = prev.get(n.node);
      const pc = p?.state === 'running' ? p.counters : undefined;
      if (n.state === 'dead' || !c) return { node: n.node, kind: n.kind, state: 'dead', oomKills: c?.oomKills ?? 0, oom: oom.filter((k) => k.node === n.node), interfaces: [] };
      const prevIf = new Map(p?.interfaces.map((i) => [i.name, i]) ?? []);
      return {
        node: n.node, kind: n.kind, state: c.frozen ? 'paused' : 'running',
        ...(pc && s > 0 ? { cpuPercent: Math.max(0, ((c.cpuUsec - pc.cpuUsec) / 1e6 / s) * 100) } : {}),
        cpuUsec: c.cpuUsec, cpuSource: c.cpuSource, memory: c.memory,
        ...(c.pids ? { pids: c.pids } : {}),
        ...(c.io ? {
          io: {
            readBytesPerS: rate(pc?.io?.readBytes, c.io.readBytes, s), writeBytesPerS: rate(pc?.io?.writeBytes, c.io.writeBytes, s),
            readOpsPerS: rate(pc?.io?.readOps, c.io.readOps, s), writeOpsPerS: rate(pc?.io?.writeOps, c.io.writeOps, s),
            readBytes: c.io.readBytes, writeBytes: c.io.writeBytes,
          },
        } : {}),
        oomKills: c.oomKills, oom: oom.filter((k) => k.node === n.node),
        interfaces: n.interfaces.map((i): InterfaceStats => {
          const q = prevIf.get(i.name);
          const drops = (x: InterfaceCounters | undefined): number | undefined => (x ? x.rxDropped + x.txDropped + x.qdiscDropped : undefined);
          return {
            name: i.name, rxBytesPerS: rate(q?.rxBytes, i.rxBytes, s), txBytesPerS: rate(q?.txBytes, i.txBytes, s),
            rxPacketsPerS: rate(q?.rxPackets, i.rxPackets, s), txPacketsPerS: rate(q?.txPackets, i.txPackets, s),
            dropsPerS: rate(drops(q), drops(i)!, s), totals: i,
          };
        }),
      };
    }),
  };
}

/** OOM kills named in the kernel log, read only when a node's counter says there were any. */
export function oomOf(sample: LabSample): OomKill[] {
  return sample.nodes.some((n) => (n.counters?.oomKills ?? 0) > 0) ? readOomKills(sample.lab) : [];
}
