/**
 * A node's cgroups as a meter: CPU time, memory (anonymous, file, kernel),
 * tasks, block I/O, OOM kills and the freezer, read from the files the kernel
 * keeps in each cgroup (cgroup-v2.rst; cgroup-v1/memory.rst, cpuacct.rst,
 * blkio-controller.rst, pids.rst, freezer-subsystem.rst).
 *
 * Which file answers depends on the host (src/core/cgroup-layout.ts):
 *  | counter  | cgroup2 node dir (pure v2, hybrid's unified tree) | v1 node dir                                 |
 *  | CPU      | cpu.stat usage_usec (always there, no controller)  | cpuacct.usage (ns)                          |
 *  | memory   | memory.stat anon/file/kernel, memory.current/max   | memory.stat total_rss/total_cache, memory.kmem.usage_in_bytes, memory.usage_in_bytes/limit_in_bytes |
 *  | tasks    | pids.current, pids.max                             | pids.current, pids.max                      |
 *  | block IO | io.stat rbytes/wbytes/rios/wios                    | blkio.throttle.io_service_bytes/io_serviced |
 *  | OOM      | memory.events oom_kill                             | memory.oom_control oom_kill                 |
 *  | frozen   | cgroup.events frozen                               | freezer.state                               |
 * The cgroup2 file wins where both exist. A counter whose controller gives the
 * node no cgroup of its own is absent (undefined), never the lab's total; CPU
 * and memory then fall back to the node's processes (/proc/PID/stat,
 * /proc/PID/status), marked `source: 'proc'`.
 *
 * The parsers are pure; `readNodeCounters` does the reading.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { labCgroup } from '../core/cgroups.js';

/** Raw counters of one node at one moment. Bytes, µs, counts. */
export interface NodeCounters {
  /** CPU time used by the node's processes, µs (user + system). */
  cpuUsec: number;
  /** Where cpuUsec comes from: the node's cgroup, or a sum over its live processes (misses exited ones). */
  cpuSource: 'cgroup' | 'proc';
  memory: MemoryCounters;
  /** Tasks (processes and threads) now, and the limit. */
  pids?: { current: number; max?: number };
  /** Block I/O since the node started (all devices). */
  io?: { readBytes: number; writeBytes: number; readOps: number; writeOps: number };
  /** Processes of the node the OOM killer killed since it started (memory.events / memory.oom_control). */
  oomKills: number;
  /** The node is frozen (netlab node pause). */
  frozen: boolean;
}

/** Memory of one node, bytes. */
export interface MemoryCounters {
  /** Anonymous memory: heaps and stacks of the node's processes. */
  anonBytes: number;
  /** File-backed memory: page cache, including the node's in-memory files (its upper layer is tmpfs: shmem). */
  fileBytes: number;
  /** Kernel memory charged to the node (slab, stacks, page tables, sockets); undefined from /proc. */
  kernelBytes?: number;
  /** What the cgroup counts in all (memory.current / memory.usage_in_bytes); anon + file from /proc. */
  totalBytes: number;
  /** The node's memory limit, when it has one. */
  limitBytes?: number;
  /** 'cgroup': the node's own memory cgroup; 'proc': summed from /proc/PID/status (RssAnon, RssFile + RssShmem). */
  source: 'cgroup' | 'proc';
}

/** `key value` lines (cpu.stat, memory.stat, memory.events, memory.oom_control) → map. Pure. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** v2 io.stat (`8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`), summed over devices. Pure. */
export function parseIoStat(text: string): NonNullable<NodeCounters['io']> {
  const io = { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
  for (const m of text.matchAll(/\b(rbytes|wbytes|rios|wios)=(\d+)/g)) {
    const n = Number(m[2]);
    if (m[1] === 'rbytes') io.readBytes += n; else if (m[1] === 'wbytes') io.writeBytes += n;
    else if (m[1] === 'rios') io.readOps += n; else io.writeOps += n;
  }
  return io;
}

/** v1 blkio.throttle.io_service_bytes / io_serviced (`8:0 Read 123`), Read and Write summed over devices. Pure. */
export function parseBlkio(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/^\d+:\d+ (Read|Write) (\d+)$/gm)) {
    if (m[1] === 'Read') read += Number(m[2]); else write += Number(m[2]);
  }
  return { read, write };
}

/**
 * Memory of a v2 memory.stat (pure): anon, file, and `kernel` (6.0+) or the
 * sum of its parts on older kernels (kernel_stack, pagetables, sec_pagetables,
 * percpu, sock, slab).
 */
export function memoryV2(stat: Map<string, number>, current: number, max: string): MemoryCounters {
  const kernel = stat.get('kernel') ?? ['kernel_stack', 'pagetables', 'sec_pagetables', 'percpu', 'sock', 'slab'].reduce((s, k) => s + (stat.get(k) ?? 0), 0);
  return { anonBytes: stat.get('anon') ?? 0, fileBytes: stat.get('file') ?? 0, kernelBytes: kernel, totalBytes: current, ...limit(max), source: 'cgroup' };
}

/** Memory of a v1 memory cgroup (pure): total_rss (anonymous), total_cache (file, shmem included), kmem usage. */
export function memoryV1(stat: Map<string, number>, usage: number, kmem: number | undefined, limitText: string): MemoryCounters {
  return {
    anonBytes: stat.get('total_rss') ?? stat.get('rss') ?? 0, fileBytes: stat.get('total_cache') ?? stat.get('cache') ?? 0,
    ...(kmem !== undefined ? { kernelBytes: kmem } : {}), totalBytes: usage, ...limit(limitText), source: 'cgroup',
  };
}

/** "max", v1's "no limit" (≥ 2^62), or bytes. */
function limit(text: string): { limitBytes?: number } {
  const t = text.trim();
  if (!t || t === 'max') return {};
  const n = Number(t);
  return Number.isFinite(n) && n < 2 ** 62 ? { limitBytes: n } : {};
}

/** RssAnon, RssFile, RssShmem of /proc/PID/status, bytes. Pure. */
export function parseProcStatus(text: string): { anon: number; file: number } {
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

/** utime + stime of /proc/PID/stat, clock ticks. Pure. */
export function procCpuTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11] ?? 0) + Number(rest[12] ?? 0);
}

function read(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

/** The node's cgroup directory in hierarchy `mount`, when the node has one there. */
function own(mount: string | undefined, lab: string, node: string, file: string): string | undefined {
  if (!mount) return undefined;
  const dir = join(labCgroup(mount, lab), node);
  return read(join(dir, file)) === undefined ? undefined : dir;
}

function v1Mount(layout: CgroupLayout, controller: string): string | undefined {
  return layout.v1.find((h) => h.controllers.includes(controller))?.mount;
}

/** Pids in a cgroup directory and below (cgroup.procs of each: traffic-class cgroups sit below a node's). */
export function cgroupPids(dir: string): number[] {
  const pids = (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
  let subs: string[] = [];
  try { subs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { /* gone */ }
  for (const s of subs) pids.push(...cgroupPids(join(dir, s)));
  return pids;
}

/** The processes of a node: by its cgroup2 directory, else its v1 pids cgroup. */
export function nodePids(layout: CgroupLayout, lab: string, node: string): number[] {
  const dir = own(layout.unified, lab, node, 'cgroup.procs') ?? own(v1Mount(layout, 'pids'), lab, node, 'cgroup.procs');
  return dir ? cgroupPids(dir) : [];
}

/** Clock ticks per second of /proc/PID/stat (sysconf(_SC_CLK_TCK); 100 on every Linux architecture netlab runs on). */
const CLK_TCK = 100;

/**
 * Reads every counter of node `node` of lab `lab` from its cgroups (and
 * /proc where the node has no cgroup of its own for a controller).
 */
export function readNodeCounters(layout: CgroupLayout, lab: string, node: string): NodeCounters {
  const u = layout.unified;
  const v2 = own(u, lab, node, 'cgroup.procs');
  const at = (dir: string | undefined, file: string): string | undefined => (dir ? read(join(dir, file)) : undefined);
  let pidsCache: number[] | undefined;
  const pids = (): number[] => (pidsCache ??= nodePids(layout, lab, node));

  // CPU
  let cpuUsec: number | undefined;
  let cpuSource: 'cgroup' | 'proc' = 'cgroup';
  const cpuStat = at(v2, 'cpu.stat');
  if (cpuStat !== undefined) cpuUsec = parseKeyValues(cpuStat).get('usage_usec');
  if (cpuUsec === undefined) {
    const acct = at(own(v1Mount(layout, 'cpuacct'), lab, node, 'cpuacct.usage'), 'cpuacct.usage');
    if (acct !== undefined) cpuUsec = Math.round(Number(acct.trim()) / 1000);
  }
  if (cpuUsec === undefined) {
    cpuSource = 'proc';
    cpuUsec = pids().reduce((s, p) => s + procCpuTicks(read(`/proc/${p}/stat`) ?? ''), 0) * (1_000_000 / CLK_TCK);
  }

  // memory
  let memory: MemoryCounters | undefined;
  let oomKills = 0;
  const v2mem = at(v2, 'memory.stat');
  if (v2mem !== undefined) {
    memory = memoryV2(parseKeyValues(v2mem), Number(at(v2, 'memory.current') ?? 0), at(v2, 'memory.max') ?? 'max');
    oomKills = parseKeyValues(at(v2, 'memory.events') ?? '').get('oom_kill') ?? 0;
  } else {
    const m1 = own(v1Mount(layout, 'memory'), lab, node, 'memory.stat');
    if (m1) {
      const kmem = at(m1, 'memory.kmem.usage_in_bytes');
      memory = memoryV1(parseKeyValues(at(m1, 'memory.stat') ?? ''), Number(at(m1, 'memory.usage_in_bytes') ?? 0), kmem === undefined ? undefined : Number(kmem), at(m1, 'memory.limit_in_bytes') ?? '');
      oomKills = parseKeyValues(at(m1, 'memory.oom_control') ?? '').get('oom_kill') ?? 0;
    }
  }
  if (!memory) {
    let anon = 0;
    let file = 0;
    for (const p of pids()) {
      const s = parseProcStatus(read(`/proc/${p}/status`) ?? '');
      anon += s.anon;
      file += s.file;
    }
    memory = { anonBytes: anon, fileBytes: file, totalBytes: anon + file, source: 'proc' };
  }

  // tasks
  const pidsDir = at(v2, 'pids.current') !== undefined ? v2 : own(v1Mount(layout, 'pids'), lab, node, 'pids.current');
  let pidsOut: NodeCounters['pids'];
  if (pidsDir) {
    const max = (at(pidsDir, 'pids.max') ?? 'max').trim();
    pidsOut = { current: Number((at(pidsDir, 'pids.current') ?? '0').trim()), ...(max === 'max' ? {} : { max: Number(max) }) };
  }

  // block I/O
  let io: NodeCounters['io'];
  const ioStat = at(v2, 'io.stat');
  if (ioStat !== undefined) io = parseIoStat(ioStat);
  else {
    const b = own(v1Mount(layout, 'blkio'), lab, node, 'blkio.throttle.io_service_bytes');
    if (b) {
      const bytes = parseBlkio(at(b, 'blkio.throttle.io_service_bytes') ?? '');
      const ops = parseBlkio(at(b, 'blkio.throttle.io_serviced') ?? '');
      io = { readBytes: bytes.read, writeBytes: bytes.write, readOps: ops.read, writeOps: ops.write };
    }
  }

  return { cpuUsec: cpuUsec ?? 0, cpuSource, memory, ...(pidsOut ? { pids: pidsOut } : {}), ...(io ? { io } : {}), oomKills, frozen: isFrozen(layout, lab, node) };
}

/** Whether the node is paused: its cgroup2 `cgroup.freeze` is 1, else its v1 freezer.state is FROZEN or FREEZING. */
export function isFrozen(layout: CgroupLayout, lab: string, node: string): boolean {
  // One read per node: the live view asks this of every node every second.
  const v2 = layout.unified ? read(join(labCgroup(layout.unified, lab), node, 'cgroup.freeze')) : undefined;
  if (v2 !== undefined) return v2.trim() === '1';
  const v1 = v1Mount(layout, 'freezer');
  return v1 ? /FROZEN|FREEZING/.test(read(join(labCgroup(v1, lab), node, 'freezer.state')) ?? '') : false;
}

/** The node's OOM kill count alone (two small reads at most; for `status`). */
export function readOomCount(layout: CgroupLayout, lab: string, node: string): number {
  const v2 = own(layout.unified, lab, node, 'memory.events');
  if (v2) return parseKeyValues(read(join(v2, 'memory.events')) ?? '').get('oom_kill') ?? 0;
  const v1 = own(v1Mount(layout, 'memory'), lab, node, 'memory.oom_control');
  return v1 ? parseKeyValues(read(join(v1, 'memory.oom_control')) ?? '').get('oom_kill') ?? 0 : 0;
}

/** OOM kills of every node of a lab together, from the lab's cgroup2 memory.events (hierarchical on v2); 0 without one. */
export function labOomCount(layout: CgroupLayout, lab: string): number {
  return layout.unified ? parseKeyValues(read(join(labCgroup(layout.unified, lab), 'memory.events')) ?? '').get('oom_kill') ?? 0 : 0;
}
