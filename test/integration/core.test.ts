/**
 * A node is a container: its own hostname, processes, network, files and
 * capability limits. Root and a real kernel; leakcheck around each suite.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { enterBinary, spawnInNode } from '../../src/core/enter.js';
import { findLabs } from '../../src/core/cgroups.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { startTestLab, type TestLab } from './core-lab.js';

/** Bit n of a /proc/PID/status capability mask line. */
function hasCap(status: string, field: string, cap: number): boolean {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)![1]!;
  return (BigInt(`0x${hex}`) >> BigInt(cap)) & 1n ? true : false;
}

describe('core: a node is a container', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('two nodes', nodeSuite);
});

function nodeSuite(this: Mocha.Suite): void {
  let t: TestLab;
  before(async function () {
    requireRoot(this);
    t = await startTestLab(['r1', 'r2']);
  });
  after(async function () {
    if (t) await t.destroy();
  });

  it('has the node\'s name as hostname, and in /etc/hostname', async function () {
    expect((await t.exec('r1', ['hostname'])).stdout).to.equal('r1\n');
    expect((await t.exec('r2', ['cat', '/etc/hostname'])).stdout).to.equal('r2\n');
  });

  it('shows only its own processes, with netlab-init as PID 1', async function () {
    const r = await t.exec('r1', ['ps', '-e', '-o', 'pid=,args=']);
    const lines = r.stdout.trim().split('\n').map((l) => l.trim());
    expect(lines[0]).to.equal(`1 netlab-init ${t.lab}/r1`);
    expect(lines.slice(1).every((l) => / ps -e -o pid=,args=$/.test(l))).to.equal(true, r.stdout);
  });

  it('reads as "netlab-init <lab>/<node>" in ps on the host', function () {
    const pid = t.nodes.get('r1')!.pid;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).to.equal(`netlab-init\0${t.lab}/r1\0`);
  });

  it('has no network interface but lo, which is up', async function () {
    const r = await t.exec('r1', ['ip', '-o', 'link']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  });

  it('keeps a file written under /etc from the host and from the other node', async function () {
    const file = `/etc/netlab-probe-${t.lab}`;
    expect((await t.exec('r1', ['sh', '-c', `echo x > ${file}`])).code).to.equal(0);
    expect((await t.exec('r1', ['cat', file])).stdout).to.equal('x\n');
    expect(existsSync(file)).to.equal(false);
    expect((await t.exec('r2', ['test', '-e', file])).code).to.equal(1);
  });

  it('gives every node the lab\'s hosts file as /etc/hosts, and a node\'s edit stays its own', async function () {
    expect((await t.exec('r1', ['getent', 'hosts', 'r2'])).stdout).to.match(/^10\.0\.0\.2\s+r2/);
    await t.exec('r1', ['sh', '-c', 'echo "10.9.9.9 extra" >> /etc/hosts']);
    expect((await t.exec('r2', ['grep', '-c', 'extra', '/etc/hosts'])).stdout).to.equal('0\n');
    expect(readFileSync(`${t.labDir}/hosts`, 'utf8')).not.to.contain('extra');
  });

  it('has private /tmp and /run, empty at start', async function () {
    expect((await t.exec('r1', ['sh', '-c', 'ls -A /tmp /run | grep -v : | grep -c .'])).stdout.trim()).to.equal('0');
  });

  it('refuses to load a kernel module (EPERM from init_module)', async function () {
    const probe = ['perl', '-e', 'syscall(175, 0, 0, 0); print $!+0'];
    const onHost = spawnSync(probe[0]!, probe.slice(1), { encoding: 'utf8' }).stdout;
    if (onHost === '38') {
      // ENOSYS: this kernel has no module support (CONFIG_MODULES=n); the capability is what would refuse it
      process.stdout.write('      (no module syscalls on this kernel: checking that CAP_SYS_MODULE is gone instead)\n');
      expect(hasCap((await t.exec('r1', ['cat', '/proc/self/status'])).stdout, 'CapBnd', 16)).to.equal(false);
      return;
    }
    expect((await t.exec('r1', probe)).stdout).to.equal('1');
  });

  it('refuses reboot (EPERM from reboot(2))', async function () {
    // LINUX_REBOOT_CMD_CAD_OFF: harmless even where it were allowed
    const r = await t.exec('r1', ['perl', '-e', 'syscall(169, 0xfee1dead, 672274793, 0, 0); print $!+0']);
    expect(r.stdout).to.equal('1');
  });

  it('refuses sysctl writes outside net.* and takes them under net.*', async function () {
    const vm = await t.exec('r1', ['sh', '-c', 'echo 10 > /proc/sys/vm/swappiness']);
    expect(vm.code).not.to.equal(0);
    expect(vm.stderr).to.match(/Read-only file system/);
    // A new namespace copies IPv4 forwarding from the host's (devconf), so r1
    // writes the opposite of the host's value and r2 must still hold the host's.
    const host = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const other = host.trim() === '1' ? '0' : '1';
    expect((await t.exec('r1', ['sh', '-c', `echo ${other} > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward`])).stdout).to.equal(`${other}\n`);
    expect((await t.exec('r2', ['cat', '/proc/sys/net/ipv4/ip_forward'])).stdout).to.equal(host);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).to.equal(host);
  });

  it('runs commands without module, boot, time, raw I/O, MAC and syslog capabilities, keeping NET_ADMIN and SYS_ADMIN', async function () {
    const status = (await t.exec('r1', ['cat', '/proc/self/status'])).stdout;
    for (const cap of [16, 22, 25, 17, 32, 33, 34]) expect(hasCap(status, 'CapBnd', cap), `cap ${cap}`).to.equal(false);
    for (const cap of [12, 13, 21]) expect(hasCap(status, 'CapEff', cap), `cap ${cap}`).to.equal(true);
  });

  it('drops the same capabilities from PID 1', function () {
    const status = readFileSync(`/proc/${t.nodes.get('r1')!.pid}/status`, 'utf8');
    expect(hasCap(status, 'CapBnd', 16)).to.equal(false);
  });

  it('masks /proc/keys and /proc/timer_list', async function () {
    const r = await t.exec('r1', ['sh', '-c', 'cat /proc/keys /proc/timer_list 2>/dev/null | wc -c']);
    expect(r.stdout.trim()).to.equal('0');
  });

  it('sees itself at the root of its cgroup namespace', async function () {
    expect((await t.exec('r1', ['cat', '/proc/self/cgroup'])).stdout).to.match(/^0::\/$/m);
  });

  it('puts a command it runs into the node\'s cgroups on the host', async function () {
    const child = spawnInNode({ lab: t.lab, ...t.nodes.get('r1')! }, ['sleep', '30'], { stdio: 'ignore' });
    try {
      let kids = '';
      for (let i = 0; i < 200 && !kids; i++) {
        await new Promise((r) => setTimeout(r, 10));
        try { kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim(); } catch { /* not yet */ }
      }
      const cg = readFileSync(`/proc/${kids.split(' ')[0]}/cgroup`, 'utf8');
      if (t.layout.unified) expect(cg).to.match(new RegExp(`^0::/netlab/${t.lab}/r1$`, 'm'));
      if (t.layout.v1.some((h) => h.controllers.includes('pids'))) expect(cg).to.match(new RegExp(`:pids:/netlab/${t.lab}/r1$`, 'm'));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('passes the exit code through, and 128+n for a signal', async function () {
    expect((await t.exec('r1', ['sh', '-c', 'exit 7'])).code).to.equal(7);
    expect((await t.exec('r1', ['sh', '-c', 'kill -9 $$'])).code).to.equal(137);
  });

  it('streams stdin to the command', async function () {
    expect((await t.exec('r1', ['cat'], { input: 'hello\n' })).stdout).to.equal('hello\n');
  });

  it('gives a command a clean environment naming the lab and the node', async function () {
    const env = (await t.exec('r1', ['env'], { env: { EXTRA: '1' } })).stdout;
    expect(env).to.contain(`NETLAB_LAB=${t.lab}\n`).and.contain('NETLAB_NODE=r1\n').and.contain('EXTRA=1\n').and.contain('HOME=/root\n');
  });

  it('allocates a terminal from the node\'s own devpts', async function () {
    const child = spawnInNode({ lab: t.lab, ...t.nodes.get('r1')! }, ['tty'], { tty: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    const code = await new Promise((r) => child.on('close', r));
    expect(code).to.equal(0);
    expect(out.trim()).to.match(/^\/dev\/pts\/\d+$/);
  });

  it('gives a shell a real terminal: window size, Ctrl-C to the node\'s job, exit code', function () {
    const driver = [
      'import os, pty, sys, time, fcntl, termios, struct, select, signal',
      'pid, fd = pty.fork()',
      'if pid == 0: os.execv(sys.argv[1], sys.argv[1:])',
      'fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0)); os.kill(pid, signal.SIGWINCH)',
      'out = b""',
      'def read_for(t):',
      '  global out',
      '  end = time.time() + t',
      '  while time.time() < end:',
      '    r, _, _ = select.select([fd], [], [], 0.05)',
      '    if r:',
      '      try: out += os.read(fd, 4096)',
      '      except OSError: return',
      'for step, wait in (("stty size; tty\\n", 0.5), ("sleep 100\\n", 0.3), ("\\x03", 0.3), ("echo rc=$?\\n", 0.3), ("exit 7\\n", 0.5)):',
      '  os.write(fd, step.encode()); read_for(wait)',
      '_, status = os.waitpid(pid, 0)',
      'print(out.decode(errors="replace")); print("EXIT", os.waitstatus_to_exitcode(status))',
    ].join('\n');
    const n = t.nodes.get('r1')!;
    const r = spawnSync('python3', ['-c', driver, enterBinary(), '--pid', String(n.pid), '--lab', t.lab, '--node', 'r1', '-t', '--', 'sh'], { encoding: 'utf8', timeout: 20000 });
    expect(r.stdout).to.contain('33 101').and.match(/\/dev\/pts\/\d+/);
    expect(r.stdout).to.contain('rc=130');
    expect(r.stdout).to.match(/EXIT 7\s*$/);
  });

  it('kills the command with netlab-enter when that is killed (a timed-out exec leaves nothing)', async function () {
    const r = await t.exec('r1', ['sleep', '30'], { timeoutMs: 300 });
    expect(r.code).to.equal(137);
    await new Promise((res) => setTimeout(res, 100));
    const ps = (await t.exec('r1', ['ps', '-e', '-o', 'pid=,ppid=,etime=,args='])).stdout;
    expect(ps).not.to.match(/sleep 30/, ps);
  });

  it('reports 127 and says so for a command the node does not have', async function () {
    const r = await t.exec('r1', ['no-such-command-here']);
    expect(r.code).to.equal(127);
    expect(r.stderr).to.match(/error: r1: no-such-command-here: No such file or directory/);
  });

  it('is listed by findLabs while it has cgroups', function () {
    expect(findLabs(t.layout)).to.include(t.lab);
  });
}
