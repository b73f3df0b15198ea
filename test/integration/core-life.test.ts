/**
 * A node's limits and its life: pids and memory limits hold inside the node,
 * SIGTERM to PID 1 ends the node, a SIGKILLed node is seen dead and cleaned by
 * killLab, start failures name the node and the step. Root, real kernel.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroups, findLabs, killLab, labCgroup, nodeCgroupDirs } from '../../src/core/cgroups.js';
import { isAlive, signalNode, waitForExit, type RunningNode } from '../../src/core/node.js';
import { KernelError } from '../../src/errors.js';
import { leakcheckAround, readText, requireRoot, skip } from '../helpers/kernel.js';
import { until } from '../helpers/lab.js';
import { startTestLab, type TestLab } from './core-lab.js';

function pidsCgroup(t: TestLab, node: string): string | undefined {
  const h = t.layout.mode === 'v2' ? t.layout.unified : t.layout.v1.find((x) => x.controllers.includes('pids'))?.mount;
  return h ? join(labCgroup(h, t.lab), node) : undefined;
}

describe('core: limits hold inside a node', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('a fork bomb and a memory hog', function () {
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = await startTestLab(['bomb', 'hog', 'calm'], { resources: { bomb: { pids: 64 }, hog: { memoryBytes: 64 * 1024 * 1024 } } });
    });
    after(async function () {
      if (t) await t.destroy();
    });

    it('stops a fork bomb at the node\'s pids limit while the host and the other nodes stay responsive', async function () {
      const r = await t.exec('bomb', ['bash', '-c', 'f() { f | f & }; f'], { detach: true });
      expect(r.code).to.equal(0);
      const dir = pidsCgroup(t, 'bomb')!;
      await until(() => /^max [1-9]/m.test(readText(join(dir, 'pids.events'))), 10_000, 'the fork bomb to hit the pids limit');
      expect(Number(readFileSync(join(dir, 'pids.current'), 'utf8'))).to.be.at.most(64);
      const host = Date.now();
      expect(spawnSync('true').status).to.equal(0);
      expect(Date.now() - host).to.be.below(1000);
      expect((await t.exec('calm', ['echo', 'ok'])).stdout).to.equal('ok\n');
    });

    it('still lets netlab exec into a node at its pids limit, to stop the bomb', async function () {
      expect((await t.exec('bomb', ['echo', 'ok'])).stdout).to.equal('ok\n');
      await t.exec('bomb', ['kill', '-9', '-1']);
      const dir = pidsCgroup(t, 'bomb')!;
      await until(() => Number(readText(join(dir, 'pids.current'))) <= 2, 10_000, 'the bomb\'s processes to be gone');
      expect(Number(readFileSync(join(dir, 'pids.current'), 'utf8'))).to.be.at.most(2);
    });

    it('kills a memory hog inside its node only; the node and its neighbours live on', async function () {
      const r = await t.exec('hog', ['perl', '-e', '$x = "a" x 300_000_000; print "survived\\n"']);
      expect(r.code).to.equal(137);
      expect(r.stdout).not.to.contain('survived');
      expect(isAlive(t.nodes.get('hog')!)).to.equal(true);
      expect((await t.exec('hog', ['echo', 'ok'])).stdout).to.equal('ok\n');
      expect((await t.exec('calm', ['echo', 'ok'])).stdout).to.equal('ok\n');
    });
  });
});

describe('core: a node\'s life and death', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('stopping and losing nodes', function () {
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = await startTestLab(['term', 'killed', 'other']);
    });
    after(async function () {
      if (t) await t.destroy();
    });

    it('ends every process of a node within 5 s of SIGTERM to its PID 1, even one that ignores SIGTERM', async function () {
      const n = t.nodes.get('term')!;
      await t.exec('term', ['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & (trap "" TERM; exec sleep 1000) >/dev/null 2>&1 & echo started'], { timeoutMs: 5000 });
      const unified = t.layout.unified ? join(labCgroup(t.layout.unified, t.lab), 'term') : undefined;
      if (unified) expect(readFileSync(join(unified, 'cgroup.procs'), 'utf8').trim().split('\n').length).to.be.at.least(3);
      const t0 = Date.now();
      expect(signalNode(n, 'SIGTERM')).to.equal(true);
      expect(await waitForExit(n, 5000)).to.equal(true);
      expect(Date.now() - t0).to.be.below(5000);
      if (unified) expect(readFileSync(join(unified, 'cgroup.procs'), 'utf8')).to.equal('');
      expect(isAlive(t.nodes.get('other')!)).to.equal(true);
    });

    it('shows a node whose PID 1 was SIGKILLed as dead, and its processes are gone with it', async function () {
      const n = t.nodes.get('killed')!;
      await t.exec('killed', ['sh', '-c', 'sleep 1000 >/dev/null 2>&1 &']);
      process.kill(n.pid, 'SIGKILL');
      expect(await waitForExit(n, 5000)).to.equal(true);
      expect(isAlive(n)).to.equal(false);
      expect(signalNode(n)).to.equal(false);
    });

    it('says a dead node cannot be entered (exit 125) instead of running the command elsewhere', async function () {
      const r = await t.exec('killed', ['true']);
      expect(r.code).to.equal(125);
      expect(r.stderr).to.match(/not running/);
    });

    it('removes every cgroup of the lab with killLab, also of dead nodes, and forgets the lab', async function () {
      await killLab(t.layout, t.lab);
      expect(isAlive(t.nodes.get('other')!)).to.equal(false);
      expect(findLabs(t.layout)).not.to.include(t.lab);
      for (const m of [t.layout.unified, ...t.layout.v1.map((h) => h.mount)]) if (m) expect(existsSync(labCgroup(m, t.lab))).to.equal(false);
      await killLab(t.layout, t.lab); // idempotent
    });
  });
});

describe('core: teardown of a pure cgroup v1 lab', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('a lab on the host\'s v1 hierarchies alone (no cgroup2 tree)', function () {
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      const host = detectCgroups();
      if (!host.v1.some((h) => h.controllers.includes('freezer'))) skip(this, 'no v1 freezer hierarchy on this host (pure cgroup v2): the unit tests cover the v1 plan');
      t = await startTestLab(['a', 'b'], { layout: { mode: 'v1', unifiedControllers: [], v1: host.v1, ...(host.cpusetRoot ? { cpusetRoot: host.cpusetRoot } : {}) } });
    });
    after(async function () {
      if (t) await t.destroy();
    });

    it('freezes, kills and thaws the lab, then removes its cgroups', async function () {
      await t.exec('a', ['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & sleep 1000 >/dev/null 2>&1 &']);
      const freezer = t.layout.v1.find((h) => h.controllers.includes('freezer'))!.mount;
      expect(readFileSync(join(labCgroup(freezer, t.lab), 'cgroup.procs'), 'utf8').trim().split('\n').length).to.be.at.least(4);
      await killLab(t.layout, t.lab);
      expect(isAlive(t.nodes.get('a')!)).to.equal(false);
      expect(isAlive(t.nodes.get('b')!)).to.equal(false);
      expect(existsSync(labCgroup(freezer, t.lab))).to.equal(false);
    });
  });
});

describe('core: start failures', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('a node whose bind source is missing', function () {
    it('names the node, the step and the errno, and reports the nodes started before it', async function () {
      requireRoot(this);
      const started: RunningNode[] = [];
      let error: unknown;
      try {
        await startTestLab(['good', 'bad'], {
          window: 1,
          onStarted: (n) => started.push(n),
          specs: (s) => (s.name === 'bad' ? { ...s, binds: [{ source: '/nonexistent/netlab-probe', target: '/mnt/x', readonly: true }] } : s),
        });
      } catch (err) { error = err; }
      expect(error).to.be.instanceOf(KernelError);
      const e = error as KernelError;
      expect(e.headline).to.match(/^node t-core\d+x\d+\/bad: open_tree bind source \/nonexistent\/netlab-probe failed: ENOENT/);
      expect(started.map((n) => n.name)).to.deep.equal(['good']);
      expect(isAlive(started[0]!)).to.equal(false); // startTestLab destroyed the half-started lab
    });

    it('starts a lone node given node-level cgroup dirs that the plan did not all create', async function () {
      requireRoot(this);
      const t = await startTestLab(['solo'], { specs: (sp) => ({ ...sp, cgroupDirs: nodeCgroupDirs(detectCgroups(), sp.lab, sp.name) }) });
      try {
        expect((await t.exec('solo', ['hostname'])).stdout).to.equal('solo\n');
      } finally {
        await t.destroy();
      }
    });

    it('stops starting nodes on abort, reports those it started, and rejects with the abort reason', async function () {
      requireRoot(this);
      const ac = new AbortController();
      const started: RunningNode[] = [];
      let error: unknown;
      try {
        await startTestLab(Array.from({ length: 40 }, (_, i) => `n${i}`), {
          window: 1, signal: ac.signal,
          onStarted: (n) => { started.push(n); if (started.length === 3) ac.abort(new Error('interrupted by the test')); },
        });
      } catch (err) { error = err; }
      expect((error as Error).message).to.equal('interrupted by the test');
      expect(started.length).to.be.within(3, 5);
      expect(started.every((n) => !isAlive(n))).to.equal(true);
    });
  });
});
