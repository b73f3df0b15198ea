/**
 * The scoped leak check on the real host (test/helpers/leakcheck.ts): what
 * another lab does is forgiven, what the suite leaves is still caught. The
 * "leaks" are made on purpose and removed again before the suite ends.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { hostSnapshot, leakcheckAround, leaksSince, requireRoot } from '../helpers/kernel.js';
import { until } from '../helpers/lab.js';

describe('leakcheck scoped to a suite (real host)', function () {
  this.timeout(60_000);
  leakcheckAround({ labs: ['t-leak'] });
  const made: string[] = [];
  const procs: ChildProcess[] = [];
  before(function () {
    requireRoot(this);
    mkdirSync('/run/netns', { recursive: true });
  });
  afterEach(async () => { // before leakcheckAround's own comparison
    for (const p of made.splice(0)) rmSync(p, { force: true });
    await Promise.all(procs.splice(0).map((p) => new Promise((r) => { p.once('exit', r); p.kill('SIGKILL'); })));
  });

  /** A process in a network namespace of its own, as a node's would be. */
  async function netnsProcess(): Promise<ChildProcess> {
    const host = readlinkSync('/proc/self/ns/net');
    const p = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
    procs.push(p);
    await until(() => { try { return readlinkSync(`/proc/${p.pid}/ns/net`) !== host; } catch { return false; } }, 5000, 'unshare to enter its namespace');
    return p;
  }

  it('reports the suite\'s own netns name and a stray process, and forgives another lab\'s netns name', async () => {
    const before = hostSnapshot({ labs: ['t-leak'] });
    const p = await netnsProcess();
    for (const name of ['t-leak-a.n1', 'zz-other.n1']) {
      symlinkSync(`/proc/${p.pid}/ns/net`, `/run/netns/${name}`);
      made.push(`/run/netns/${name}`);
    }
    const leaks = leaksSince(before);
    expect(leaks).to.include('netns: +t-leak-a.n1');
    expect(leaks.some((l) => /^foreign-ns: \+sleep 600 /.test(l)), leaks.join('\n')).to.equal(true);
    expect(leaks.filter((l) => l.includes('zz-other'))).to.deep.equal([]);
  });

  it('compares the whole host without a scope', async () => {
    const before = hostSnapshot(undefined);
    const p = await netnsProcess();
    symlinkSync(`/proc/${p.pid}/ns/net`, '/run/netns/zz-other2.n1');
    made.push('/run/netns/zz-other2.n1');
    expect(leaksSince(before)).to.include('netns: +zz-other2.n1');
  });
});
