/**
 * `npm run bench`: netlab up/down at scale, side by side with Mininet and the
 * kernel floor, in one run (issue 9).
 *
 *   npm run bench -- [--sizes 100,500,1000,2000] [--topologies ring,grid,fattree]
 *                    [--tools netlab,mininet,floor] [--repeat 1] [--mininet-max N]
 *                    [--no-addressing-run] [--idle-ms 2000] [--json FILE]
 *   npm run bench -- --frr …    FRR router labs against the Mininet-hosts peer (bench/frr-bench.ts)
 *
 * Every measurement (one tool, one graph, up + idle + down) holds the shared
 * kernel lock on its own, with a leakcheck snapshot around it; between them the
 * lock is free for others. Prints a Markdown table per topology and size as it
 * goes, then where netlab's time goes per phase, how time grows with N, and
 * the issue's targets met or missed. Needs root.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasGnuTime, loadAvg1, sleep } from './host.js';
import { measure, TOOL_NAMES, type Measurement, type ToolName, type ToolRun } from './measure.js';
import { combine, fmtMs, growthTable, phaseTable, sizeTable, speedup } from './report.js';
import { generate, labName, TOPO_KINDS, type BenchGraph, type TopoKind } from './topo-gen.js';
import { floorRun } from './tool-floor.js';
import { mininetMissing, mininetRun } from './tool-mininet.js';
import { netlabOverhead, netlabRun } from './tool-netlab.js';
import { frrMain } from './frr-bench.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Options {
  sizes: number[];
  topologies: TopoKind[];
  tools: ToolName[];
  repeat: number;
  /** Largest N Mininet is run at (Infinity: no cap). */
  mininetMax: number;
  /** Also run netlab once with the default address pools (ring, N = 1,000 or the largest size below). */
  addressingRun: boolean;
  idleMs: number;
  json: string | null;
}

/** Parses the command line. @throws Error naming the bad flag. */
export function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [100, 500, 1000, 2000], topologies: [...TOPO_KINDS], tools: [...TOOL_NAMES], repeat: 1,
    mininetMax: Infinity, addressingRun: true, idleMs: 2000, json: null,
  };
  const list = <T extends string>(v: string, allowed: readonly T[], flag: string): T[] => v.split(',').map((x) => {
    if (!allowed.includes(x as T)) throw new Error(`${flag}: "${x}" is not one of ${allowed.join(', ')}`);
    return x as T;
  });
  const int = (v: string | undefined, flag: string, min = 1): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const val = (): string => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--sizes': o.sizes = val().split(',').map((s) => int(s, '--sizes')); break;
      case '--topologies': o.topologies = list(val(), TOPO_KINDS, '--topologies'); break;
      case '--tools': o.tools = list(val(), TOOL_NAMES, '--tools'); break;
      case '--repeat': o.repeat = int(val(), '--repeat'); break;
      case '--mininet-max': o.mininetMax = int(val(), '--mininet-max'); break;
      case '--no-addressing-run': o.addressingRun = false; break;
      case '--idle-ms': o.idleMs = int(val(), '--idle-ms', 0); break;
      case '--json': o.json = val(); break;
      case '--help': case '-h':
        process.stdout.write(`${readUsage()}\n`);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown flag ${flag} (see --help)`);
    }
  }
  o.sizes.sort((a, b) => a - b);
  return o;
}

function readUsage(): string {
  return 'usage: npm run bench -- [--sizes 100,500,1000,2000] [--topologies ring,grid,fattree] [--tools netlab,mininet,floor]\n' +
    '                        [--repeat N] [--mininet-max N] [--no-addressing-run] [--idle-ms MS] [--json FILE]\n' +
    '       npm run bench -- --frr --help   (FRR router labs: grid, ring, Clos; OSPF, eBGP; netlab against Mininet hosts running FRR)\n' +
    '       npm run bench -- --images [--nodes 100] [--repeat 3] [--pull-only] [--json FILE]   (images: import, pull, up, memory)';
}

/** Why netlab cannot be measured from this checkout, or null. */
function netlabMissing(netlab: string): string | null {
  const r = spawnSync(netlab, ['--help'], { encoding: 'utf8' });
  return r.status === 0 && /^\s+up\b/m.test(r.stdout) && /^\s+down\b/m.test(r.stdout) ? null : '`netlab up` is not in this build yet (src/lab and the CLI commands land with the container core)';
}

interface Job { tool: ToolName; variant: string; g: BenchGraph; make: () => ToolRun }

const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const say = (s: string): void => { process.stdout.write(`${s}\n`); };

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the benchmark creates namespaces: run it as root');
  const netlab = join(repoRoot, 'bin/netlab');
  const skipped = new Map<ToolName, string>();
  if (o.tools.includes('netlab')) { const why = netlabMissing(netlab); if (why) skipped.set('netlab', why); }
  if (o.tools.includes('mininet')) { const why = mininetMissing(); if (why) skipped.set('mininet', why); }
  const tools = o.tools.filter((t) => !skipped.has(t));
  const addrN = [...o.sizes].reverse().find((n) => n <= 1000) ?? o.sizes[0]!;

  say(`# netlab benchmark — ${new Date().toISOString()}`);
  say(`host: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}, kernel ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, load ${loadAvg1().toFixed(2)}`);
  say(`sizes ${o.sizes.join(', ')}; topologies ${o.topologies.join(', ')}; tools ${tools.join(', ')}; repeat ${o.repeat}` +
    (Number.isFinite(o.mininetMax) ? `; Mininet capped at N ≤ ${o.mininetMax} (--mininet-max)` : ''));
  for (const [t, why] of skipped) say(`skipped: ${t}: ${why}`);
  if (!hasGnuTime()) say('note: /usr/bin/time (Debian package `time`) is missing: no CPU or peak RSS for netlab');
  say('netlab: whole `netlab up FILE` / `netlab down LAB` processes (Node start included); Mininet: addHost…start() and stop() inside Python (interpreter and import not counted);');
  say('floor: iproute2 batches (namespaces + veths + link up, no processes, mounts or cgroups). "host busy after down": how long the host\'s CPUs stayed busy after down returned (the kernel dismantling namespaces).');

  const all: Measurement[] = [];
  const overhead: string[] = [];
  for (const n of o.sizes) {
    for (const topo of o.topologies) {
      const g = generate(topo, n);
      const jobs: Job[] = [];
      for (const tool of tools) {
        if (tool === 'mininet' && n > o.mininetMax) continue;
        if (tool === 'netlab') {
          jobs.push({ tool, variant: '', g, make: () => netlabRun(g, { netlab, name: labName(g), addressing: false, timeoutMs: 600_000 }) });
          if (o.addressingRun && topo === 'ring' && n === addrN) {
            jobs.push({ tool, variant: 'addressing', g, make: () => netlabRun(g, { netlab, name: labName(g, '-addr'), addressing: true, timeoutMs: 600_000 }) });
          }
        } else if (tool === 'mininet') {
          jobs.push({ tool, variant: '', g, make: () => mininetRun(g, join(repoRoot, 'bench/mininet-build.py'), 900_000) });
        } else {
          jobs.push({ tool, variant: '', g, make: () => floorRun(g) });
        }
      }
      if (tools.includes('netlab') && topo === o.topologies[0]) {
        try {
          const ov = await netlabOverhead(g, netlab);
          overhead.push(`| ${g.nodes.length.toLocaleString('en')} | ${fmtMs(ov.startMs)} | ${fmtMs(ov.dryRunMs)} |`);
        } catch (err) { log(`  netlab up --dry-run failed: ${(err as Error).message}`); }
      }
      const here: Measurement[] = [];
      for (let r = 0; r < o.repeat; r++) {
        for (const j of jobs) {
          log(`${j.tool}${j.variant ? ` (${j.variant})` : ''} ${g.shape}, ${g.links.length} links${o.repeat > 1 ? `, run ${r + 1}/${o.repeat}` : ''}…`);
          const m = await measure(j.tool, j.variant, g, j.make(), { repoRoot, idleMs: o.idleMs, log });
          log(`  up ${fmtMs(m.up?.wallMs)}, down ${fmtMs(m.down?.wallMs)}${m.settledMs !== null ? ` (+${fmtMs(m.settledMs)} busy after)` : ''}, load ${m.load1.toFixed(2)}`);
          here.push(m);
          all.push(m);
          await sleep(2000); // let anyone waiting for the kernel lock have it
        }
      }
      say('');
      say(sizeTable(combine(here)));
      say(`\nshape: ${g.shape}; highest 1-min load during these runs: ${Math.max(...here.map((m) => m.load1)).toFixed(2)}`);
    }
  }

  const res = combine(all);
  for (const tool of tools) {
    for (const topo of o.topologies) {
      const t = phaseTable(res.filter((m) => m.topo === topo), tool);
      if (t) { say(`\n## Where ${tool}'s time goes: ${topo}\n`); say(t); }
    }
  }
  if (overhead.length) {
    say(`\n## Before the kernel: netlab's start, load and plan (${o.topologies[0]}, no kernel objects, median of 3)\n`);
    say('| N | `netlab --help` (Node + CLI modules) | `netlab up --dry-run` (+ load, plan, print the plan) |');
    say('|---:|---:|---:|');
    for (const row of overhead) say(row);
  }
  if (o.sizes.length > 1) {
    for (const topo of o.topologies) {
      const t = growthTable(res, topo);
      if (t) { say(`\n## Growth with N: ${topo}\n`); say(t); }
    }
  }
  say('\n## Targets (issue 9)\n');
  for (const line of targets(res)) say(`- ${line}`);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), options: { ...o, mininetMax: String(o.mininetMax) }, skipped: Object.fromEntries(skipped), measurements: all }, null, 1));
    say(`\nraw measurements: ${o.json}`);
  }
  if (all.some((m) => m.leak)) { say('\nLEAK: a tool left objects on the host (see above)'); process.exitCode = 1; }
}

/** The issue's targets, each met, missed, or not measured in this run. */
export function targets(res: Measurement[]): string[] {
  const find = (tool: ToolName, n: number): Measurement | undefined =>
    res.find((m) => m.tool === tool && !m.variant && m.topo === 'ring' && m.asked === n && !m.error);
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const out: string[] = [];
  const r1k = find('netlab', 1000);
  if (r1k?.up && r1k.down) {
    out.push(`1,000-node ring up ≤ 3 s: ${fmtMs(r1k.up.wallMs)} — ${verdict(r1k.up.wallMs <= 3000)}`);
    out.push(`1,000-node ring down ≤ 1.5 s: ${fmtMs(r1k.down.wallMs)} — ${verdict(r1k.down.wallMs <= 1500)}` +
      (r1k.settledMs !== null ? ` (host busy ${fmtMs(r1k.settledMs)} more)` : ''));
    if (r1k.memPerNodeKiB !== null) out.push(`host memory per idle node ≤ 2 MiB: ${(r1k.memPerNodeKiB / 1024).toFixed(2)} MiB — ${verdict(r1k.memPerNodeKiB <= 2048)}`);
  } else out.push('1,000-node ring targets: not measured in this run');
  const n5 = find('netlab', 500);
  const m5 = find('mininet', 500);
  if (n5 && m5) {
    const up = speedup(n5.up, m5.up)!;
    const down = speedup(n5.down, m5.down)!;
    out.push(`≥ 10× faster than Mininet at 500 (ring): up ${up.toFixed(1)}× (${fmtMs(n5.up!.wallMs)} vs ${fmtMs(m5.up!.wallMs)}) — ${verdict(up >= 10)}; ` +
      `down ${down.toFixed(1)}× (${fmtMs(n5.down!.wallMs)} vs ${fmtMs(m5.down!.wallMs)}) — ${verdict(down >= 10)}`);
  } else out.push('≥ 10× faster than Mininet at 500: not measured in this run (needs netlab and mininet on a 500-node ring)');
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--frr`: FRR router labs (bench/frr.ts); `--images`: the image benchmark (bench/images.ts); else the scale one.
  const args = process.argv.slice(2);
  const run = args.includes('--frr') ? frrMain(args)
    : args.includes('--images') ? import('./images.js').then((m) => m.main(args.filter((a) => a !== '--images'))) : main();
  run.catch((err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`);
    process.exitCode = 1;
  });
}
