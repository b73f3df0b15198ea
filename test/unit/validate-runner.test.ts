import { expect } from 'chai';
import { NetlabError } from '../../src/errors.js';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS, groups, runTests } from '../../src/validate/runner.js';
import type { ExecResult } from '../../src/validate/types.js';
import { FakeClock, captured, exit, fakeExec, fixtureLab, ok } from './validate-fake.js';

/** n exec tests on h1 running `echo i`. */
function execTests(n: number, extra = ''): string {
  return Array.from({ length: n }, (_, i) => `  - { exec: { node: h1, cmd: "echo ${i}" }${extra} }`).join('\n');
}

describe('validate: runner', () => {
  it('reports results in file order with counts', async () => {
    const t = fixtureLab(execTests(3));
    const report = await runTests({ topology: t, exec: fakeExec((_n, cmd) => (cmd.endsWith('echo 1') ? exit(1) : ok())), clock: new FakeClock() });
    expect(report.results.map((r) => r.status)).to.deep.equal(['pass', 'fail', 'pass']);
    expect(report.counts).to.deep.equal({ total: 3, passed: 2, failed: 1, errors: 0, skipped: 0 });
    expect(report.lab).to.equal('vlab');
  });

  it('runs at most `concurrency` tests at once', async () => {
    const t = fixtureLab(execTests(10));
    let running = 0, peak = 0;
    const exec = fakeExec(async () => {
      running++; peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return ok();
    });
    await runTests({ topology: t, exec, concurrency: 3 });
    expect(peak).to.equal(3);
    expect(exec.calls).to.have.length(10);
  });

  it('runs a serial test alone, after the tests before it and before those after it', async () => {
    const t = fixtureLab(`${execTests(3)}\n  - { exec: { node: h1, cmd: "ip link set eth1 down" }, serial: true }\n${execTests(2)}`);
    const log: string[] = [];
    const exec = fakeExec(async (_n, cmd) => {
      log.push(`start ${cmd}`);
      await new Promise((r) => setTimeout(r, cmd.includes('down') ? 10 : 2));
      log.push(`end ${cmd}`);
      return ok();
    });
    await runTests({ topology: t, exec, concurrency: 8 });
    const i = log.indexOf('start /bin/sh -c ip link set eth1 down');
    expect(log[i + 1]).to.equal('end /bin/sh -c ip link set eth1 down');
    expect(log.slice(0, i).filter((l) => l.startsWith('end'))).to.have.length(3);
  });

  it('groups runs of parallel tests around serial ones', () => {
    const t = fixtureLab(`${execTests(2)}\n${execTests(1, ', serial: true')}\n${execTests(1)}`);
    expect(groups(t.tests).map((g) => g.length)).to.deep.equal([2, 1, 1]);
  });

  it('retries a test with wait until it passes, with growing pauses', async () => {
    const t = fixtureLab('  - { exec: { node: h1, cmd: "true" }, wait: 30s }');
    let n = 0;
    const clock = new FakeClock();
    const report = await runTests({ topology: t, exec: fakeExec(() => (++n < 5 ? exit(1) : ok())), clock });
    const r = report.results[0]!;
    expect(r.status).to.equal('pass');
    expect(r.attempts).to.equal(5);
    expect(clock.sleeps).to.deep.equal([FIRST_BACKOFF_MS, FIRST_BACKOFF_MS * 1.5, FIRST_BACKOFF_MS * 2.25, FIRST_BACKOFF_MS * 3.375]);
    expect(r.durationMs).to.equal(clock.sleeps.reduce((a, b) => a + b, 0));
  });

  it('gives up when the wait is over and keeps the last observation', async () => {
    const t = fixtureLab('  - { exec: { node: h1, cmd: "true" }, wait: 10s }');
    let n = 0;
    const clock = new FakeClock();
    const report = await runTests({ topology: t, exec: fakeExec(() => exit(++n)), clock });
    const r = report.results[0]!;
    expect(r.status).to.equal('fail');
    expect(r.seen).to.equal(`exit ${r.attempts}`);
    expect(clock.t).to.equal(10_000);
    expect(Math.max(...clock.sleeps)).to.be.at.most(MAX_BACKOFF_MS);
  });

  it('tries once without wait, and uses the run\'s default wait when given', async () => {
    const t = fixtureLab(execTests(1));
    const once = await runTests({ topology: t, exec: fakeExec(() => exit(1)), clock: new FakeClock() });
    expect(once.results[0]!.attempts).to.equal(1);
    const waited = await runTests({ topology: t, exec: fakeExec(() => exit(1)), clock: new FakeClock(), defaultWaitMs: 5000 });
    expect(waited.results[0]!.attempts).to.be.greaterThan(1);
  });

  it('ends a test as an error when the exec rejects, with the hint and no retry', async () => {
    const t = fixtureLab('  - { exec: { node: h1, cmd: "true" }, wait: 30s }');
    const exec = fakeExec((): ExecResult => { throw new NetlabError('h1', 'node h1 is not running', 'netlab status shows why'); });
    const r = (await runTests({ topology: t, exec, clock: new FakeClock() })).results[0]!;
    expect(r).to.include({ status: 'error', attempts: 1, seen: 'node h1 is not running', detail: 'hint: netlab status shows why' });
  });

  it('skips tests not started when aborted, and stops the retries of running ones', async () => {
    const t = fixtureLab(`  - { exec: { node: h1, cmd: "true" }, wait: 60s }\n${execTests(3)}`);
    const controller = new AbortController();
    const exec = fakeExec(async () => { setTimeout(() => controller.abort(), 1); await new Promise((r) => setTimeout(r, 3)); return exit(1); });
    const report = await runTests({ topology: t, exec, concurrency: 1, signal: controller.signal });
    expect(report.results.map((r) => r.status)).to.deep.equal(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(report.results[0]!.seen).to.match(/^interrupted; last seen: exit 1/);
    expect(exec.calls).to.have.length(1);
  });

  it('reads a node\'s table once for many route tests on it at the same time', async () => {
    const t = fixtureLab(['10.0.0.1/32', '10.0.0.2/32', '10.0.0.3/32', '10.1.0.0/31', '10.1.0.2/31'].map((p) => `  - { route: { node: r1, prefix: ${p} } }`).join('\n'));
    const exec = fakeExec(async () => { await new Promise((r) => setTimeout(r, 5)); return ok(captured('r1-route.json')); });
    const report = await runTests({ topology: t, exec, concurrency: 2 });
    expect(report.counts.passed).to.equal(5);
    expect(exec.calls).to.have.length(1);
  });

  it('reads afresh when a test retries', async () => {
    const t = fixtureLab('  - { route: { node: r1, prefix: 10.0.0.3/32 }, wait: 10s }');
    let n = 0;
    const exec = fakeExec(() => ok(++n < 3 ? '{}' : captured('r1-route.json')));
    const r = (await runTests({ topology: t, exec, clock: new FakeClock() })).results[0]!;
    expect(r.status).to.equal('pass');
    expect(r.attempts).to.equal(3);
  });

  it('does not share exec tests, which may change the node', async () => {
    const t = fixtureLab(execTests(1) + '\n' + execTests(1));
    const exec = fakeExec(() => ok());
    await runTests({ topology: t, exec });
    expect(exec.calls).to.have.length(2);
  });

  it('calls onResult as each test ends', async () => {
    const t = fixtureLab(execTests(2));
    const seen: string[] = [];
    await runTests({ topology: t, exec: fakeExec(() => ok()), onResult: (r) => seen.push(r.test.name) });
    expect(seen).to.have.members(['h1 runs echo 0', 'h1 runs echo 1']);
  });
});
