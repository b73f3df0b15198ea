/**
 * An N×N grid of FRR routers running OSPF (generated configs): how long from
 * the first node's start until every router has every other router's
 * loopback in its kernel table, and what the FRR daemons cost in memory.
 *
 *   npm run build && sudo flock /tmp/netlab-kernel.lock node dist/bench/daemons-grid.js [N]
 *
 * The lab is brought up by netlab itself (Lab.up: nodes, links, addresses,
 * then every router's FRR, ready when watchfrr reports its daemons up); the
 * clock starts before `up` and stops when the last router has the last
 * loopback. Memory: the sum of the FRR processes' PSS (/proc/PID/smaps_rollup,
 * shared pages split between the processes that map them) per router, and the
 * drop of the host's MemAvailable from before `up` to convergence, over N².
 */
import { readFileSync } from 'node:fs';
import { Lab } from '../src/lab/lab.js';
import { frrLab } from './frr-topo.js';
import { loadTopology } from '../src/lab/load.js';

const n = Number(process.argv[2] ?? 10);

const memAvailableKiB = (): number => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);

const t = loadTopology({ text: frrLab('grid', 'ospf', n * n).yaml.replace(/^name: .*$/m, 'name: dmn-grid') }, { env: {} });
const loopbacks = new Set(t.nodes.map((x) => x.loopback.ipv4!.split('/')[0]!));
const mem0 = memAvailableKiB();
const t0 = Date.now();
const lab = await Lab.up(t);
try {
  const tUp = Date.now();
  // Converged: every router has an OSPF route to every other router's loopback.
  const pending = new Set(t.nodes.map((x) => x.name));
  while (pending.size) {
    for (const name of [...pending]) {
      const r = await lab.exec(name, ['ip', '-j', 'route', 'show', 'proto', 'ospf']);
      const have = new Set((JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst).filter((d) => loopbacks.has(d)));
      if (have.size === loopbacks.size - 1) pending.delete(name);
    }
    if (Date.now() - t0 > 180_000) throw new Error(`not converged after 180 s: ${pending.size} routers missing loopbacks`);
  }
  const tConverged = Date.now();
  const mem1 = memAvailableKiB();
  const cpu: Record<string, number> = {};
  const pssBy: Record<string, number> = {};
  const hz = 100;
  let pssTotal = 0;
  for (const node of t.nodes) {
    const st = await lab.exec(node.name, ['/bin/sh', '-c', 'for p in $(cat /run/frr/*.pid); do echo "$(cat /proc/$p/stat) $(sed -n "s/^Pss:\\s*\\([0-9]*\\).*/\\1/p" /proc/$p/smaps_rollup)"; done']);
    for (const line of st.stdout.split('\n').filter(Boolean)) {
      const comm = /\((.*)\)/.exec(line)![1]!;
      const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
      cpu[comm] = (cpu[comm] ?? 0) + (Number(f[11]) + Number(f[12])) / hz;
      const pss = Number(f[f.length - 1]);
      pssBy[comm] = (pssBy[comm] ?? 0) + pss;
      pssTotal += pss;
    }
  }
  const per = (x: number): number => Math.round(x / t.nodes.length);
  console.log(JSON.stringify({
    routers: n * n, links: t.links.length,
    upMs: tUp - t0,
    upPhasesMs: lab.report?.timings,
    convergedAfterUpMs: tConverged - tUp,
    totalMs: tConverged - t0,
    daemonCpuS: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    frrPssKiBPerRouter: per(pssTotal),
    frrPssKiBPerRouterByDaemon: Object.fromEntries(Object.entries(pssBy).map(([k, v]) => [k, per(v)])),
    hostMemAvailableDropKiBPerRouter: per(mem0 - mem1),
  }, null, 1));
} finally {
  await lab.down();
}
