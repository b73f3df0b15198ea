/**
 * What netlab validate costs beyond the lab's own exec: checking tests at
 * load time, and reading a large routing table in a route test.
 *
 *   npm run build && node dist/bench/validate.js [routers] [runs]
 *
 * The lab: a ring of N FRR routers with a loopback each, and 2·N tests
 * (every router: its neighbour's loopback by OSPF, and two adjacencies).
 * Measured, median of the runs: load of the topology with and without its
 * tests (the difference is the tests' share), and one route check against an
 * FRR table of N loopbacks + N links (`show ip route json` as FRR 8.4 prints
 * it) through a fake exec that answers at once — parsing and matching only.
 */
import { performance } from 'node:perf_hooks';
import { checkOnce } from '../src/validate/checks.js';
import { loadTopology } from '../src/lab/load.js';

function lab(n: number, withTests: boolean): string {
  const names = Array.from({ length: n }, (_, i) => `r${i + 1}`);
  const lines = ['name: vbench', 'defaults: { kind: frr }', 'ospf: { area: 0 }', 'nodes:', ...names.map((x) => `  ${x}: {}`), 'links:',
    ...names.map((x, i) => `  - [${x}:eth1, ${names[(i + 1) % n]}:eth2]`)];
  if (withTests) {
    lines.push('tests:');
    names.forEach((x, i) => {
      lines.push(`  - { route: { node: ${x}, prefix: 10.0.${(((i + 1) % n) + 1) >> 8}.${(((i + 1) % n) + 1) & 255}/32, protocol: ospf, via: ${names[(i + 1) % n]} }, wait: 30s }`);
      lines.push(`  - { ospf_neighbors: { node: ${x}, count: 2, state: Full }, wait: 30s }`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/** An FRR `show ip route json` of n /32 loopbacks via 10.1.0.1 and n /31 links. */
function frrTable(n: number): string {
  const table: Record<string, unknown[]> = {};
  const route = (prefix: string, protocol: string, ip?: string): unknown => ({
    prefix, prefixLen: Number(prefix.split('/')[1]), protocol, vrfId: 0, vrfName: 'default', selected: true, destSelected: true,
    distance: protocol === 'ospf' ? 110 : 0, metric: 20, installed: true, table: 254, internalStatus: 16, internalFlags: 8,
    internalNextHopNum: 1, internalNextHopActiveNum: 1, nexthopGroupId: 14, installedNexthopGroupId: 14, uptime: '00:00:25',
    nexthops: [{ flags: 3, fib: true, ...(ip ? { ip, afi: 'ipv4' } : { directlyConnected: true }), interfaceIndex: 2, interfaceName: 'eth1', active: true, weight: 1 }],
  });
  for (let i = 1; i <= n; i++) {
    const lo = `10.0.${i >> 8}.${i & 255}/32`;
    table[lo] = [route(lo, 'ospf', '10.1.0.1')];
    const link = `10.1.${(2 * i) >> 8}.${(2 * i) & 255}/31`;
    table[link] = [route(link, 'connected')];
  }
  return JSON.stringify(table, null, 2);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const runs = Number(process.argv[3] ?? 7);
  const bare = lab(n, false), full = lab(n, true);
  const loadBare: number[] = [], loadFull: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now(); loadTopology({ text: bare }, { checkFiles: false }); loadBare.push(performance.now() - t);
    t = performance.now(); loadTopology({ text: full }, { checkFiles: false }); loadFull.push(performance.now() - t);
  }
  const topology = loadTopology({ text: full }, { checkFiles: false });
  const json = frrTable(n);
  const exec = async (): Promise<{ code: number; stdout: string; stderr: string }> => ({ code: 0, stdout: json, stderr: '' });
  const check: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const obs = await checkOnce(topology.tests[0]!, { exec, topology });
    check.push(performance.now() - t);
    if (r === 0 && !obs.ok) process.stdout.write(`(the route check did not pass: ${obs.seen})\n`);
  }
  process.stdout.write(`${n} routers, ${topology.tests.length} tests, median of ${runs} runs\n`);
  process.stdout.write(`load without tests  ${median(loadBare).toFixed(1)} ms\n`);
  process.stdout.write(`load with tests     ${median(loadFull).toFixed(1)} ms (tests: ${(median(loadFull) - median(loadBare)).toFixed(1)} ms)\n`);
  process.stdout.write(`route check, ${2 * n}-route FRR table (${(json.length / 1e6).toFixed(1)} MB JSON): ${median(check).toFixed(1)} ms\n`);
}

await main();
