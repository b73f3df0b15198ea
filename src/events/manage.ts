/**
 * A running lab's events as `netlab events LAB` shows them (what is
 * scheduled, what ran, when, what failed), and `netlab events LAB add`:
 * a new event checked against the lab and the events it has, written to the
 * schedule, and handed to the supervisor.
 */
import type { CgroupLayout } from '../core/cgroup-layout.js';
import { UsageError } from '../errors.js';
import type { Topology } from '../topology/types.js';
import { readEventLog, readSchedule, wallClock, writeSchedule, type EventRun, type Schedule } from './files.js';
import { checkOverlaps, occurrenceStart, resolveEvent, type EventSpec } from '../topology/events.js';
import { notifySupervisor, runningSupervisor } from './supervisor.js';
import { withLabLock } from '../lab/lock.js';

/** One event in a report. */
export interface EventStatus {
  spec: EventSpec;
  /** Next occurrence's start, ISO 8601; absent when none is left. */
  next?: string;
  /** Actions run so far, and how many of them failed. */
  runs: number;
  failures: number;
}

/** What `netlab events LAB` shows. */
export interface EventsReport {
  lab: string;
  /** The supervisor's PID while it runs. */
  supervisor?: number;
  /** When the lab started (time 0 of events given as durations), ISO 8601. */
  startedAt?: string;
  events: EventStatus[];
  /** Every action run, oldest first. */
  runs: EventRun[];
}

/** The next occurrence of `e` that starts at or after `nowMs` (wall clock), or undefined. Pure. */
export function nextOccurrence(s: Schedule, e: EventSpec, nowMs: number): number | undefined {
  const first = wallClock(s, e, e.atMs);
  // Start a period or two before now (jitter moves an occurrence by less than a period).
  const k0 = e.everyMs ? Math.max(0, Math.floor((nowMs - first) / e.everyMs) - 1) : 0;
  for (let k = k0; k < k0 + 4; k++) {
    const start = occurrenceStart(e, k);
    if (start === undefined) return undefined;
    if (wallClock(s, e, start) >= nowMs) return wallClock(s, e, start);
  }
  return undefined;
}

/** The report of lab `lab` (reads its schedule and log). Pure apart from reading files. */
export function eventsReport(lab: string, nowMs = Date.now()): EventsReport {
  const s = readSchedule(lab);
  const runs = readEventLog(lab);
  const sup = runningSupervisor(lab);
  return {
    lab, ...(sup ? { supervisor: sup.pid } : {}), ...(s ? { startedAt: new Date(s.startedAtMs).toISOString() } : {}),
    events: (s?.events ?? []).map((e) => {
      const mine = runs.filter((r) => r.event === e.index);
      const next = sup ? nextOccurrence(s!, e, nowMs) : undefined;
      return { spec: e, ...(next !== undefined ? { next: new Date(next).toISOString() } : {}), runs: mine.length, failures: mine.filter((r) => !r.ok).length };
    }),
    runs,
  };
}

/**
 * Adds one event to a running lab: `raw` is an event as in `events:`, with
 * durations counted from now (a clock time stays a clock time). It is checked
 * against the lab and against the events it already has (overlaps) and by
 * `check` (what the kernel must have for it), written to the schedule, and
 * the supervisor is told (or started).
 * @throws TopologyError (exit 2) naming `events[N]…` for bad input.
 */
export async function addEvent(t: Topology, layout: CgroupLayout, raw: unknown, nowMs = Date.now(), check?: (e: EventSpec) => Promise<void>): Promise<EventSpec> {
  // Under the lab's lock: a supervisor decides to exit under it too (supervisor-main.ts), so the
  // event is either seen by the running supervisor or handed to a new one — never signalled to one
  // that is leaving.
  return withLabLock(t.name, 'events add', () => addEventLocked(t, layout, raw, nowMs, check));
}

async function addEventLocked(t: Topology, layout: CgroupLayout, raw: unknown, nowMs: number, check?: (e: EventSpec) => Promise<void>): Promise<EventSpec> {
  const s: Schedule = readSchedule(t.name) ?? { version: 1, lab: t.name, startedAtMs: nowMs, events: [] };
  const index = s.events.length ? Math.max(...s.events.map((e) => e.index)) + 1 : 0;
  const e = resolveEvent(t, raw, index, nowMs);
  if (e.relative) e.atMs += nowMs - s.startedAtMs;
  if (s.events.some((x) => x.name === e.name)) {
    throw new UsageError(`events[${index}].name`, `the lab already has an event named "${e.name}"`, 'give it another name: name: …');
  }
  const all = [...s.events, e];
  checkOverlaps(t, all);
  await check?.(e);
  writeSchedule({ ...s, events: all });
  await notifySupervisor(t.name, layout);
  return e;
}
