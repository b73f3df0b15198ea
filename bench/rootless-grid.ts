/**
 * A 10-router FRR grid (2 × 5, OSPF area 0) brought up and converged as root
 * and as an ordinary user (a lab without root, docs/rootless.md), alternating
 * root and user, whole CLI processes: `netlab up` and then `netlab exec` on
 * every router until each has an OSPF route to every other router's loopback
 * (its kernel table, `ip -j route show proto ospf`), then `netlab down`.
 *
 *   npm run build && sudo node dist/bench/rootless-grid.js [PAIRS]
 *
 * Needs root: it makes a user (useradd, subordinate ids in /etc/subuid and
 * /etc/subgid far from anyone's) and removes it after, even on failure. The
 * user's commands run through `runuser -u USER --`, which they pay for, as a
 * student's shell would not. Each single up / converge / down holds the
 * kernel lock (bench/kernel-lock.ts), never the whole loop: do not wrap this
 * in flock. Prints one JSON line per run and a summary with the medians and
 * the user/root ratio, and `uptime` before and after.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadTopology } from '../src/lab/load.js';
import { withKernelLock } from './kernel-lock.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(repo, 'bin/netlab');
const USER = 'nlb-rl-grid';
/** 65,536 subordinate ids above every integration suite's (rootless, rootless-faults, ui-teacher). */
const SUB_START = 2_013_265_920 + 12 * 65_536;
const HOME = `/tmp/${USER}-home`;
const LAB = 'rlb-grid';

/** A rows × cols grid of FRR routers in OSPF area 0 (r<row>-<col>; east/west, south/north interfaces). Pure. */
export function gridYaml(rows: number, cols: number): string {
  const out = [`name: ${LAB}`, 'defaults: { kind: frr }', 'ospf: { area: 0 }', 'nodes:'];
  const links: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out.push(`  r${r}-${c}: {}`);
      if (c + 1 < cols) links.push(`  - [r${r}-${c}:e${c + 1}, r${r}-${c + 1}:w${c}]`);
      if (r + 1 < rows) links.push(`  - [r${r}-${c}:s${r + 1}, r${r + 1}-${c}:n${r}]`);
    }
  }
  return [...out, 'links:', ...links, ''].join('\n');
}

interface Run { who: 'root' | 'user'; upMs: number; convergedMs: number; downMs: number }

function cli(who: Run['who'], args: string[]): { code: number; out: string } {
  const cmd = who === 'root' ? [bin, ...args]
    : ['runuser', '-u', USER, '--', 'env', '-i', `HOME=${HOME}`, `PATH=${process.env.PATH}`, 'NO_COLOR=1', bin, ...args];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: '/', timeout: 300_000 });
  return { code: r.status ?? 128, out: `${r.stdout}${r.stderr}` };
}

function removeUser(): void {
  spawnSync(join(repo, 'native/build/netlab-rootless'), ['--stop', '--user', USER]);
  spawnSync('pkill', ['-KILL', '-u', USER]);
  for (let i = 0; i < 50 && spawnSync('pgrep', ['-u', USER]).status === 0; i++) spawnSync('sleep', ['0.1']);
  spawnSync('userdel', [USER]);
  rmSync(HOME, { recursive: true, force: true });
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const kept = readFileSync(f, 'utf8').split('\n').filter((l) => l && !l.startsWith(`${USER}:`));
    writeFileSync(f, kept.length ? `${kept.join('\n')}\n` : '');
  }
}

function makeUser(): void {
  removeUser();
  const add = spawnSync('useradd', ['-M', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', '-d', HOME, '-s', '/bin/sh', USER], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`useradd ${USER}: ${add.stderr}`);
  mkdirSync(HOME, { mode: 0o700 });
  spawnSync('chown', [`${USER}:`, HOME]);
  appendFileSync('/etc/subuid', `${USER}:${SUB_START}:65536\n`);
  appendFileSync('/etc/subgid', `${USER}:${SUB_START}:65536\n`);
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function once(who: Run['who'], file: string, loopbacks: Map<string, string>): Promise<Run> {
  const { value } = await withKernelLock(async () => {
    const t0 = performance.now();
    const up = cli(who, ['up', file]);
    if (up.code !== 0) { cli(who, ['down', LAB]); throw new Error(`${who}: up failed: ${up.out}`); }
    const t1 = performance.now();
    const pending = new Set(loopbacks.keys());
    let t2 = 0;
    try {
      while (pending.size) {
        for (const name of [...pending]) {
          const r = cli(who, ['exec', '--lab', LAB, name, '--', 'ip', '-j', 'route', 'show', 'proto', 'ospf']);
          let dst: string[] = [];
          try { dst = (JSON.parse(r.out) as { dst: string }[]).map((x) => x.dst); } catch { /* not yet */ }
          const others = [...loopbacks].filter(([n]) => n !== name).map(([, ip]) => ip);
          if (others.every((ip) => dst.includes(ip))) pending.delete(name);
        }
        if (performance.now() - t0 > 180_000) throw new Error(`${who}: not converged after 180 s (${[...pending].join(', ')})`);
      }
    } finally {
      t2 = performance.now();
      const down = cli(who, ['down', LAB]);
      if (down.code !== 0) throw new Error(`${who}: down failed: ${down.out}`);
    }
    return { who, upMs: t1 - t0, convergedMs: t2 - t0, downMs: performance.now() - t2 };
  });
  return value;
}

const pairs = Number(process.argv[2] ?? 5);
const yaml = gridYaml(2, 5);
const topo = loadTopology({ text: yaml }, { env: {} });
const loopbacks = new Map(topo.nodes.map((n) => [n.name, n.loopback.ipv4!.split('/')[0]!] as const));
const work = mkdtempSync(join(tmpdir(), 'rlb-'));
chmodSync(work, 0o755);
const file = join(work, 'grid.yaml');
writeFileSync(file, yaml);
chmodSync(file, 0o644);
const load = (): string => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
console.log(`uptime before: ${load()}`);
makeUser();
const runs: Run[] = [];
try {
  for (let i = 0; i < pairs; i++) {
    for (const who of (i % 2 ? ['user', 'root'] : ['root', 'user']) as Run['who'][]) {
      const r = await once(who, file, loopbacks);
      runs.push(r);
      console.log(JSON.stringify({ pair: i + 1, ...r, upMs: Math.round(r.upMs), convergedMs: Math.round(r.convergedMs), downMs: Math.round(r.downMs) }));
    }
  }
} finally {
  removeUser();
  rmSync(work, { recursive: true, force: true });
}
console.log(`uptime after: ${load()}`);
const of = (who: Run['who'], k: keyof Omit<Run, 'who'>): number => median(runs.filter((r) => r.who === who).map((r) => r[k]));
for (const k of ['upMs', 'convergedMs', 'downMs'] as const) {
  console.log(`${k}: root median ${Math.round(of('root', k))} ms, user median ${Math.round(of('user', k))} ms, user/root ${(of('user', k) / of('root', k)).toFixed(2)}×`);
}
