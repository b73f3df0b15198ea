import { expect } from 'chai';
import { eventFromWords, formatEvents } from '../../src/cli/events.js';
import { describeStep, interpolate, stepsOf } from '../../src/events/actions.js';
import { nextOccurrence } from '../../src/events/manage.js';
import { occurrenceStart, parseAt, parseDurationMs, resolveEvent, resolveEvents, seeded } from '../../src/topology/events.js';
import { NetlabError, TopologyError } from '../../src/errors.js';
import { loadTopology } from '../../src/lab/load.js';

function caught(fn: () => unknown): NetlabError {
  try { fn(); } catch (e) { return e as NetlabError; }
  throw new Error('expected an error');
}

const t = loadTopology({ text: 'name: ev\nnodes: [r1, r2, r3, h1]\nlinks:\n  - [r1:eth1, r2:eth1]\n  - [r2:eth2, r3:eth1]\n  - [h1:eth1, r1:eth2]\n' }, { env: {} });
const NOW = new Date(2026, 4, 1, 12, 0, 0).getTime();

describe('events: times', () => {
  it('reads durations in ms, s, m and h, and a bare number as seconds', () => {
    expect([parseDurationMs('500ms'), parseDurationMs('10s'), parseDurationMs('2m'), parseDurationMs('1.5h'), parseDurationMs(3)]).to.deep.equal([500, 10_000, 120_000, 5_400_000, 3000]);
    expect(() => parseDurationMs('10 parsecs')).to.throw(/unknown unit/);
  });
  it('reads at: as a time after the start, a clock time today, or an ISO date; refuses one in the past', () => {
    expect(parseAt('10s', NOW)).to.deep.equal({ atMs: 10_000, relative: true });
    expect(parseAt('12:30', NOW)).to.deep.equal({ atMs: NOW + 30 * 60_000, relative: false });
    expect(parseAt('2026-05-01T10:00:00Z', Date.UTC(2026, 4, 1, 9)).atMs).to.equal(Date.UTC(2026, 4, 1, 10));
    expect(() => parseAt('11:59', NOW)).to.throw(/11:59 is in the past/);
  });
  it('repeats with every:, stops after times:, and jitters reproducibly from the seed', () => {
    const e = resolveEvent(t, { at: '5s', every: '5s', for: '1s', flap: 'r1:eth1', times: 3 }, 0, NOW);
    expect([0, 1, 2, 3].map((k) => occurrenceStart(e, k))).to.deep.equal([5000, 10_000, 15_000, undefined]);
    const j = resolveEvent(t, { at: '5s', every: '5s', for: '1s', flap: 'r1:eth1', jitter: '500ms', seed: 7 }, 0, NOW);
    const a = [0, 1, 2].map((k) => occurrenceStart(j, k)!);
    expect(a).to.deep.equal([0, 1, 2].map((k) => occurrenceStart(j, k)!));
    a.forEach((s, k) => expect(s).to.be.within(4500 + 5000 * k, 5500 + 5000 * k));
    expect(seeded(1)()).to.equal(seeded(1)()).and.not.equal(seeded(2)());
  });
});

describe('events: what a file may say', () => {
  it('names events after what they do when they have no name', () => {
    const ev = resolveEvents(t, [
      { at: '10s', link_down: 'r1:eth1', for: '5s' }, { at: 0, every: '5s', for: '1s', flap: 'r2:eth2' }, { at: '1m', pause: 'r3', for: '10s' },
      { at: '2m', restart: 'r3' }, { at: '3m', exec: { node: 'h1', cmd: 'ip route' } },
      { at: '5s', for: '20s', shape: { endpoint: 'h1:eth1', both: true, rate: { from: '100mbit', to: '1mbit' } } },
    ], NOW);
    expect(ev.map((e) => e.name)).to.deep.equal(['r1:eth1 down for 5 s', 'r2:eth2 flaps (down for 1 s) every 5 s', 'r3 pause for 10 s', 'r3 restart', 'h1: ip route', 'h1:eth1 (both ways) shaped (ramp) for 20 s']);
    expect(ev[5]!.action).to.deep.include({ op: 'shape', both: true, ramp: { from: { rateBps: 100e6 }, to: { rateBps: 1e6 }, stepMs: 1000 } });
  });
  it('refuses unknown nodes and endpoints with the path and a did-you-mean', () => {
    const e = caught(() => resolveEvents(t, [{ at: '1s', link_down: 'r1:eth9' }], NOW)) as TopologyError;
    expect(e.path).to.equal('events[0].link_down');
    expect(e.message).to.equal('node r1 has no interface "eth9"; did you mean "eth1"?');
    expect(caught(() => resolveEvents(t, [{ pause: 'r4' }], NOW)).headline).to.contain('events[0].pause: node "r4" is not defined; did you mean "r1"?');
  });
  it('refuses an event in the past, two actions, none, unknown keys, and a flap without for', () => {
    expect(caught(() => resolveEvents(t, [{ at: '09:00', pause: 'r2' }], NOW)).headline).to.match(/^events\[0\]\.at: 09:00 is in the past/);
    expect(caught(() => resolveEvents(t, [{ pause: 'r2', restart: 'r2' }], NOW)).message).to.contain('one action per event');
    expect(caught(() => resolveEvents(t, [{ at: '1s' }], NOW)).message).to.equal('does nothing');
    expect(caught(() => resolveEvents(t, [{ pause: 'r2', evry: '5s' }], NOW)).headline).to.contain('events[0].evry: unknown key; did you mean "every"?');
    expect(caught(() => resolveEvents(t, [{ flap: 'r1:eth1', every: '5s' }], NOW)).message).to.contain('a flap needs for:');
    expect(caught(() => resolveEvents(t, [{ flap: 'r1:eth1', every: '5s', for: '5s' }], NOW)).message).to.contain('not shorter than every: 5 s');
  });
  it('refuses two events on the same link or node at the same time, also through the other end of the link', () => {
    const link = caught(() => resolveEvents(t, [{ at: '5s', every: '10s', for: '2s', flap: 'r1:eth1' }, { at: '36s', link_down: 'r2:eth1', for: '1s' }], NOW));
    expect(link.headline).to.match(/^events\[1\]: overlaps events\[0\] \("r1:eth1 flaps .*"\): both act on link r1:eth1–r2:eth1 around 36 s/);
    const node = caught(() => resolveEvents(t, [{ at: '10s', pause: 'r2', for: '10s' }, { at: '15s', restart: 'r2' }], NOW));
    expect(node.message).to.contain('both act on node r2');
    expect(resolveEvents(t, [{ at: '5s', every: '10s', for: '2s', flap: 'r1:eth1' }, { at: '8s', link_down: 'r2:eth2', for: '1s' }, { at: '8s', link_down: 'r1:eth1', for: '1s' }], NOW)).to.have.length(3);
  });
  it('refuses a ramp without for:, a value it cannot ramp, and both: on a host-facing or LAN end', () => {
    expect(caught(() => resolveEvents(t, [{ shape: { endpoint: 'r1:eth1', rate: { from: '1mbit', to: '2mbit' } } }], NOW)).message).to.contain('a ramp needs for:');
    expect(caught(() => resolveEvents(t, [{ for: '1s', shape: { endpoint: 'r1:eth1', delay: '10ms', reorder: { from: '1%', to: '2%' } } }], NOW)).message).to.contain('reorder cannot be ramped');
    expect(caught(() => resolveEvents(t, [{ shape: { endpoint: 'r1:eth1', jitter: '5ms' } }], NOW)).message).to.contain('jitter needs a delay');
  });
});

describe('events: the steps of an occurrence', () => {
  const peer = (ep: string): string | undefined => ({ 'r1:eth1': 'r2:eth1' } as Record<string, string>)[ep];
  it('cuts and restores a link for a flap, pauses and resumes a node', () => {
    const flap = resolveEvent(t, { every: '5s', for: '1s', flap: 'r1:eth1' }, 0, NOW);
    expect(stepsOf(flap, peer).map((s) => [s.offsetMs, describeStep(s.step)])).to.deep.equal([[0, 'r1:eth1 down'], [1000, 'r1:eth1 up']]);
    const pause = resolveEvent(t, { for: '3s', pause: 'r2' }, 0, NOW);
    expect(stepsOf(pause, peer).map((s) => describeStep(s.step))).to.deep.equal(['r2 paused', 'r2 resumed']);
  });
  it('ramps in steps from one value to the other, on both ends with both:', () => {
    const e = resolveEvent(t, { for: '4s', shape: { endpoint: 'r1:eth1', both: true, rate: { from: '100mbit', to: '20mbit' }, step: '2s' } }, 0, NOW);
    const steps = stepsOf(e, peer);
    expect(steps.map((s) => s.offsetMs)).to.deep.equal([0, 2000, 4000]);
    expect(steps.map((s) => (s.step.kind === 'shape' ? s.step.shaping.rateBps : 0))).to.deep.equal([100e6, 60e6, 20e6]);
    expect(steps[0]!.step).to.deep.include({ endpoints: ['r1:eth1', 'r2:eth1'] });
    expect(interpolate({ lossPercent: 0 }, { lossPercent: 1 }, 0.25)).to.deep.equal({ lossPercent: 0.25 });
  });
  it('shapes for a while and then puts back what was there', () => {
    const e = resolveEvent(t, { for: '10s', shape: { endpoint: 'r1:eth1', rate: '1mbit' } }, 0, NOW);
    expect(stepsOf(e, peer).map((s) => describeStep(s.step))).to.deep.equal(['r1:eth1 rate 1Mbit', 'r1:eth1 shaping restored']);
  });
});

describe('events: the command line and the report', () => {
  it('builds an event from ACTION TARGET and flags, or takes one in YAML', () => {
    expect(eventFromWords(['flap', 'r1:eth1'], { every: '5s', for: '1s', times: '3' })).to.deep.equal({ every: '5s', for: '1s', times: 3, flap: 'r1:eth1' });
    expect(eventFromWords(['shape', 'r1:eth1'], { rate: '100mbit..1mbit', for: '30s' })).to.deep.equal({ for: '30s', shape: { endpoint: 'r1:eth1', rate: { from: '100mbit', to: '1mbit' } } });
    expect(eventFromWords(['exec', 'h1', 'ping', '-c1', 'r2'], {})).to.deep.equal({ exec: { node: 'h1', cmd: 'ping -c1 r2' } });
    expect(eventFromWords(['{ at: 10s, link_down: r1:eth1 }'], {})).to.deep.equal({ at: '10s', link_down: 'r1:eth1' });
    expect(caught(() => eventFromWords(['flip', 'r1:eth1'], {})).hint).to.contain('link_down');
  });
  it('gives the next occurrence after now, and lists events and what ran', () => {
    const e = resolveEvent(t, { at: '5s', every: '5s', for: '1s', flap: 'r1:eth1' }, 0, NOW);
    const s = { version: 1 as const, lab: 'ev', startedAtMs: NOW, events: [e] };
    expect(nextOccurrence(s, e, NOW + 12_000)).to.equal(NOW + 15_000);
    expect(nextOccurrence(s, e, NOW)).to.equal(NOW + 5000);
    const text = formatEvents({ lab: 'ev', supervisor: 42, startedAt: new Date(NOW).toISOString(), events: [{ spec: e, next: new Date(NOW + 15_000).toISOString(), runs: 2, failures: 1 }],
      runs: [{ event: 0, name: e.name, occurrence: 0, action: 'r1:eth1 down', due: new Date(NOW + 5000).toISOString(), at: new Date(NOW + 5008).toISOString(), ms: 8, ok: false, error: 'boom' }] });
    expect(text).to.contain('supervisor running (pid 42)').and.contain('12:00:15.0').and.contain('failed: boom');
  });
});

describe('events: the examples of the docs load', () => {
  it('the tutorial\'s break-and-measure additions to ospf-triangle.yaml', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { repoRoot } = await import('../helpers/kernel.js');
    const base = readFileSync(join(repoRoot, 'topologies/ospf-triangle.yaml'), 'utf8').replace(/^tests:[\s\S]*$/m, '');
    const md = readFileSync(join(repoRoot, 'docs/tutorials/ospf-triangle.md'), 'utf8');
    const block = /```yaml\n(events:[\s\S]*?)```/.exec(md)![1]!;
    const t = loadTopology({ text: `${base}${block}` }, { env: {} });
    expect(t.events!.map((e) => e.name)).to.deep.equal(['flap']);
    expect(t.tests.map((x) => x.after)).to.deep.equal([{ event: 'flap' }, { event: 'flap' }, { spec: t.tests[2]!.after && 'spec' in t.tests[2]!.after ? t.tests[2]!.after.spec : undefined }]);
    expect(t.tests[0]!.withinMs).to.equal(1000);
    const obs = readFileSync(join(repoRoot, 'docs/observe.md'), 'utf8');
    const ev = /```yaml\n(events:\n  - \{ name: cut[\s\S]*?)```/.exec(obs)![1]!.replace(/at: 14:30/, 'at: 23:59:59');
    const t2 = loadTopology({ text: `${base}${ev}` }, { env: {} });
    expect(t2.events).to.have.length(6);
    const withTests = /```yaml\n(events:\n  - \{ name: flap[\s\S]*?)```/.exec(obs)![1]!;
    expect(loadTopology({ text: `${base}${withTests}` }, { env: {} }).tests).to.have.length(4);
  });
  it('refuses after: naming no event, and within: without after:', () => {
    const text = (tests: string): string => `name: ev\nnodes: [r1, r2]\nlinks: [[r1:eth1, r2:eth1]]\nevents: [{ name: cut, at: 1s, link_down: r1:eth1 }]\ntests:\n${tests}`;
    expect(caught(() => loadTopology({ text: text('  - { reach: { from: r1, to: r2 }, after: cot }\n') }, { env: {} })).headline).to.contain('tests[0].after: the lab has no event named "cot"; did you mean "cut"?');
    expect(caught(() => loadTopology({ text: text('  - { reach: { from: r1, to: r2 }, within: 5s }\n') }, { env: {} })).headline).to.contain('tests[0].within: within: needs after:');
    expect(caught(() => loadTopology({ text: text('  - { reach: { from: r1, to: r2 }, after: { pause: r9 } }\n') }, { env: {} })).headline).to.contain('tests[0].after.pause: node "r9" is not defined');
  });
});
