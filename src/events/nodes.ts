/**
 * Breaking a node on purpose: freeze it (`netlab node pause`), thaw it
 * (`resume`), and restart its daemons (`restart`).
 *
 * A paused node hangs with its links up: every process of it is frozen by
 * the cgroup freezer, so its neighbours notice only when their dead interval
 * expires — unlike `link down`, which they see at once (the carrier goes).
 * The freezer used: the node's cgroup2 directory's `cgroup.freeze`
 * (cgroup-v2.rst, "Core Interface Files"; pure v2, and hybrid's unified tree,
 * where it needs no controller), else a v1 freezer cgroup of the node's own
 * (freezer.state, cgroup-v1/freezer-subsystem.rst). Both are waited for until
 * the kernel reports every task frozen (cgroup.events `frozen 1`,
 * freezer.state FROZEN) or thawed.
 *
 * Restart kills every process of the node but its PID 1 (SIGTERM, then
 * SIGKILL after a grace period), waits until they are gone, and starts the
 * kind's daemons again from the files now in the node (`/etc/frr/frr.conf` as
 * it is, edited or not), then waits until they are ready. `exec:` lines are
 * not run again: what they set up (addresses, routes, sysctls) outlives the
 * daemons.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { labCgroup } from '../core/cgroups.js';
import { isAlive } from '../core/node.js';
import { getKind } from '../daemons/registry.js';
import { KernelError, NetlabError, UsageError } from '../errors.js';
import type { NodeRecord } from '../lab/state.js';
import { nodeContext, READY_TIMEOUT_MS } from '../lab/steps-run.js';
import type { Node, Topology } from '../topology/types.js';
import { isFrozen, nodePids } from '../observe/cgroup-read.js';

/** A node of a running lab as these operations need it. */
export interface NodeTarget {
  layout: CgroupLayout;
  topology: Topology;
  node: Node;
  record: NodeRecord;
}

/** How long the kernel may take to freeze or thaw every task of a node, ms. */
const FREEZE_TIMEOUT_MS = 10_000;
/** How long a node's processes get between SIGTERM and SIGKILL on restart, ms. */
const RESTART_GRACE_MS = 3000;

function read(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** The file that freezes node `node`: cgroup2 `cgroup.freeze`, or its v1 `freezer.state`. */
export function freezerOf(layout: CgroupLayout, lab: string, node: string): { kind: 'v2' | 'v1'; dir: string } | undefined {
  if (layout.unified) {
    const dir = join(labCgroup(layout.unified, lab), node);
    if (read(join(dir, 'cgroup.freeze'))) return { kind: 'v2', dir };
  }
  const v1 = layout.v1.find((h) => h.controllers.includes('freezer'))?.mount;
  if (v1) {
    const dir = join(labCgroup(v1, lab), node);
    if (read(join(dir, 'freezer.state'))) return { kind: 'v1', dir };
  }
  return undefined;
}

/** @throws UsageError when the node's PID 1 is gone. */
function mustRun(t: NodeTarget): void {
  if (!isAlive(t.record)) {
    throw new UsageError(`${t.topology.name}/${t.node.name}`, 'is not running (its PID 1 is gone)', `netlab status ${t.topology.name}; netlab down ${t.topology.name} removes the lab`);
  }
}

/** Waits until the kernel says every task of the node is frozen (or thawed). */
async function settle(f: { kind: 'v2' | 'v1'; dir: string }, frozen: boolean, what: string): Promise<void> {
  const done = (): boolean => (f.kind === 'v2'
    ? new RegExp(`^frozen ${frozen ? 1 : 0}$`, 'm').test(read(join(f.dir, 'cgroup.events')))
    : read(join(f.dir, 'freezer.state')).trim() === (frozen ? 'FROZEN' : 'THAWED'));
  const end = Date.now() + FREEZE_TIMEOUT_MS;
  for (let wait = 1; !done(); wait = Math.min(wait * 2, 50)) {
    if (Date.now() > end) throw new KernelError(what, frozen ? 'freeze' : 'thaw', 16, '', `the kernel did not report every task ${frozen ? 'frozen' : 'thawed'} within ${FREEZE_TIMEOUT_MS / 1000} s (a task stuck in the kernel?)`);
    await sleep(wait);
  }
}

function setFreezer(f: { kind: 'v2' | 'v1'; dir: string }, frozen: boolean, what: string): void {
  const file = f.kind === 'v2' ? 'cgroup.freeze' : 'freezer.state';
  try {
    writeFileSync(join(f.dir, file), f.kind === 'v2' ? (frozen ? '1' : '0') : (frozen ? 'FROZEN' : 'THAWED'));
  } catch (err) {
    throw new KernelError(what, `write ${file}`, -((err as NodeJS.ErrnoException).errno ?? -5));
  }
}

function freezer(t: NodeTarget): { kind: 'v2' | 'v1'; dir: string } {
  const f = freezerOf(t.layout, t.topology.name, t.node.name);
  if (!f) {
    throw new NetlabError(`node ${t.node.name}`, 'this host gives the node no freezer of its own (no cgroup2 tree, and no v1 freezer cgroup for the node)',
      'pause needs cgroup2 (pure, or hybrid\'s unified tree at /sys/fs/cgroup/unified): a kernel of 5.2 or newer; netlab doctor shows the cgroup mode');
  }
  return f;
}

/** Whether the node is paused now. */
export function nodePaused(t: NodeTarget): boolean {
  return isFrozen(t.layout, t.topology.name, t.node.name);
}

/**
 * Freezes every process of the node; returns once the kernel reports them
 * frozen. Its interfaces stay up, so neighbours notice only by missing hellos.
 * @throws UsageError when the node is not running or already paused;
 *   NetlabError when the host has no freezer for it; KernelError when the kernel refuses.
 */
export async function pauseNode(t: NodeTarget): Promise<void> {
  mustRun(t);
  const f = freezer(t);
  if (nodePaused(t)) throw new UsageError(`node ${t.node.name}`, 'is already paused', `resume it: netlab node resume ${t.node.name} --lab ${t.topology.name}`);
  const what = `node ${t.topology.name}/${t.node.name}`;
  setFreezer(f, true, what);
  await settle(f, true, what);
}

/**
 * Thaws a paused node; returns once every task runs again.
 * @throws UsageError when the node is not running or not paused.
 */
export async function resumeNode(t: NodeTarget): Promise<void> {
  mustRun(t);
  const f = freezer(t);
  if (!nodePaused(t)) throw new UsageError(`node ${t.node.name}`, 'is not paused', `netlab status ${t.topology.name} shows paused nodes; pause one with netlab node pause NODE`);
  const what = `node ${t.topology.name}/${t.node.name}`;
  setFreezer(f, false, what);
  await settle(f, false, what);
}

/**
 * Restarts the node's daemons (and its `cmd`) from the configuration files
 * now in the node: every process but PID 1 is stopped, then the kind starts
 * them again and waits until they are ready.
 * @throws UsageError when the node is not running or is paused (resume it
 *   first); NetlabError from the kind when a daemon does not come back.
 */
export async function restartNode(t: NodeTarget): Promise<void> {
  mustRun(t);
  if (nodePaused(t)) throw new UsageError(`node ${t.node.name}`, 'is paused: its processes cannot stop while frozen', `resume it first: netlab node resume ${t.node.name} --lab ${t.topology.name}`);
  const lab = t.topology.name;
  const others = (): number[] => nodePids(t.layout, lab, t.node.name).filter((p) => p !== t.record.pid);
  const signal = (sig: NodeJS.Signals): void => { for (const p of others()) { try { process.kill(p, sig); } catch { /* gone */ } } };
  signal('SIGTERM');
  const end = Date.now() + RESTART_GRACE_MS;
  for (let wait = 5; others().length && Date.now() < end; wait = Math.min(wait * 2, 100)) await sleep(wait);
  for (let i = 0; i < 50 && others().length; i++) { signal('SIGKILL'); await sleep(20); }
  if (others().length) throw new KernelError(`node ${lab}/${t.node.name}`, 'stop its processes', 16, '', 'some did not die (stuck in the kernel?)');
  const kind = getKind(t.node.kind);
  const ctx = nodeContext(lab, t.topology, t.node, t.record.pid);
  const started = await kind.start(ctx);
  await kind.ready(ctx, READY_TIMEOUT_MS, started);
}
