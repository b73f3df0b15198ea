/**
 * A running lab's events as `netlab validate` measures them (EventHooks of
 * src/validate/types.ts): wait for the next occurrence of a named event (the
 * supervisor's log says when its first action was done), or make an event
 * happen now for a test's own `after:`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NetlabError, UsageError } from '../errors.js';
import { readLabTopology } from '../lab/status.js';
import type { Shaping } from '../shaping/types.js';
import type { EventHooks } from '../validate/types.js';
import { readEventLog, readSchedule, type EventRun } from './files.js';
import { nextOccurrence } from './manage.js';
import { runningSupervisor } from './supervisor.js';
import { isHostEndpoint } from '../topology/endpoints.js';

/** How often the log is read while waiting for an event, ms. */
const POLL_MS = 20;
/** How long after an occurrence was due its first action may still be missing from the log, ms. */
const LATE_MS = 30_000;

/**
 * The first action of each occurrence of event `index` in `runs` (pure),
 * keyed by occurrence.
 */
export function firstRuns(runs: readonly EventRun[], index: number): Map<number, EventRun> {
  const out = new Map<number, EventRun>();
  for (const r of runs) {
    if (r.event !== index) continue;
    const seen = out.get(r.occurrence);
    if (!seen || Date.parse(r.at) < Date.parse(seen.at)) out.set(r.occurrence, r);
  }
  return out;
}

/** The node end at the other side of an endpoint, for shape events with both. */
function peerIn(lab: string): (endpoint: string) => string | undefined {
  const t = readLabTopology(lab);
  return (endpoint) => {
    const [node, iface] = endpoint.split(':');
    const i = t.nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
    return i?.peer && !isHostEndpoint(i.peer) ? `${i.peer.node}:${i.peer.iface}` : undefined;
  };
}

/** The EventHooks of lab `lab`. */
export function eventHooks(lab: string): EventHooks {
  return {
    async next(name, minOccurrence, signal) {
      const since = Date.now();
      const schedule = readSchedule(lab);
      const e = schedule?.events.find((x) => x.name === name);
      if (!schedule || !e) throw new UsageError(`after: ${name}`, `lab ${lab} has no event named "${name}"`, `netlab events ${lab} lists its events`);
      for (;;) {
        if (signal?.aborted) throw new NetlabError(`after: ${name}`, 'interrupted');
        const firsts = firstRuns(readEventLog(lab), e.index);
        const hit = [...firsts.entries()].filter(([k, r]) => k >= minOccurrence && Date.parse(r.at) >= since).sort((a, b) => a[0] - b[0])[0];
        if (hit) {
          const [occurrence, r] = hit;
          if (!r.ok) throw new NetlabError(`event "${name}"`, `${r.action} failed: ${r.error ?? '?'}`, `netlab events ${lab} shows what ran`);
          return { occurrence, label: r.action, agoMs: Date.now() - Date.parse(r.at) };
        }
        const due = nextOccurrence(schedule, e, since);
        if (!runningSupervisor(lab)) throw new NetlabError(`event "${name}"`, 'will not run: the lab\'s events supervisor is not running', `netlab events ${lab} shows what ran`);
        if (due === undefined || Date.now() > due + LATE_MS) throw new NetlabError(`event "${name}"`, 'has no occurrence left to wait for', `netlab events ${lab} shows what ran; give the event more times: (or none)`);
        await sleep(POLL_MS);
      }
    },
    async act(spec) {
      // Loaded on use: an action reaches the whole lab (docs/architecture.md, "Load on use").
      const { describeStep, runStep, stepsOf } = await import('./actions.js');
      const steps = stepsOf(spec, peerIn(lab));
      const saved = new Map<string, Shaping>();
      const t0 = Date.now();
      await runStep(lab, steps[0]!.step, saved);
      const doneAt = Date.now();
      const rest = (async (): Promise<void> => {
        for (const s of steps.slice(1)) {
          const wait = t0 + s.offsetMs - Date.now();
          if (wait > 0) await sleep(wait);
          await runStep(lab, s.step, saved);
        }
      })();
      rest.catch(() => { /* the test reports it */ });
      return { label: describeStep(steps[0]!.step), agoMs: Date.now() - doneAt, rest };
    },
  };
}
