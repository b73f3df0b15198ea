/**
 * An N×N grid of FRR routers running OSPF (generated configs): how long from
 * the first node's start until every router has every other router's
 * loopback in its kernel table, and what the FRR daemons cost in memory.
 *
 *   npm run build && sudo flock /tmp/netlab-kernel.lock node dist/bench/daemons-grid.js [N] [window]
 *
 * Until the container core is on main this uses the scratch nodes of
 * test/integration/daemons-harness.ts (unshare + overlay), so "build" is the
 * harness's and the numbers that matter are the daemon phases: start+ready of
 * every router (`window` at a time, like the applier) and convergence.
 * Memory: the sum of the FRR processes' PSS (/proc/PID/smaps_rollup, shared
 * pages split between the processes that map them) per router, and the drop
 * of the host's MemAvailable across the run divided by N².
 */
import { readFileSync } from 'node:fs';
import { getKind } from '../src/daemons/registry.js';
import { loadTopology } from '../src/topology/index.js';
import { ScratchLab } from '../test/integration/daemons-harness.js';

const n = Number(process.argv[2] ?? 10);
const window = Number(process.argv[3] ?? 8);

function gridYaml(size: number): string {
  const name = (r: number, c: number): string => `r${r}-${c}`;
  const nodes: string[] = [];
  const links: string[] = [];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      nodes.push(`  ${name(r, c)}: {}`);
      if (c + 1 < size) links.push(`  - [${name(r, c)}:e${c + 1}, ${name(r, c + 1)}:w${c}]`);
      if (r + 1 < size) links.push(`  - [${name(r, c)}:s${r + 1}, ${name(r + 1, c)}:n${r}]`);
    }
  }
  return `name: grid\ndefaults: { kind: frr }\nospf: { area: 0 }\nnodes:\n${nodes.join('\n')}\nlinks:\n${links.join('\n')}\n`;
}

const memAvailableKiB = (): number => Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);

async function inWindow<T>(items: T[], size: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const t = loadTopology({ text: gridYaml(n) }, { env: {} });
const loopbacks = new Set(t.nodes.map((x) => x.loopback.ipv4!.split('/')[0]!));
const lab = new ScratchLab(t);
const mem0 = memAvailableKiB();
const t0 = Date.now();
try {
  await lab.build();
  const tBuilt = Date.now();
  const startMs: number[] = [];
  const readyMs: number[] = [];
  await inWindow([...lab.nodes.values()], window, async (s) => {
    const k = getKind(s.node.kind);
    const a = Date.now();
    await k.start(s.ctx);
    const b = Date.now();
    await k.ready(s.ctx, 60_000);
    startMs.push(b - a);
    readyMs.push(Date.now() - b);
  });
  const tReady = Date.now();
  // Converged: every router has an OSPF route to every other router's loopback.
  const pending = new Set(lab.nodes.keys());
  while (pending.size) {
    for (const name of [...pending]) {
      const r = await lab.exec(name, ['ip', '-j', 'route', 'show', 'proto', 'ospf']);
      const have = new Set((JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst).filter((d) => loopbacks.has(d)));
      if (have.size === loopbacks.size - 1) pending.delete(name);
    }
    if (Date.now() - t0 > 180_000) throw new Error(`not converged after 180 s: ${pending.size} routers missing loopbacks`);
  }
  const tConverged = Date.now();
  const cpu: Record<string, number> = {};
  const hz = 100;
  const pss: number[] = [];
  for (const s of lab.nodes.values()) {
    const r = await lab.exec(s.node.name, ['/bin/sh', '-c', 'for p in $(cat /run/frr/*.pid); do sed -n "s/^Pss:\\s*\\([0-9]*\\).*/\\1/p" /proc/$p/smaps_rollup; done']);
    pss.push(r.stdout.trim().split('\n').reduce((a, b) => a + Number(b || 0), 0));
    const st = await lab.exec(s.node.name, ['/bin/sh', '-c', 'for p in $(cat /run/frr/*.pid); do cat /proc/$p/stat; echo; done']);
    for (const line of st.stdout.split('\n').filter(Boolean)) {
      const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
      const comm = /\((.*)\)/.exec(line)![1]!;
      cpu[comm] = (cpu[comm] ?? 0) + (Number(f[11]) + Number(f[12])) / hz;
    }
  }
  const mem1 = memAvailableKiB();
  const avg = pss.reduce((a, b) => a + b, 0) / pss.length;
  console.log(JSON.stringify({
    routers: n * n, links: t.links.length, window,
    buildMs: tBuilt - t0,
    daemonsReadyMs: tReady - tBuilt,
    convergedAfterReadyMs: tConverged - tReady,
    totalMs: tConverged - t0,
    startMsMedian: startMs.sort((a, b) => a - b)[startMs.length >> 1],
    startMsMax: startMs[startMs.length - 1],
    readyMsMedian: readyMs.sort((a, b) => a - b)[readyMs.length >> 1],
    readyMsMax: readyMs[readyMs.length - 1],
    daemonCpuS: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    frrPssKiBPerRouter: Math.round(avg),
    hostMemAvailableDropKiBPerRouter: Math.round((mem0 - mem1) / (n * n)),
  }, null, 1));
} finally {
  await lab.destroy();
}
