/**
 * Watching and breaking the demo lab (ospf-triangle), as docs/observe.md
 * shows it: `stats` against the cgroup files, a paused router that its
 * neighbour drops only after the dead interval, `resume`, a link cut that is
 * routed around in under a second, a restart, a flap every 5 s with tests
 * after each flap (times in the JUnit file), and a node killed by the OOM
 * killer as `status` reports it.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups } from '../../src/core/cgroups.js';
import { blockDevice } from '../../src/core/io-device.js';
import { Lab } from '../../src/lab/lab.js';
import { readState } from '../../src/lab/state.js';
import type { LabStats } from '../../src/observe/stats.js';
import { resolveEvent } from '../../src/topology/events.js';
import type { OspfNeighborsTest, ReachTest, TestSpec } from '../../src/topology/types.js';
import type { TestResult } from '../../src/validate/types.js';
import { runTests } from '../../src/validate/index.js';
import { toJUnit } from '../../src/validate/junit.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { exited, netlab, netlabAsync, testLabName, until } from '../helpers/lab.js';
import { needDaemons } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

const file = join(repoRoot, 'topologies', 'ospf-triangle.yaml');
const LAB = testLabName(file);

/** Whether a process lives (and is not a zombie). */
function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && !/\) [ZX] /.test(stat);
}

function read(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** usage_usec of a node's cgroup2 cpu.stat. */
function cpuUsec(node: string): number {
  const u = detectCgroups().unified!;
  return Number(/usage_usec (\d+)/.exec(read(join(u, 'netlab', LAB, node, 'cpu.stat')))?.[1]);
}

/** A test of r1's OSPF neighbours, as the loader would make it. */
function neighbours(count: number, extra: Partial<OspfNeighborsTest> = {}): OspfNeighborsTest {
  return { kind: 'ospf_neighbors', index: 0, name: `r1 has ${count} OSPF neighbours Full`, node: 'r1', waitMs: 0, serial: false, daemon: 'frr', count, state: 'Full', ...extra };
}

describe('watching and breaking the demo lab (real kernel, FRR)', function () {
  this.timeout(180_000);
  leakcheckAround();
  before(function () { requireRoot(this); needDaemons(this); });
  // A nested suite, so that its `after` takes the lab down before leakcheck's `after` compares.
  describe(`lab ${LAB}`, () => {
    let lab: Lab | undefined;
    before(async function () {
      lab = await Lab.up(file, { name: LAB });
      await lab.waitFor(async () => (await lab!.exec('h1', ['ping', '-c1', '-W1', 'h2'])).code === 0, { timeoutMs: 30_000, what: 'h1 to reach h2 over OSPF' });
    });
    after(async () => { await lab?.down(); });

    it('stats --json gives each node\'s CPU time as its cgroup\'s cpu.stat has it, memory, tasks and interface counters', () => {
      const before = Object.fromEntries(lab!.topology.nodes.map((n) => [n.name, cpuUsec(n.name)]));
      const r = netlab(['stats', LAB, '--json', '--interval', '0.3']);
      const afterward = Object.fromEntries(lab!.topology.nodes.map((n) => [n.name, cpuUsec(n.name)]));
      expect(r.code, r.stderr).to.equal(0);
      const s = JSON.parse(r.stdout) as LabStats;
      expect(s.nodes.map((n) => n.node)).to.deep.equal(['r1', 'r2', 'r3', 'h1', 'h2']);
      for (const n of s.nodes) {
        expect(n.state).to.equal('running');
        expect(n.cpuSource).to.equal('cgroup');
        expect(n.cpuUsec, n.node).to.be.within(before[n.node]!, afterward[n.node]!);
        expect(n.cpuPercent, n.node).to.be.a('number');
        expect(n.memory!.totalBytes, n.node).to.be.greaterThan(0);
        expect(n.pids!.current, n.node).to.be.greaterThan(0);
        expect(n.interfaces.map((i) => i.name).sort()).to.deep.equal(lab!.topology.nodes.find((x) => x.name === n.node)!.interfaces.map((i) => i.name).sort());
      }
      // FRR routers say hello every second: r1's eth1 has sent something.
      expect(s.nodes[0]!.interfaces.find((i) => i.name === 'eth1')!.totals.txPackets).to.be.greaterThan(0);
      // Memory read from a node's own memory cgroup matches its files (v1 memory.usage_in_bytes or v2 memory.current).
      for (const n of s.nodes.filter((x) => x.memory!.source === 'cgroup')) {
        const layout = detectCgroups();
        const m1 = layout.v1.find((h) => h.controllers.includes('memory'))?.mount;
        const now = Number(read(m1 ? join(m1, 'netlab', LAB, n.node, 'memory.usage_in_bytes') : join(layout.unified!, 'netlab', LAB, n.node, 'memory.current')));
        expect(Math.abs(now - n.memory!.totalBytes), `${n.node}: memory ${n.memory!.totalBytes} vs ${now} now`).to.be.lessThan(Math.max(4 << 20, now * 0.2));
      }
    });

    it('pause freezes r2 with its links up: r1 drops it only when the dead interval (4 s) expires, within 1 s of it', async () => {
      const report = await runTests({
        exec: (node, argv, o) => lab!.exec(node, argv, o), topology: lab!.topology, events: lab!.eventHooks(),
        tests: [{ ...neighbours(1), after: { spec: resolveEvent(lab!.topology, { pause: 'r2' }, 0, Date.now()) }, withinMs: 10_000 }],
      });
      const r = report.results[0]!;
      expect(r.status, `${r.seen}\n${r.detail}`).to.equal('pass');
      expect(r.after!.event).to.equal('r2 paused');
      expect(r.after!.restoredMs! / 1000, r.seen).to.be.within(3, 5);
      process.stdout.write(`        measured: ${r.seen}\n`);
      const st = netlab(['status', LAB]);
      expect(st.stdout).to.match(/^r2 +frr +paused/m);
      const again = netlab(['node', 'pause', 'r2', '--lab', LAB]);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.contain('error: node r2: is already paused').and.contain('netlab node resume r2');
    });

    it('resume brings the adjacency back', async () => {
      const report = await runTests({
        exec: (node, argv, o) => lab!.exec(node, argv, o), topology: lab!.topology, events: lab!.eventHooks(),
        tests: [{ ...neighbours(2), after: { spec: resolveEvent(lab!.topology, { resume: 'r2' }, 0, Date.now()) }, withinMs: 20_000 }],
      });
      expect(report.results[0]!.status, report.results[0]!.seen).to.equal('pass');
      expect(netlab(['status', LAB]).stdout).to.match(/^r2 +frr +running/m);
      const again = netlab(['node', 'resume', 'r2', '--lab', LAB]);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.contain('is not paused');
    });

    it('routes around a cut link in under a second (h1 → h2 across r1–r3)', async () => {
      // From a quiet network: the tests above (r2 paused and resumed) made every
      // router run SPF several times, and FRR then holds the next SPF for up to
      // holdtimeMaxMsecs (500 ms, src/daemons/frr-ospf.ts routerTimers). The cut
      // is measured once no router ran SPF within that hold, as a user cuts a
      // link in a lab that has settled. A measurement over the second is made
      // once more (after the link is back and the network quiet again): on a
      // loaded CI host one cut in ~20 took 1.0 s; a lab that reroutes slowly
      // misses twice. The bound stays 1 s.
      const quiet = (): Promise<boolean> => lab!.waitFor(async () => {
        for (const r of ['r1', 'r2', 'r3']) {
          const out = await lab!.exec(r, ['vtysh', '-c', 'show ip ospf json']);
          const j = JSON.parse(out.stdout) as { spfLastExecutedMsecs?: number; holdtimeMaxMsecs?: number };
          if (j.spfLastExecutedMsecs === undefined || j.spfLastExecutedMsecs <= (j.holdtimeMaxMsecs ?? 500)) return false;
        }
        return true;
      }, { timeoutMs: 30_000, what: 'no OSPF router to have run SPF within its hold time' });
      const reach: ReachTest = { kind: 'reach', index: 0, name: 'h1 reaches h2', node: 'h1', waitMs: 0, serial: false, from: 'h1', to: 'h2', toNode: 'h2', address: lab!.topology.nodes.find((n) => n.name === 'h2')!.interfaces[0]!.ipv4!.split('/')[0]!, family: 4, count: 3, timeoutMs: 1000, expect: 'success' };
      let r: TestResult | undefined;
      for (let measurement = 1; measurement <= 2; measurement++) {
        await lab!.waitFor(async () => /r1:eth2 +up/.test(netlab(['link', 'show', 'r1:eth2', '--lab', LAB]).stdout), { timeoutMs: 10_000, what: 'r1:eth2 to be up again' });
        await quiet();
        const cut: TestSpec = { ...reach, after: { spec: resolveEvent(lab!.topology, { link_down: 'r1:eth2', for: '3s' }, 0, Date.now()) }, withinMs: 1000 };
        const report = await runTests({ exec: (node, argv, o) => lab!.exec(node, argv, o), topology: lab!.topology, events: lab!.eventHooks(), tests: [cut] });
        r = report.results[0]!;
        process.stdout.write(`        measured (${measurement}): ${r.seen} (${r.attempts} ${r.attempts === 1 ? 'try' : 'tries'})\n`);
        if (r.status === 'pass') break;
      }
      expect(r!.status, `${r!.seen}\n${r!.detail}`).to.equal('pass');
      expect(r!.seen).to.match(/^h1 → h2 restored \d\.\d s after r1:eth2 down$/);
      expect(r!.after!.restoredMs).to.be.lessThan(1000);
      // The for: 3s of the event put the link back before the test ended.
      expect(netlab(['link', 'show', 'r1:eth2', '--lab', LAB]).stdout).to.match(/r1:eth2 +up/);
    });

    it('restarts a router\'s daemons from the config in the node, and its neighbours take it back', async () => {
      const rec = readState(LAB).state!.nodes.r3!;
      const r = netlab(['node', 'restart', 'r3', '--lab', LAB]);
      expect(r.code, r.stderr).to.equal(0);
      expect(readState(LAB).state!.nodes.r3!.pid).to.equal(rec.pid); // the node itself went on
      const s = await lab!.status();
      expect(s.nodes.find((n) => n.name === 'r3')!.daemons.every((d) => d.running)).to.equal(true);
      await lab!.waitFor(async () => (await lab!.exec('h1', ['ping', '-c1', '-W1', 'h2'])).code === 0, { timeoutMs: 30_000, what: 'h1 to reach h2 again' });
    });

    it('runs a flap every 5 s from its supervisor, and tests after each flap pass with their times in the JUnit file', async () => {
      const add = netlab(['events', LAB, 'add', 'flap', 'r1:eth2', '--name', 'flap', '--at', '1s', '--every', '5s', '--for', '1s', '--times', '3']);
      expect(add.code, add.stderr).to.equal(0);
      const reach = (i: number): ReachTest => ({ kind: 'reach', index: i, name: `h1 reaches h2 after flap ${i + 1}`, node: 'h1', waitMs: 0, serial: false, from: 'h1', to: 'h2', toNode: 'h2', address: lab!.topology.nodes.find((n) => n.name === 'h2')!.interfaces[0]!.ipv4!.split('/')[0]!, family: 4, count: 3, timeoutMs: 1000, expect: 'success', after: { event: 'flap' }, withinMs: 3000 });
      const report = await runTests({ exec: (node, argv, o) => lab!.exec(node, argv, o), topology: lab!.topology, events: lab!.eventHooks(), tests: [reach(0), reach(1), reach(2)] });
      for (const r of report.results) expect(r.status, `${r.test.name}: ${r.seen}`).to.equal('pass');
      process.stdout.write(`        measured: ${report.results.map((r) => r.seen).join('; ')}\n`);
      const xml = toJUnit(report);
      expect(xml.match(/<property name="restored_s" value="\d+\.\d{3}"\/>/g)).to.have.length(3);
      expect(xml).to.contain('<property name="after" value="r1:eth2 down"/>');
      const ev = netlab(['events', LAB, '--json']);
      const runs = (JSON.parse(ev.stdout) as { runs: { action: string; ok: boolean }[] }).runs;
      expect(runs.filter((x) => x.action === 'r1:eth2 down' && x.ok).length).to.be.at.least(3);
      expect(netlab(['events', LAB]).stdout).to.contain('flap').and.contain('r1:eth2 up');
    });

    it('stats --watch --json prints a fresh object per interval until it is stopped', async () => {
      const child = netlabAsync(['stats', LAB, '--watch', '--json', '--interval', '0.3']);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
      await until(() => out.split('\n').filter(Boolean).length >= 3, 15_000, 'three stats lines');
      child.kill('SIGINT');
      await exited(child);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LabStats);
      expect(lines.length).to.be.at.least(3);
      for (const l of lines) expect(l.nodes.map((n) => n.node)).to.deep.equal(['r1', 'r2', 'r3', 'h1', 'h2']);
      // Each line is a new sample, one interval after the one before.
      const at = lines.map((l) => Date.parse(l.at));
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!, `line ${i}`).to.be.within(250, 2000);
      for (const l of lines.slice(1)) expect(l.intervalMs).to.be.within(250, 2000);
    });

    it('netlab down ends the events supervisor with the lab', async () => {
      // An event with something left to do (the flap above is over, and a supervisor with nothing left exits).
      const add = netlab(['events', LAB, 'add', 'exec', 'h1', '--at', '1h', '--', 'true']);
      expect(add.code, add.stderr).to.equal(0);
      let sup = readState(LAB).state!.supervisor;
      await until(() => { sup = readState(LAB).state!.supervisor; return sup !== undefined && alive(sup.pid); }, 5000, 'a supervisor to run');
      await lab!.down();
      lab = undefined;
      await until(() => !alive(sup!.pid), 5000, 'the supervisor to end');
    });
  });
});

describe('a memory-limited node killed by the OOM killer (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround();
  before(function () { requireRoot(this); });
  describe('lab t-oom', () => {
    let lab: Lab | undefined;
    before(async function () {
      lab = await Lab.up(loadTopology({ text: 'name: t-oom\nnodes:\n  m: { resources: { memory: 64M } }\n  n: { resources: { io: { read_bps: 1M } } }\nlinks: [[m:eth1, n:eth1]]\n' }, { env: {} }));
    });
    after(async () => { await lab?.down(); });

    it('shows the killed process and when in status and stats', async () => {
      const r = await lab!.exec('m', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
      expect(r.code, r.stderr).to.equal(137);
      const st = netlab(['status', 't-oom']);
      expect(st.code).to.equal(0); // the node itself lives on (its PID 1 is spared)
      expect(st.stdout).to.match(/m: dd killed by the OOM killer at \d\d:\d\d:\d\d/);
      const json = JSON.parse(netlab(['status', 't-oom', '--json']).stdout) as { nodes: { name: string; oom?: { kills: number; events: { process: string }[] } }[] };
      expect(json.nodes.find((n) => n.name === 'm')!.oom).to.deep.include({ kills: 1 });
      expect(json.nodes.find((n) => n.name === 'm')!.oom!.events[0]!.process).to.equal('dd');
      expect(netlab(['stats', 't-oom', '--interval', '0.2']).stdout).to.match(/m: dd killed by the OOM killer/);
    });

    it('limits a node\'s reads from the disk of its root to resources.io.read_bps (1M: 2 MiB take about 2 s)', async function () {
      const dev = blockDevice('/', 'test');
      const layout = detectCgroups();
      const blkio = layout.v1.find((h) => h.controllers.includes('blkio'))?.mount;
      if (blkio) expect(read(join(blkio, 'netlab', 't-oom', 'n', 'blkio.throttle.read_bps_device'))).to.contain(`${dev} 1048576`);
      else expect(read(join(layout.unified!, 'netlab', 't-oom', 'n', 'io.max'))).to.contain(`${dev} rbps=1048576`);
      // O_DIRECT, so that the page cache does not answer: a big file of the host's / (the node's lower layer).
      const big = process.execPath;
      if (statSync(big).size < 4 << 20) skip(this, `${big} is smaller than 4 MiB`);
      const t0 = Date.now();
      const r = await lab!.exec('n', ['dd', `if=${big}`, 'of=/dev/null', 'bs=64k', 'count=32', 'iflag=direct'], { timeoutMs: 30_000 });
      const s = (Date.now() - t0) / 1000;
      expect(r.code, r.stderr).to.equal(0);
      expect(s, r.stderr).to.be.within(1.2, 6);
      const free = Date.now();
      expect((await lab!.exec('m', ['dd', `if=${big}`, 'of=/dev/null', 'bs=64k', 'count=32', 'iflag=direct', 'skip=64'])).code).to.equal(0);
      expect((Date.now() - free) / 1000, 'the same read in a node without the limit').to.be.below(s / 2);
    });

    it('runs exec, pause and shaping-ramp events added from the CLI, each logged by netlab events', async () => {
      for (const args of [
        ['exec', 'm', '--name', 'touch', '--', 'touch', '/tmp/event-ran'],
        ['pause', 'n', '--name', 'freeze', '--for', '1s'],
        ['shape', 'm:eth1', '--name', 'ramp', '--at', '3s', '--rate', '100mbit..10mbit', '--for', '2s'],
      ]) {
        const r = netlab(['events', 't-oom', 'add', ...args]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
      }
      type Run = { name: string; action: string; ok: boolean };
      let runs: Run[] = [];
      const done = (): boolean => {
        runs = (JSON.parse(netlab(['events', 't-oom', '--json']).stdout) as { runs: Run[] }).runs;
        return runs.some((x) => x.name === 'touch') && runs.some((x) => x.action === 'n resumed') && runs.some((x) => x.name === 'ramp' && /rate 10mbit/i.test(x.action));
      };
      await until(done, 20_000, 'the events to run').catch((err: Error) => { throw new Error(`${err.message}; ran: ${JSON.stringify(runs)}`); });
      expect(runs.every((x) => x.ok), JSON.stringify(runs)).to.equal(true);
      expect(runs.map((x) => x.action)).to.include('n paused');
      expect(runs.filter((x) => x.name === 'ramp').length, JSON.stringify(runs)).to.be.at.least(3);
      expect((await lab!.exec('m', ['test', '-e', '/tmp/event-ran'])).code).to.equal(0);
      expect(netlab(['status', 't-oom']).stdout).to.match(/^n +linux +running/m);
      expect(netlab(['link', 'show', 'm:eth1', '--lab', 't-oom']).stdout).to.match(/rate 10mbit/i);
    });

    it('shows a dead node as dead in stats, with exit 1', async () => {
      const rec = readState('t-oom').state!.nodes.n!;
      process.kill(rec.pid, 'SIGKILL');
      await lab!.waitFor(() => !read(`/proc/${rec.pid}/stat`) || /\) Z/.test(read(`/proc/${rec.pid}/stat`)), { timeoutMs: 5000, what: 'n to die' });
      const r = netlab(['stats', 't-oom', '--interval', '0.2']);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^n +linux +dead/m);
    });
  });
});

describe('netlab validate with a timed flap and tests after each flap (real kernel, FRR)', function () {
  this.timeout(180_000);
  leakcheckAround();
  before(function () { requireRoot(this); needDaemons(this); });

  it('passes every test after: the flap, prints the restore times and writes them into the JUnit file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-flap-'));
    try {
      const base = readFileSync(file, 'utf8').replace(/^tests:[\s\S]*$/m, '');
      const topo = join(dir, 'flap.yaml');
      writeFileSync(topo, `${base}events:
  - { name: flap, at: 6s, every: 5s, for: 1s, flap: r1:eth2, times: 4 }
tests:
  - { name: converged, reach: { from: h1, to: h2 }, wait: 30s }
  - { name: after flap 1, reach: { from: h1, to: h2 }, after: flap, within: 1s }
  - { name: after flap 2, reach: { from: h1, to: h2 }, after: flap, within: 1s }
  - { name: after flap 3, reach: { from: h1, to: h2 }, after: flap, within: 1s }
`);
      const junit = join(dir, 'report.xml');
      const r = netlab(['validate', topo, '--name', 't-ospf-flap', '--junit', junit, '--json']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stderr.match(/✓ after flap \d .*h1 → h2 restored \d\.\d s after r1:eth2 down/g), r.stderr).to.have.length(3);
      const report = JSON.parse(r.stdout) as { results: { test: { name: string }; after?: { restoredMs?: number } }[] };
      for (const x of report.results.slice(1)) expect(x.after!.restoredMs, x.test.name).to.be.a('number').and.lessThan(1000);
      const xml = readFileSync(junit, 'utf8');
      expect(xml.match(/<property name="restored_s" value="0\.\d{3}"\/>/g)).to.have.length(3);
      process.stdout.write(`        measured (JUnit restored_s): ${[...xml.matchAll(/name="restored_s" value="([\d.]+)"/g)].map((m) => m[1]).join(', ')}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      netlab(['down', 't-ospf-flap']);
    }
  });
});
