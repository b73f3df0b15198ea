/**
 * Removing a lab: from its State file when there is one, and by scanning what
 * netlab names deterministically when there is not (run directory, cgroups,
 * `ip netns` symlinks). Idempotent: a second run finds nothing and succeeds.
 * Never touches a host object netlab did not record (host links and tables are
 * removed only from their records, after checking identity — src/net/host.ts).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { findLabs, killLab, detectCgroups, type CgroupLayout } from '../core/cgroups.js';
import { isAlive } from '../core/node.js';
import { removeHostObjects } from '../net/host.js';
import { Rtnl } from '../net/rtnl.js';
import { removeClasses } from '../shaping/classes.js';
import { PhaseProgress, type ProgressListener } from './progress.js';
import { labDir, netnsDir, runRoot } from './paths.js';
import { readHostJournal, readState, writeState, type State } from './state.js';
import { netnsAliasesOf, readTopologyQuietly, runShutdownScripts } from './teardown-imported.js';

/** What `down` did, for the CLI's summary. */
export interface DownReport {
  lab: string;
  /** Nodes that were running (and were stopped). */
  stopped: number;
  /** Nodes that had already died before `down` (a warning, not an error). */
  alreadyDead: string[];
  /** False when there was nothing of this lab on the host. */
  found: boolean;
  /** Things left alone or that could not be removed, one line each. */
  warnings: string[];
  /** Phase name → ms. */
  timings: Record<string, number>;
}

/** Symlinks `/run/netns/<lab>.*` that point into /proc (what netlab creates); nothing else matches. */
export function netnsLinksOf(lab: string): string[] {
  let names: string[];
  try { names = readdirSync(netnsDir); } catch { return []; }
  const out: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${lab}.`)) continue;
    const path = `${netnsDir}/${name}`;
    try {
      if (lstatSync(path).isSymbolicLink() && /^\/proc\/\d+\/ns\/net$/.test(readlinkSync(path))) out.push(path);
    } catch { /* raced with another down */ }
  }
  return out;
}

/**
 * Removes everything of lab `lab`. Order: kill every process of the lab by
 * cgroup (namespaces, veths and bridges die with them), remove the `ip netns`
 * names, the recorded host objects, private mounts, the cgroups and the run
 * directory.
 * @throws KernelError only when the kernel refuses to remove something that
 *   is netlab's (e.g. a cgroup that stays busy); gone objects are fine.
 */
export async function teardown(lab: string, opts: { onProgress?: ProgressListener; layout?: CgroupLayout } = {}): Promise<DownReport> {
  const layout = opts.layout ?? detectCgroups();
  const { state, damaged } = readState(lab);
  const report: DownReport = { lab, stopped: 0, alreadyDead: [], found: false, warnings: [], timings: {} };
  if (damaged) report.warnings.push(`the State file of ${lab} is damaged (${damaged}); removing what can be found by name`);
  const topology = readTopologyQuietly(lab);
  const links = [...netnsLinksOf(lab), ...(topology ? netnsAliasesOf(topology, state) : [])];
  const hostObjects = state?.hostObjects ?? readHostJournal(lab);
  const hasDir = exists(labDir(lab));
  const hasCgroups = findLabs(layout).includes(lab);
  report.found = Boolean(state || hasDir || hasCgroups || links.length || hostObjects.length);
  if (!report.found) return report;

  if (state) {
    for (const [name, n] of Object.entries(state.nodes)) {
      if (name.startsWith('_')) continue;
      if (isAlive(n)) report.stopped++;
      else report.alreadyDead.push(name);
    }
    if (state.phase !== 'stopping') writeStateQuietly({ ...state, phase: 'stopping' });
  }

  if (state && topology && state.phase !== 'starting') report.warnings.push(...await runShutdownScripts(lab, topology, state));
  const stop = new PhaseProgress('stop', 1, opts.onProgress);
  await killLab(layout, lab);
  report.timings.stop = stop.end();

  const clean = new PhaseProgress('cleanup', links.length + hostObjects.length + 1, opts.onProgress);
  for (const path of links) {
    try { unlinkSync(path); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report.warnings.push(`${path}: ${(err as Error).message}`); }
    clean.step();
  }
  if (hostObjects.length) {
    const host = Rtnl.open({ label: 'host' });
    try {
      for (const r of await removeHostObjects(host, hostObjects)) {
        if (r.outcome.startsWith('left')) report.warnings.push(`${r.object.kind} ${'name' in r.object ? r.object.name : r.object.key}: ${r.outcome}`);
        clean.step();
      }
    } finally {
      host.close();
    }
  }
  if (state?.classes) {
    try { await removeClasses(state.classes); } catch (err) { report.warnings.push(`traffic classes: ${(err as Error).message}`); }
  }
  report.warnings.push(...unmountRecorded(state?.mounts ?? []));
  rmSync(labDir(lab), { recursive: true, force: true });
  report.timings.cleanup = clean.end();
  return report;
}

/** Every lab that has anything on this host: run directories, cgroups, `ip netns` names. */
export function findAllLabs(layout: CgroupLayout = detectCgroups()): string[] {
  const labs = new Set<string>();
  try { for (const d of readdirSync(runRoot())) if (!d.startsWith('.')) labs.add(d); } catch { /* no run root yet */ }
  for (const lab of findLabs(layout)) labs.add(lab);
  try {
    for (const name of readdirSync(netnsDir)) {
      const dot = name.indexOf('.');
      if (dot > 0 && netnsLinksOf(name.slice(0, dot)).length) labs.add(name.slice(0, dot));
    }
  } catch { /* no /run/netns */ }
  return [...labs].sort();
}

/**
 * Unmounts the mount points netlab recorded (e.g. a private net_cls hierarchy
 * under the run directory); lazily, so a busy one still goes. Only recorded
 * paths under the run root are touched.
 */
function unmountRecorded(mounts: string[]): string[] {
  const warnings: string[] = [];
  for (const m of [...mounts].reverse()) {
    if (!m.startsWith(`${runRoot()}/`)) { warnings.push(`${m}: not under ${runRoot()}, left alone`); continue; }
    const r = spawnSync('umount', ['-l', m], { encoding: 'utf8' });
    if (r.status !== 0 && !/not mounted|no mount point|No such file/.test(r.stderr)) warnings.push(`umount ${m}: ${r.stderr.trim()}`);
  }
  return warnings;
}

function exists(path: string): boolean {
  try { lstatSync(path); return true; } catch { return false; }
}

function writeStateQuietly(s: State): void {
  try { writeState(s); } catch { /* the run dir may be half gone; teardown goes on */ }
}
