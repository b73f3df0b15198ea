/**
 * The State file: what a lab created on the host, written as it is created, so
 * that `netlab down` can always finish the job — after a failure, a Ctrl-C, or a
 * SIGKILL of the CLI (DESIGN.md, "State and cleanup").
 *
 * Writes are atomic (write a temporary file, rename). Recording is
 * intent-first: an object is recorded before the call that creates it, so a
 * crash between the two leaves a record of something that may not exist —
 * teardown tolerates that — never an object without a record.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAlive } from '../core/node.js';
import { NetlabError } from '../errors.js';
import type { HostObject } from '../net/host-objects.js';
import type { ClassesRecord } from '../shaping/classes.js';
import { isHidden } from '../topology/namespaces.js';
import { labDir, labPath, runRoot, stateFile } from './paths.js';

/** One node's process, as started. */
export interface NodeRecord {
  pid: number;
  /** /proc/PID/stat field 22 (clock ticks since boot): tells a reused pid. */
  startTime: number;
  kind: string;
}

/** A host-side object netlab created (host link, management bridge, nftables table, sysctl); see src/net/host-objects.ts. */
export type HostRecord = HostObject;

/** Lifecycle of a lab: starting (up in progress), running, stopping (down in progress), failed. */
export type LabPhase = 'starting' | 'running' | 'stopping' | 'failed';

export interface State {
  version: 1;
  lab: string;
  /** Absolute path of the topology file, when the lab came from a file. */
  file?: string;
  createdAt: string;
  /** pid of the CLI running `up`; lets `up` tell a crashed start from one in progress. */
  cliPid: number;
  phase: LabPhase;
  /** Nodes whose PID 1 was started, by name (hidden infrastructure nodes start with '.'). */
  nodes: Record<string, NodeRecord>;
  /** `ip netns` symlinks that may exist (recorded before creation). */
  netnsLinks: string[];
  /**
   * Host objects that may exist (recorded before creation). Kept in a journal
   * next to the State file (host-objects.jsonl, one JSON object per line,
   * appended synchronously), so recording one costs one small append, not a
   * rewrite of the whole State; readState merges it in.
   */
  hostObjects: HostRecord[];
  /** Mount points netlab may have mounted on the host (recorded before mounting: a private net_cls hierarchy). */
  mounts: string[];
  /** The traffic classes set up (src/shaping/classes.ts); teardown removes their cgroups and mount. */
  classes?: ClassesRecord;
  /** The events supervisor (src/events/supervisor.ts), when one was started; teardown ends it. */
  supervisor?: { pid: number; startTime: number };
}

/** A fresh State for a lab that is about to start. */
export function newState(lab: string, file: string | undefined): State {
  return {
    version: 1, lab, file, createdAt: new Date().toISOString(), cliPid: process.pid, phase: 'starting',
    nodes: {}, netnsLinks: [], hostObjects: [], mounts: [],
  };
}

/**
 * Reads a lab's State file. Returns undefined when it does not exist; a
 * damaged file also returns undefined with `damaged` set, so that teardown falls
 * back to scanning (cgroups, run directory, netns links).
 * @throws UsageError for a name that is not a lab name (paths.ts requireLabName).
 */
export function readState(lab: string): { state?: State; damaged?: string } {
  const path = stateFile(lab);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const state = JSON.parse(text) as State;
    if (state.version !== 1 || state.lab !== lab || typeof state.nodes !== 'object') return { damaged: 'unknown format' };
    state.hostObjects = readHostJournal(lab);
    return { state };
  } catch (err) {
    return { damaged: (err as Error).message };
  }
}

/** The host-object journal of a lab. */
function hostJournal(lab: string): string {
  return labPath(lab, 'host-objects.jsonl');
}

/**
 * Host objects recorded for a lab, also when the State file itself is damaged
 * or missing (the journal is a separate file). A torn last line is skipped.
 */
export function readHostJournal(lab: string): HostRecord[] {
  const path = hostJournal(lab);
  let text = '';
  try { text = readFileSync(path, 'utf8'); } catch { return []; }
  const out: HostRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line) as HostRecord); } catch { /* torn write at a crash */ }
  }
  return out;
}

/**
 * Writes the State file atomically (tmp + rename(2)). Only `create` makes the
 * lab's run folder (the first write of an `up`); otherwise a folder that is gone
 * stays gone — a State file is never brought back into a lab that was removed.
 * @throws NetlabError (exit 1) when the lab's run folder is gone (and not `create`).
 */
export function writeState(state: State, opts: { create?: boolean } = {}): void {
  const path = stateFile(state.lab);
  if (opts.create) {
    mkdirSync(runRoot(), { recursive: true });
    mkdirSync(labDir(state.lab), { recursive: true });
  }
  const tmp = labPath(state.lab, `state.json.tmp${process.pid}`);
  const { hostObjects: _journal, ...rest } = state;
  try {
    writeFileSync(tmp, JSON.stringify({ ...rest, hostObjects: [] }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw runFolderGone(state.lab);
    throw err;
  }
  renameSync(tmp, path);
}

/** The error of a command whose lab's run folder was removed under it (exit 1). */
export function runFolderGone(lab: string): NetlabError {
  return new NetlabError(`lab ${lab}`, 'its run folder was removed while this command was changing the lab',
    `netlab status ${lab} shows what is left; netlab down ${lab} removes it`);
}

/**
 * Holds the State in memory and writes it when asked. `up` records many objects
 * per second at scale, so recording marks the State dirty and `flush()` writes
 * it at most once per call; callers flush before each step that creates an
 * object of a new class (so intent is on disk before the object exists).
 */
export class StateStore {
  private dirty = true; // a new store has never been written
  private written = false;
  constructor(readonly state: State) {}

  /** Applies `change` to the in-memory State; call flush() to persist. */
  update(change: (s: State) => void): void {
    change(this.state);
    this.dirty = true;
  }

  /**
   * Records a host object before it is created: appended to the journal at once
   * (synchronously, so it is on disk before the creating call is made).
   */
  recordHost(obj: HostRecord): void {
    if (!this.written) this.flush();
    try {
      appendFileSync(hostJournal(this.state.lab), `${JSON.stringify(obj)}\n`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw runFolderGone(this.state.lab);
      throw err;
    }
    this.state.hostObjects.push(obj);
  }

  /**
   * Writes the State if anything changed since the last write. The first write
   * makes the lab's run folder; later ones never bring back a folder that is gone.
   * @throws NetlabError (exit 1) when the run folder was removed meanwhile.
   */
  flush(): void {
    if (!this.dirty) return;
    writeState(this.state, { create: !this.written });
    this.written = true;
    this.dirty = false;
  }
}

/** True while the `netlab up` that is building the lab (another process) still runs. */
export function upInProgress(state: State): boolean {
  if (state.phase !== 'starting' || state.cliPid === process.pid) return false;
  try { process.kill(state.cliPid, 0); return true; } catch { return false; }
}

/** Whether a lab has running nodes or an `up` in progress. */
export function labIsRunning(lab: string): boolean {
  const { state } = readState(lab);
  if (!state) return false;
  if (upInProgress(state)) return true;
  return Object.entries(state.nodes).some(([name, n]) => !isHidden(name) && isAlive(n));
}
