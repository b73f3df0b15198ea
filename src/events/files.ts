/**
 * The files a lab's events live in, next to its State (docs/decisions.md,
 * "Names on the host"):
 *
 *   /run/netlab/<lab>/events.json       the schedule: when the lab started, every EventSpec
 *   /run/netlab/<lab>/events.log.jsonl  one line per action the supervisor ran (or failed)
 *
 * The schedule is written atomically (tmp + rename) by `up` and `netlab
 * events add`; the supervisor re-reads it on SIGHUP. The log is appended by
 * the supervisor only, one synchronous append per action.
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from '../lab/paths.js';
import type { EventSpec } from '../topology/events.js';

/** What events.json holds. */
export interface Schedule {
  version: 1;
  lab: string;
  /** Wall-clock ms when the lab finished starting: time 0 of events given as durations. */
  startedAtMs: number;
  events: EventSpec[];
}

/** One line of the event log: one action of one occurrence. */
export interface EventRun {
  /** events[index] */
  event: number;
  name: string;
  /** Occurrence, 0-based. */
  occurrence: number;
  /** What was done: "r1:eth1 down", "r1:eth1 up", "r2 paused", "r1:eth1 rate 50mbit (ramp 3/10)". */
  action: string;
  /** When it was due, ISO 8601. */
  due: string;
  /** When the kernel (or the command) had done it, ISO 8601. */
  at: string;
  /** How long the action took, ms. */
  ms: number;
  ok: boolean;
  /** Why it failed (error text; for exec, the exit code and the last lines of output). */
  error?: string;
}

export function scheduleFile(lab: string): string {
  return join(labDir(lab), 'events.json');
}

export function eventLogFile(lab: string): string {
  return join(labDir(lab), 'events.log.jsonl');
}

/** The lab's schedule, or undefined when it has none (no events ever). */
export function readSchedule(lab: string): Schedule | undefined {
  try {
    const s = JSON.parse(readFileSync(scheduleFile(lab), 'utf8')) as Schedule;
    return s.version === 1 && Array.isArray(s.events) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the schedule atomically. */
export function writeSchedule(s: Schedule): void {
  const path = scheduleFile(s.lab);
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, path);
}

/** Every run logged so far, oldest first (a torn last line is skipped). */
export function readEventLog(lab: string): EventRun[] {
  let text = '';
  try { text = readFileSync(eventLogFile(lab), 'utf8'); } catch { return []; }
  const out: EventRun[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try { out.push(JSON.parse(line) as EventRun); } catch { /* torn write */ }
  }
  return out;
}

export function appendEventLog(lab: string, run: EventRun): void {
  appendFileSync(eventLogFile(lab), `${JSON.stringify(run)}\n`);
}

/** Wall-clock ms of occurrence start `startMs` of an event (in its own time base). Pure. */
export function wallClock(s: Schedule, e: EventSpec, startMs: number): number {
  return e.relative ? s.startedAtMs + startMs : startMs;
}
