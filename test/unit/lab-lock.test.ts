/**
 * The per-lab lock (src/lab/lock.ts): commands that change one lab run one
 * after the other; a waiting one says for whom; a holder that dies (kill -9)
 * frees the lab at once. flock(2) on a temporary NETLAB_RUN_DIR; no root.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlabError } from '../../src/errors.js';
import { commandLine, describeHolder, lockWaitMs, withLabLock } from '../../src/lab/lock.js';
import { lockFile } from '../../src/lab/paths.js';
import { tempRunDir } from '../helpers/run-dir.js';

/** Resolves when `predicate` holds (polled every 10 ms), or rejects after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lab lock', () => {
  const runDir = tempRunDir('lock');
  let root = '';
  const children: ChildProcess[] = [];
  beforeEach(() => { root = runDir(); });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('runs two commands on one lab one after the other, never interleaved', async () => {
    const log: string[] = [];
    const step = (name: string) => async (): Promise<string> => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([withLabLock('tri', 'up', step('a')), withLabLock('tri', 'down', step('b'))]);
    expect(results).to.deep.equal(['a', 'b']);
    expect(log).to.deep.equal(['a start', 'a end', 'b start', 'b end']);
  });

  it('lets commands on different labs run at the same time', async () => {
    const log: string[] = [];
    const step = (name: string) => async (): Promise<void> => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`${name} end`);
    };
    await Promise.all([withLabLock('one', 'up', step('a')), withLabLock('two', 'up', step('b'))]);
    expect(log.slice(0, 2)).to.deep.equal(['a start', 'b start']);
  });

  it('says once for whom it waits: the command, its pid and its command line', async () => {
    const waits: string[] = [];
    let release!: () => void;
    const held = withLabLock('tri', 'up', () => new Promise<void>((r) => { release = r; }));
    await until(() => release !== undefined, 1000, 'the first lock');
    const second = withLabLock('tri', 'down', async () => 'done', { onWait: (t) => waits.push(t) });
    await until(() => waits.length > 0, 2000, 'the wait message');
    expect(waits[0]).to.match(new RegExp(`^lab tri is busy \\(up by pid ${process.pid}: .*, since \\d\\d:\\d\\d:\\d\\d UTC\\): waiting for it to finish, at most 120 s$`));
    release();
    await held;
    expect(await second).to.equal('done');
    expect(waits).to.have.length(1);
  });

  it('gives up after the wait with an error naming the holder (exit 1)', async () => {
    let release!: () => void;
    const held = withLabLock('tri', 'link set', () => new Promise<void>((r) => { release = r; }));
    await until(() => release !== undefined, 1000, 'the first lock');
    try {
      await withLabLock('tri', 'down', async () => 'never', { waitMs: 50 });
      expect.fail('the second command ran while the first held the lab');
    } catch (err) {
      expect(err).to.be.instanceOf(NetlabError);
      const e = err as NetlabError;
      expect(e.exitCode).to.equal(1);
      expect(e.headline).to.match(new RegExp(`^lab tri: is busy \\(link set by pid ${process.pid}: `));
      expect(e.hint).to.contain(`kill ${process.pid}`);
      expect(e.hint).to.contain('NETLAB_LOCK_TIMEOUT');
    } finally {
      release();
      await held;
    }
  });

  it('frees the lab when the holder is killed with SIGKILL (no stale lock), and names that process while it lives', async function () {
    this.timeout(10_000);
    const lockJs = new URL('../../src/lab/lock.js', import.meta.url).href;
    const holder = spawn(process.execPath, ['--input-type=module', '-e',
      `import { withLabLock } from '${lockJs}'; await withLabLock('tri', 'up', () => new Promise(() => setInterval(() => {}, 1000)));`],
    { stdio: 'ignore', env: { ...process.env, NETLAB_RUN_DIR: root } });
    children.push(holder);
    await until(() => { try { return readFileSync(lockFile('tri'), 'utf8').includes(`"pid":${holder.pid}`); } catch { return false; } }, 5000, 'the other process to hold the lab');
    const waits: string[] = [];
    let ran = false;
    const waiting = withLabLock('tri', 'down', async () => { ran = true; }, { waitMs: 8000, onWait: (t) => waits.push(t) });
    await until(() => waits.length > 0, 2000, 'the wait message');
    expect(waits[0]).to.contain(`up by pid ${holder.pid}`);
    expect(ran, 'ran while another process held the lock').to.equal(false);
    holder.kill('SIGKILL');
    await waiting;
    expect(ran).to.equal(true);
  });

  it('leaves no lock file behind, and releases the lock when the command throws', async () => {
    await withLabLock('tri', 'up', async () => undefined);
    await withLabLock('tri', 'up', async () => { throw new Error('boom'); }).catch(() => undefined);
    expect(readdirSync(join(root, '.locks'))).to.deep.equal([]);
    expect(await withLabLock('tri', 'down', async () => 'again', { waitMs: 0 })).to.equal('again');
  });

  it('stops waiting when aborted', async () => {
    let release!: () => void;
    const held = withLabLock('tri', 'up', () => new Promise<void>((r) => { release = r; }));
    await until(() => release !== undefined, 1000, 'the first lock');
    const ac = new AbortController();
    const second = withLabLock('tri', 'up', async () => 'ran', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('interrupted')), 30);
    try {
      await second;
      expect.fail('ran although aborted');
    } catch (err) {
      expect((err as Error).message).to.equal('interrupted');
    } finally {
      release();
      await held;
    }
  });

  it('reads NETLAB_LOCK_TIMEOUT in seconds, and shows holders and command lines shortly', () => {
    expect(lockWaitMs({})).to.equal(120_000);
    expect(lockWaitMs({ NETLAB_LOCK_TIMEOUT: '5' })).to.equal(5000);
    expect(lockWaitMs({ NETLAB_LOCK_TIMEOUT: '0' })).to.equal(0);
    expect(lockWaitMs({ NETLAB_LOCK_TIMEOUT: 'soon' })).to.equal(120_000);
    expect(lockWaitMs({ NETLAB_LOCK_TIMEOUT: '-1' })).to.equal(120_000);
    expect(commandLine(['/usr/bin/node', '/opt/netlab/dist/src/cli/main.js', 'up', '/home/me/labs/ring.yaml'])).to.equal('netlab up ring.yaml');
    expect(commandLine(['/usr/bin/node', '/home/me/mytest.js'])).to.equal('mytest.js');
    expect(commandLine(['node', 'x.js', 'a'.repeat(200)])).to.have.length(120);
    expect(describeHolder({ pid: 42, command: 'up', argv: 'netlab up ring.yaml', since: '2026-01-02T03:04:05.678Z' }))
      .to.equal('up by pid 42: netlab up ring.yaml, since 03:04:05 UTC');
    expect(describeHolder(undefined)).to.equal('held by another netlab command');
  });
});
