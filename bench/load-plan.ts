/**
 * Load + plan time of a generated 5,000-node topology (issue 2: < 1 s).
 *
 *   npm run build && node dist/bench/load-plan.js [nodes] [runs]
 *
 * The lab: a ring of N FRR routers (N point-to-point links) plus one LAN of
 * 10 routers every 100 nodes, IPv4 and IPv6 pools, OSPF on. Prints the time
 * of each phase (parse+check+resolve = load, plan) per run, and the median.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { plan } from '../src/graph/plan.js';
import { loadTopology } from '../src/lab/load.js';
import { kindCatalog } from '../src/lab/load.js';

/** YAML text of the benchmark lab. */
export function generate(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `r${i + 1}`);
  const lines = [
    'name: bench',
    'defaults: { kind: frr }',
    'ospf: { area: 0 }',
    'addressing: { loopback: 10.0.0.0/16, p2p: 10.1.0.0/16, lan: 172.16.0.0/12, ipv6: 2001:db8::/40, loopback6: 2001:db8:ff00::/64 }',
    'nodes:',
    ...names.map((x) => `  ${x}: {}`),
    'links:',
    ...names.map((x, i) => `  - [${x}:eth1, ${names[(i + 1) % n]}:eth2]`),
  ];
  for (let s = 0; s + 10 <= n; s += 100) {
    lines.push(`  - [${names.slice(s, s + 10).map((x) => `${x}:lan1`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const n = Number(process.argv[2] ?? 5000);
  const runs = Number(process.argv[3] ?? 7);
  const text = generate(n);
  const totals: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const topo = loadTopology({ text }, { env: {}, checkFiles: false });
    const t1 = performance.now();
    const p = plan(topo, kindCatalog());
    const t2 = performance.now();
    const actions = p.phases.reduce((k, ph) => k + ph.actions.length, 0);
    totals.push(t2 - t0);
    process.stdout.write(`run ${r + 1}: load ${(t1 - t0).toFixed(1)} ms, plan ${(t2 - t1).toFixed(1)} ms, total ${(t2 - t0).toFixed(1)} ms ` +
      `(${topo.nodes.length} nodes, ${topo.links.length} links, ${actions} actions)\n`);
  }
  const sorted = [...totals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  process.stdout.write(`load+plan of ${n} nodes: median ${median.toFixed(1)} ms, best ${sorted[0]!.toFixed(1)} ms, first run ${totals[0]!.toFixed(1)} ms (${(text.length / 1024).toFixed(0)} KiB of YAML)\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
