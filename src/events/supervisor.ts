/**
 * The events supervisor: a small Node.js process per lab that runs the lab's
 * events at their times (src/events/supervisor-main.ts is its entry point).
 * Like the nodes it outlives the CLI that started it: detached, in a session
 * of its own, and in a cgroup inside the lab's (`<cgroup2>/netlab/<lab>/_events`;
 * node names start with a letter, so it never meets a node), so that
 * `netlab down` — and the rollback of a failed `up` — end it with the rest of
 * the lab (cgroup.kill), besides the record in the State file.
 *
 * This file starts it, finds it and tells it about new events (SIGHUP).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { labCgroup } from '../core/cgroups.js';
import { isAlive, readProcStat } from '../core/node.js';
import { NetlabError } from '../errors.js';
import { labDir } from '../lab/paths.js';
import { readState, writeState } from '../lab/state.js';
import type { Topology } from '../topology/types.js';
import { writeSchedule } from './files.js';

function readText(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return ''; }
}

/** The cgroup (inside the lab's) the supervisor runs in. */
export const SUPERVISOR_CGROUP = '_events';

/** A running supervisor, as the State file records it. */
export interface SupervisorRecord {
  pid: number;
  startTime: number;
}

/** The file a supervisor writes its pid into once it listens for SIGHUP (a SIGHUP before that would end it). */
export function supervisorReadyFile(lab: string): string {
  return join(labDir(lab), 'events.ready');
}

/** How long `startSupervisor` waits for a new supervisor to listen, ms (Node.js starts in 1-2 s on a busy 2-core host). */
const READY_TIMEOUT_MS = 30_000;

/** Where the supervisor writes what it prints (its own errors; the actions go to events.log.jsonl). */
export function supervisorOutput(lab: string): string {
  return join(labDir(lab), 'events.out');
}

/** The supervisor's entry point, next to this file (dist/src/events/supervisor-main.js). */
function mainScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'supervisor-main.js');
}

/** Moves `pid` into the lab's cgroups: `_events` in the cgroup2 tree, else the lab's v1 pids cgroup. */
function joinLabCgroup(layout: CgroupLayout, lab: string, pid: number): void {
  if (layout.unified) {
    const dir = join(labCgroup(layout.unified, lab), SUPERVISOR_CGROUP);
    try { mkdirSync(dir); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; }
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    return;
  }
  const pids = layout.v1.find((h) => h.controllers.includes('pids'))?.mount;
  if (pids) writeFileSync(join(labCgroup(pids, lab), 'cgroup.procs'), String(pid));
}

/** The lab's supervisor when it runs (as the State file records it). */
export function runningSupervisor(lab: string): SupervisorRecord | undefined {
  const rec = readState(lab).state?.supervisor;
  return rec && isAlive(rec) ? rec : undefined;
}

/**
 * Starts the lab's supervisor (it reads events.json), waits until it listens
 * for SIGHUP (it writes its pid into events.ready), and records it in the
 * State file before returning. Callers hold the lab's lock.
 * @throws NetlabError when it cannot be started, put in the lab's cgroup, or
 *   does not get going within READY_TIMEOUT_MS (it is then killed again).
 */
export async function startSupervisor(lab: string, layout: CgroupLayout): Promise<SupervisorRecord> {
  const out = openSync(supervisorOutput(lab), 'a');
  let pid: number | undefined;
  rmSync(supervisorReadyFile(lab), { force: true });
  try {
    // The time it was asked to run: what it counts missed occurrences from (supervisor-main.ts, MISSED_MS).
    const child = spawn(process.execPath, [mainScript(), lab, String(Date.now())], { detached: true, stdio: ['ignore', out, out] });
    pid = child.pid;
    child.unref();
    if (!pid) throw new NetlabError(`events of lab ${lab}`, 'the supervisor did not start', 'see the line above; netlab down removes the lab');
    joinLabCgroup(layout, lab, pid);
    const st = readProcStat(pid);
    if (!st) throw new NetlabError(`events of lab ${lab}`, `the supervisor ended at once (see ${supervisorOutput(lab)})`, 'this is a bug in netlab: please report it');
    const rec = { pid, startTime: st.startTime };
    for (const deadline = Date.now() + READY_TIMEOUT_MS; readText(supervisorReadyFile(lab)) !== String(pid);) {
      if (!isAlive(rec)) throw new NetlabError(`events of lab ${lab}`, `the supervisor ended at once (see ${supervisorOutput(lab)})`, 'this is a bug in netlab: please report it');
      if (Date.now() > deadline) throw new NetlabError(`events of lab ${lab}`, `the supervisor did not get going within ${READY_TIMEOUT_MS / 1000} s`, 'the host may be overloaded: try again when it is less busy');
      await sleep(20);
    }
    const { state } = readState(lab);
    if (state) writeState({ ...state, supervisor: rec });
    return rec;
  } catch (err) {
    if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    if (err instanceof NetlabError) throw err;
    throw new NetlabError(`events of lab ${lab}`, `cannot start the supervisor: ${(err as Error).message}`, 'netlab down removes the lab');
  } finally {
    closeSync(out);
  }
}

/**
 * Tells a running supervisor to read the schedule again (SIGHUP), or starts
 * one when none runs.
 */
export async function notifySupervisor(lab: string, layout: CgroupLayout): Promise<SupervisorRecord> {
  const rec = runningSupervisor(lab);
  if (rec) {
    process.kill(rec.pid, 'SIGHUP');
    return rec;
  }
  return startSupervisor(lab, layout);
}

/**
 * Starts the events of a lab that has just come up: the schedule (time 0 is
 * now) and the supervisor that runs it. Called by `up` as its last step; a
 * failure rolls the lab back like any other.
 */
export async function startEvents(t: Topology, layout: CgroupLayout): Promise<SupervisorRecord> {
  writeSchedule({ version: 1, lab: t.name, startedAtMs: Date.now(), events: t.events ?? [] });
  return startSupervisor(t.name, layout);
}
