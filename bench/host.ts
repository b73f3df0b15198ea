/**
 * What the benchmark reads from the host: free memory, host-wide CPU time, the
 * kernel's count of live network namespaces, the load; timed child processes
 * (GNU time for their CPU and peak memory); leakcheck snapshots.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Median of `samples` readings of MemAvailable taken `gapMs` apart, KiB: one reading can catch a neighbour's passing allocation. */
export async function memAvailableSteadyKiB(samples = 5, gapMs = 200): Promise<number> {
  const v: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i) await sleep(gapMs);
    v.push(memAvailableKiB());
  }
  return v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
}

/** MemAvailable of /proc/meminfo in KiB (proc(5)). */
export function memAvailableKiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!m) throw new Error('/proc/meminfo has no MemAvailable line');
  return Number(m[1]);
}

/**
 * Busy CPU time of the whole host since boot in ms: user+nice+system+irq+softirq+steal
 * of the `cpu` line of /proc/stat (proc(5); USER_HZ = 100). Kernel work done on
 * behalf of a tool (namespace cleanup in kworkers) shows here, not in the tool's rusage.
 */
export function hostBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the host is idle: busy CPU (all cores, /proc/stat) below
 * `maxBusyFraction` of one core over a `windowMs` window. Returns ms until the
 * idle window began, or null when it did not come within `timeoutMs`.
 *
 * Why: a tool's `down` returns before the kernel has finished — network
 * namespaces are dismantled afterwards in a kernel worker (net/core/net_namespace.c,
 * cleanup_net) that holds the RTNL lock and the CPU, and the next lab pays for it.
 * (The `net_namespace` slab count cannot tell: on this 6.18 kernel a freed
 * namespace's memory is returned a minute or more later.)
 */
export async function waitHostIdle(timeoutMs: number, windowMs = 500, maxBusyFraction = 0.1): Promise<number | null> {
  const t0 = performance.now();
  const samples: { t: number; busy: number }[] = [{ t: t0, busy: hostBusyMs() }];
  while (performance.now() - t0 < timeoutMs) {
    await sleep(100);
    const now = { t: performance.now(), busy: hostBusyMs() };
    samples.push(now);
    const start = samples.find((x) => now.t - x.t <= windowMs + 1) ?? samples[0]!;
    // /proc/stat counts in 10 ms ticks: a window needs ≥ windowMs of samples to judge.
    if (now.t - samples[0]!.t >= windowMs && now.t - start.t >= windowMs - 100 && (now.busy - start.busy) / (now.t - start.t) < maxBusyFraction) {
      return Math.max(0, start.t - t0);
    }
  }
  return null;
}

/** The 1-minute load average (/proc/loadavg). */
export function loadAvg1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** A finished child process, timed. */
export interface Timed {
  code: number | null;
  signal: string | null;
  /** Wall time from spawn to exit, ms. */
  wallMs: number;
  /** User + system CPU of the process and its waited-for children, ms (GNU time); null without it. */
  cpuMs: number | null;
  /** Peak resident set size of the process (or its largest waited-for child), KiB (GNU time %M). */
  maxRssKiB: number | null;
  /** Busy CPU of the whole host during the run, ms. */
  hostCpuMs: number;
  stdout: string;
  stderr: string;
}

export const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = (): boolean => existsSync(GNU_TIME);

/**
 * Runs a command, timing it: wall time here, CPU and peak RSS with GNU time
 * (`/usr/bin/time -f '%U %S %M' -o FILE`, Debian package `time`) when installed.
 * stdin is closed; stdout and stderr are collected.
 */
export async function runTimed(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-time-'));
  const out = join(dir, 'rusage');
  const useTime = hasGnuTime();
  const argv = useTime ? ['-f', '%U %S %M', '-o', out, cmd, ...args] : args;
  const busy0 = hostBusyMs();
  const t0 = performance.now();
  try {
    const r = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res, rej) => {
      const child = spawn(useTime ? GNU_TIME : cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
      child.on('error', rej);
      child.on('close', (code, signal) => { if (timer) clearTimeout(timer); res({ code, signal, stdout, stderr }); });
    });
    const wallMs = performance.now() - t0;
    const hostCpuMs = hostBusyMs() - busy0;
    let cpuMs: number | null = null;
    let maxRssKiB: number | null = null;
    if (useTime && existsSync(out)) {
      // GNU time writes "Command exited with non-zero status N" before the format line when N ≠ 0.
      const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
      const m = /^([\d.]+) ([\d.]+) (\d+)$/.exec(last);
      if (m) { cpuMs = (Number(m[1]) + Number(m[2])) * 1000; maxRssKiB = Number(m[3]); }
    }
    return { ...r, wallMs, cpuMs, maxRssKiB, hostCpuMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The team's leakcheck, or null when it is not next to the checkout. */
export function leakcheckPath(repoRoot: string): string | null {
  const p = process.env.NETLAB_LEAKCHECK ?? resolve(repoRoot, '../shared/tools/leakcheck');
  return existsSync(p) ? p : existsSync('/work/shared/tools/leakcheck') ? '/work/shared/tools/leakcheck' : null;
}

/**
 * The lines of a leakcheck difference that can be a lab's, or null when none:
 * cgroups of the machine's own session runner (`…/process_api/…`, created for
 * every command anyone runs) come and go while a measurement runs and are not
 * residue of it.
 */
export function leakOfOurs(report: string): string | null {
  const lines = report.trim().split('\n').filter((l) => /^[-+]/.test(l) && !/\/process_api\//.test(l));
  return lines.length ? `leakcheck: host state differs (- before, + now):\n${lines.join('\n')}` : null;
}

/**
 * Snapshots the host with leakcheck; `compare()` returns null when the host is
 * as before, else leakcheck's report of the difference.
 */
export function leakSnapshot(repoRoot: string): { compare(): string | null } | null {
  const tool = leakcheckPath(repoRoot);
  if (!tool) return null;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-leak-'));
  const file = join(dir, 'before');
  spawnSync(tool, ['snapshot', file], { stdio: 'ignore' });
  return {
    compare(): string | null {
      const r = spawnSync(tool, ['compare', file], { encoding: 'utf8' });
      rmSync(dir, { recursive: true, force: true });
      return r.status === 0 ? null : leakOfOurs(r.stdout + r.stderr);
    },
  };
}
