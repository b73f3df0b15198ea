/**
 * Which process of a node the OOM killer killed, and when. The cgroup files
 * only count kills (memory.events oom_kill, memory.oom_control oom_kill); the
 * name and time are in the kernel log, one line per kill
 * (mm/oom_kill.c dump_oom_victim / __oom_kill_process):
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=/netlab/tri/r3,task_memcg=/netlab/tri/r3,task=zebra,pid=4242,uid=0
 *
 * read from /dev/kmsg (dev-kmsg ABI, Documentation/ABI/testing/dev-kmsg:
 * `priority,sequence,µs since boot,flags;message`). Only asked for when a
 * node's counter says there was a kill; a record the ring buffer has already
 * overwritten is reported as a count without a name.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';

/** One kill of a node's process by the OOM killer. */
export interface OomKill {
  /** The node whose process died. */
  node: string;
  /** The process name (comm), e.g. `zebra`. */
  process: string;
  /** Its PID on the host. */
  pid: number;
  /** When, ISO 8601 (from the kernel log's monotonic time stamp). */
  at: string;
}

/** One oom-kill record of the kernel log (pure parse). */
export interface OomRecord {
  /** µs since boot (the record's time stamp). */
  tsUsec: number;
  /** task_memcg: the cgroup of the killed task, e.g. /netlab/tri/r3 or /netlab/tri/r3/class-bulk. */
  memcg: string;
  task: string;
  pid: number;
}

/** The oom-kill records in /dev/kmsg text (one record per line). Pure. */
export function parseOomRecords(text: string): OomRecord[] {
  const out: OomRecord[] = [];
  for (const line of text.split('\n')) {
    const semi = line.indexOf(';');
    if (semi < 0) continue;
    const msg = line.slice(semi + 1);
    if (!msg.startsWith('oom-kill:')) continue;
    const ts = Number(line.slice(0, semi).split(',')[2]);
    const field = (k: string): string => new RegExp(`[:,]${k}=([^,]*)`).exec(msg)?.[1] ?? '';
    out.push({ tsUsec: ts, memcg: field('task_memcg') || field('oom_memcg'), task: field('task'), pid: Number(field('pid')) });
  }
  return out;
}

/**
 * The kills of lab `lab`'s nodes among `records` (pure), by node, oldest
 * first. `bootMs`: wall-clock time of boot in ms, to date the records.
 */
export function oomKillsOf(records: OomRecord[], lab: string, bootMs: number): OomKill[] {
  const prefix = `/netlab/${lab}/`;
  const out: OomKill[] = [];
  for (const r of records) {
    if (!r.memcg.startsWith(prefix)) continue;
    const node = r.memcg.slice(prefix.length).split('/')[0];
    if (!node) continue;
    out.push({ node, process: r.task, pid: r.pid, at: new Date(bootMs + r.tsUsec / 1000).toISOString() });
  }
  return out;
}

/** Wall-clock ms of boot on the kernel log's clock (CLOCK_MONOTONIC: what process.hrtime reads). */
function bootMs(): number {
  return Date.now() - Number(process.hrtime.bigint() / 1_000_000n);
}

/**
 * Every record of the kernel log, as text (one per line). Reads /dev/kmsg
 * without blocking until it says there is no more (EAGAIN); '' when it cannot
 * be read (not root, or a container without it).
 */
export function readKernelLog(): string {
  let fd: number;
  try { fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK); } catch { return ''; }
  const buf = Buffer.alloc(16384);
  const parts: string[] = [];
  try {
    for (;;) {
      let n: number;
      try { n = readSync(fd, buf, 0, buf.length, null); } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // records overwritten while reading: go on with the next
        break; // EAGAIN: the end
      }
      if (n <= 0) break;
      parts.push(buf.toString('utf8', 0, n).split('\n')[0]!);
    }
  } finally {
    closeSync(fd);
  }
  return parts.join('\n');
}

/** The OOM kills of lab `lab`'s nodes that the kernel log still holds. */
export function readOomKills(lab: string): OomKill[] {
  return oomKillsOf(parseOomRecords(readKernelLog()), lab, bootMs());
}

/** "zebra killed by the OOM killer at 12:01:07" (pure; local time). */
export function describeOomKill(k: OomKill): string {
  const d = new Date(k.at);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${k.process} killed by the OOM killer at ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
