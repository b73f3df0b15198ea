/**
 * Labs without root (docs/rootless.md): what a rootless lab may not ask for,
 * the one line `up` prints without cgroups, and how netlab tells it runs in a
 * user's own user namespace. Pure: no kernel, no root.
 */
import { expect } from 'chai';
import { lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInitialUidMap, plainFolders } from '../../src/core/rootless.js';
import { rootlessLimitsNotice } from '../../src/lab/up.js';
import { delegatedFiles, freeSubordinateStart, passwdUser, requireUserName, setupHierarchies } from '../../src/lab/setup-user.js';
import { UsageError } from '../../src/errors.js';
import { delegatedLayout, detectCgroups, hasNoCgroups, inCgroupsOf, userLayout } from '../../src/core/cgroup-layout.js';
import { nodeCgroupDirs } from '../../src/core/cgroups.js';
import { loadTopology } from '../../src/lab/load.js';
import type { Topology } from '../../src/topology/index.js';
import { rootlessRefusals } from '../../src/topology/rootless.js';
import { rootlessChecks, type RootlessFacts } from '../../src/lab/doctor-rootless.js';
import { classCsv, classRows } from '../../src/lab/validate-class.js';
import type { RunReport } from '../../src/validate/types.js';
import { toClassJUnit } from '../../src/validate/junit.js';

const facts: RootlessFacts = {
  user: 'alice', uid: 1001, subuid: 'alice:200000:65536\n', subgid: 'alice:200000:65536\n',
  newuidmap: { path: '/usr/bin/newuidmap', privileged: true }, newgidmap: { path: '/usr/bin/newgidmap', privileged: true },
  unprivilegedUsernsClone: '', apparmorRestrict: '', maxUserNamespaces: '15000\n', kernel: '6.8.0-45-generic',
};
const byName = (f: RootlessFacts, name: string) => rootlessChecks(f).find((c) => c.name === name)!;

function report(lab: string, status: 'pass' | 'fail'): RunReport {
  return {
    lab, startedAt: '2026-12-05T14:00:00.000Z', durationMs: 1200,
    counts: { total: 1, passed: status === 'pass' ? 1 : 0, failed: status === 'fail' ? 1 : 0, errors: 0, skipped: 0 },
    results: [{ test: { name: 'h1 reaches h2', kind: 'reach', node: 'h1' } as RunReport['results'][0]['test'], status, durationMs: 1200, attempts: 1, expected: 'reply', seen: status === 'pass' ? '1/1 replies' : 'no reply, "timeout"', detail: '' }],
  };
}

const load = (yaml: string): Topology => loadTopology({ text: yaml }, { env: {}, checkFiles: false });

describe('rootless labs', () => {
  it('accepts the README demo lab (routers, hosts, p2p links) without root', () => {
    const t = load(`name: tri
defaults: { kind: frr }
ospf: { area: 0 }
nodes: { r1: {}, r2: {}, h1: { kind: linux } }
links: [[r1:eth1, r2:eth1], [h1:eth1, r1:eth2]]
`);
    expect(rootlessRefusals(t)).to.deep.equal([]);
  });

  it('accepts a LAN and shaping without root (both live in the lab\'s own namespaces)', () => {
    const t = load(`name: lan
nodes: { a: {}, b: {}, c: {} }
links:
  - { endpoints: [a:eth1, b:eth1, c:eth1] }
  - { endpoints: [a:eth2, b:eth2], shaping: { rate: 10mbit, delay: 5ms } }
`);
    expect(rootlessRefusals(t)).to.deep.equal([]);
  });

  it('refuses a host link, naming the host endpoint', () => {
    const t = load(`name: h
nodes: { a: {}, b: {} }
links: [[a:eth1, b:eth1], [a:eth2, host:lab0]]
`);
    const r = rootlessRefusals(t);
    expect(r.map((x) => x.where)).to.deep.equal(['links[1].endpoints[1]']);
    expect(r[0]!.what).to.contain('host link');
    expect(r[0]!.hint).to.contain('sudo netlab up');
  });

  it('refuses a management network, userns: false and resources.devices, in topology order', () => {
    const t = load(`name: m
userns: false
mgmt: { network: 192.168.131.0/24 }
nodes: { a: { resources: { devices: [/dev/null] } }, b: {} }
links: [[a:eth1, b:eth1]]
`);
    expect(rootlessRefusals(t).map((x) => x.where)).to.deep.equal(['mgmt', 'userns', 'nodes.a.resources.devices']);
    for (const x of rootlessRefusals(t)) expect(x.hint, x.where).to.match(/root/);
  });

  it('says in one line that a lab runs without limits, naming the nodes whose resources are not applied', () => {
    const t = load(`name: lim
nodes: { a: { resources: { memory: 64M } }, b: { resources: { cpus: 0.5 } }, c: {} }
links: [[a:eth1, b:eth1]]
`);
    const line = rootlessLimitsNotice(t);
    expect(line).to.not.contain('\n');
    expect(line).to.contain('lab lim runs without limits');
    expect(line).to.contain('resources: of a, b are not applied');
    expect(line).to.contain('docs/rootless.md');
    expect(rootlessLimitsNotice(t, 'alice')).to.contain('root runs once: sudo netlab setup-user alice');
  });

  it('reads a user\'s run folder for the teacher only through folders, never through a link the user made', () => {
    const root = mkdtempSync(join(tmpdir(), 'netlab-plain-'));
    try {
      mkdirSync(join(root, 'home/alice/.cache/netlab/run'), { recursive: true });
      expect(plainFolders(root, '/home/alice/.cache/netlab/run')).to.equal(true);
      symlinkSync('/etc', join(root, 'home/alice/.cache/evil'));
      if (process.getuid?.() === 0) lchownSync(join(root, 'home/alice/.cache/evil'), 1000, 1000);
      expect(plainFolders(root, '/home/alice/.cache/evil/run')).to.equal(false);
      expect(plainFolders(root, '/home/alice/.cache/missing/run')).to.equal(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('tells the initial user namespace\'s uid_map from a user\'s own', () => {
    expect(isInitialUidMap('         0          0 4294967295\n')).to.equal(true);
    expect(isInitialUidMap('         0       1001          1\n         1     100000      65535\n')).to.equal(false);
    expect(isInitialUidMap('')).to.equal(false);
  });

  it('doctor (as a user): all required pieces there on a good machine', () => {
    const checks = rootlessChecks(facts);
    expect(checks.filter((c) => c.required && !c.ok)).to.deep.equal([]);
    expect(byName(facts, 'subordinate ids').detail).to.equal('uids 200000-265535, gids 200000-265535');
  });

  it('doctor (as a user): says which cgroup folders root delegated, or names setup-user', () => {
    const none = byName(facts, 'cgroups (rootless)');
    expect(none.ok).to.equal(false);
    expect(none.fix).to.equal('root runs once: sudo netlab setup-user alice (docs/rootless.md, "Limits")');
    const some = byName({ ...facts, delegated: ['/sys/fs/cgroup/memory/netlab-users/alice'] }, 'cgroups (rootless)');
    expect(some.ok).to.equal(true);
    expect(some.detail).to.equal('delegated to you: /sys/fs/cgroup/memory/netlab-users/alice');
  });

  it('doctor (as a user): names the one command root must run for each missing piece', () => {
    expect(byName({ ...facts, subuid: '', subgid: 'bob:1:2\n' }, 'subordinate ids').fix).to.match(/^root runs: sudo netlab setup-user alice \(or usermod --add-subuids .* alice/);
    expect(byName({ ...facts, newuidmap: undefined }, 'newuidmap').fix).to.equal('root runs: apt-get install uidmap');
    expect(byName({ ...facts, unprivilegedUsernsClone: '0\n' }, 'unprivileged user namespaces').fix).to.contain('sysctl -w kernel.unprivileged_userns_clone=1');
    const aa = byName({ ...facts, apparmorRestrict: '1\n' }, 'unprivileged user namespaces');
    expect(aa.ok).to.equal(false);
    expect(aa.fix).to.contain('kernel.apparmor_restrict_unprivileged_userns=0');
    expect(byName({ ...facts, maxUserNamespaces: '0' }, 'unprivileged user namespaces').fix).to.contain('user.max_user_namespaces');
    expect(byName({ ...facts, kernel: '5.15.0-1' }, 'rootless nodes').ok).to.equal(false);
  });

  it('refuses a setup-user name that is not a user name before it reaches a path', () => {
    for (const bad of ['../../etc/x', '..', '.', 'a/b', '', '-x', 'a'.repeat(33), 'a\0b']) {
      expect(() => requireUserName(bad), JSON.stringify(bad)).to.throw(UsageError, /is not a user name/);
    }
    for (const good of ['alice', 'nlt-rl-a', 'a_b.c']) expect(() => requireUserName(good)).not.to.throw();
  });

  it('writes the class report as CSV: a row per student and test, quoted where needed, and a row for a lab that is not running', () => {
    const rows = classRows([{ owner: 'alice', lab: 'l1', report: report('l1', 'pass') }, { owner: 'bob', lab: 'l1', report: report('l1', 'fail') }, { owner: 'carol', lab: 'l1' }, { owner: 'dave', lab: 'l1', refused: 'not tested: the PID of node h1 …' }]);
    expect(classCsv(rows).split('\r\n')).to.deep.equal([
      'owner,lab,test,kind,node,status,seconds,seen',
      'alice,l1,h1 reaches h2,reach,h1,pass,1.200,1/1 replies',
      'bob,l1,h1 reaches h2,reach,h1,fail,1.200,"no reply, ""timeout"""',
      'carol,l1,,,,not running,,lab l1 is not running for carol',
      'dave,l1,,,,not tested,,not tested: the PID of node h1 …',
      '',
    ]);
  });

  it('writes the class report as JUnit: one test suite per student', () => {
    const xml = toClassJUnit([{ owner: 'alice', report: report('l1', 'pass') }, { owner: 'bob', report: report('l1', 'fail') }], { hostname: 'h' });
    expect(xml).to.match(/<testsuites name="netlab validate --all-users" tests="2" failures="1"/);
    expect(xml).to.contain('<testsuite name="alice/l1" tests="1" failures="0"');
    expect(xml).to.contain('<testsuite name="bob/l1" tests="1" failures="1"');
    expect(xml).to.contain('classname="bob.l1.reach"');
  });

  it('lists a student whose lab does not run, or was not tested, in the JUnit class report: a testcase in error saying why', () => {
    const xml = toClassJUnit([
      { owner: 'alice', report: report('l1', 'pass') },
      { owner: 'carol', lab: 'l1', status: 'not running', why: 'lab l1 is not running for carol', startedAt: '2026-12-05T14:00:00.000Z' },
      { owner: 'dave', lab: 'l1', status: 'not tested', why: 'not tested: the PID of node r1 in dave\'s State file is not a process of dave\'s', startedAt: '2026-12-05T14:00:00.000Z' },
    ], { hostname: 'h' });
    expect(xml).to.match(/<testsuites name="netlab validate --all-users" tests="3" failures="0" errors="2"/);
    expect(xml).to.contain('<testsuite name="carol/l1" tests="1" failures="0" errors="1"');
    expect(xml).to.match(/<testcase name="lab not running" classname="carol\.l1\.lab"[^>]*>\s*<error message="l1: lab l1 is not running for carol"/);
    expect(xml).to.match(/<testcase name="lab not tested" classname="dave\.l1\.lab"[^>]*>\s*<error message="l1: not tested: the PID of node r1/);
  });
});

describe('rootless: setup-user and delegated cgroups (pure)', () => {
  const mountinfo = [
    '30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory',
    '31 25 0:27 / /sys/fs/cgroup/pids rw,relatime shared:10 - cgroup cgroup rw,pids',
    '32 25 0:28 / /sys/fs/cgroup/freezer rw,relatime shared:11 - cgroup cgroup rw,freezer',
    '33 25 0:29 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw',
  ].join('\n');

  it('gives a user the lowest free 65,536 ids from 100000, overlapping no one\'s range in either file', () => {
    expect(freeSubordinateStart('', '')).to.equal(100_000);
    expect(freeSubordinateStart('alice:100000:65536\n', '')).to.equal(165_536);
    // bob's gids take 165536…: the next free for both files is after them.
    expect(freeSubordinateStart('alice:100000:65536\n', 'alice:100000:65536\nbob:165536:65536\n')).to.equal(231_072);
    // An odd range in between pushes to the next aligned start past it.
    expect(freeSubordinateStart('x:120000:10\n', '')).to.equal(165_536);
  });

  it('never gives ids inside netlab\'s own node pool (docs/nodes.md)', () => {
    const below = 0x5000_0000 - 65_536;
    const start = freeSubordinateStart(`full:100000:${below - 100_000}\n`, '');
    expect(start).to.be.at.least(0x6fff_0000);
  });

  it('finds the hierarchies setup-user delegates in: cgroup2 and the v1 memory, pids and cpu ones', () => {
    expect(setupHierarchies(mountinfo, '')).to.deep.equal([
      { mount: '/sys/fs/cgroup/memory', v2: false, controllers: ['memory'] },
      { mount: '/sys/fs/cgroup/pids', v2: false, controllers: ['pids'] },
      { mount: '/sys/fs/cgroup/unified', v2: true, controllers: [] },
    ]);
    expect(delegatedFiles(true)).to.deep.equal(['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']);
  });

  it('uses a user\'s delegated v1 folders as the hierarchies of its labs; without them, no cgroups', () => {
    const mine = new Set(['/sys/fs/cgroup/memory/netlab-users/alice', '/sys/fs/cgroup/memory/netlab-users/alice/cgroup.procs',
      '/sys/fs/cgroup/unified/netlab-users/alice', '/sys/fs/cgroup/unified/netlab-users/alice/cgroup.procs']);
    const facts = { user: 'alice', mountinfo, ownCgroup2: '/user.slice/session-3.scope', writable: (p: string) => mine.has(p), read: () => '' };
    const layout = delegatedLayout(facts);
    // The cgroup2 folder is left: this process is outside it, and cgroup2 would refuse the move (cgroup-v2.rst, "Delegation Containment").
    expect(layout).to.deep.equal({ mode: 'v1', unifiedControllers: [], v1: [{ mount: '/sys/fs/cgroup/memory/netlab-users/alice', controllers: ['memory'] }] });
    expect(nodeCgroupDirs(layout, 'lab1', 'r1')).to.deep.equal(['/sys/fs/cgroup/memory/netlab-users/alice/netlab/lab1/r1']);
    const inside = delegatedLayout({ ...facts, ownCgroup2: '/netlab-users/alice/cli', read: () => 'memory pids\n' });
    expect(inside.unified).to.equal('/sys/fs/cgroup/unified/netlab-users/alice');
    expect(inside.unifiedControllers).to.deep.equal(['memory', 'pids']);
    expect(hasNoCgroups(delegatedLayout({ ...facts, writable: () => false }))).to.equal(true);
    expect(hasNoCgroups(delegatedLayout({ ...facts, user: '' }))).to.equal(true);
  });

  it('reads a user\'s cgroups, not root\'s, inside inCgroupsOf (root reading a student\'s labs), also after an await', async () => {
    const root = detectCgroups();
    const user = `nlt-nobody${process.pid}`; // no netlab setup-user ran for this name: no delegated folders
    const seen = await inCgroupsOf(user, async () => { await new Promise((r) => setTimeout(r, 1)); return detectCgroups(); });
    expect(hasNoCgroups(seen)).to.equal(true);
    expect(detectCgroups()).to.deep.equal(root);
    expect(JSON.stringify(userLayout(user))).to.equal(JSON.stringify(seen));
  });

  it('reads users of /etc/passwd by name', () => {
    expect(passwdUser('root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n', 'alice')).to.deep.equal({ name: 'alice', uid: 1001, gid: 1001 });
    expect(passwdUser('alice:x:1001:1001::/home/alice:/bin/sh\n', 'al')).to.equal(undefined);
  });
});
