/**
 * Containment: what a node's root can and cannot do to the host, probed
 * inside real nodes the way runc's integration tests probe a container — one
 * probe per test, in a default node (its own user namespace) and in a node of
 * a lab with `userns: false` (root is host root: the explicit exception).
 * docs/nodes.md has the same table; this suite keeps it true.
 *
 * Every probe is harmless even where it is allowed: a sysctl is written with
 * the value it has, a keyring is only searched, a mount stays in the node.
 * Probes the kernel here cannot show skip with the reason printed.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroups } from '../../src/core/cgroup-layout.js';
import { enterBinary, spawnInNode } from '../../src/core/enter.js';
import { parseIdRecord } from '../../src/core/ids.js';
import { Lab } from '../../src/lab/lab.js';
import { labDir, nodeDir } from '../../src/lab/paths.js';
import { readState } from '../../src/lab/state.js';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { loadTopology } from '../../src/lab/load.js';

/** What a probe script prints last: `refused` or `allowed` (anything else fails the test with the output). */
type Verdict = 'refused' | 'allowed';

interface Mode {
  title: string;
  lab: string;
  userns: boolean;
}

const MODES: Mode[] = [
  { title: 'a default node (its own user namespace)', lab: 't-contain-u', userns: true },
  { title: 'a node with userns: false (root is host root)', lab: 't-contain-h', userns: false },
];

/** Runs a perl one-liner in the node (perl is in every Debian base system: probes need raw syscalls). */
const perl = (code: string): string[] => ['perl', '-e', code];

/** The host's own network interface names, but for the names a node of this suite has itself (lo, eth1). */
function hostInterfaces(): string[] {
  return readdirSync('/sys/class/net').filter((n) => n !== 'lo' && n !== 'eth1');
}

/** A harmless kernel sysctl to write its own value back. */
const SYSCTL = 'vm.swappiness';

describe('containment', function () {
  leakcheckAround();
  for (const mode of MODES) describe(mode.title, function () {
    let lab: Lab;
    const run = async (node: string, argv: string[]): Promise<{ code: number; out: string }> => {
      const r = await lab.exec(node, argv, { timeoutMs: 30_000 });
      return { code: r.code, out: (r.stdout + r.stderr).trim() };
    };
    /** Runs a shell probe that prints `refused` or `allowed` last, and returns that word. */
    const verdict = async (node: string, script: string): Promise<Verdict> => {
      const r = await run(node, ['/bin/sh', '-c', script]);
      const last = r.out.split('\n').pop();
      if (last !== 'refused' && last !== 'allowed') expect.fail(`probe printed no verdict (exit ${r.code}):\n${r.out}`);
      return last;
    };
    const nodeRec = (node: string): { pid: number; startTime: number } => readState(lab.name).state!.nodes[node]!;
    const pid1 = (node: string): number => nodeRec(node).pid;

    before(async function () {
      requireRoot(this);
      this.timeout(60_000);
      const t = loadTopology({ text: `
name: ${mode.lab}
userns: ${mode.userns}
nodes:
  a: { cmd: "echo a started", classes: { bulk: { rate: 1mbit } } }
  b: {}
  c: { security: { seccomp: unconfined } }
links:
  - [a:eth1, b:eth1]
` }, { env: {} });
      lab = await Lab.up(t);
    });
    after(async function () {
      this.timeout(60_000);
      await lab?.down();
    });

    it(mode.userns ? 'runs the node\'s root as an unprivileged host uid of its own, another for each node' : 'runs the node\'s root as host root', function () {
      const uid = (node: string): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid1(node)}/status`, 'utf8'))![1]);
      if (!mode.userns) {
        expect(uid('a')).to.equal(0);
        return;
      }
      const rec = parseIdRecord(readFileSync(join(labDir(lab.name), 'ids'), 'utf8'))!;
      expect([uid('a'), uid('b')]).to.have.members([rec.uid, rec.uid + 65536]);
      expect(uid('a')).to.be.greaterThan(65535);
    });

    it('starts PID 1 with a clean environment (nothing of whoever ran netlab up)', function () {
      const env = readFileSync(`/proc/${pid1('a')}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(env.map((e) => e.split('=')[0])).to.deep.equal(['PATH']);
    });

    it('runs commands with a clean environment', async function () {
      const r = await run('a', ['env']);
      const keys = r.out.split('\n').map((l) => l.split('=')[0]).sort();
      expect(keys).to.deep.equal(['HOME', 'LANG', 'LOGNAME', 'NETLAB_LAB', 'NETLAB_NODE', 'PATH', 'TERM', 'USER']);
    });

    it(mode.userns ? 'keeps PID 1 closed to the node: its environment and fds (the console log, a host file) cannot be opened'
      : 'lets the node\'s root open PID 1\'s fds (host root may trace any process)', async function () {
      const v = await verdict('a', 'if sh -c \'cat /proc/1/environ && : >>/proc/1/fd/1\' >/dev/null 2>&1; then echo allowed; else echo refused; fi');
      expect(v).to.equal(mode.userns ? 'refused' : 'allowed');
    });

    it('caps the console log: 20 MiB written to /dev/console leave the log at 16 MiB and a note', async function () {
      this.timeout(60_000);
      const log = join(nodeDir(lab.name, 'a'), 'console.log');
      const r = await run('a', ['/bin/sh', '-c', 'dd if=/dev/zero of=/dev/console bs=1M count=20 2>&1 | tail -n 1']);
      expect(r.code).to.equal(0, r.out);
      const deadline = Date.now() + 10_000;
      while (!readFileSync(log, 'utf8').includes('console log is full') && Date.now() < deadline) await new Promise((res) => setImmediate(res));
      expect(readFileSync(log, 'utf8')).to.contain('the console log is full (16 MiB)');
      expect(statSync(log).size).to.be.below(16 * 1024 * 1024 + 4096);
      expect(readFileSync(log, 'utf8')).to.contain('a started'); // cmd's output went there first
    });

    it(mode.userns ? 'keeps /sys and its masks: they cannot be unmounted, and /sys shows only the node\'s interfaces'
      : 'shows no host interface in /sys, also after unmounting /sys/firmware and /sys', async function () {
      const r = await run('a', ['/bin/sh', '-c', 'umount /sys/firmware 2>/dev/null; umount /sys 2>/dev/null; ls /sys/class/net 2>&1; echo end']);
      const names = r.out.split(/\s+/);
      for (const host of hostInterfaces()) expect(names, r.out).not.to.include(host);
      if (mode.userns) expect(names, r.out).to.include.members(['eth1', 'lo']);
      if (mode.userns) expect((await run('a', ['ls', '/sys/firmware'])).out).to.equal('');
    });

    it('never opens a file the node puts at /dev/pts/ptmx for a terminal (exec -t, shell)', async function () {
      const setup = await run('a', ['/bin/sh', '-c', 'umount /dev/pts && mount -t tmpfs t /dev/pts && ln -s /etc/shadow /dev/pts/ptmx && echo ready']);
      expect(setup.out).to.equal('ready');
      const n = nodeRec('a');
      const child = spawnInNode({ lab: lab.name, name: 'a', pid: n.pid, startTime: n.startTime }, ['true'], { tty: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
      const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
      expect(code).to.equal(125);
      expect(err).to.match(/not a devpts ptmx|open pty/);
    });

    it('refuses a traffic class name that is a path', async function () {
      const n = nodeRec('a');
      const r = spawnSync(enterBinary(), ['--pid', String(n.pid), '--lab', lab.name, '--node', 'a', '--class', '../../../x', '--', 'true'], { encoding: 'utf8' });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/has no traffic class \.\.\/\.\.\/\.\.\/x/);
    });

    it(mode.userns ? 'cannot make /proc/sys writable to change a kernel sysctl' : 'can make /proc/sys writable and write a kernel sysctl (host root)', async function () {
      const v = await verdict('a', `mount -o remount,rw /proc/sys 2>/dev/null; v=$(cat /proc/sys/vm/swappiness); if sysctl -q -w ${SYSCTL}="$v" 2>/dev/null; then echo allowed; else echo refused; fi`);
      expect(v).to.equal(mode.userns ? 'refused' : 'allowed');
    });

    it(mode.userns ? 'cannot mount a devtmpfs (the host\'s devices)' : 'can mount a devtmpfs (host root; the devices cgroup keeps the devices closed)', async function () {
      const v = await verdict('a', 'mkdir -p /m && if mount -t devtmpfs none /m 2>/dev/null; then umount /m; echo allowed; else echo refused; fi');
      expect(v).to.equal(mode.userns ? 'refused' : 'allowed');
    });

    it('reaches no release_agent of a cgroup v1 hierarchy: cannot make a new one, and the host\'s show the node\'s own cgroup as their root', async function () {
      if (!/\scgroup$/m.test(readFileSync('/proc/filesystems', 'utf8'))) skip(this, 'this kernel has no cgroup v1');
      // release_agent exists only at a hierarchy's root: a new named hierarchy (the kernel refuses to make
      // one from inside a cgroup namespace), and each v1 controller the host has, mounted as the node sees it.
      // A file is only opened for writing, never written: allowed would change nothing.
      const controllers = readFileSync('/proc/cgroups', 'utf8').split('\n').map((l) => l.split('\t'))
        .filter((f) => f.length > 3 && f[1] !== '0' && f[3] === '1').map((f) => f[0]!);
      const script = ['none,name=netlab-probe', ...controllers].map((o) => `mount -t cgroup -o ${o} none /cg 2>/dev/null && { [ -e /cg/release_agent ] && sh -c ": >>/cg/release_agent" 2>/dev/null && r=allowed; umount /cg; }`);
      const v = await verdict('a', `mkdir -p /cg; r=refused; ${script.join('; ')}; echo $r`);
      expect(v).to.equal('refused');
    });

    it(mode.userns ? 'cannot widen its devices list: the lab\'s v1 devices cgroup, as the node mounts it, refuses a write to devices.allow'
      : 'cannot widen its devices list: its own v1 devices cgroup refuses more than the lab\'s', async function () {
      const h = detectCgroups().v1.find((x) => x.controllers.includes('devices'));
      if (!h) skip(this, 'this host has no cgroup v1 devices controller');
      // A user-namespaced node stays in the lab's devices cgroup (src/core/cgroups.ts nodesWithOwnDevicesCgroup);
      // one without a user namespace gets its own below it, which can only narrow the lab's list.
      const own = existsSync(join(h!.mount, 'netlab', lab.name, 'a'));
      expect(own).to.equal(!mode.userns);
      const before = readFileSync(join(h!.mount, 'netlab', lab.name, 'devices.list'), 'utf8');
      const v = await verdict('a', 'mkdir -p /cg; r=refused; if mount -t cgroup -o devices none /cg 2>/dev/null; then sh -c \'echo "a *:* rwm" > /cg/devices.allow\' 2>/dev/null && r=allowed; umount /cg; fi; echo $r');
      expect(v).to.equal('refused');
      expect(readFileSync(join(h!.mount, 'netlab', lab.name, 'devices.list'), 'utf8')).to.equal(before);
      if (own) expect(readFileSync(join(h!.mount, 'netlab', lab.name, 'a', 'devices.list'), 'utf8')).not.to.contain('a *:*');
    });

    it('puts its traffic classes in the cgroup v2 tree, mounting no cgroup v1 hierarchy, on a host with cgroup v2', async function () {
      const v2 = /^\S+ \S+ \S+ \/ (\S+) .* - cgroup2 /m.exec(readFileSync('/proc/self/mountinfo', 'utf8'))?.[1];
      if (!v2) skip(this, 'no cgroup v2 mounted on this host');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.to.contain('netlab_net_cls');
      expect(existsSync(join(v2, 'netlab', lab.name, 'a', 'class-bulk'))).to.equal(true);
      const r = await lab.exec('a', ['cat', '/proc/self/cgroup'], { cls: 'bulk' });
      expect(r.stdout).to.match(/^0::\/class-bulk$/m);
    });

    it('refuses keyctl, bpf() and system-wide perf under the default seccomp filter, host root or not', async function () {
      const keyctl = await run('a', perl('print syscall(250, 0, -3, 0) < 0 ? "refused $!" : "allowed"'));
      expect(keyctl.out).to.equal('refused Operation not permitted');
      const bpf = await verdict('a', 'if perl -e \'my $a = pack("LLLL", 1, 4, 4, 1) . "\\0" x 56; my $fd = syscall(321, 0, $a, 72); exit($fd >= 0 ? 0 : 1)\'; then echo allowed; else echo refused; fi');
      expect(bpf).to.equal('refused');
    });

    it(mode.userns ? 'cannot read host root\'s keyrings without the filter either (its own session keyring, no host user keyring)' : 'has a session keyring of its own without the filter', async function () {
      // KEYCTL_GET_KEYRING_ID (0) of the session keyring (-3) in the node and in the test process: never the same.
      const id = (out: string): number => Number(out.trim());
      const inNode = await run('c', perl('print syscall(250, 0, -3, 0)'));
      const here = spawnSync('perl', ['-e', 'print syscall(250, 0, -3, 0)'], { encoding: 'utf8' }).stdout;
      expect(id(inNode.out)).to.be.greaterThan(0);
      expect(id(inNode.out)).not.to.equal(id(here));
      if (!mode.userns) return;
      // host root's user keyring (-4) holds a key the node must not find (KEYCTL_SEARCH, 10)
      const add = spawnSync('perl', ['-e', 'my ($t, $d, $p) = ("user", "netlab-probe", "secret"); print syscall(248, $t, $d, $p, 6, -4)'], { encoding: 'utf8' });
      const key = Number(add.stdout);
      if (!(key > 0)) skip(this, `cannot add a key to host root's user keyring here: ${add.stderr}`);
      try {
        const v = await verdict('c', 'if perl -e \'my ($t, $d) = ("user", "netlab-probe"); exit(syscall(250, 10, -4, $t, $d, 0) > 0 ? 0 : 1)\'; then echo allowed; else echo refused; fi');
        expect(v).to.equal('refused');
      } finally {
        spawnSync('perl', ['-e', `syscall(250, 21, ${key})`]); // KEYCTL_INVALIDATE
      }
    });

    it(mode.userns ? 'cannot create a BPF map without the filter either (bpf() needs host privileges)' : 'can create a BPF map without the filter (host root)', async function () {
      // BPF_MAP_CREATE (0): a hash map, 4-byte key and value, one entry.
      const v = await verdict('c', 'if perl -e \'my $a = pack("LLLL", 1, 4, 4, 1) . "\\0" x 56; my $fd = syscall(321, 0, $a, 72); exit($fd >= 0 ? 0 : 1)\'; then echo allowed; else echo refused; fi');
      expect(v).to.equal(mode.userns ? 'refused' : 'allowed');
    });

    it(mode.userns ? 'cannot count system-wide with perf, with or without the filter' : 'counts system-wide with perf only without the filter (host root)', async function () {
      if (spawnSync('perf', ['--version']).status !== 0) skip(this, 'perf is not installed on this host');
      const probe = 'if perf stat -a -e cpu-clock -- true >/dev/null 2>&1; then echo allowed; else echo refused; fi';
      expect(await verdict('a', probe)).to.equal('refused');
      expect(await verdict('c', probe)).to.equal(mode.userns ? 'refused' : 'allowed');
    });

    if (mode.userns) {
      it('counts inotify instances against the node\'s own ids: a node using all its own leaves host root and the other node theirs', async function () {
        this.timeout(60_000);
        const max = Number(readFileSync('/proc/sys/user/max_inotify_instances', 'utf8'));
        // node a takes every instance it can get and holds them until killed
        const hog = `$| = 1; my @f; while (1) { my $fd = syscall(294, 0); last if $fd < 0; push @f, $fd; } print scalar(@f), "\\n"; sleep 600;`;
        const n = nodeRec('a');
        const child = spawnInNode({ lab: lab.name, name: 'a', pid: n.pid, startTime: n.startTime }, ['perl', '-e', hog], { stdio: ['ignore', 'pipe', 'pipe'] });
        try {
          const got = await new Promise<string>((res) => child.stdout!.once('data', (b: Buffer) => res(b.toString().trim())));
          expect(Number(got)).to.be.within(1, max);
          const inB = await run('b', perl('my $fd = syscall(294, 0); print $fd >= 0 ? "ok" : "failed: $!"'));
          expect(inB.out).to.equal('ok');
          const here = spawnSync('perl', ['-e', 'my $fd = syscall(294, 0); print $fd >= 0 ? "ok" : "failed: $!"'], { encoding: 'utf8' });
          expect(here.stdout).to.equal('ok');
        } finally {
          child.kill('SIGKILL');
        }
      });
    }
  });
});
