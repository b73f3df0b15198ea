/**
 * What a fresh user met: two labs' host links silently sharing a subnet on the
 * host, a cpuset this machine cannot give failing half-way, and `status` calling
 * the links of a dead node up. `up` now refuses the first two before any node
 * starts (exit 2); `status` shows the dead ends as down, text and --json alike.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabStatus } from '../../src/lab/status.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { netlab, residue, until } from '../helpers/lab.js';

const hostLinks = (): string[] => JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout).map((l: { ifname: string }) => l.ifname);

describe('up refuses what the host cannot give, before any node starts (real kernel)', function () {
  this.timeout(120_000);
  let dir = '';
  const cgDirs: string[] = [];
  // Registered before leakcheckAround's hooks: the labs go down before the comparison, also after a failure.
  after(() => {
    for (const lab of ['t-pre-host', 't-pre-host2', 't-pre-host6', 't-pre-host6b', 't-pre-cpus', 't-pre-cg']) netlab(['down', lab]);
    for (const d of cgDirs) { try { rmdirSync(d); } catch { /* gone */ } }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  leakcheckAround({ labs: ['t-pre-'], runDir: true });
  const file = (name: string, text: string): string => { const f = join(dir, `${name}.yaml`); writeFileSync(f, text); return f; };
  before(function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'fb-preflight-'));
  });

  it('removes the empty cgroups a killed run of the lab left (no run folder), with a warning, and starts', () => {
    // What a run killed between making its cgroups and its run folder leaves: netlab/<lab> in a hierarchy.
    const hierarchy = existsSync('/sys/fs/cgroup/pids/netlab') || existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
    const d = join(hierarchy, 'netlab', 't-pre-cg');
    mkdirSync(d, { recursive: true });
    cgDirs.push(d, join(d, 'a'));
    mkdirSync(join(d, 'a'));
    const r = netlab(['up', '-q', file('t-pre-cg', 'name: t-pre-cg\nnodes: [a]\n')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/removing the empty cgroups a previous run of lab t-pre-cg left behind/);
    expect(netlab(['down', 't-pre-cg']).code).to.equal(0);
    expect(existsSync(d)).to.equal(false);
  });

  it('refuses a lab whose name has busy cgroups but no run folder here (another run folder\'s lab), and kills nothing', () => {
    const hierarchy = existsSync('/sys/fs/cgroup/pids') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
    const d = join(hierarchy, 'netlab', 't-pre-cg');
    mkdirSync(d, { recursive: true });
    cgDirs.push(d);
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = sleeper.pid!;
    writeFileSync(join(d, 'cgroup.procs'), String(pid));
    try {
      expect(readFileSync(join(d, 'cgroup.procs'), 'utf8')).to.match(/\d/);
      const r = netlab(['up', '-q', file('t-pre-cg', 'name: t-pre-cg\nnodes: [a]\n')]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^error: lab t-pre-cg: has running processes in its cgroups/m);
      expect(r.stderr).to.match(/^hint: take that lab down where it was started, or give this one another name/m);
      expect(() => process.kill(pid, 0)).to.not.throw();
    } finally {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    const gone = Date.now() + 5000;
    while (readFileSync(join(d, 'cgroup.procs'), 'utf8').trim() && Date.now() < gone) spawnSync('sleep', ['0.05']);
  });

  it('refuses a host link whose host-side subnet another lab\'s host link already uses, naming the link and the user', () => {
    const one = netlab(['up', '-q', file('t-pre-host', 'name: t-pre-host\nnodes: [a]\nlinks: [[a:eth1, host:fb-h1]]\n')]);
    expect(one.code, one.stderr).to.equal(0);
    const two = netlab(['up', '-q', file('t-pre-host2', 'name: t-pre-host2\nnodes: [a]\nlinks: [[a:eth1, host:fb-h2]]\n')]);
    expect(two.code, two.stderr).to.equal(2);
    expect(two.stderr).to.match(/^error: links\[0\]: .*10\.1\.0\.1\/31.*already in use on the host: 10\.1\.0\.1\/31 on fb-h1$/m);
    expect(two.stderr).to.match(/^hint: give the link addresses of its own .*another pool/m);
    expect(hostLinks()).to.not.include('fb-h2');
    expect(residue('t-pre-host2')).to.deep.equal([]);
  });

  it('starts the second lab once its host link has a subnet of its own', () => {
    const two = netlab(['up', '-q', file('t-pre-host2', 'name: t-pre-host2\nnodes: [a]\nlinks:\n  - endpoints: [a:eth1, host:fb-h2]\n    prefix: 10.250.0.0/31\n')]);
    expect(two.code, two.stderr).to.equal(0);
    expect(netlab(['down', 't-pre-host2']).code).to.equal(0);
  });

  it('refuses a host link whose IPv6 host side is in a subnet another lab\'s host link uses (link-local fe80:: does not count)', () => {
    const lab = (name: string, iface: string, v4: string): string =>
      `name: ${name}\nnodes: [a]\nlinks:\n  - endpoints: [a:eth1, host:${iface}]\n    prefix: { ipv4: ${v4}, ipv6: "fd00:77::/127" }\n`;
    const one = netlab(['up', '-q', file('t-pre-host6', lab('t-pre-host6', 'fb-h6a', '10.251.0.0/31'))]);
    expect(one.code, one.stderr).to.equal(0);
    const two = netlab(['up', '-q', file('t-pre-host6b', lab('t-pre-host6b', 'fb-h6b', '10.252.0.0/31'))]);
    expect(two.code, two.stderr).to.equal(2);
    expect(two.stderr).to.match(/^error: links\[0\]: the host side fd00:77::\S+ of host:fb-h6b is in a subnet already in use on the host: fd00:77::\S+\/127 on fb-h6a$/m);
    expect(two.stderr).to.not.match(/fe80/);
    expect(hostLinks()).to.not.include('fb-h6b');
    expect(netlab(['down', 't-pre-host6']).code).to.equal(0);
  });

  it('refuses a cpuset naming CPUs this host does not have, naming the key and the CPUs there are', () => {
    const r = netlab(['up', '-q', file('t-pre-cpus', 'name: t-pre-cpus\nnodes:\n  a: {}\n  b: { resources: { cpuset: "0-4095" } }\nlinks: [[a:eth1, b:eth1]]\n')]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^error: nodes\.b\.resources\.cpuset: "0-4095" names CPUs .* but this host gives netlab CPUs [0-9,-]+ only$/m);
    expect(r.stderr).to.match(/^hint: use CPUs from /m);
    expect(residue('t-pre-cpus')).to.deep.equal([]);
  });
});

describe('status after a node died (real kernel)', function () {
  this.timeout(120_000);
  let dir = '';
  after(() => {
    netlab(['down', 't-pre-dead']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  leakcheckAround({ labs: ['t-pre-'], runDir: true });
  before(function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'fb-status-'));
    const f = join(dir, 't-pre-dead.yaml');
    writeFileSync(f, 'name: t-pre-dead\nnodes: [a, b, c]\nlinks: [[a:eth1, b:eth1], [b:eth2, c:eth2]]\n');
    const r = netlab(['up', '-q', f]);
    if (r.code !== 0) throw new Error(r.stderr);
  });
  it('prints a single lab object for status --json LAB and an array of labs without LAB', () => {
    const one = JSON.parse(netlab(['status', '--json', 't-pre-dead']).stdout) as LabStatus;
    expect(one).to.not.be.an('array');
    expect(one.lab).to.equal('t-pre-dead');
    const all = JSON.parse(netlab(['status', '--json']).stdout) as LabStatus[];
    expect(all).to.be.an('array');
    expect(all.map((s) => s.lab)).to.include('t-pre-dead');
  });

  it('shows the dead node\'s interfaces and the link ends facing it as down, with the reason, in --json', async () => {
    const before = JSON.parse(netlab(['status', '--json', 't-pre-dead']).stdout) as LabStatus;
    const c = before.nodes.find((n) => n.name === 'c')!;
    process.kill(c.pid, 'SIGKILL');
    await until(() => (JSON.parse(netlab(['status', '--json', 't-pre-dead']).stdout) as LabStatus).nodes.find((n) => n.name === 'c')!.state === 'dead', 10_000, 'c to be seen dead');
    const r = netlab(['status', '--json', 't-pre-dead']);
    const s = JSON.parse(r.stdout) as LabStatus;
    const iface = (node: string, name: string) => s.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === name)!;
    expect(iface('b', 'eth2')).to.include({ state: 'down', reason: 'peer dead' });
    expect(iface('c', 'eth2')).to.include({ state: 'down', reason: 'node dead' });
    expect(iface('a', 'eth1').state).to.equal('up');
    expect(iface('b', 'eth1').state).to.equal('up');
  });

  it('shows them as down in the table too, and exits 1 with and without --json', () => {
    const text = netlab(['status', 't-pre-dead']);
    expect(text.code).to.equal(1);
    expect(text.stdout).to.match(/eth2 +10\.1\.0\.2\/31 +→ c:eth2 \[down: peer dead\]/);
    expect(text.stdout).to.match(/eth2 +10\.1\.0\.3\/31 +→ b:eth2 \[down: node dead\]/);
    expect(text.stdout, 'a dead node shows no PID (its number may be reused)').to.match(/^c +linux +dead +- +lo /m);
    expect(netlab(['status', '--json', 't-pre-dead']).code).to.equal(1);
  });
});
