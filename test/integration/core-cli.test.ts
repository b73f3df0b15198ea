/**
 * `netlab exec` as typed (bin/netlab hands it to native netlab-enter --cli):
 * finding the node's lab, errors that say what to type, exit codes.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { leakcheckAround, repoRoot, requireRoot } from '../helpers/kernel.js';
import { startTestLab, type TestLab } from './core-lab.js';

describe('core: netlab exec on the command line', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('two labs, both with a node r1', function () {
    let a: TestLab;
    let b: TestLab;
    const netlab = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(join(repoRoot, 'bin/netlab'), args, { encoding: 'utf8', env: { ...process.env, NETLAB_RUN_DIR: a.runRoot, NO_COLOR: '1' } });
    before(async function () {
      requireRoot(this);
      a = await startTestLab(['r1', 'only']);
      b = await startTestLab(['r1'], { runRoot: a.runRoot });
    });
    after(async function () {
      if (b) await b.destroy();
      if (a) { await a.destroy(); rmSync(a.runRoot, { recursive: true, force: true }); }
    });

    it('finds the only running lab that has the node', function () {
      const r = netlab('exec', 'only', '--', 'hostname');
      expect(r.stdout).to.equal('only\n');
      expect(r.status).to.equal(0);
    });

    it('passes the command\'s exit code through', function () {
      expect(netlab('exec', 'only', '--', 'sh', '-c', 'exit 3').status).to.equal(3);
    });

    it('refuses an ambiguous node with exit 2, naming the labs and what to type', function () {
      const r = netlab('exec', 'r1', '--', 'true');
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(new RegExp(`^error: node r1 is in 2 running labs: (${a.lab}, ${b.lab}|${b.lab}, ${a.lab})$`, 'm'));
      expect(r.stderr).to.match(/^hint: say which lab: netlab exec --lab \S+ r1 -- CMD$/m);
    });

    it('runs in the lab --lab names', function () {
      const r = netlab('exec', '--lab', b.lab, 'r1', '--', 'sh', '-c', 'echo $NETLAB_LAB');
      expect(r.stdout).to.equal(`${b.lab}\n`);
    });

    it('takes the options after the node too, up to the --', function () {
      const r = netlab('exec', 'r1', '--lab', a.lab, '--', 'sh', '-c', 'echo $NETLAB_LAB');
      expect(r.stdout).to.equal(`${a.lab}\n`);
      expect(r.status).to.equal(0);
    });

    it('does not count a lab whose node died: the node is not ambiguous, and alone it is reported dead', async function () {
      const c = await startTestLab(['only', 'lonely'], { runRoot: a.runRoot });
      try {
        for (const n of c.nodes.values()) process.kill(n.pid, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
        expect(netlab('exec', 'only', '--', 'hostname').stdout).to.equal('only\n');
        const dead = netlab('exec', 'lonely', '--', 'true');
        expect(dead.status).to.equal(2);
        expect(dead.stderr).to.contain(`error: node lonely of lab ${c.lab} is not running (it died)`);
      } finally {
        await c.destroy();
      }
    });

    it('refuses an unknown node with exit 2, listing the running labs', function () {
      const r = netlab('exec', 'nosuch', '--', 'true');
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain('error: no running lab has a node nosuch').and.contain(a.lab).and.contain(b.lab);
    });

    it('refuses a lab that is not running with exit 2', function () {
      const r = netlab('exec', '--lab', 'nolab', 'r1', '--', 'true');
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/^error: lab nolab is not running$/m);
    });

    it('ends netlab shell when its input ends (a pipe, /dev/null), running what came before', function () {
      const r = spawnSync(join(repoRoot, 'bin/netlab'), ['shell', 'only'], { input: 'echo marker-$((6*7))\n', encoding: 'utf8', timeout: 15_000, env: { ...process.env, NETLAB_RUN_DIR: a.runRoot } });
      expect(r.signal, 'still running after 15 s').to.equal(null);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.contain('marker-42');
      const empty = spawnSync(join(repoRoot, 'bin/netlab'), ['shell', 'only'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000, env: { ...process.env, NETLAB_RUN_DIR: a.runRoot } });
      expect(empty.signal, 'still running after 15 s').to.equal(null);
    });

    it('hangs up the node\'s terminal on SIGTERM: the shell ends, and netlab shell with it', async function () {
      const p = spawn(join(repoRoot, 'bin/netlab'), ['shell', 'only'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, NETLAB_RUN_DIR: a.runRoot } });
      await new Promise((r) => setTimeout(r, 500));
      p.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => { p.kill('SIGKILL'); resolve(null); }, 5000);
        p.on('exit', (c) => { clearTimeout(timer); resolve(c); });
      });
      p.stdin!.destroy();
      expect(code, 'netlab shell did not end within 5 s of SIGTERM').to.not.equal(null);
    });

    it('names an unknown option, before or after the node, and an option without its value, exit 2', function () {
      for (const args of [['exec', '--bogus', 'only', '--', 'true'], ['exec', 'only', '--bogus', '--', 'true']]) {
        const r = netlab(...args);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.match(/^error: unknown option '--bogus'$/m);
      }
      const r = netlab('exec', '--lab');
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/^error: option '--lab' needs a value$/m);
    });

    it('prints the usage for a missing command, exit 2', function () {
      const r = netlab('exec', 'only');
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/^error: usage: netlab exec/m);
    });
  });
});
