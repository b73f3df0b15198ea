/**
 * Labs without root (issue 17, docs/rootless.md): real users made with
 * useradd, with subordinate ids in /etc/subuid and /etc/subgid, run netlab
 * through runuser; root (the teacher) looks at and grades their labs. The
 * users, their ids, their keepers and homes are removed after the suite, and
 * leakcheck (as root) compares the host around it.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { netlab, netlabBin, until, type CliResult } from '../helpers/lab.js';
import { addUsers, asUser, removeUsers, usernsForbidden } from '../helpers/users.js';
import { owners } from '../../src/lab/all-users.js';

/** The suite's users: a and b run labs, c has no subordinate ids. */
const USERS = ['nlt-rl-a', 'nlt-rl-b', 'nlt-rl-c'] as const;
/** Subordinate ids for a and b: 65,536 each, far from netlab's own pool and from anyone's usual 100000. */
const SUB_START = 2_013_265_920;
const triangle = join(repoRoot, 'topologies/ospf-triangle.yaml');
const as = asUser;
const cleanupUsers = (): void => removeUsers(USERS);

/** Polls `check` (a CLI run) until it exits 0; returns the last result. */
async function eventually(check: () => CliResult, ms: number, what: string): Promise<CliResult> {
  let last: CliResult = { code: -1, stdout: '', stderr: '' };
  await until(() => (last = check()).code === 0, ms, what).catch((e: Error) => { throw new Error(`${e.message}\nlast: ${last.stdout}${last.stderr}`); });
  return last;
}

describe('labs without root (real users, real kernel)', function () {
  this.timeout(600_000);
  // Users go before leakcheck compares: their keepers hold namespaces of their own.
  after(cleanupUsers);
  leakcheckAround({ labs: ['t-rl'] });
  let work = '';

  before(function () {
    requireRoot(this);
    const why = usernsForbidden();
    if (why) skip(this, why);
    const path = spawnSync('sh', ['-c', 'command -v newuidmap'], { encoding: 'utf8' });
    if (path.status !== 0) throw new Error('newuidmap is missing: scripts/install-deps installs uidmap');
    cleanupUsers(); // a previous run killed half-way
    addUsers(USERS, SUB_START, 2);
    const reach = as(USERS[0], ['--help']);
    if (reach.code !== 0) throw new Error(`user ${USERS[0]} cannot run ${netlabBin} (is the checkout readable by other users?): ${reach.stderr}`);
    work = mkdtempSync(join(tmpdir(), 'netlab-rl-'));
    chmodSync(work, 0o755);
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  it('runs the README demo lab as an ordinary user: OSPF converges, h1 pings h2, link down reroutes, down leaves nothing', async () => {
    const [a] = USERS;
    const up = as(a, ['up', triangle, '--name', 't-rl']);
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stderr).to.contain('runs without limits');
    // Nothing of it in the host's namespaces: no `ip netns` name, no veth on the host.
    expect(existsSync('/run/netns/t-rl.r1')).to.equal(false);
    await eventually(() => as(a, ['exec', '--lab', 't-rl', 'h1', '--', 'ping', '-c1', '-W1', 'h2']), 90_000, 'h1 to reach h2');
    const route = as(a, ['exec', '--lab', 't-rl', 'r1', '--', 'vtysh', '-c', 'show ip route ospf']);
    expect(route.stdout).to.match(/O>\* 10\.0\.0\.3\/32/);
    // r1's way to h2 (behind r3) is its direct link to r3 (eth2); cut it: OSPF routes around it through r2 (eth1).
    const h2 = as(a, ['exec', '--lab', 't-rl', 'h2', '--', 'sh', '-c', "ip -4 -o addr show dev eth1 | awk '{print $4}' | cut -d/ -f1"]).stdout.trim();
    // h1 may reach h2 through r2 while OSPF still settles on the direct link: wait for the route, do not read it once.
    await eventually(() => {
      const r = as(a, ['exec', '--lab', 't-rl', 'r1', '--', 'ip', 'route', 'get', h2]);
      return r.stdout.includes('dev eth2') ? r : { ...r, code: 1 };
    }, 60_000, 'r1 to route to h2 over its direct link to r3 (eth2)');
    const cut = as(a, ['link', 'down', 'r1:eth2', '--lab', 't-rl']);
    expect(cut.code, cut.stderr).to.equal(0);
    await eventually(() => {
      const r = as(a, ['exec', '--lab', 't-rl', 'r1', '--', 'ip', 'route', 'get', h2]);
      return r.stdout.includes('dev eth1') ? as(a, ['exec', '--lab', 't-rl', 'h1', '--', 'ping', '-c1', '-W1', 'h2']) : { ...r, code: 1 };
    }, 90_000, 'r1 to route to h2 through r2 and h1 to reach h2 again');
    const down = as(a, ['down', 't-rl']);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.contain('lab t-rl is down: 5 nodes stopped');
    const status = as(a, ['status', '--json']);
    expect(JSON.parse(status.stdout)).to.deep.equal([]);
    // No process of the lab is left: the user's only process is the keeper.
    const ps = spawnSync('sh', ['-c', `ps -eo uid,args | awk '$1 >= ${SUB_START} && $1 < ${SUB_START + 65_536} || /netlab-init t-rl/' | grep -v awk`], { encoding: 'utf8' });
    expect(ps.stdout.trim()).to.equal('');
  });

  it('refuses a host link in a rootless lab before anything starts (exit 2, with a hint)', () => {
    const file = join(work, 't-rl-host.yaml');
    writeFileSync(file, 'name: t-rl-host\nnodes: { a: {} }\nlinks: [[a:eth1, host:rl0]]\n');
    chmodSync(file, 0o644);
    const r = as(USERS[0], ['up', file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('error: links[0].endpoints[1]: a host link puts a veth end into the host\'s network namespace');
    expect(r.stderr).to.contain('hint: run this lab as root');
    expect(JSON.parse(as(USERS[0], ['status', '--json']).stdout)).to.deep.equal([]);
  });

  it('tells a user without subordinate ids what root must run (exit 2)', () => {
    const r = as(USERS[2], ['up', triangle, '--name', 't-rl']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`error: user ${USERS[2]} has no subordinate ids in /etc/subuid and /etc/subgid`);
    expect(r.stderr).to.contain(`hint: root runs once: sudo netlab setup-user ${USERS[2]} (or usermod --add-subuids 200000-265535 --add-subgids 200000-265535 ${USERS[2]}`);
  });

  it('lets two users run the same lab name at once; neither can see or touch the other\'s (exit 2)', async () => {
    const [a, b] = USERS;
    for (const u of [a, b]) as(u, ['down', 't-rl']); // what a failed test before left
    for (const u of [a, b]) {
      const up = as(u, ['up', triangle, '--name', 't-rl']);
      expect(up.code, `${u}: ${up.stderr}`).to.equal(0);
    }
    const pids = [a, b].map((u) => (JSON.parse(as(u, ['status', 't-rl', '--json']).stdout) as { nodes: { name: string; pid: number }[] }).nodes.find((n) => n.name === 'r1')!.pid);
    expect(pids[0]).to.not.equal(pids[1]);
    // Each sees its own lab only.
    for (const u of [a, b]) {
      const all = JSON.parse(as(u, ['status', '--json']).stdout) as { lab: string }[];
      expect(all.map((s) => s.lab), u).to.deep.equal(['t-rl']);
    }
    // b reaches for a's lab every way the CLI offers: each is refused with exit 2 and says why.
    const down = as(b, ['down', '--user', a, 't-rl']);
    expect(down.code).to.equal(2);
    expect(down.stderr).to.contain('error: --user: only root may see or act on other users\' labs');
    const all = as(b, ['status', '--all-users']);
    expect(all.code).to.equal(2);
    expect(all.stderr).to.contain('only root may');
    writeFileSync(join(work, 't-rl-solo.yaml'), 'name: t-rl-solo\nnodes: { s1: {} }\nlinks: []\n');
    chmodSync(join(work, 't-rl-solo.yaml'), 0o644);
    expect(as(a, ['up', join(work, 't-rl-solo.yaml')]).code).to.equal(0);
    const exec = as(b, ['exec', '--lab', 't-rl-solo', 's1', '--', 'true']);
    expect(exec.code).to.equal(2);
    expect(exec.stderr).to.contain('t-rl-solo');
    const downOther = as(b, ['down', 't-rl-solo']);
    expect(downOther.stdout).to.contain('lab t-rl-solo is not running; nothing to do');
    // The kernel itself: b's processes cannot enter a's node (a's user namespace owns it).
    const ns = as(b, ['-t', String(pids[0]), '-n', 'true'], 'nsenter');
    expect(ns.code).to.not.equal(0);
    // a's labs are untouched.
    expect((JSON.parse(as(a, ['status', '--json']).stdout) as { lab: string }[]).map((s) => s.lab)).to.deep.equal(['t-rl', 't-rl-solo']);
    expect(as(a, ['down', 't-rl-solo']).code).to.equal(0);
  });

  it('shows root every user\'s labs with their owner (status --all-users)', () => {
    const r = netlab(['status', '--all-users', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const rows = (JSON.parse(r.stdout) as { owner: string; lab: string }[]).filter((s) => s.lab === 't-rl');
    expect(rows.map((s) => s.owner)).to.deep.equal([USERS[0], USERS[1]]);
    const text = netlab(['status', '--all-users']);
    expect(text.stdout).to.match(new RegExp(`^${USERS[0]}\\s+t-rl\\s+5/5\\s+running`, 'm'));
    expect(text.stdout).to.match(/^OWNER\s+LAB\s+NODES\s+STATE/m);
  });

  it('grades the class: validate --all-users writes one report, a failing student (a broken copy) and a passing one', async () => {
    const [a, b] = USERS;
    await eventually(() => as(a, ['exec', '--lab', 't-rl', 'h1', '--', 'ping', '-c1', '-W1', 'h2']), 90_000, 'a\'s lab to converge');
    // b breaks the copy: h2's only link goes down.
    expect(as(b, ['link', 'down', 'h2:eth1', '--lab', 't-rl']).code).to.equal(0);
    const csv = join(work, 'class.csv');
    const junit = join(work, 'class.xml');
    const r = netlab(['validate', triangle, '--name', 't-rl', '--all-users', '--only', 'h1 reaches h2 across the routers', '--csv', csv, '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    // Other users of this machine with a netlab running (and no such lab) are in the class too: "not running".
    const summary = /class: (\d+) of (\d+) passed every test \(not: ([^)]*)\)/.exec(r.stdout);
    expect(summary, r.stdout).to.not.equal(null);
    expect(summary![1]).to.equal('1');
    expect(summary![3]!.split(', ')).to.include(b).and.not.include(a);
    const lines = readFileSync(csv, 'utf8').trim().split('\r\n');
    expect(lines[0]).to.equal('owner,lab,test,kind,node,status,seconds,seen');
    expect(lines.slice(1).filter((l) => l.startsWith('nlt-')).map((l) => l.split(',').slice(0, 6).join(','))).to.deep.equal([
      `${a},t-rl,h1 reaches h2 across the routers,reach,h1,pass`,
      `${b},t-rl,h1 reaches h2 across the routers,reach,h1,fail`,
    ]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).to.contain(`<testsuite name="${a}/t-rl" tests="1" failures="0"`);
    expect(xml).to.contain(`<testsuite name="${b}/t-rl" tests="1" failures="1"`);
  });

  it('does not test a student\'s lab whose State file names a process that is not the student\'s (root would enter it)', () => {
    const [a, b] = USERS;
    const owner = owners().find((o) => o.name === b)!;
    const file = join(owner.runDir, 't-rl', 'state.json');
    const original = readFileSync(file, 'utf8');
    const state = JSON.parse(original) as { nodes: Record<string, { pid: number }> };
    state.nodes.h1!.pid = 1; // the host's init: entering it would be the host's namespaces
    writeFileSync(file, JSON.stringify(state));
    try {
      const csv = join(work, 'class2.csv');
      const junit = join(work, 'class2.xml');
      const r = netlab(['validate', triangle, '--name', 't-rl', '--all-users', '--only', 'h1 reaches h2 across the routers', '--csv', csv, '--junit', junit]);
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.contain(`not tested: the PID of node h1 in ${b}'s State file is not a process of ${b}'s`);
      const rows = readFileSync(csv, 'utf8').trim().split('\r\n').filter((l) => l.startsWith('nlt-')).map((l) => l.split(',').slice(0, 6).join(','));
      expect(rows).to.deep.equal([`${a},t-rl,h1 reaches h2 across the routers,reach,h1,pass`, `${b},t-rl,,,,not tested`]);
      // The JUnit report lists the untested student too: one testcase in error, saying why.
      const xml = readFileSync(junit, 'utf8');
      expect(xml).to.contain(`<testsuite name="${b}/t-rl" tests="1" failures="0" errors="1"`);
      expect(xml).to.match(new RegExp(`<testcase name="lab not tested" classname="${b}\\.t-rl\\.lab"`));
    } finally {
      writeFileSync(file, original);
    }
  });

  it('lets root take down one user\'s lab (down --user NAME LAB), leaving the other\'s', () => {
    const [a, b] = USERS;
    const r = netlab(['down', '--user', b, 't-rl']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('lab t-rl is down');
    expect(JSON.parse(as(b, ['status', '--json']).stdout)).to.deep.equal([]);
    expect((JSON.parse(as(a, ['status', '--json']).stdout) as { lab: string }[]).map((s) => s.lab)).to.deep.equal(['t-rl']);
    expect(as(a, ['down', 't-rl']).code).to.equal(0);
  });
});
