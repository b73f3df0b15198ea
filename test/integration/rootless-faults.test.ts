/**
 * Labs without root, bad input and faults (issue 17, docs/rootless.md): a
 * kernel that forbids unprivileged user namespaces, kill -9 of a user's CLI in
 * the middle of `up`, and labs that ask for what only root may do. A real user
 * made with useradd runs netlab through runuser; it is removed after the
 * suite, even when a test fails, and leakcheck (as root) compares the host
 * around it. (A user without subordinate ids and a host link are in
 * rootless.test.ts.)
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { exited, netlabBin, until } from '../helpers/lab.js';
import { addUsers, asUser, checkUserCanRun, removeUsers, userEnv, untilNoUserProcesses, userProcesses, usernsForbidden } from '../helpers/users.js';

const USER = 'nlt-rf-a';
/** 65,536 subordinate ids next to rootless.test.ts's (which uses the two ranges from 2,013,265,920). */
const SUB_START = 2_013_265_920 + 4 * 65_536;

/** The sysctl that forbids unprivileged user namespaces when set to `off`: Debian's own first, else the kernel's. */
function usernsSwitch(): { path: string; name: string; off: string } | undefined {
  if (existsSync('/proc/sys/kernel/unprivileged_userns_clone')) return { path: '/proc/sys/kernel/unprivileged_userns_clone', name: 'kernel.unprivileged_userns_clone', off: '0' };
  if (existsSync('/proc/sys/user/max_user_namespaces')) return { path: '/proc/sys/user/max_user_namespaces', name: 'user.max_user_namespaces', off: '0' };
  return undefined;
}

describe('labs without root: bad input and faults (real user, real kernel)', function () {
  this.timeout(600_000);
  after(() => removeUsers([USER]));
  leakcheckAround({ labs: ['t-rf'] });
  let work = '';

  /** Writes `yaml` to a file the user can read; returns its path. */
  const file = (name: string, yaml: string): string => {
    const f = join(work, `${name}.yaml`);
    writeFileSync(f, yaml);
    chmodSync(f, 0o644);
    return f;
  };

  before(function () {
    requireRoot(this);
    const why = usernsForbidden();
    if (why) skip(this, why);
    removeUsers([USER]); // a previous run killed half-way
    addUsers([USER], SUB_START);
    work = mkdtempSync(join(tmpdir(), 'netlab-rf-'));
    chmodSync(work, 0o755);
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  // First: the user has no keeper yet, so its `up` must make a user namespace.
  it('refuses up with exit 2 naming the sysctl when the kernel forbids unprivileged user namespaces', function () {
    const sw = usernsSwitch();
    if (!sw) skip(this, 'this kernel has neither kernel.unprivileged_userns_clone nor user.max_user_namespaces to switch off');
    const lab = file('t-rf-ns', 'name: t-rf-ns\nnodes: { a: {} }\nlinks: []\n');
    const saved = readFileSync(sw!.path, 'utf8').trim();
    // Writing it needs CAP_SYS_RESOURCE (kernel/ucount.c set_permissions for user.*): probe with its own value.
    try { writeFileSync(sw!.path, saved); } catch (err) {
      skip(this, `root here cannot write ${sw!.name} (${(err as Error).message}; user.* sysctls need CAP_SYS_RESOURCE), so the refusal cannot be staged`);
    }
    let r;
    try {
      writeFileSync(sw!.path, sw!.off);
      r = asUser(USER, ['up', lab]);
    } finally {
      writeFileSync(sw!.path, saved);
    }
    expect(readFileSync(sw!.path, 'utf8').trim()).to.equal(saved);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`error: cannot make a user namespace`);
    expect(r.stderr).to.contain(`${sw!.name} = ${sw!.off} forbids unprivileged user namespaces`);
    expect(r.stderr).to.match(/^hint: .*sysctl -w /m);
    expect(userProcesses(USER, SUB_START)).to.deep.equal([]);
    // Allowed again, the same user runs netlab (the refusal left nothing in the way).
    checkUserCanRun(USER);
    const status = asUser(USER, ['status', '--json']);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.deep.equal([]);
  });

  for (const [what, yaml, where, hint] of [
    ['a management network', 'name: t-rf-mgmt\nmgmt: { network: 192.168.131.0/24 }\nnodes: { a: {}, b: {} }\nlinks: [[a:eth1, b:eth1]]\n', 'mgmt', 'run this lab as root'],
    ['userns: false', 'name: t-rf-uns\nuserns: false\nnodes: { a: {}, b: {} }\nlinks: [[a:eth1, b:eth1]]\n', 'userns', 'drop userns: false'],
    ['resources.devices', 'name: t-rf-dev\nnodes: { a: { resources: { devices: [/dev/null] } }, b: {} }\nlinks: [[a:eth1, b:eth1]]\n', 'nodes.a.resources.devices', 'run this lab as root'],
  ] as const) {
    it(`refuses ${what} in a rootless lab before anything starts (exit 2, with a hint; nothing left)`, () => {
      const r = asUser(USER, ['up', file(`t-rf-${where.replace(/\W/g, '')}`, yaml)]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(new RegExp(`^error: ${where.replace(/\./g, '\\.')}: .*\\(this lab runs without root\\)`, 'm'));
      expect(r.stderr).to.contain(`hint: ${hint}`);
      expect(r.stdout).to.not.contain('started');
      const status = asUser(USER, ['status', '--json']);
      expect(JSON.parse(status.stdout), status.stderr).to.deep.equal([]);
      expect(userProcesses(USER, SUB_START)).to.deep.equal([]);
    });
  }

  it('lets the user\'s own netlab down remove everything after kill -9 of its CLI in the middle of up', async () => {
    const n = 20;
    const ring = Array.from({ length: n }, (_, i) => `  - [n${i + 1}:eth1, n${((i + 1) % n) + 1}:eth2]`);
    // n1's exec: line holds up in its last step until the test kills it: "the middle of up" on a fast machine too
    // (a 20-node up is over in ~0.3 s on a quiet one, before a poll could see a node).
    const nodes = Array.from({ length: n }, (_, i) => (i === 0 ? '  n1: { exec: ["sleep 120"] }' : `  n${i + 1}: {}`));
    const lab = file('t-rf-kill', `name: t-rf-kill\nnodes:\n${nodes.join('\n')}\nlinks:\n${ring.join('\n')}\n`);
    const child = spawn('runuser', ['-u', USER, '--', ...userEnv(USER), netlabBin, 'up', lab], { cwd: '/', stdio: 'ignore' });
    try {
      // In the middle of up: some node of the lab runs (its PID 1 is the user's), up has not finished.
      await until(() => userProcesses(USER, SUB_START).some((l) => l.includes('sleep 120')), 60_000, 'up to reach n1\'s exec: line');
      const cli = spawnSync('pgrep', ['-u', USER, '-f', 'dist/src/cli/main.js up'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      expect(cli, 'the user\'s netlab up (still running)').to.have.length(1);
      process.kill(cli[0]!, 'SIGKILL');
      await exited(child);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(userProcesses(USER, SUB_START).filter((l) => l.includes('netlab-init t-rf-kill/')).length, 'nodes left running').to.be.greaterThan(0);
    const status = asUser(USER, ['status', 't-rf-kill']);
    expect(status.stdout).to.contain('interrupted: its netlab up died before finishing; netlab down t-rf-kill removes it');
    const down = asUser(USER, ['down', 't-rf-kill']);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.contain('lab t-rf-kill is down');
    // The killed nodes' PID 1s were the dead CLI's children: the process that adopted them reaps them (poll, no fixed wait).
    await untilNoUserProcesses(USER, SUB_START);
    expect(JSON.parse(asUser(USER, ['status', '--json']).stdout)).to.deep.equal([]);
  });
});
