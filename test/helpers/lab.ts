/**
 * Helpers for lab-level integration tests: run the real CLI, generate
 * topologies, and check that a lab left nothing on the host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Topology } from '../../src/topology/types.js';
import { repoRoot } from './kernel.js';
import { scratchDir } from './scratch.js';
import { loadTopology } from '../../src/lab/load.js';

/**
 * The name a test runs a lab file under: `t-` and the file's base name. The
 * suite never uses a lab's own name, so it never meets (or cleans up) a copy
 * of the same lab that someone has running or left behind on this host.
 */
export function testLabName(file: string): string {
  return `t-${basename(file).replace(/\.ya?ml$/, '')}`;
}

/** topologies/<name>.yaml, loaded as the test's own copy (testLabName), with no environment variables. */
export function exampleTopology(name: string): Topology {
  const file = join(repoRoot, 'topologies', `${name}.yaml`);
  return loadTopology(file, { env: {}, name: testLabName(file) });
}

/** bin/netlab of this checkout. */
export const netlabBin = join(repoRoot, 'bin/netlab');

/** Result of a CLI run. */
export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `netlab ARGS…` to completion. */
export function netlab(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(netlabBin, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 300_000 });
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr };
}

/** Starts `netlab ARGS…` without waiting (for signal tests). */
export function netlabAsync(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(netlabBin, args, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A ring of `n` plain linux nodes named n1…nN, written to a scratch file (removed when the test process exits); returns its path. */
export function ringFile(name: string, n: number): string {
  const dir = scratchDir('ring-');
  const nodes = Array.from({ length: n }, (_, i) => `  n${i + 1}: {}`).join('\n');
  const links = Array.from({ length: n }, (_, i) => `  - [n${i + 1}:eth1, n${((i + 1) % n) + 1}:eth2]`).join('\n');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nnodes:\n${nodes}\nlinks:\n${links}\n`);
  return file;
}

/** What of lab `lab` is still on the host: run dir, `ip netns` names, cgroups, processes. Empty when clean. */
export function residue(lab: string): string[] {
  const out: string[] = [];
  const runRoot = process.env.NETLAB_RUN_DIR || '/run/netlab';
  if (existsSync(join(runRoot, lab))) out.push(`run dir ${join(runRoot, lab)}`);
  try { for (const n of readdirSync('/run/netns')) if (n.startsWith(`${lab}.`)) out.push(`netns ${n}`); } catch { /* none */ }
  const r = spawnSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 4 -type d -path '*/netlab/${lab}' 2>/dev/null`], { encoding: 'utf8' });
  out.push(...r.stdout.split('\n').filter(Boolean).map((d) => `cgroup ${d}`));
  const ps = spawnSync('sh', ['-c', `ps -eo args | grep -F 'netlab-init ${lab}/' | grep -v grep`], { encoding: 'utf8' });
  out.push(...ps.stdout.split('\n').filter(Boolean).map((p) => `process ${p}`));
  return out;
}

/** Resolves when `predicate` holds (polled every 20 ms) or rejects after `ms`. */
export async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for a child to exit; resolves with its exit code (128 + signal when killed). */
export function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(child.exitCode); return; }
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15)));
  });
}

/**
 * Runs `netlab ARGS…` to completion without blocking this process (for tests
 * that serve something the command talks to, e.g. a registry proxy).
 */
export async function netlabAwait(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = netlabAsync(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const code = await exited(child);
  return { code, stdout, stderr };
}
