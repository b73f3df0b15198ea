/**
 * `netlab events [LAB] [--json] [--all]`: a running lab's events — what is
 * scheduled and when next, what ran, when, and what failed.
 * `netlab events [LAB] add ACTION TARGET [--at T] [--every T] [--for T] …`, or
 * `add '{ at: 10s, link_down: r1:eth1, for: 5s }'`: schedules one more.
 * Thin shells over `lab.events()` and `lab.addEvent()` (src/events/).
 */
import type { Command } from 'commander';
import { load as parseYaml } from 'js-yaml';
import { UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { EVENT_ACTIONS } from '../topology/events.js';
import type { EventsReport } from '../index.js';
import { colors } from './output.js';

interface EventsFlags {
  json?: boolean; all?: boolean; lab?: string;
  at?: string; every?: string; for?: string; times?: string; jitter?: string; name?: string; seed?: string;
  rate?: string; delay?: string; loss?: string; jitterDelay?: string; both?: boolean; step?: string;
}

/** HH:MM:SS.s of an ISO time, local (pure). */
function clock(iso: string): string {
  const d = new Date(iso);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(Math.floor(d.getMilliseconds() / 100), 1)}`;
}

/** The text of `netlab events LAB` (pure). */
export function formatEvents(r: EventsReport, all = false): string {
  const lines = [`lab ${colors.bold(r.lab)} — ${r.events.length} event${r.events.length === 1 ? '' : 's'}, ${r.supervisor ? `supervisor running (pid ${r.supervisor})` : 'no supervisor running'}${r.startedAt ? `; time 0 is ${clock(r.startedAt)}` : ''}`];
  if (!r.events.length) return `${lines[0]}\n(add one: netlab events ${r.lab} add flap r1:eth1 --every 5s --for 1s)\n`;
  const w = Math.max(4, ...r.events.map((e) => e.spec.name.length));
  lines.push(colors.dim(`${'#'.padStart(3)}  ${'NAME'.padEnd(w)}  ${'NEXT'.padEnd(10)}  RUNS  FAILED`));
  for (const e of r.events) {
    lines.push(`${String(e.spec.index).padStart(3)}  ${e.spec.name.padEnd(w)}  ${(e.next ? clock(e.next) : '-').padEnd(10)}  ${String(e.runs).padStart(4)}  ${e.failures ? colors.red(String(e.failures).padStart(6)) : '0'.padStart(6)}`);
  }
  const runs = all ? r.runs : r.runs.slice(-15);
  if (runs.length) {
    lines.push('', `what ran${all || r.runs.length <= 15 ? '' : ` (the last 15 of ${r.runs.length}; --all for every one)`}:`);
    for (const x of runs) {
      const late = Date.parse(x.at) - Date.parse(x.due) - x.ms;
      lines.push(`  ${clock(x.at)}  ${x.action.padEnd(28)} ${x.ok ? colors.green('ok') : colors.red(`failed: ${x.error}`)}  ${x.ms} ms${late > 100 ? colors.yellow(` (${late} ms late)`) : ''}  [${x.name}]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The event a command line describes (pure): a YAML flow mapping as in
 * `events:`, or ACTION TARGET with flags.
 * @throws UsageError for an unknown action or a missing target.
 */
export function eventFromWords(words: string[], f: EventsFlags): Record<string, unknown> {
  if (words.length === 1 && words[0]!.trim().startsWith('{')) {
    let v: unknown;
    try { v = parseYaml(words[0]!); } catch (err) {
      throw new UsageError('netlab events add', `cannot read ${words[0]}: ${(err as Error).message.split('\n')[0]}`, 'write it as in events:, e.g. \'{ at: 10s, link_down: r1:eth1, for: 5s }\'');
    }
    return v as Record<string, unknown>;
  }
  const [verb, target, ...rest] = words;
  const action = verb?.replace(/-/g, '_');
  if (!action || !(EVENT_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError('netlab events add', action ? `unknown action "${verb}"` : 'no action given', `actions: ${EVENT_ACTIONS.join(', ')}; e.g. netlab events LAB add flap r1:eth1 --every 5s --for 1s`);
  }
  if (!target) throw new UsageError(`netlab events add ${verb}`, `needs ${action === 'pause' || action === 'resume' || action === 'restart' || action === 'exec' ? 'a node' : 'an endpoint (r1:eth1)'}`, `e.g. netlab events LAB add ${verb} ${action.startsWith('link') || action === 'flap' || action === 'shape' ? 'r1:eth1' : 'r2'}`);
  const ev: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => { if (v !== undefined) ev[k] = v; };
  put('name', f.name); put('at', f.at); put('every', f.every); put('for', f.for); put('jitter', f.jitter);
  put('times', f.times === undefined ? undefined : Number(f.times));
  put('seed', f.seed === undefined ? undefined : Number(f.seed));
  const ramp = (v: string | undefined): unknown => {
    if (v === undefined) return undefined;
    const m = /^(.+)\.\.(.+)$/.exec(v);
    return m ? { from: m[1], to: m[2] } : v;
  };
  if (action === 'shape') {
    ev.shape = Object.fromEntries(Object.entries({ endpoint: target, rate: ramp(f.rate), delay: ramp(f.delay), loss: ramp(f.loss), jitter: ramp(f.jitterDelay), both: f.both, step: f.step }).filter(([, v]) => v !== undefined));
  } else if (action === 'exec') {
    if (!rest.length) throw new UsageError('netlab events add exec', 'needs a command', 'e.g. netlab events LAB add exec h1 -- ping -c1 h2');
    ev.exec = { node: target, cmd: rest.join(' ') };
  } else {
    ev[action] = target;
  }
  if (action !== 'exec' && rest.length) throw new UsageError('netlab events add', `unexpected ${rest.join(' ')}`, 'one target per event');
  return ev;
}

export function register(program: Command): void {
  program
    .command('events')
    .description('a running lab\'s events: what is scheduled, what ran and failed; `add` schedules one more')
    .argument('[lab]', 'lab name (default: the only running lab)')
    .argument('[words...]', 'add ACTION TARGET (link_down, link_up, flap, shape, pause, resume, restart, exec), or add \'{ YAML event }\'')
    .option('--json', 'machine-readable output')
    .option('--all', 'every action run, not only the last 15')
    .option('--at <time>', 'add: when, after now (10s, 2m) or a clock time (14:30)')
    .option('--every <time>', 'add: repeat this often')
    .option('--for <time>', 'add: how long (down, paused, shaped) or how long a ramp takes')
    .option('--times <n>', 'add: occurrences at most (with --every)')
    .option('--jitter <time>', 'add: start each occurrence up to ± this much off its time (seeded)')
    .option('--seed <n>', 'add: seed of the jitter')
    .option('--name <name>', 'add: the event\'s name (tests refer to it with after:)')
    .option('--rate <rate>', 'add shape: rate, or a ramp FROM..TO (100mbit..1mbit)')
    .option('--delay <time>', 'add shape: delay, or a ramp FROM..TO')
    .option('--loss <percent>', 'add shape: loss, or a ramp FROM..TO')
    .option('--jitter-delay <time>', 'add shape: netem jitter, or a ramp FROM..TO')
    .option('--both', 'add shape: the peer end too')
    .option('--step <time>', 'add shape: ramp step (default 1s)')
    .action(async (labArg: string | undefined, words: string[], flags: EventsFlags) => {
      let name = labArg;
      if (name === 'add') { words = ['add', ...words]; name = undefined; }
      const lab = Lab.open(name);
      if (words[0] === 'add') {
        const e = await lab.addEvent(eventFromWords(words.slice(1), flags));
        if (flags.json) process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
        else process.stdout.write(`events[${e.index}] "${e.name}" scheduled; netlab events ${lab.name} shows when it runs\n`);
        return;
      }
      if (words.length) throw new UsageError(`netlab events ${words[0]}`, 'unknown subcommand', 'netlab events LAB lists the events; netlab events LAB add … schedules one');
      const r = lab.events();
      if (r.runs.some((x) => !x.ok)) process.exitCode = 1;
      process.stdout.write(flags.json ? `${JSON.stringify(r, null, 2)}\n` : formatEvents(r, flags.all));
    });
}
