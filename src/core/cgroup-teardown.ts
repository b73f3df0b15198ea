/**
 * Ending a lab by its cgroups: kill every process, wait until the cgroups are
 * empty, remove them children first (node cgroups and whatever others put
 * below them, such as traffic-class cgroups), then `netlab` when no other lab
 * uses it. Safe with labs starting or stopping at the same time and with
 * directories already gone.
 *
 * How the processes die (cgroup-v2.rst "cgroup.kill", cgroup-v1/freezer-subsystem.rst):
 *  - cgroup2 tree (pure v2 and hybrid): one write of "1" to the lab's
 *    cgroup.kill SIGKILLs every process below it (kernel >= 5.14);
 *  - pure v1: freeze the lab's freezer cgroup, SIGKILL every task, thaw — a
 *    frozen task cannot fork, so nothing escapes between reading and killing;
 *  - neither (old kernel, no freezer): SIGKILL what cgroup.procs lists until
 *    nothing is left.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../errors.js';
import type { CgroupLayout } from './cgroup-layout.js';

function labDirIn(mount: string, lab: string): string {
  return join(mount, 'netlab', lab);
}

function hierarchies(layout: CgroupLayout): string[] {
  return [...(layout.unified ? [layout.unified] : []), ...layout.v1.map((h) => h.mount)];
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch { return []; }
}

/** `dir` and every cgroup below it, deepest first. */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const d of subdirs(dir)) out.push(...tree(d));
  out.push(dir);
  return out;
}

/** Pids in `dir` and below (cgroup.procs of each). */
function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  for (const d of tree(dir)) {
    let text = '';
    try { text = readFileSync(join(d, 'cgroup.procs'), 'utf8'); } catch { continue; }
    for (const line of text.split('\n')) if (line) pids.push(Number(line));
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
  }
}

function tryWrite(path: string, value: string): boolean {
  try { writeFileSync(path, value); return true; } catch { return false; }
}

function read(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    if (done()) return true;
    if (Date.now() > end) return false;
    await sleep(wait);
  }
}

/** Is the lab empty (no process left in any of its cgroups)? */
function empty(layout: CgroupLayout, lab: string): boolean {
  if (layout.unified) {
    const events = read(join(labDirIn(layout.unified, lab), 'cgroup.events'));
    if (events) return /^populated 0$/m.test(events);
  }
  return hierarchies(layout).every((m) => pidsIn(labDirIn(m, lab)).length === 0);
}

async function killV1Frozen(freezer: string, lab: string): Promise<boolean> {
  const dir = labDirIn(freezer, lab);
  if (!tryWrite(join(dir, 'freezer.state'), 'FROZEN')) return false;
  await until(() => read(join(dir, 'freezer.state')).trim() === 'FROZEN', 2000);
  killAll(pidsIn(dir));
  tryWrite(join(dir, 'freezer.state'), 'THAWED'); // SIGKILL is delivered once thawed
  return true;
}

/**
 * Kills every process of lab `lab` by cgroup, waits until none is left,
 * and removes the lab's cgroups in every hierarchy (and `netlab` when it is
 * empty). Idempotent: a lab without cgroups returns at once.
 * @param opts.timeoutMs how long processes may take to die (default 10 000 ms).
 * @throws KernelError when processes survive the timeout (EBUSY) or a cgroup
 *   cannot be removed for another reason than being gone already.
 */
export async function killLab(layout: CgroupLayout, lab: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const mounts = hierarchies(layout).filter((m) => subdirs(join(m, 'netlab')).some((d) => d.endsWith(`/${lab}`)));
  if (!mounts.length) return;
  const killed = layout.unified && tryWrite(join(labDirIn(layout.unified, lab), 'cgroup.kill'), '1');
  if (!killed) {
    const freezer = layout.v1.find((h) => h.controllers.includes('freezer'))?.mount;
    if (!(freezer && await killV1Frozen(freezer, lab))) killAll(hierarchies(layout).flatMap((m) => pidsIn(labDirIn(m, lab))));
  }
  // Processes that were forking while we read the lists: kill again until empty.
  const gone = await until(() => {
    if (empty(layout, lab)) return true;
    if (!killed) killAll(hierarchies(layout).flatMap((m) => pidsIn(labDirIn(m, lab))));
    return false;
  }, timeoutMs);
  if (!gone) {
    throw new KernelError(`cgroups of lab ${lab}`, 'kill every process', 16 /* EBUSY */, '',
      `some processes did not die within ${timeoutMs} ms (stuck in the kernel?); ps -e -o pid,stat,wchan,cmd shows them`);
  }
  // The memory hierarchy last: the kernel offlines a memory cgroup after its rmdir, in a worker that
  // takes the cgroup lock the other rmdirs need (mm/memcontrol.c mem_cgroup_css_offline); measured on a
  // 500-node lab, the pids rmdirs took 40–130 ms after the memory ones and 10–20 ms before them.
  const memory = new Set(layout.v1.filter((h) => h.controllers.includes('memory')).map((h) => h.mount));
  for (const m of [...mounts].sort((a, b) => Number(memory.has(a)) - Number(memory.has(b)))) await removeTree(labDirIn(m, lab));
  for (const m of mounts) {
    try { rmdirSync(join(m, 'netlab')); } catch { /* another lab's, busy, or gone */ }
  }
}

/**
 * rmdir `dir` and everything below it. Each child is tried first as it is
 * (a node cgroup rarely has children): reading every cgroup directory to find
 * out costs more than the rmdir (each lists its ~30 control files). EBUSY
 * means sub-cgroups (removed first) or a dying task not yet released
 * (retried for up to ~1 s); ENOENT is fine.
 */
async function removeTree(dir: string): Promise<void> {
  for (const child of subdirs(dir)) {
    if (!tryRmdir(child)) await removeTree(child);
  }
  for (let attempt = 0; ; attempt++) {
    try { rmdirSync(dir); return; } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return;
      if (e.code === 'EBUSY' && subdirs(dir).length) { await removeTree(dir); return; }
      if (e.code !== 'EBUSY' || attempt >= 100) throw new KernelError(`cgroup ${dir}`, 'rmdir', -(e.errno ?? -16), '', 'a process is still inside: ps -e -o pid,cgroup,cmd | grep netlab');
      await sleep(10);
    }
  }
}

function tryRmdir(dir: string): boolean {
  try { rmdirSync(dir); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'ENOENT'; }
}

/**
 * Labs that have cgroups on this host (for `down --all` when a State file is
 * gone): the names under `netlab` in every hierarchy, sorted.
 */
/**
 * Whether lab `lab` has cgroups on this host: none, empty ones (debris of a
 * run that was killed before it removed them), or ones with processes (a lab
 * of that name runs, perhaps from another run folder). Reads cgroup.events /
 * cgroup.procs only.
 */
export function labCgroupState(layout: CgroupLayout, lab: string): 'none' | 'empty' | 'busy' {
  if (!hierarchies(layout).some((m) => existsSync(labDirIn(m, lab)))) return 'none';
  return empty(layout, lab) ? 'empty' : 'busy';
}

export function findLabs(layout: CgroupLayout): string[] {
  const labs = new Set<string>();
  for (const m of hierarchies(layout)) {
    for (const d of subdirs(join(m, 'netlab'))) labs.add(d.slice(d.lastIndexOf('/') + 1));
  }
  return [...labs].sort();
}
