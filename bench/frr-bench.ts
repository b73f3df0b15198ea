/**
 * `npm run bench -- --frr …`: FRR router labs at scale (issue 20), netlab and
 * the Mininet-hosts peer (bench/frr-mininet.py: routers built the way
 * IPMininet builds them) on the same graphs in the same run.
 *
 *   npm run bench -- --frr [--topologies grid,ring,clos] [--protocols ospf,ospf-areas,ebgp]
 *                          [--sizes 100,400,1024] [--tools netlab,mininet] [--mininet-max 100]
 *                          [--timeout-s 600] [--json FILE]
 *
 * Per lab and tool, each under the kernel lock on its own: the clock starts
 * before the first node; "converged" is when every router's kernel table has a
 * route to every other router's loopback (polled router by router, 250 ms
 * apart while one is missing). CPU-s: the host's busy CPU over that time
 * (/proc/stat, every process and the kernel). PSS: FRR's processes
 * (/proc/PID/smaps_rollup) summed, per router. MemAvailable drop: before the
 * first node and at convergence, per router. down: netlab's whole teardown;
 * the peer's kill of its daemons and Mininet's stop().
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { renderFrrConf } from '../src/daemons/frr-conf.js';
import { detectDaemons } from '../src/daemons/frr-daemons.js';
import { splitFrrConf } from '../src/daemons/frr-split.js';
import { Lab } from '../src/lab/lab.js';
import type { Topology } from '../src/topology/types.js';
import { FRR_PROTOCOLS, FRR_TOPOS, frrLab, unsupported, type FrrLab, type FrrProtocol, type FrrTopo } from './frr-topo.js';
import { hostBusyMs, loadAvg1, memAvailableSteadyKiB, sleep, waitHostIdle } from './host.js';
import { withKernelLock } from './kernel-lock.js';
import { mininetMissing, MININET_PYTHON } from './tool-mininet.js';
import { loadTopology } from '../src/lab/load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const FRR_TOOLS = ['netlab', 'mininet'] as const;
export type FrrTool = (typeof FRR_TOOLS)[number];

export interface FrrOptions {
  topologies: FrrTopo[];
  protocols: FrrProtocol[];
  sizes: number[];
  tools: FrrTool[];
  mininetMax: number;
  timeoutS: number;
  json: string | null;
}

/** One tool on one lab. Times in ms from the start; null when not reached. */
export interface FrrResult {
  tool: FrrTool;
  lab: Omit<FrrLab, 'yaml'>;
  builtMs: number | null;
  startedMs: number | null;
  convergedMs: number | null;
  cpuS: number | null;
  pssKiBPerRouter: number | null;
  pssKiBByDaemon: Record<string, number>;
  memDropKiBPerRouter: number | null;
  downMs: number | null;
  load1: number;
  error?: string;
}

/** Parses the flags after --frr. @throws Error naming the bad flag. */
export function parseFrrArgs(argv: string[]): FrrOptions {
  const o: FrrOptions = { topologies: ['grid'], protocols: ['ospf'], sizes: [100], tools: [...FRR_TOOLS], mininetMax: 100, timeoutS: 600, json: null };
  const list = <T extends string>(v: string, allowed: readonly T[], flag: string): T[] => v.split(',').map((x) => {
    if (!allowed.includes(x as T)) throw new Error(`${flag}: "${x}" is not one of ${allowed.join(', ')}`);
    return x as T;
  });
  const int = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a whole number ≥ 1, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const val = (): string => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--frr': break;
      case '--topologies': o.topologies = list(val(), FRR_TOPOS, flag); break;
      case '--protocols': o.protocols = list(val(), FRR_PROTOCOLS, flag); break;
      case '--sizes': o.sizes = val().split(',').map((s) => int(s, flag)); break;
      case '--tools': o.tools = list(val(), FRR_TOOLS, flag); break;
      case '--mininet-max': o.mininetMax = int(val(), flag); break;
      case '--timeout-s': o.timeoutS = int(val(), flag); break;
      case '--json': o.json = val(); break;
      default: throw new Error(`unknown flag ${flag} (see --help)`);
    }
  }
  return o;
}

export const FRR_USAGE = 'usage: npm run bench -- --frr [--topologies grid,ring,clos] [--protocols ospf,ospf-areas,ebgp] [--sizes 100,400,1024]\n' +
  '                              [--tools netlab,mininet] [--mininet-max 100] [--timeout-s 600] [--json FILE]';

const loopbackOf = (t: Topology, name: string): string => t.nodes.find((n) => n.name === name)!.loopback.ipv4!.split('/')[0]!;

/** Waits until every router of `names` has a route to every loopback but its own; polls one router at a time. */
async function converge(names: string[], loopbacks: Set<string>, routes: (name: string) => Promise<Set<string>>, deadline: number): Promise<void> {
  for (const name of names) {
    for (;;) {
      const have = await routes(name);
      const missing = [...loopbacks].filter((l) => !have.has(l));
      if (missing.length <= 1) break; // its own loopback is on lo, not in the table as a route
      if (performance.now() > deadline) throw new Error(`not converged: ${name} misses ${missing.length - 1} loopbacks`);
      await sleep(250);
    }
  }
}

async function runNetlab(l: FrrLab, timeoutS: number): Promise<FrrResult> {
  const t = loadTopology({ text: l.yaml }, { env: {} });
  const loopbacks = new Set(t.nodes.map((n) => loopbackOf(t, n.name)));
  const res = blank('netlab', l);
  await waitHostIdle(20_000); // the previous lab's namespaces are freed after its down returned
  const mem0 = await memAvailableSteadyKiB();
  const busy0 = hostBusyMs();
  const t0 = performance.now();
  let lab: Lab | undefined;
  try {
    lab = await Lab.up(t);
    const tm = lab.report?.timings ?? {};
    res.builtMs = performance.now() - t0 - (tm.daemons ?? 0);
    res.startedMs = performance.now() - t0;
    await converge(t.nodes.map((n) => n.name), loopbacks, async (name) => {
      const r = await lab!.exec(name, ['ip', '-j', 'route', 'show']);
      return new Set((JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst));
    }, t0 + timeoutS * 1000);
    res.convergedMs = performance.now() - t0;
    res.cpuS = (hostBusyMs() - busy0) / 1000;
    res.memDropKiBPerRouter = (mem0 - await memAvailableSteadyKiB()) / t.nodes.length;
    let total = 0;
    for (const n of t.nodes) {
      const r = await lab.exec(n.name, ['/bin/sh', '-c', 'for p in $(cat /run/frr/*.pid); do echo "$(cat /proc/$p/comm) $(sed -n "s/^Pss:\\s*\\([0-9]*\\).*/\\1/p" /proc/$p/smaps_rollup)"; done']);
      for (const line of r.stdout.split('\n').filter(Boolean)) {
        const [comm, pss] = line.split(' ');
        res.pssKiBByDaemon[comm!] = (res.pssKiBByDaemon[comm!] ?? 0) + Number(pss);
        total += Number(pss);
      }
    }
    res.pssKiBPerRouter = total / t.nodes.length;
    for (const k of Object.keys(res.pssKiBByDaemon)) res.pssKiBByDaemon[k] = res.pssKiBByDaemon[k]! / t.nodes.length;
  } catch (err) {
    res.error = (err as Error).message.split('\n')[0];
  } finally {
    res.load1 = loadAvg1();
    const d0 = performance.now();
    if (lab) await lab.down(); else await Lab.down(t.name);
    res.downMs = lab ? performance.now() - d0 : null;
  }
  return res;
}

/** The peer's input: netlab's own addresses and generated configs, split per daemon as the peer starts them. */
export function mininetInput(t: Topology, timeoutS: number): string {
  const routers = t.nodes.map((n) => {
    const text = renderFrrConf(n, t);
    const split = splitFrrConf(text, detectDaemons(text));
    if (!split) throw new Error(`${n.name}: generated config not splittable`);
    return {
      name: n.name,
      lo: n.loopback.ipv4!,
      ifaces: n.interfaces.filter((i) => i.ipv4).map((i) => [i.name, i.ipv4!]),
      daemons: Object.fromEntries(split),
    };
  });
  const links = t.links.map((l) => [l.endpoints[0].node, l.endpoints[0].iface, l.endpoints[1].node, l.endpoints[1].iface]);
  return JSON.stringify({ routers, links, loopbacks: t.nodes.map((n) => loopbackOf(t, n.name)), timeoutS });
}

async function runMininet(l: FrrLab, timeoutS: number): Promise<FrrResult> {
  const t = loadTopology({ text: l.yaml }, { env: {} });
  const res = blank('mininet', l);
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-frr-'));
  const file = join(dir, 'lab.json');
  writeFileSync(file, mininetInput(t, timeoutS));
  await waitHostIdle(20_000); // the previous lab's namespaces are freed after its down returned
  const mem0 = await memAvailableSteadyKiB();
  const busy0 = hostBusyMs();
  const child = spawn(MININET_PYTHON, [join(repoRoot, 'bench/frr-mininet.py'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const a = JSON.parse(line) as { step?: string; ms?: number; pssKiB?: Record<string, number>; routers?: number; error?: string };
      if (a.error) { res.error = a.error; break; }
      if (a.step === 'built') res.builtMs = a.ms!;
      if (a.step === 'started') res.startedMs = a.ms!;
      if (a.step === 'converged') {
        res.convergedMs = a.ms!;
        res.cpuS = (hostBusyMs() - busy0) / 1000;
        res.memDropKiBPerRouter = (mem0 - await memAvailableSteadyKiB()) / t.nodes.length;
      }
      if (a.step === 'memory') {
        let total = 0;
        for (const [d, kib] of Object.entries(a.pssKiB!)) { res.pssKiBByDaemon[d] = kib / a.routers!; total += kib; }
        res.pssKiBPerRouter = total / a.routers!;
      }
      if (a.step === 'down') res.downMs = a.ms!;
    }
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.on('close', () => r())));
    if (child.exitCode !== 0 && !res.error) res.error = `exit ${child.exitCode}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`;
  } finally {
    res.load1 = loadAvg1();
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

function blank(tool: FrrTool, l: FrrLab): FrrResult {
  const { yaml: _yaml, ...lab } = l;
  return { tool, lab, builtMs: null, startedMs: null, convergedMs: null, cpuS: null, pssKiBPerRouter: null, pssKiBByDaemon: {}, memDropKiBPerRouter: null, downMs: null, load1: 0 };
}

const s1 = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const mib = (kib: number | null): string => (kib === null ? '—' : `${(kib / 1024).toFixed(1)} MiB`);
const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a && b ? `${(b / a).toFixed(1)}×` : '—');

/** The issue's table for one lab: rows of measurements, a column per tool and the peer ÷ netlab ratio. */
export function frrTable(rs: FrrResult[]): string {
  const n = rs.find((r) => r.tool === 'netlab');
  const m = rs.find((r) => r.tool === 'mininet');
  const daemons = (r?: FrrResult): string => (r && r.pssKiBPerRouter !== null
    ? ` (${Object.entries(r.pssKiBByDaemon).sort((a, b) => b[1] - a[1]).map(([d, k]) => `${d} ${(k / 1024).toFixed(1)}`).join(', ')})` : '');
  const row = (what: string, f: (r: FrrResult) => string, rat: string): string => `| ${what} | ${n ? f(n) : '—'} | ${m ? f(m) : '—'} | ${rat} |`;
  const l = rs[0]!.lab;
  return [
    `| ${l.routers.toLocaleString('en')} FRR routers, ${l.shape}, ${l.protocol} | netlab | Mininet hosts + FRR | Mininet ÷ netlab |`,
    '|---|---:|---:|---:|',
    row('from start to every router having every loopback', (r) => s1(r.convergedMs), ratio(n?.convergedMs, m?.convergedMs)),
    row('of which building nodes and links', (r) => s1(r.builtMs), ''),
    row('of which starting the daemons', (r) => s1(r.startedMs !== null && r.builtMs !== null ? r.startedMs - r.builtMs : null), ''),
    row('host CPU until converged', (r) => (r.cpuS === null ? '—' : `${r.cpuS.toFixed(0)} CPU-s`), ratio(n?.cpuS, m?.cpuS)),
    row('FRR memory per router (PSS)', (r) => `${mib(r.pssKiBPerRouter)}${daemons(r)}`, ratio(n?.pssKiBPerRouter, m?.pssKiBPerRouter)),
    row('host MemAvailable drop per router', (r) => mib(r.memDropKiBPerRouter), ratio(n?.memDropKiBPerRouter, m?.memDropKiBPerRouter)),
    row('down', (r) => s1(r.downMs), ratio(n?.downMs, m?.downMs)),
    ...rs.filter((r) => r.error).map((r) => `\n${r.tool}: **failed**: ${r.error}`),
  ].join('\n');
}

/** Runs the FRR family; prints a table per lab as it goes. */
export async function frrMain(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(`${FRR_USAGE}\n`); return; }
  const o = parseFrrArgs(argv);
  if (process.getuid?.() !== 0) throw new Error('the benchmark creates namespaces: run it as root');
  const say = (s: string): void => { process.stdout.write(`${s}\n`); };
  const why = o.tools.includes('mininet') ? mininetMissing() : null;
  const tools = o.tools.filter((t) => !(t === 'mininet' && why));
  say(`# netlab FRR benchmark — ${new Date().toISOString()}; load ${loadAvg1().toFixed(2)}`);
  if (why) say(`skipped: mininet: ${why}`);
  const all: FrrResult[] = [];
  for (const size of o.sizes) {
    for (const topo of o.topologies) {
      for (const protocol of o.protocols) {
        if (unsupported(topo, protocol)) continue;
        const l = frrLab(topo, protocol, size);
        const here: FrrResult[] = [];
        for (const tool of tools) {
          if (tool === 'mininet' && l.routers > o.mininetMax) continue;
          process.stderr.write(`${tool}: ${l.routers} routers, ${l.shape}, ${protocol}…\n`);
          const { value } = await withKernelLock(() => (tool === 'netlab' ? runNetlab(l, o.timeoutS) : runMininet(l, o.timeoutS)));
          process.stderr.write(`  converged ${s1(value.convergedMs)}${value.error ? `; failed: ${value.error}` : ''}\n`);
          here.push(value);
          all.push(value);
          await sleep(2000); // let anyone waiting for the kernel lock have it
        }
        say('');
        say(frrTable(here));
      }
    }
  }
  if (o.json) { writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: o, results: all }, null, 1)); say(`\nraw: ${o.json}`); }
  if (all.some((r) => r.error)) process.exitCode = 1;
}
