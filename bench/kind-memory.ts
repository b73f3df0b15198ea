/**
 * What one node of each kind costs the host in memory, for the table `up`
 * checks a lab against before it starts (the kinds' `memoryBytes`,
 * src/daemons/*.ts; src/lab/capacity.ts), and how much each writes to its
 * upper layer (for the default size cap, src/core/limits.ts).
 *
 *   npm run build && sudo node dist/bench/kind-memory.js [KIND[:N]]...
 *   (default: linux:200 bridge:50 frr:30 bird:30)
 *
 * Per kind, a ring of N nodes (routers run OSPF on it) is brought up with
 * Lab.up, under the kernel lock, and measured once every router is ready:
 *  - MemAvailable before `up` and after (settled), over N: what the host loses;
 *  - the PSS of every process of the lab (/proc/PID/smaps_rollup), over N;
 *  - the lab's memory cgroup (memory.usage_in_bytes on v1, memory.current on
 *    v2: processes, tmpfs pages, kernel objects charged to it), over N;
 *  - the upper layer in use (statfs of /proc/PID/root: an overlay reports its
 *    upper filesystem, the node's tmpfs), the largest of the lab.
 */
import { readFileSync, readdirSync, statfsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectCgroups } from '../src/core/cgroups.js';
import { Lab } from '../src/lab/lab.js';
import { withKernelLock } from './kernel-lock.js';
import { loadTopology } from '../src/lab/load.js';

const memAvailable = (): number => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;

function ring(kind: string, n: number): string {
  const nodes = Array.from({ length: n }, (_, i) => `  n${i}: {}`);
  const links = n > 1 ? Array.from({ length: n }, (_, i) => `  - [n${i}:e1, n${(i + 1) % n}:e2]`) : [];
  const routing = kind === 'frr' || kind === 'bird' ? 'ospf: { area: 0 }\n' : '';
  return `name: b-mem-${kind}\ndefaults: { kind: ${kind} }\n${routing}nodes:\n${nodes.join('\n')}\nlinks:\n${links.join('\n')}\n`;
}

function labPids(lab: string): number[] {
  const layout = detectCgroups();
  const root = layout.unified ?? layout.v1.find((h) => h.controllers.includes('pids'))!.mount;
  const pids: number[] = [];
  const walk = (dir: string): void => {
    try { pids.push(...readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number)); } catch { return; }
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) walk(`${dir}/${d.name}`);
  };
  walk(`${root}/netlab/${lab}`);
  return pids;
}

function pss(pid: number): number {
  try { return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024; } catch { return 0; }
}

function labMemcg(lab: string): number {
  const layout = detectCgroups();
  const v1 = layout.v1.find((h) => h.controllers.includes('memory'));
  const file = v1 ? `${v1.mount}/netlab/${lab}/memory.usage_in_bytes` : `${layout.unified}/netlab/${lab}/memory.current`;
  try { return Number(readFileSync(file, 'utf8')); } catch { return NaN; }
}

/** MemAvailable once it stops moving (the kernel frees per-cpu caches lazily): the median of a few reads. */
async function settledAvailable(): Promise<number> {
  const reads: number[] = [];
  for (let i = 0; i < 5; i++) { reads.push(memAvailable()); await sleep(400); }
  return reads.sort((a, b) => a - b)[2]!;
}

const MiB = (b: number): number => Math.round(b / 1024 ** 2 * 100) / 100;
const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['linux:200', 'bridge:50', 'frr:30', 'bird:30'];
const rows: Record<string, unknown>[] = [];
for (const spec of specs) {
  const [kind, count] = spec.split(':') as [string, string | undefined];
  const n = Number(count ?? 20);
  const t = loadTopology({ text: ring(kind, n) }, { env: {} });
  const { value } = await withKernelLock(async () => {
    const before = await settledAvailable();
    const lab = await Lab.up(t, { force: true });
    try {
      const after = await settledAvailable();
      const pids = labPids(t.name);
      const state = JSON.parse(readFileSync(`${process.env.NETLAB_RUN_DIR || '/run/netlab'}/${t.name}/state.json`, 'utf8')) as { nodes: Record<string, { pid: number }> };
      const uppers = Object.entries(state.nodes).filter(([k]) => !k.startsWith('_')).map(([, v]) => {
        const st = statfsSync(`/proc/${v.pid}/root`);
        return (st.blocks - st.bfree) * st.bsize;
      });
      return {
        kind, nodes: n,
        memAvailableDropMiB: MiB((before - after) / n),
        pssMiB: MiB(pids.reduce((s, p) => s + pss(p), 0) / n),
        memcgMiB: MiB(labMemcg(t.name) / n),
        upperMaxKiB: Math.round(Math.max(...uppers) / 1024),
      };
    } finally {
      await lab.down();
    }
  });
  rows.push(value);
  console.log(JSON.stringify(value));
}
console.table(rows);
