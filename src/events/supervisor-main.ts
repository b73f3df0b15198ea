/**
 * The events supervisor process (started by src/events/supervisor.ts):
 *   node supervisor-main.js LAB [ASKED_AT_MS]
 * Runs every event of /run/netlab/LAB/events.json at its times, one loop per
 * event, and appends each action to events.log.jsonl. SIGHUP: read the
 * schedule again and start the events that are new. SIGTERM/SIGINT: stop.
 * It ends by itself when no event has an occurrence left, or when the lab is
 * gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { withLabLock } from '../lab/lock.js';
import { readState, writeState } from '../lab/state.js';
import { supervisorReadyFile } from './supervisor.js';
import { readLabTopology } from '../lab/status.js';
import type { Shaping } from '../shaping/types.js';
import { describeStep, runStep, stepsOf } from './actions.js';
import { appendEventLog, readSchedule, wallClock, type Schedule } from './files.js';
import { occurrenceStart, type EventSpec } from '../topology/events.js';
import { isHostEndpoint } from '../topology/endpoints.js';

/**
 * An occurrence due more than this long before the supervisor could run it is
 * skipped, ms: before it was asked to run (no supervisor ran then), or, for
 * later occurrences, before the previous one ended (it fell behind). "Asked"
 * is ASKED_AT_MS, the time netlab spawned this process, not when it got going:
 * starting Node.js takes 1-2 s on a busy 2-core machine, and an event due
 * "now" (`events add` without --at, an `at: 0` event at `up`) was skipped.
 */
const MISSED_MS = 2000;

const lab = process.argv[2] ?? '';
const askedAtMs = Number(process.argv[3]) || Date.now();
const stop = new AbortController();
let schedule: Schedule | undefined;
const loops = new Map<number, Promise<void>>();

function say(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

async function until(wallMs: number): Promise<void> {
  const wait = wallMs - Date.now();
  if (wait > 0) await sleep(wait, undefined, { signal: stop.signal });
}

function peerOf(endpoint: string): string | undefined {
  const [node, iface] = endpoint.split(':');
  const i = readLabTopology(lab).nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
  return i?.peer && !isHostEndpoint(i.peer) ? `${i.peer.node}:${i.peer.iface}` : undefined;
}

async function runEvent(e: EventSpec): Promise<void> {
  const steps = stepsOf(e, peerOf);
  // When this loop could first act: a supervisor that was already running (SIGHUP) could at once.
  let readyAt = Math.min(askedAtMs, Date.now());
  for (let k = 0; ; k++) {
    const start = occurrenceStart(e, k);
    if (start === undefined || !schedule) return;
    const t0 = wallClock(schedule, e, start);
    if (t0 + (steps.at(-1)?.offsetMs ?? 0) < readyAt - MISSED_MS) continue; // long past: not running then, or fallen behind
    const saved = new Map<string, Shaping>();
    for (const ts of steps) {
      const due = t0 + ts.offsetMs;
      await until(due);
      if (!readState(lab).state) { say('the lab is gone; stopping'); stop.abort(); return; }
      const began = Date.now();
      let error: string | undefined;
      try { await runStep(lab, ts.step, saved); } catch (err) { error = (err as Error).message; }
      const end = Date.now();
      appendEventLog(lab, {
        event: e.index, name: e.name, occurrence: k, action: describeStep(ts.step),
        due: new Date(due).toISOString(), at: new Date(end).toISOString(), ms: end - began, ok: !error, ...(error ? { error } : {}),
      });
    }
    readyAt = Date.now();
  }
}

function reload(): void {
  schedule = readSchedule(lab);
  if (!schedule) { say(`no schedule for lab ${lab}; stopping`); stop.abort(); return; }
  for (const e of schedule.events) {
    if (loops.has(e.index)) continue;
    loops.set(e.index, runEvent(e).catch((err: unknown) => {
      if (!stop.signal.aborted) say(`events[${e.index}] ${e.name}: ${(err as Error).stack ?? err}`);
    }));
  }
}

process.on('SIGHUP', reload);
process.on('SIGTERM', () => stop.abort());
process.on('SIGINT', () => stop.abort());
// Listening for SIGHUP from here on: startSupervisor waits for this before anyone signals us.
writeFileSync(supervisorReadyFile(lab), String(process.pid));

reload();
say(`supervising ${schedule?.events.length ?? 0} events of lab ${lab}`);
// Wait for every loop, including those a SIGHUP adds while we wait. A SIGHUP
// that arrives as the last loop ends may never get its handler run before the
// exit (netlab events add, started with this process, signals about then), so
// read the schedule once more before leaving: `add` writes it before it signals.
for (;;) {
  for (let n = -1; n !== loops.size && !stop.signal.aborted;) {
    n = loops.size;
    await Promise.all(loops.values());
  }
  if (stop.signal.aborted) break;
  // Leave only under the lab's lock, as `events add` writes the schedule and signals under it:
  // an event added before this point is seen by the reload; one added after finds no supervisor
  // in the State file and starts a new one.
  const leaving = await withLabLock(lab, 'events supervisor', async () => {
    const had = loops.size;
    reload();
    if (loops.size !== had) return false;
    const { state } = readState(lab);
    if (state?.supervisor?.pid === process.pid) {
      const { supervisor: _gone, ...rest } = state;
      writeState(rest);
    }
    return true;
  }).catch((err: unknown) => { say(`cannot take the lab's lock to leave: ${(err as Error).message}`); return true; });
  if (leaving) break;
}
say('no event has anything left to do; exiting');
process.exit(0);
