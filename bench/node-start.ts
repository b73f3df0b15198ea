/**
 * Benchmark: starting N full nodes (pid, mnt, uts, ipc, net and cgroup
 * namespaces, overlay root, cgroups) with the core's API, then killing them.
 *
 *   flock /tmp/netlab-kernel.lock node dist/bench/node-start.js [--sizes 100,500,1000,2000]
 *         [--window 8] [--repeat 1] [--trace] [--userns]
 *
 * Per size: cgroup plan+apply, startNodes (until every node reported ready),
 * host memory per idle node (MemAvailable before − after, settled 1 s, / N),
 * killLab (kill by cgroup, wait empty, rmdir). --trace adds each node's
 * per-step µs (NETLAB_INIT_TRACE: the console log) averaged over the nodes;
 * --userns gives every node a user namespace of its own (the default of a lab).
 * Labs run in a temporary run dir and are always removed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyCgroupOps, detectCgroups, killLab, nodeCgroupDirs, planLabCgroups } from '../src/core/cgroups.js';
import { allocateNodeIds } from '../src/core/ids.js';
import { startNodes, type NodeSpec } from '../src/core/node.js';
import { DEFAULT_DEVICE_RULES } from '../src/core/devices.js';
import { DEFAULT_UPPER_BYTES } from '../src/core/limits.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
}
const SIZES = arg('sizes', '100,500,1000,2000').split(',').map(Number);
const WINDOW = Number(arg('window', '8'));
const REPEAT = Number(arg('repeat', '1'));
const TRACE = process.argv.includes('--trace');
const USERNS = process.argv.includes('--userns');

function memAvailableKiB(): number {
  return Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Row { n: number; cgroupsMs: number; startMs: number; memKiB: number; killMs: number; trace?: Record<string, number> }

async function once(n: number, rep: number): Promise<Row> {
  const layout = detectCgroups();
  const lab = `bench${process.pid}n${n}r${rep}`;
  const root = mkdtempSync(join(tmpdir(), 'netlab-bench-'));
  const labDir = join(root, lab);
  mkdirSync(labDir, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  writeFileSync(join(labDir, 'hosts'), `127.0.0.1\tlocalhost\n${names.map((x, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\t${x}`).join('\n')}\n`);
  if (TRACE) process.env.NETLAB_INIT_TRACE = '1';
  try {
    await sleep(500);
    const mem0 = memAvailableKiB();
    let t0 = performance.now();
    applyCgroupOps(planLabCgroups(layout, lab, names.map((name) => ({ name, resources: {} }))));
    const cgroupsMs = performance.now() - t0;
    const ids = USERNS ? allocateNodeIds(labDir, n) : [];
    const specs: NodeSpec[] = names.map((name, i) => ({
      lab, name, runDir: join(labDir, 'nodes', name), lowerDirs: ['/'], hostsFile: join(labDir, 'hosts'), binds: [],
      cgroupDirs: nodeCgroupDirs(layout, lab, name, {}), consoleLog: join(labDir, 'console.log'),
      // what `up` gives every node (src/lab/steps-nodes.ts): the upper cap, the devices program
      upperBytes: DEFAULT_UPPER_BYTES, ...(layout.unified ? { deviceRules: DEFAULT_DEVICE_RULES } : {}),
      ...(ids[i] ? { userns: ids[i] } : {}),
    }));
    t0 = performance.now();
    await startNodes(specs, { window: WINDOW });
    const startMs = performance.now() - t0;
    await sleep(1000);
    const memKiB = (mem0 - memAvailableKiB()) / n;
    let trace: Record<string, number> | undefined;
    if (TRACE) {
      const sums: Record<string, [number, number]> = {};
      for (const line of readFileSync(join(labDir, 'console.log'), 'utf8').split('\n')) {
        const m = /^trace (\S+) (\d+)$/.exec(line);
        if (m) { const s = (sums[m[1]!] ??= [0, 0]); s[0] += Number(m[2]); s[1]++; }
      }
      trace = Object.fromEntries(Object.entries(sums).map(([k, [s, c]]) => [k, Math.round(s / c)]));
    }
    t0 = performance.now();
    await killLab(layout, lab);
    const killMs = performance.now() - t0;
    return { n, cgroupsMs, startMs, memKiB, killMs, ...(trace ? { trace } : {}) };
  } finally {
    await killLab(layout, lab).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  console.log(`| nodes | cgroups ms | start ms | µs/node | nodes/s | host KiB/idle node | kill ms |   (window ${WINDOW}${USERNS ? ', user namespaces' : ''})`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of SIZES) {
    for (let rep = 0; rep < REPEAT; rep++) {
      const r = await once(n, rep);
      console.log(`| ${r.n} | ${r.cgroupsMs.toFixed(0)} | ${r.startMs.toFixed(0)} | ${(r.startMs * 1000 / n).toFixed(0)} | ${(n / r.startMs * 1000).toFixed(0)} | ${r.memKiB.toFixed(0)} | ${r.killMs.toFixed(0)} |`);
      if (r.trace) console.log(`  per-node steps, µs: ${Object.entries(r.trace).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
