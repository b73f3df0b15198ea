/**
 * Removing a lab: from its State file when there is one, and by scanning what
 * netlab names deterministically when there is not (run directory, cgroups,
 * `ip netns` symlinks). Idempotent: a second run finds nothing and succeeds.
 * Never touches a host object netlab did not record (host links and tables are
 * removed only from their records, after checking identity — src/net/host-objects.ts).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { findLabs, killLab, detectCgroups, hasNoCgroups, type CgroupLayout } from '../core/cgroups.js';
import { isAlive, signalNode, waitForExit } from '../core/node.js';
import { KernelError } from '../errors.js';
import { removeHostObjects } from '../net/host-objects.js';
import { Rtnl } from '../net/rtnl.js';
import { removeClasses } from '../shaping/classes.js';
import { isHidden } from '../topology/namespaces.js';
import { withLabLock } from './lock.js';
import { PhaseProgress, type ProgressListener } from './progress.js';
import { isLabName, labDir, netnsDir, pathInside, requireLabName, runRoot } from './paths.js';
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

/** Options of teardown and takeDown. */
export interface DownOptions {
  onProgress?: ProgressListener;
  /** The host's cgroup layout, when the caller has detected it already. */
  layout?: CgroupLayout;
  /** Called with a line when another command holds the lab and `down` waits for it. */
  onWarning?: (text: string) => void;
}

/**
 * `netlab down` and `Lab.down`: teardown while holding the lab's lock
 * (src/lab/lock.ts), so an `up`, `link` or `save` of the same lab in progress
 * finishes first and `down` then removes what it made.
 * @throws as teardown; NetlabError (exit 1) naming the holder when the lab
 *   stays locked for the whole wait.
 */
export async function takeDown(lab: string, opts: DownOptions = {}): Promise<DownReport> {
  requireLabName(lab);
  return withLabLock(lab, 'down', () => teardown(lab, opts), { onWait: opts.onWarning });
}

/** Symlinks `/run/netns/<lab>.*` that point into /proc (what netlab creates); nothing else matches. */
export function netnsLinksOf(lab: string): string[] {
  requireLabName(lab);
  let names: string[];
  try { names = readdirSync(netnsDir()); } catch { return []; }
  const out: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${lab}.`)) continue;
    const path = pathInside(netnsDir(), [name], { leafMayBeLink: true });
    try {
      if (lstatSync(path).isSymbolicLink() && /^\/proc\/\d+\/ns\/net$/.test(readlinkSync(path))) out.push(path);
    } catch { /* raced with another down */ }
  }
  return out;
}

/**
 * Files and folders netlab makes in a lab's run folder early in `up`: a folder
 * holding none of them is not a run folder (e.g. NETLAB_RUN_DIR set to a folder
 * of the user's), and teardown leaves it alone.
 */
const RUN_FOLDER_MARKS = ['state.json', 'host-objects.jsonl', 'topology.json', 'nodes.tsv', 'hosts', 'nodes', 'console.log', 'net_cls'];

/**
 * Whether `dir` is a run folder netlab made (pure but for one readdir): an
 * empty folder (a start that died at once), or one holding a file netlab
 * writes (RUN_FOLDER_MARKS, or a State file being written). Not a folder: false.
 */
export function isRunFolder(dir: string): boolean {
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return false; }
  return entries.length === 0 || entries.some((e) => RUN_FOLDER_MARKS.includes(e) || e.startsWith('state.json.tmp'));
}

/**
 * Removes everything of lab `lab`. Order: kill every process of the lab by
 * cgroup (namespaces, veths and bridges die with them), remove the `ip netns`
 * names, the recorded host objects, private mounts, the cgroups and the run
 * directory. The caller holds the lab's lock (src/lab/lock.ts; Lab.down does).
 * @throws UsageError (exit 2) for a name that is not a lab name (nothing is
 *   touched); KernelError only when the kernel refuses to remove something that
 *   is netlab's (e.g. a cgroup that stays busy); gone objects are fine.
 */
export async function teardown(lab: string, opts: DownOptions = {}): Promise<DownReport> {
  requireLabName(lab);
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
      if (isHidden(name)) continue;
      if (isAlive(n)) report.stopped++;
      else report.alreadyDead.push(name);
    }
    if (state.phase !== 'stopping') writeStateQuietly({ ...state, phase: 'stopping' });
  }

  if (state && topology && state.phase !== 'starting') report.warnings.push(...await runShutdownScripts(lab, topology, state));
  const stop = new PhaseProgress('stop', 1, opts.onProgress);
  // The events supervisor first, so that it starts nothing more (cgroup.kill below would end it too).
  if (state?.supervisor) signalNode(state.supervisor, 'SIGKILL');
  await killLab(layout, lab);
  // Without cgroups (a rootless lab, docs/rootless.md) a node's PID 1 is its handle:
  // SIGKILL to the init of a pid namespace kills every process in it (pid_namespaces(7)).
  if (state && hasNoCgroups(layout)) await killNodes(Object.values(state.nodes));
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
  report.warnings.push(...unmountRecorded(lab, state?.mounts ?? []));
  const dir = labDir(lab); // checked: inside the run root, no symbolic link on the way
  if (hasDir && isRunFolder(dir)) rmSync(dir, { recursive: true, force: true });
  else if (hasDir) report.warnings.push(`${dir}: left alone: it does not look like a run folder of netlab's (no state.json, nodes.tsv, …)`);
  report.timings.cleanup = clean.end();
  return report;
}

/**
 * SIGKILL to each node's PID 1 still running, then waits until all are gone.
 * @throws KernelError (EBUSY) when one survives 10 s (stuck in the kernel).
 */
async function killNodes(nodes: { pid: number; startTime: number }[]): Promise<void> {
  const alive = nodes.filter((n) => signalNode(n, 'SIGKILL'));
  for (const n of alive) {
    if (!await waitForExit(n, 10_000)) {
      throw new KernelError(`node PID ${n.pid}`, 'kill', 16 /* EBUSY */, '', 'it did not die within 10 s (stuck in the kernel?); ps -o pid,stat,wchan,cmd -p PID shows it');
    }
  }
}

/**
 * Every lab that has anything on this host: run folders, cgroups, `ip netns`
 * names. Only valid lab names count (paths.ts isLabName): anything else found
 * there is not netlab's, and is left alone.
 */
export function findAllLabs(layout: CgroupLayout = detectCgroups()): string[] {
  const labs = new Set<string>();
  let dirs: string[] = [];
  try { dirs = readdirSync(runRoot()); } catch { /* no run root yet */ }
  for (const d of dirs) {
    try {
      if (isLabName(d) && isRunFolder(labDir(d))) labs.add(d);
    } catch { /* a symbolic link there: not a lab (teardown of that name says so) */ }
  }
  for (const lab of findLabs(layout)) if (isLabName(lab)) labs.add(lab);
  let names: string[] = [];
  try { names = readdirSync(netnsDir()); } catch { /* no /run/netns */ }
  const prefixes = new Set(names.map((n) => n.slice(0, Math.max(0, n.indexOf('.')))).filter((l) => isLabName(l) && !labs.has(l)));
  for (const lab of prefixes) if (netnsLinksOf(lab).length) labs.add(lab);
  return [...labs].sort();
}

/**
 * Unmounts the mount points netlab recorded (e.g. a private net_cls hierarchy
 * under the run directory); lazily, so a busy one still goes. Only recorded
 * paths inside the lab's own run folder are touched.
 */
function unmountRecorded(lab: string, mounts: string[]): string[] {
  const warnings: string[] = [];
  const dir = labDir(lab);
  for (const m of [...mounts].reverse()) {
    if (typeof m !== 'string' || resolve(m) !== m || !m.startsWith(`${dir}/`)) { warnings.push(`${m}: not inside ${dir}, left alone`); continue; }
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
