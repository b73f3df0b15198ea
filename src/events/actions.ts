/**
 * What one step of an event does to the lab, through the library (the same
 * calls `netlab link set/down/up`, `netlab node pause/resume/restart` and
 * `netlab exec` make). Pure helpers plan the steps of an occurrence: when
 * each runs relative to the occurrence's start, and what it sets.
 */
import { Lab } from '../lab/lab.js';
import { readLabTopology } from '../lab/status.js';
import { setEndpointState, setShaping } from '../lab/links.js';
import { describeShaping } from '../topology/shaping.js';
import type { Shaping } from '../shaping/types.js';
import type { EventSpec } from '../topology/events.js';

/** One step of an occurrence. */
export type Step =
  | { kind: 'link'; endpoint: string; up: boolean }
  | { kind: 'shape'; endpoints: string[]; shaping: Shaping; reset: boolean; label: string }
  /** Restores the shaping in effect before the occurrence began (remembered by the first shape step). */
  | { kind: 'restore'; endpoints: string[] }
  | { kind: 'pause' | 'resume' | 'restart'; node: string }
  | { kind: 'exec'; node: string; argv: string[]; command: string; timeoutMs: number };

/** A step and when it runs, ms after the occurrence's start. */
export interface TimedStep {
  offsetMs: number;
  step: Step;
}

/** The ends an endpoint's shaping applies to (with `both`, its peer too). */
function endsOf(e: EventSpec, peer: (endpoint: string) => string | undefined): string[] {
  const a = e.action;
  if (a.op !== 'shape') return [];
  const p = a.both ? peer(a.endpoint) : undefined;
  return p ? [a.endpoint, p] : [a.endpoint];
}

/** `from` + (`to` − `from`) × f for every ramped field (pure). */
export function interpolate(from: Shaping, to: Shaping, f: number): Shaping {
  const out: Shaping = {};
  for (const k of Object.keys(to) as (keyof Shaping)[]) {
    const a = from[k] as number;
    const b = to[k] as number;
    const v = a + (b - a) * f;
    (out as Record<string, number>)[k] = k === 'rateBps' ? Math.max(8, Math.round(v)) : Number(v.toFixed(6));
  }
  return out;
}

/**
 * The steps of one occurrence of `e`, in time order (pure). `peer` gives the
 * node end at the other side of an endpoint (for shape with both).
 */
export function stepsOf(e: EventSpec, peer: (endpoint: string) => string | undefined): TimedStep[] {
  const a = e.action;
  const forMs = e.forMs;
  switch (a.op) {
    case 'link_down': case 'flap':
      return [{ offsetMs: 0, step: { kind: 'link', endpoint: a.endpoint, up: false } },
        ...(forMs ? [{ offsetMs: forMs, step: { kind: 'link' as const, endpoint: a.endpoint, up: true } }] : [])];
    case 'link_up':
      return [{ offsetMs: 0, step: { kind: 'link', endpoint: a.endpoint, up: true } }];
    case 'pause':
      return [{ offsetMs: 0, step: { kind: 'pause', node: a.node } }, ...(forMs ? [{ offsetMs: forMs, step: { kind: 'resume' as const, node: a.node } }] : [])];
    case 'resume': case 'restart':
      return [{ offsetMs: 0, step: { kind: a.op, node: a.node } }];
    case 'exec':
      return [{ offsetMs: 0, step: { kind: 'exec', node: a.node, argv: a.argv, command: a.command, timeoutMs: a.timeoutMs } }];
    case 'shape': {
      const endpoints = endsOf(e, peer);
      if (!a.ramp) {
        return [{ offsetMs: 0, step: { kind: 'shape', endpoints, shaping: a.set, reset: false, label: describeShaping(a.set) } },
          ...(forMs ? [{ offsetMs: forMs, step: { kind: 'restore' as const, endpoints } }] : [])];
      }
      const n = Math.max(1, Math.round(forMs! / a.ramp.stepMs));
      return Array.from({ length: n + 1 }, (_, i): TimedStep => {
        const s = { ...a.set, ...interpolate(a.ramp!.from, a.ramp!.to, i / n) };
        return { offsetMs: Math.round((forMs! * i) / n), step: { kind: 'shape', endpoints, shaping: s, reset: false, label: `${describeShaping(s)} (ramp ${i}/${n})` } };
      });
    }
  }
}

/** "r1:eth1 down", "r2 paused", "h1: ip route" — a step as the log says it (pure). */
export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'link': return `${s.endpoint} ${s.up ? 'up' : 'down'}`;
    case 'shape': return `${s.endpoints.join(' + ')} ${s.label}`;
    case 'restore': return `${s.endpoints.join(' + ')} shaping restored`;
    case 'pause': return `${s.node} paused`;
    case 'resume': return `${s.node} resumed`;
    case 'restart': return `${s.node} restarted`;
    case 'exec': return `${s.node}: ${s.command}`;
  }
}

/**
 * Runs one step on lab `lab`. `saved` keeps, per occurrence, the shaping
 * that was in effect before its first shape step (for `restore`).
 * @throws whatever the library throws (the supervisor logs it as a failure).
 */
export async function runStep(lab: string, s: Step, saved: Map<string, Shaping>): Promise<void> {
  switch (s.kind) {
    case 'link':
      await setEndpointState(lab, s.endpoint, s.up);
      return;
    case 'shape': {
      const t = readLabTopology(lab);
      for (const ep of s.endpoints) {
        if (saved.has(ep)) continue;
        const [node, iface] = ep.split(':');
        saved.set(ep, t.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === iface)?.shaping ?? {});
      }
      await setShaping(lab, s.endpoints, s.shaping, s.reset);
      return;
    }
    case 'restore':
      for (const ep of s.endpoints) await setShaping(lab, [ep], saved.get(ep) ?? {}, true);
      return;
    case 'pause':
      await Lab.open(lab).pause(s.node);
      return;
    case 'resume':
      await Lab.open(lab).resume(s.node);
      return;
    case 'restart':
      await Lab.open(lab).restart(s.node);
      return;
    case 'exec': {
      const r = await Lab.open(lab).exec(s.node, s.argv, { timeoutMs: s.timeoutMs });
      if (r.code !== 0) {
        const said = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
        throw new Error(`exited with ${r.code}${said ? `: ${said}` : ''}`);
      }
    }
  }
}
