import { expect } from 'chai';
import { firstRuns } from '../../src/events/hooks.js';
import { afterTry, groups, runTests } from '../../src/validate/runner.js';
import { toJUnit } from '../../src/validate/junit.js';
import { formatResult } from '../../src/validate/console.js';
import type { EventHooks } from '../../src/validate/types.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../src/topology/types.js';
import { FakeClock, exit, fakeExec, fixtures, ok } from './validate-fake.js';
import { loadTopology } from '../../src/lab/load.js';

/** The validate fixture lab with one repeating event, `cut`, and these tests. */
function lab(tests: string): Topology {
  const text = readFileSync(join(fixtures, 'lab.yaml'), 'utf8');
  const events = 'events:\n  - { name: cut, at: 5s, every: 10s, for: 1s, link_down: r1:eth1 }\n';
  return loadTopology({ text: `${text.slice(0, text.indexOf('tests:'))}${events}tests:\n${tests}\n`, file: join(fixtures, 'lab.yaml') }, { checkFiles: false });
}

/** Hooks that report each event as having just happened, and count calls. */
function hooks(clock: FakeClock): EventHooks & { nexts: [string, number][]; acts: number } {
  const h = {
    nexts: [] as [string, number][], acts: 0,
    async next(name: string, min: number) { h.nexts.push([name, min]); clock.t += 100; return { occurrence: min, label: 'r1:eth1 down', agoMs: 0 }; },
    async act() { h.acts++; return { label: 'r2 paused', agoMs: 0, rest: Promise.resolve() }; },
  };
  return h;
}

describe('validate: after: and within:', () => {
  it('measures from the event to the first passing try, and says it on the pass line', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 }, after: cut, within: 2s }');
    const clock = new FakeClock();
    let tries = 0;
    const exec = fakeExec((_n, cmd) => (!cmd.startsWith('ping') ? ok() : ++tries < 4 ? exit(1, '1 packets transmitted, 0 received, 100% packet loss, time 0ms') : ok('1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.1/0.1/0.1/0.0 ms')));
    const report = await runTests({ topology: t, exec, clock, events: hooks(clock) });
    const r = report.results[0]!;
    expect(r.status).to.equal('pass');
    expect(r.after).to.deep.equal({ event: 'r1:eth1 down', restoredMs: 150 });
    expect(r.seen).to.equal('h1 → b1 restored 0.1 s after r1:eth1 down');
    expect(exec.calls[0]!.argv).to.include.members(['-c', '1', '-W', '0.3']);
    expect(formatResult(r)).to.contain('h1 → b1 restored 0.1 s after r1:eth1 down');
    expect(toJUnit(report)).to.contain('<property name="after" value="r1:eth1 down"/>').and.contain('<property name="restored_s" value="0.150"/>');
  });
  it('fails when the check does not hold within the time, with what it saw last', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 }, after: cut, within: 500ms }');
    const clock = new FakeClock();
    const report = await runTests({ topology: t, exec: fakeExec(() => exit(1, '1 packets transmitted, 0 received, 100% packet loss, time 0ms')), clock, events: hooks(clock) });
    const r = report.results[0]!;
    expect(r.status).to.equal('fail');
    expect(r.seen).to.match(/^not within 0\.5 s after r1:eth1 down; last seen: 0 of 1 replies/);
    expect(r.after).to.deep.equal({ event: 'r1:eth1 down' });
  });
  it('measures to the start of the passing try, not its end (the try\'s own cost is not the recovery)', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 }, after: cut, within: 500ms }');
    const clock = new FakeClock();
    // The one try starts at once; entering the node and pinging take 800 ms.
    const exec = fakeExec((_n, cmd) => { if (cmd.startsWith('ping')) clock.t += 800; return ok('1 packets transmitted, 1 received, 0% packet loss, time 0ms'); });
    const r = (await runTests({ topology: t, exec, clock, events: hooks(clock) })).results[0]!;
    expect(r.status).to.equal('pass');
    expect(r.after).to.deep.equal({ event: 'r1:eth1 down', restoredMs: 0 });
  });
  it('fails a check that held only after the time, saying when it held', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 }, after: cut, within: 500ms }');
    const clock = new FakeClock();
    // The event happened 800 ms before the test got to it; the first try passes.
    const late: EventHooks = { async next(_name, min) { return { occurrence: min, label: 'r1:eth1 down', agoMs: 800 }; }, async act() { throw new Error('not used'); } };
    const r = (await runTests({ topology: t, exec: fakeExec(() => ok('1 packets transmitted, 1 received, 0% packet loss, time 0ms')), clock, events: late })).results[0]!;
    expect(r.status).to.equal('fail');
    expect(r.seen).to.equal('h1 → b1 restored only 0.8 s after r1:eth1 down, later than 0.5 s');
    expect(r.after).to.deep.equal({ event: 'r1:eth1 down', restoredMs: 800 });
  });
  it('gives tests after one event one occurrence each, in order', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 }, after: cut }\n  - { reach: { from: h1, to: b1 }, after: cut }');
    const clock = new FakeClock();
    const h = hooks(clock);
    await runTests({ topology: t, exec: fakeExec(() => ok('1 packets transmitted, 1 received, 0% packet loss')), clock, events: h, concurrency: 4 });
    expect(h.nexts).to.deep.equal([['cut', 0], ['cut', 1]]);
  });
  it('runs a test with an event of its own alone, and makes the event happen', async () => {
    const t = lab('  - { reach: { from: h1, to: b1 } }\n  - { ospf_neighbors: { node: r1, count: 0 }, after: { pause: r2, for: 5s }, within: 6s }\n  - { reach: { from: h1, to: b1 } }');
    expect(groups(t.tests).map((g) => g.length)).to.deep.equal([1, 1, 1]);
    const clock = new FakeClock();
    const h = hooks(clock);
    await runTests({ topology: t, exec: fakeExec(() => ok('1 packets transmitted, 1 received, 0% packet loss')), clock, events: h });
    expect(h.acts).to.equal(1);
  });
  it('pings once per try, briefly, unless the test gives its own timeout', () => {
    const [a, b] = lab('  - { reach: { from: h1, to: b1 }, after: cut }\n  - { reach: { from: h1, to: b1, timeout: 2s }, after: cut }').tests;
    expect(afterTry(a!)).to.include({ count: 1, timeoutMs: 300 });
    expect(afterTry(b!)).to.include({ count: 1, timeoutMs: 2000 });
  });
  it('ends as an error without the lab\'s events', async () => {
    const report = await runTests({ topology: lab('  - { reach: { from: h1, to: b1 }, after: cut }'), exec: fakeExec(() => ok()), clock: new FakeClock() });
    expect(report.results[0]!.status).to.equal('error');
  });
  it('takes the first action of each occurrence from the supervisor\'s log', () => {
    const run = (occurrence: number, at: string, action: string) => ({ event: 0, name: 'cut', occurrence, action, due: at, at, ms: 1, ok: true });
    const firsts = firstRuns([run(0, '2026-01-01T00:00:05Z', 'down'), run(0, '2026-01-01T00:00:06Z', 'up'), run(1, '2026-01-01T00:00:15Z', 'down'), { ...run(0, '2026-01-01T00:00:05Z', 'x'), event: 1 }], 0);
    expect([...firsts.entries()].map(([k, r]) => [k, r.action])).to.deep.equal([[0, 'down'], [1, 'down']]);
  });
});
