/**
 * Limits for labs without root (issue 17, docs/rootless.md "Limits"): root's
 * `netlab setup-user NAME` gives a user subordinate ids and cgroups of its
 * own, the user's `up` then puts each node into a cgroup below them with its
 * limits, and `setup-user --remove` undoes exactly what it made. A real user
 * made with useradd (without subordinate ids), removed after the suite even
 * when a test fails; leakcheck (as root) compares the host around it.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { netlab } from '../helpers/lab.js';
import { addUsers, asUser, removeUsers, untilNoUserProcesses, usernsForbidden } from '../helpers/users.js';

const USER = 'nlt-rc-a';
const LAB = 't-rc';

/** The mount point of the v1 hierarchy holding `controller`, or undefined (pure v2, or not mounted). */
function v1Mount(controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post = ''] = line.split(' - ');
    const [fstype, , opts = ''] = post.split(' ');
    if (fstype === 'cgroup' && opts.split(',').includes(controller)) return pre!.split(' ')[4];
  }
  return undefined;
}

/** The user's subordinate range start in `file` (a line `USER:start:count`), or undefined. */
function subStart(file: string): number | undefined {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${USER}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

/** What setup-user may have made for the suite's user, removed whatever state a failed test left. */
function cleanup(): void {
  if (existsSync(`/var/lib/netlab/users/${USER}.json`)) netlab(['setup-user', '--remove', USER]);
  removeUsers([USER]);
  for (const c of ['memory', 'pids', 'cpu']) {
    const m = v1Mount(c);
    if (m) { try { rmdirSync(join(m, 'netlab-users', USER)); } catch { /* not there */ } }
  }
}

describe('labs without root: limits through netlab setup-user (real user, real kernel)', function () {
  this.timeout(600_000);
  after(cleanup);
  leakcheckAround({ labs: [LAB] });
  let work = '';
  /** Whether /var/lib/netlab (the image store) was there before setup-user put its records in it. */
  let hadStore = true;

  before(function () {
    requireRoot(this);
    hadStore = existsSync('/var/lib/netlab');
    const why = usernsForbidden();
    if (why) skip(this, why);
    cleanup();
    addUsers([USER], 0, 0); // no subordinate ids: setup-user gives them
    work = mkdtempSync(join(tmpdir(), 'netlab-rc-'));
    chmodSync(work, 0o755);
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  it('refuses setup-user to an ordinary user (exit 2, naming sudo)', () => {
    const r = asUser(USER, ['setup-user', USER]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('error: netlab setup-user: only root may give a user subordinate ids and cgroups');
    expect(r.stderr).to.contain('hint: root runs it once per user: sudo netlab setup-user NAME');
  });

  it('gives a user without subordinate ids a free range and cgroup folders of its own (setup-user)', () => {
    const others = readFileSync('/etc/subuid', 'utf8');
    const r = netlab(['setup-user', USER]);
    expect(r.code, r.stderr).to.equal(0);
    const start = subStart('/etc/subuid');
    expect(start, r.stdout).to.be.a('number');
    expect(subStart('/etc/subgid')).to.equal(start);
    expect(r.stdout).to.contain(`subordinate ids ${start}-${start! + 65_535} (added to /etc/subuid and /etc/subgid)`);
    // No overlap with anyone's range.
    for (const line of others.split('\n').filter(Boolean)) {
      const [, s, c] = line.split(':').map(Number) as [number, number, number];
      expect(start! + 65_536 <= s || s + c <= start!, line).to.equal(true);
    }
    const uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout);
    const mem = v1Mount('memory');
    if (mem) {
      const dir = join(mem, 'netlab-users', USER);
      expect(statSync(dir).uid).to.equal(uid);
      expect(statSync(join(dir, 'cgroup.procs')).uid).to.equal(uid);
      expect(statSync(join(dir, 'tasks')).uid).to.equal(uid);
    }
    // Again: nothing more to add.
    const again = netlab(['setup-user', USER]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain('(had them already)');
    expect(readFileSync('/etc/subuid', 'utf8').split('\n').filter((l) => l.startsWith(`${USER}:`))).to.have.length(1);
  });

  it('puts each node of the user\'s lab into a cgroup of its own under the delegated folder, with its limits', async function () {
    const mem = v1Mount('memory');
    const pids = v1Mount('pids');
    if (!mem && !pids) skip(this, 'no v1 memory or pids hierarchy here, and cgroup2 moves no process from outside the user\'s folder (docs/decisions.md)');
    const file = join(work, `${LAB}.yaml`);
    writeFileSync(file, `name: ${LAB}\nnodes:\n  a: { resources: { memory: 64M, pids: 100 } }\n  b: {}\nlinks: [[a:eth1, b:eth1]]\n`);
    chmodSync(file, 0o644);
    const up = asUser(USER, ['up', file]);
    try {
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stderr).to.not.contain('runs without limits');
      const st = JSON.parse(asUser(USER, ['status', LAB, '--json']).stdout) as { nodes: { name: string; pid: number }[] };
      const pidOf = (n: string): number => st.nodes.find((x) => x.name === n)!.pid;
      if (mem) {
        const dir = join(mem, 'netlab-users', USER, 'netlab', LAB, 'a');
        expect(readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8').trim()).to.equal(String(64 * 1024 * 1024));
        expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).to.include(String(pidOf('a')));
      } else {
        process.stdout.write('      skipped part: no v1 memory hierarchy (the memory controller) here\n');
      }
      if (pids) {
        const a = join(pids, 'netlab-users', USER, 'netlab', LAB, 'a');
        const b = join(pids, 'netlab-users', USER, 'netlab', LAB, 'b');
        expect(readFileSync(join(a, 'pids.max'), 'utf8').trim()).to.equal('100');
        expect(readFileSync(join(b, 'pids.max'), 'utf8').trim()).to.equal('1024'); // netlab's default (docs/nodes.md)
        expect(readFileSync(join(b, 'cgroup.procs'), 'utf8').split('\n')).to.include(String(pidOf('b')));
        // The limit holds inside the node: 100 processes at most.
        const fork = asUser(USER, ['exec', '--lab', LAB, 'a', '--', 'sh', '-c', 'for i in $(seq 1 150); do sleep 2 & done; wait; echo done']);
        expect(fork.code).to.not.equal(0);
        expect(fork.stdout).to.not.contain('done');
        expect(fork.stderr).to.match(/Cannot fork|Resource temporarily unavailable/i);
      } else {
        process.stdout.write('      skipped part: no v1 pids hierarchy (the pids controller) here\n');
      }
    } finally {
      const down = asUser(USER, ['down', LAB]);
      expect(down.code, down.stderr).to.equal(0);
    }
    for (const m of [mem, pids].filter(Boolean) as string[]) expect(existsSync(join(m, 'netlab-users', USER, 'netlab', LAB)), m).to.equal(false);
    await untilNoUserProcesses(USER, subStart('/etc/subuid')!);
  });

  it('undoes exactly what it made (setup-user --remove): the id lines and the cgroup folders', () => {
    const r = netlab(['setup-user', '--remove', USER]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(subStart('/etc/subuid')).to.equal(undefined);
    expect(subStart('/etc/subgid')).to.equal(undefined);
    for (const c of ['memory', 'pids', 'cpu']) {
      const m = v1Mount(c);
      if (m) expect(existsSync(join(m, 'netlab-users', USER)), m).to.equal(false);
    }
    expect(existsSync(`/var/lib/netlab/users/${USER}.json`)).to.equal(false);
    if (!hadStore) expect(existsSync('/var/lib/netlab'), 'the folder setup-user made for its records').to.equal(false);
    const again = netlab(['setup-user', '--remove', USER]);
    expect(again.code).to.equal(2);
  });
});
