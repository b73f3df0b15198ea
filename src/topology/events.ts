/**
 * `events:` — things that happen to a running lab at set times: a link cut
 * and restored, a flap, shaping set (or ramped from one value to another), a
 * node paused, resumed or restarted, a command run in a node. This file turns
 * the YAML into checked EventSpecs and computes when each occurrence runs;
 * it is pure (no clock, no kernel). src/events/supervisor.ts runs them.
 *
 *   events:
 *     - { name: cut, at: 10s, link_down: r1:eth1, for: 5s }        # down at 10 s, up again at 15 s
 *     - { name: flap, at: 5s, every: 5s, for: 1s, flap: r2:eth2, jitter: 200ms }
 *     - { at: 20s, for: 30s, shape: { endpoint: r1:eth1, rate: { from: 100mbit, to: 1mbit } } }   # a ramp
 *     - { at: 40s, for: 10s, pause: r2 }                            # frozen 10 s, then thawed
 *     - { at: 60s, restart: r3 }
 *     - { at: 70s, exec: { node: h1, cmd: "ip route" } }
 *
 * Times (`at`, `every`, `for`, `jitter`, `step`) are durations after the lab
 * is up (`10s`, `500ms`, `2m`, `1h`, or a number of seconds); `at` may also
 * be a clock time (`14:30`, `14:30:05`, today) or an ISO 8601 date-time,
 * which must not be in the past. Randomness (jitter) comes from a seeded
 * generator: the same file gives the same schedule on every run.
 *
 * Refused at load, naming `events[i]…`: unknown keys, none or two actions,
 * unknown nodes and endpoints, a `for` not shorter than `every`, a clock time
 * in the past, and two events acting on the same link or node at the same
 * time (checked over their first ten periods).
 */
import { TopologyError } from '../errors.js';
import { checkShaping } from './shaping.js';
import { didYouMean } from './suggest.js';
import type { Shaping } from './types.js';
import type { Topology } from './types.js';
import { parsePercent, parseRate, parseTime, UnitError } from './units.js';
import { isHostEndpoint } from './endpoints.js';

type Obj = Record<string, unknown>;

/** What an event does. */
export type EventAction =
  /** The endpoint goes administratively down (its peer loses carrier); with `for`, up again after it. */
  | { op: 'link_down'; endpoint: string }
  | { op: 'link_up'; endpoint: string }
  /** Down for `for`, then up: link_down with a required `for`, usually with `every`. */
  | { op: 'flap'; endpoint: string }
  /**
   * Egress shaping of the endpoint (and its peer with `both`): `set` merged over
   * what is in effect; with `ramp`, each ramped value goes from `from` to `to`
   * over `for` in steps of `stepMs`. Without a ramp, `for` restores what was in
   * effect before when it ends.
   */
  | { op: 'shape'; endpoint: string; both: boolean; set: Shaping; ramp?: { from: Shaping; to: Shaping; stepMs: number } }
  | { op: 'pause'; node: string }
  | { op: 'resume'; node: string }
  | { op: 'restart'; node: string }
  | { op: 'exec'; node: string; argv: string[]; command: string; timeoutMs: number };

/** One checked event. */
export interface EventSpec {
  /** Position in `events:` (`events[i]` in errors); events added to a running lab continue the numbering. */
  index: number;
  /** The user's `name:`, or a generated one ("r1:eth1 down for 5 s"). */
  name: string;
  /** First occurrence: ms after the lab's start (`relative`), or ms since the epoch (a clock time). */
  atMs: number;
  /** Whether atMs is after the lab's start (durations) or wall-clock time (clock times, ISO dates). */
  relative: boolean;
  /** Repeat period, ms. */
  everyMs?: number;
  /** How long the event lasts (link down, pause, shaping) or ramps, ms. */
  forMs?: number;
  /** Occurrences at most (with every); undefined = until the lab goes down. */
  times?: number;
  /** Each occurrence starts up to ± this many ms off its time (seeded). */
  jitterMs?: number;
  /** Seed of the jitter. */
  seed: number;
  action: EventAction;
}

/** The action keys, one of which each event has. */
export const EVENT_ACTIONS = ['link_down', 'link_up', 'flap', 'shape', 'pause', 'resume', 'restart', 'exec'] as const;
const COMMON = ['name', 'at', 'every', 'for', 'times', 'jitter', 'seed'];

/** How many periods of two repeating events the overlap check looks at. */
export const OVERLAP_PERIODS = 10;
/** Default ramp step, ms. */
export const DEFAULT_STEP_MS = 1000;
/** Default timeout of an `exec` event's command, ms. */
export const EXEC_EVENT_TIMEOUT_MS = 60_000;

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * A duration of events: `10s`, `500ms`, `2m`, `1.5h`, or a number of seconds.
 * @throws UnitError with an example.
 */
export function parseDurationMs(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v) : null;
  if (!m) throw new UnitError(`"${String(v)}" is not a duration`, 'write e.g. 10s, 500ms, 2m or 1h');
  const unit = (m[2] || 's').toLowerCase();
  const mult = TIME_UNITS[unit];
  if (mult === undefined) throw new UnitError(`duration "${String(v)}" has an unknown unit "${m[2]}"`, 'units: ms, s, m (minutes), h');
  return Number((Number(m[1]) * mult).toPrecision(15));
}

/**
 * `at`: a duration after the lab's start, or a wall-clock time — `HH:MM[:SS]`
 * (today, local time) or an ISO 8601 date-time. `nowMs` decides "today" and
 * "in the past".
 * @throws UnitError for something else, or a clock time in the past.
 */
export function parseAt(v: unknown, nowMs: number): { atMs: number; relative: boolean } {
  if (typeof v === 'string') {
    const clock = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(v);
    let abs: number | undefined;
    if (clock) {
      const d = new Date(nowMs);
      d.setHours(Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), 0);
      abs = d.getTime();
    } else if (/^\d{4}-\d{2}-\d{2}T/.test(v.trim())) {
      abs = Date.parse(v);
      if (Number.isNaN(abs)) throw new UnitError(`"${v}" is not a date-time`, 'write e.g. 2026-05-01T14:30:00Z, 14:30 or 10s');
    }
    if (abs !== undefined) {
      if (abs < nowMs) throw new UnitError(`${v.trim()} is in the past (now is ${new Date(nowMs).toTimeString().slice(0, 8)})`, 'give a later time, or a time after the lab starts, e.g. at: 10s');
      return { atMs: abs, relative: false };
    }
  }
  return { atMs: parseDurationMs(v), relative: true };
}

/** mulberry32: a small seeded generator (uniform in [0, 1)). Pure given the seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit FNV-1a hash: the default seed of an event, from the lab name and its position. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Start of occurrence k (0-based) of an event, in the event's time base
 * (after the lab's start, or epoch ms), jitter included; undefined past
 * `times`. Pure: the same spec and k always give the same time.
 */
export function occurrenceStart(e: EventSpec, k: number): number | undefined {
  if (k > 0 && e.everyMs === undefined) return undefined;
  if (e.times !== undefined && k >= e.times) return undefined;
  const base = e.atMs + k * (e.everyMs ?? 0);
  if (!e.jitterMs) return base;
  const r = seeded(e.seed + k * 0x9E3779B1)();
  return Math.max(0, base + (r * 2 - 1) * e.jitterMs);
}

/** What an event acts on, for the overlap check: a link (both ends share its carrier), an endpoint's egress, or a node. */
function targetOf(t: Pick<Topology, 'nodes' | 'links'>, a: EventAction): string | undefined {
  if (a.op === 'link_down' || a.op === 'link_up' || a.op === 'flap') return `link ${linkOf(t, a.endpoint)}`;
  if (a.op === 'shape') return `shaping of ${a.endpoint}`;
  if (a.op === 'pause' || a.op === 'resume' || a.op === 'restart') return `node ${a.node}`;
  return undefined; // exec: runs alongside anything
}

function linkOf(t: Pick<Topology, 'nodes' | 'links'>, endpoint: string): string {
  const [node, iface] = endpoint.split(':');
  const i = t.nodes.find((n) => n.name === node)?.interfaces.find((x) => x.name === iface);
  const l = i ? t.links[i.link] : undefined;
  return l ? `${l.endpoints.map((e) => `${e.node}:${e.iface}`).join('–')}` : endpoint;
}

const fmtS = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * Checks that no two events act on the same link or node at overlapping
 * times (each occurrence spans [start − jitter, start + for + jitter]), over
 * their first OVERLAP_PERIODS periods. Events of different time bases
 * (after start, and clock times) are not compared.
 * @throws TopologyError at the later event's path.
 */
export function checkOverlaps(t: Pick<Topology, 'nodes' | 'links'>, events: readonly EventSpec[], path = 'events'): void {
  /** Occurrence windows of `e` that start before `horizon` (at most 10,000). */
  const windows = (e: EventSpec, horizon: number): [number, number][] => {
    const out: [number, number][] = [];
    const j = e.jitterMs ?? 0;
    for (let k = 0; k < 10_000; k++) {
      const s = occurrenceStart({ ...e, jitterMs: 0 }, k);
      if (s === undefined || s - j > horizon) break;
      out.push([s - j, s + (e.forMs ?? 0) + j]);
    }
    return out;
  };
  for (let b = 0; b < events.length; b++) {
    const eb = events[b]!;
    const tb = targetOf(t, eb.action);
    if (!tb) continue;
    for (let a = 0; a < b; a++) {
      const ea = events[a]!;
      if (targetOf(t, ea.action) !== tb || ea.relative !== eb.relative) continue;
      const horizon = Math.max(ea.atMs, eb.atMs) + OVERLAP_PERIODS * Math.max(ea.everyMs ?? 0, eb.everyMs ?? 0);
      const wb = windows(eb, horizon);
      for (const [s1, e1] of windows(ea, horizon)) {
        const hit = wb.find(([s2, e2]) => s2 <= e1 && s1 <= e2);
        if (hit) {
          throw new TopologyError(`${path}[${eb.index}]`, `overlaps ${path}[${ea.index}] ("${ea.name}"): both act on ${tb} around ${fmtS(Math.max(s1, hit[0]))}`,
            'move one of them (at:), shorten for:, or give them different every: periods; one event at a time per link or node');
        }
      }
    }
  }
}

/** @throws TopologyError(path) unless `v` is `node:iface` of a node interface of the lab. */
function endpointOf(t: Pick<Topology, 'nodes'>, v: unknown, path: string): string {
  if (typeof v !== 'string' || !v.includes(':')) throw new TopologyError(path, `${JSON.stringify(v)} is not an endpoint`, 'write NODE:IFACE, e.g. r1:eth1');
  const [node, iface] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
  const n = t.nodes.find((x) => x.name === node);
  if (!n) throw new TopologyError(path, `node "${node}" is not defined${didYouMean(node, t.nodes.map((x) => x.name))}`, `nodes: ${t.nodes.slice(0, 20).map((x) => x.name).join(', ')}`);
  if (!n.interfaces.some((i) => i.name === iface)) {
    throw new TopologyError(path, `node ${node} has no interface "${iface}"${didYouMean(iface, n.interfaces.map((i) => i.name))}`, `its interfaces: ${n.interfaces.map((i) => i.name).join(', ') || 'none'}`);
  }
  return v;
}

function nodeOf(t: Pick<Topology, 'nodes'>, v: unknown, path: string): string {
  if (typeof v !== 'string') throw new TopologyError(path, `${JSON.stringify(v)} is not a node name`, 'write the node\'s name, e.g. r2');
  if (!t.nodes.some((n) => n.name === v)) throw new TopologyError(path, `node "${v}" is not defined${didYouMean(v, t.nodes.map((x) => x.name))}`, `nodes: ${t.nodes.slice(0, 20).map((x) => x.name).join(', ')}`);
  return v;
}

function unit<T>(path: string, v: unknown, parse: (x: unknown) => T): T {
  try { return parse(v); } catch (err) {
    throw new TopologyError(path, (err as Error).message, err instanceof UnitError ? err.hint : '');
  }
}

function checkKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new TopologyError(`${path}.${k}`, `unknown key${didYouMean(k, allowed)}`, `an event takes: ${allowed.join(', ')}`);
  }
}

/** The shaping keys an event may set or ramp, with their parsers. */
const SHAPE_KEYS: Record<string, { field: keyof Shaping; parse: (v: unknown) => number; rampable: boolean }> = {
  rate: { field: 'rateBps', parse: parseRate, rampable: true },
  delay: { field: 'delayMs', parse: parseTime, rampable: true },
  jitter: { field: 'jitterMs', parse: parseTime, rampable: true },
  loss: { field: 'lossPercent', parse: parsePercent, rampable: true },
  corrupt: { field: 'corruptPercent', parse: parsePercent, rampable: true },
  duplicate: { field: 'duplicatePercent', parse: parsePercent, rampable: true },
  reorder: { field: 'reorderPercent', parse: parsePercent, rampable: false },
};

function shapeAction(t: Pick<Topology, 'nodes'>, raw: unknown, path: string, forMs: number | undefined): EventAction {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TopologyError(path, 'shape: takes a mapping', 'e.g. shape: { endpoint: r1:eth1, rate: 1mbit, delay: 50ms }');
  const o = raw as Obj;
  checkKeys(o, ['endpoint', 'both', 'step', ...Object.keys(SHAPE_KEYS)], path);
  const endpoint = endpointOf(t, o.endpoint, `${path}.endpoint`);
  const set: Shaping = {};
  const from: Shaping = {};
  const to: Shaping = {};
  let ramped = false;
  for (const [key, d] of Object.entries(SHAPE_KEYS)) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const r = v as Obj;
      checkKeys(r, ['from', 'to'], `${path}.${key}`);
      if (!d.rampable) throw new TopologyError(`${path}.${key}`, `${key} cannot be ramped`, `give one value, e.g. ${key}: 25%`);
      if (r.from === undefined || r.to === undefined) throw new TopologyError(`${path}.${key}`, 'a ramp needs from: and to:', `e.g. ${key}: { from: ${key === 'rate' ? '100mbit' : '0ms'}, to: ${key === 'rate' ? '1mbit' : '100ms'} }`);
      (from as Record<string, number>)[d.field] = unit(`${path}.${key}.from`, r.from, d.parse);
      (to as Record<string, number>)[d.field] = unit(`${path}.${key}.to`, r.to, d.parse);
      ramped = true;
    } else {
      (set as Record<string, number>)[d.field] = unit(`${path}.${key}`, v, d.parse);
    }
  }
  if (!ramped && !Object.keys(set).length) throw new TopologyError(path, 'sets nothing', 'give rate, delay, jitter, loss, corrupt, duplicate or reorder');
  if (ramped && !forMs) throw new TopologyError(path, 'a ramp needs for: (how long it takes to go from one value to the other)', 'add e.g. for: 30s to the event');
  if (o.step !== undefined && !ramped) throw new TopologyError(`${path}.step`, 'step: applies to a ramp only', 'remove it, or ramp a value: rate: { from: …, to: … }');
  checkShaping({ ...set, ...from }, path);
  checkShaping({ ...set, ...to }, path);
  const stepMs = o.step === undefined ? DEFAULT_STEP_MS : unit(`${path}.step`, o.step, parseDurationMs);
  if (ramped && stepMs <= 0) throw new TopologyError(`${path}.step`, 'must be more than 0', 'e.g. step: 1s');
  const both = o.both === undefined ? false : o.both;
  if (typeof both !== 'boolean') throw new TopologyError(`${path}.both`, 'is true or false', 'both: true shapes the peer end as well');
  if (both) {
    const [node, iface] = endpoint.split(':');
    const i = t.nodes.find((n) => n.name === node)!.interfaces.find((x) => x.name === iface)!;
    if (!i.peer || isHostEndpoint(i.peer)) throw new TopologyError(`${path}.both`, `${endpoint} has no node at the other end (a LAN or a host link)`, 'shape each end on its own');
  }
  return { op: 'shape', endpoint, both, set, ...(ramped ? { ramp: { from, to, stepMs } } : {}) };
}

/** A readable name for an event without `name:` (pure). */
export function eventName(e: Omit<EventSpec, 'name'>): string {
  const a = e.action;
  const dur = e.forMs ? ` for ${fmtS(e.forMs)}` : '';
  const every = e.everyMs ? ` every ${fmtS(e.everyMs)}` : '';
  switch (a.op) {
    case 'link_down': return `${a.endpoint} down${dur}${every}`;
    case 'link_up': return `${a.endpoint} up${every}`;
    case 'flap': return `${a.endpoint} flaps (down${dur})${every}`;
    case 'shape': return `${a.endpoint}${a.both ? ' (both ways)' : ''} shaped${a.ramp ? ' (ramp)' : ''}${dur}${every}`;
    case 'exec': return `${a.node}: ${a.command}${every}`;
    default: return `${a.node} ${a.op}${a.op === 'pause' ? dur : ''}${every}`;
  }
}

/**
 * One item of `events:` (or of `netlab events add`), checked against the lab.
 * @throws TopologyError naming `${path}[${index}]…`.
 */
export function resolveEvent(t: Pick<Topology, 'name' | 'nodes' | 'links'>, raw: unknown, index: number, nowMs: number, path = 'events', whole = false): EventSpec {
  const at = whole ? path : `${path}[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TopologyError(at, 'an event is a mapping', 'e.g. { at: 10s, link_down: r1:eth1, for: 5s }');
  const o = raw as Obj;
  checkKeys(o, [...COMMON, ...EVENT_ACTIONS], at);
  const actions = EVENT_ACTIONS.filter((k) => o[k] !== undefined);
  if (actions.length !== 1) {
    throw new TopologyError(at, actions.length ? `has ${actions.join(' and ')}: one action per event` : 'does nothing', `give exactly one of: ${EVENT_ACTIONS.join(', ')}`);
  }
  const { atMs, relative } = o.at === undefined ? { atMs: 0, relative: true } : unit(`${at}.at`, o.at, (v) => parseAt(v, nowMs));
  const everyMs = o.every === undefined ? undefined : unit(`${at}.every`, o.every, parseDurationMs);
  const forMs = o.for === undefined ? undefined : unit(`${at}.for`, o.for, parseDurationMs);
  const jitterMs = o.jitter === undefined ? undefined : unit(`${at}.jitter`, o.jitter, parseDurationMs);
  if (everyMs !== undefined && everyMs <= 0) throw new TopologyError(`${at}.every`, 'must be more than 0', 'e.g. every: 5s');
  if (o.times !== undefined && (typeof o.times !== 'number' || !Number.isInteger(o.times) || o.times < 1)) throw new TopologyError(`${at}.times`, 'is a whole number, at least 1', 'e.g. times: 3');
  if (o.times !== undefined && everyMs === undefined) throw new TopologyError(`${at}.times`, 'needs every: (how often)', 'add e.g. every: 5s');
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isInteger(o.seed))) throw new TopologyError(`${at}.seed`, 'is a whole number', 'e.g. seed: 42');
  if (o.name !== undefined && (typeof o.name !== 'string' || !o.name.trim())) throw new TopologyError(`${at}.name`, 'is a non-empty string', 'e.g. name: cut r1-r2');
  const key = actions[0]!;
  const v = o[key];
  const p = `${at}.${key}`;
  let action: EventAction;
  switch (key) {
    case 'link_down': case 'link_up': case 'flap':
      action = { op: key, endpoint: endpointOf(t, v, p) };
      break;
    case 'pause': case 'resume': case 'restart':
      action = { op: key, node: nodeOf(t, v, p) };
      break;
    case 'shape':
      action = shapeAction(t, v, p, forMs);
      break;
    case 'exec': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TopologyError(p, 'exec: takes { node, cmd }', 'e.g. exec: { node: h1, cmd: "ip route" }');
      const e = v as Obj;
      checkKeys(e, ['node', 'cmd', 'timeout'], p);
      const node = nodeOf(t, e.node, `${p}.node`);
      const cmd = e.cmd;
      if (!(typeof cmd === 'string' && cmd.trim()) && !(Array.isArray(cmd) && cmd.length && cmd.every((x) => typeof x === 'string'))) {
        throw new TopologyError(`${p}.cmd`, 'is a shell line or a list of words', 'e.g. cmd: "ip route" or cmd: [ip, route]');
      }
      const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd] : cmd as string[];
      const timeoutMs = e.timeout === undefined ? EXEC_EVENT_TIMEOUT_MS : unit(`${p}.timeout`, e.timeout, parseDurationMs);
      action = { op: 'exec', node, argv, command: typeof cmd === 'string' ? cmd : (cmd as string[]).join(' '), timeoutMs };
      break;
    }
  }
  if (action.op === 'flap' && !forMs) throw new TopologyError(at, 'a flap needs for: (how long the link stays down)', 'add e.g. for: 1s (and every: 5s to repeat it)');
  if ((action.op === 'link_up' || action.op === 'resume' || action.op === 'restart' || action.op === 'exec') && forMs !== undefined) {
    throw new TopologyError(`${at}.for`, `does not apply to ${key} (it has no end)`, key === 'link_up' || key === 'resume' ? `use ${key === 'link_up' ? 'link_down' : 'pause'} with for: instead` : 'remove it');
  }
  if (everyMs !== undefined && forMs !== undefined && forMs + 2 * (jitterMs ?? 0) >= everyMs) {
    throw new TopologyError(`${at}.for`, `${fmtS(forMs)}${jitterMs ? ` (± ${fmtS(jitterMs)} jitter)` : ''} is not shorter than every: ${fmtS(everyMs)}: one occurrence would overlap the next`,
      'make for: shorter than every: (less twice the jitter)');
  }
  const spec: Omit<EventSpec, 'name'> = {
    index, atMs, relative, ...(everyMs !== undefined ? { everyMs } : {}), ...(forMs !== undefined ? { forMs } : {}),
    ...(o.times !== undefined ? { times: o.times as number } : {}), ...(jitterMs ? { jitterMs } : {}),
    seed: o.seed !== undefined ? (o.seed as number) >>> 0 : hashSeed(`${t.name}/${index}`), action,
  };
  return { ...spec, name: typeof o.name === 'string' ? o.name.trim() : eventName(spec) };
}

/**
 * Every item of `events:`, checked, with overlaps refused. Names must be
 * unique (tests refer to events by name: `after: cut`).
 * @throws TopologyError naming `events[i]…`.
 */
export function resolveEvents(t: Pick<Topology, 'name' | 'nodes' | 'links'>, raw: unknown, nowMs: number, path = 'events'): EventSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new TopologyError(path, 'is a list of events', 'e.g. events: [{ at: 10s, link_down: r1:eth1, for: 5s }]');
  const events = raw.map((item, i) => resolveEvent(t, item, i, nowMs, path));
  const seen = new Map<string, number>();
  for (const e of events) {
    const prev = seen.get(e.name);
    if (prev !== undefined) throw new TopologyError(`${path}[${e.index}].name`, `"${e.name}" is also the name of ${path}[${prev}]`, 'give each event a name of its own (tests refer to events by name)');
    seen.set(e.name, e.index);
  }
  checkOverlaps(t, events, path);
  return events;
}

/**
 * A test's `after:` (pure): the name of an event of the lab (`after: flap`),
 * or an event of the test's own (`after: { link_down: r1:eth1 }`, checked like
 * an item of `events:`, at the path `tests[i].after`).
 * @throws TopologyError for an unknown event name (with a did-you-mean) or a bad event.
 */
export function resolveAfter(t: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>, raw: unknown, path: string, nowMs: number): { event: string } | { spec: EventSpec } {
  if (typeof raw === 'string') {
    const names = (t.events ?? []).map((e) => e.name);
    if (!names.includes(raw)) {
      throw new TopologyError(path, `the lab has no event named "${raw}"${didYouMean(raw, names)}`,
        names.length ? `its events: ${names.slice(0, 10).join(', ')}` : 'add it under events: (with name:), or give the event here: after: { link_down: r1:eth1 }');
    }
    return { event: raw };
  }
  return { spec: resolveEvent(t, raw, -1, nowMs, path, true) };
}
