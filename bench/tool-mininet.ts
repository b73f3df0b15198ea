/**
 * Mininet 2.3 building the same graph: plain hosts, direct host-to-host links,
 * no switches, no controller (bench/mininet-build.py, run by the system's
 * /usr/bin/python3, where Debian's `mininet` package lives).
 *
 * up = addHost × N + addLink × L + build() + start(), timed inside Python (its
 * interpreter start and `import mininet` are left out, in Mininet's favour);
 * down = net.stop(); no tool CPU (see the script), the host's busy CPU stands for it.
 * Mininet is cleaned up by its own stop(); if that fails,
 * only the host shells this run started (`bash … mininet:<node>`, by pid) are killed.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hostBusyMs, sleep } from './host.js';
import { checkLinks, sampleNodes, type Phase, type Step, type ToolRun } from './measure.js';
import { toMininetJson, type BenchGraph } from './topo-gen.js';

export const MININET_PYTHON = '/usr/bin/python3';

/** Why Mininet cannot run here, or null when it can. */
export function mininetMissing(): string | null {
  if (!existsSync(MININET_PYTHON)) return `${MININET_PYTHON} not found`;
  const r = spawnSync(MININET_PYTHON, ['-c', 'import mininet.net; print(mininet.net.VERSION)'], { encoding: 'utf8' });
  if (r.status !== 0) return 'python3 cannot import mininet (apt-get install mininet)';
  if (!existsSync('/usr/bin/mnexec') && spawnSync('sh', ['-c', 'command -v mnexec']).status !== 0) return 'mnexec not found';
  return null;
}

interface Answer { ok?: boolean; error?: string; ready?: boolean; importMs?: number; wallMs?: number; cpuMs?: number; maxRssKiB?: number; phases?: Phase[]; pids?: number[] }

export function mininetRun(g: BenchGraph, script: string, timeoutMs: number): ToolRun {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-mn-'));
  const file = join(dir, 'graph.json');
  writeFileSync(file, toMininetJson(g));
  let child: ChildProcessWithoutNullStreams | null = null;
  let lines: AsyncIterator<string> | null = null;
  let pids: number[] = [];
  let stderr = '';

  const next = async (what: string): Promise<Answer> => {
    const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`mininet: no answer to ${what} within ${timeoutMs / 1000} s`)), timeoutMs).unref());
    const r = await Promise.race([lines!.next(), timer]);
    if (r.done) throw new Error(`mininet exited during ${what}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const a = JSON.parse(r.value) as Answer;
    if (a.ok === false) throw new Error(`mininet ${a.error}`);
    return a;
  };
  const step = async (cmd: 'up' | 'down'): Promise<Step> => {
    const busy0 = hostBusyMs();
    child!.stdin.write(`${cmd}\n`);
    const a = await next(cmd);
    if (a.pids) pids = a.pids;
    return { wallMs: a.wallMs!, cpuMs: a.cpuMs ?? null, hostCpuMs: hostBusyMs() - busy0, maxRssKiB: a.maxRssKiB ?? null, phases: a.phases ?? [] };
  };

  return {
    async up() {
      child = spawn(MININET_PYTHON, [script, file], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      await next('start');
      return step('up');
    },
    async down() {
      try {
        const s = await step('down');
        await new Promise<void>((res) => (child!.exitCode !== null ? res() : child!.on('close', () => res())));
        return s;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async verify() {
      for (const s of sampleNodes(g)) {
        const pid = pids[s.index];
        if (!pid) return `no pid for host ${s.node}`;
        const r = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-o', 'link', 'show'], { encoding: 'utf8' });
        const bad = r.status !== 0 ? `${s.node}: ${r.stderr.trim()}` : checkLinks(s.node, r.stdout, s.ifaces);
        if (bad) return bad;
      }
      return null;
    },
    async cleanup() {
      if (child && child.exitCode === null) {
        child.stdin.end(); // the script stops the network when stdin closes
        for (let i = 0; i < timeoutMs / 100 && child.exitCode === null; i++) await sleep(100);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // Shells left behind: only ours, recognised by pid and command line.
      for (const pid of pids) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mininet:')) process.kill(pid, 'SIGKILL');
        } catch { /* gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
