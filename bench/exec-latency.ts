/**
 * Benchmark: latency of `netlab exec r1 -- true` as a user types it (bin/netlab,
 * a sh script, hands `exec` straight to native netlab-enter).
 *
 *   flock /tmp/netlab-kernel.lock node dist/bench/exec-latency.js [--runs 100]
 *
 * Starts a one-node lab in a temporary run dir (NETLAB_RUN_DIR), then times
 * each run inside one bash loop ($EPOCHREALTIME: no extra process per sample),
 * through bin/netlab and through netlab-enter directly; prints min, median,
 * p90 and max in ms. The lab is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyCgroupOps, detectCgroups, killLab, nodeCgroupDirs, planLabCgroups } from '../src/core/cgroups.js';
import { enterBinary } from '../src/core/enter.js';
import { writeNodeIndex } from '../src/core/index-file.js';
import { startNodes } from '../src/core/node.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 100;

function timeLoop(cmd: string, env: NodeJS.ProcessEnv): number[] {
  const script = `for i in $(seq ${RUNS}); do s=$EPOCHREALTIME; ${cmd} || exit 1; e=$EPOCHREALTIME; echo "$s $e"; done`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => {
    const [s, e] = l.split(' ').map(Number);
    return (e! - s!) * 1000;
  });
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `min ${s[0]!.toFixed(2)}  median ${q(0.5).toFixed(2)}  p90 ${q(0.9).toFixed(2)}  max ${s[s.length - 1]!.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  const layout = detectCgroups();
  const lab = `execbench${process.pid}`;
  const root = mkdtempSync(join(tmpdir(), 'netlab-bench-'));
  const labDir = join(root, lab);
  mkdirSync(labDir, { recursive: true });
  writeFileSync(join(labDir, 'hosts'), '127.0.0.1\tlocalhost\n');
  try {
    applyCgroupOps(planLabCgroups(layout, lab, [{ name: 'r1', resources: {} }]));
    const nodes = await startNodes([{
      lab, name: 'r1', runDir: join(labDir, 'nodes', 'r1'), lowerDirs: ['/'], hostsFile: join(labDir, 'hosts'), binds: [],
      cgroupDirs: nodeCgroupDirs(layout, lab, 'r1'),
    }]);
    writeNodeIndex(labDir, nodes);
    const env = { ...process.env, NETLAB_RUN_DIR: root };
    timeLoop(`${join(repoRoot, 'bin/netlab')} exec r1 -- true`, env); // warm the page cache
    console.log(`netlab exec r1 -- true, ${RUNS} runs:   ${stats(timeLoop(`${join(repoRoot, 'bin/netlab')} exec r1 -- true`, env))}`);
    console.log(`netlab-enter --cli exec r1 -- true:   ${stats(timeLoop(`${enterBinary()} --cli exec r1 -- true`, env))}`);
    console.log(`baseline: /bin/true on the host:      ${stats(timeLoop('/bin/true', env))}`);
  } finally {
    await killLab(layout, lab);
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
