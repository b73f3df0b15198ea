/**
 * What a fresh user met: two labs' host links silently sharing a subnet on the
 * host, a cpuset this machine cannot give failing half-way, and `status` calling
 * the links of a dead node up. `up` now refuses the first two before any node
 * starts (exit 2); `status` shows the dead ends as down, text and --json alike.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabStatus } from '../../src/lab/status.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { netlab, residue, until } from '../helpers/lab.js';

const hostLinks = (): string[] => JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout).map((l: { ifname: string }) => l.ifname);

describe('up refuses what the host cannot give, before any node starts (real kernel)', function () {
  this.timeout(120_000);
  let dir = '';
  // Registered before leakcheckAround's hooks: the labs go down before the comparison, also after a failure.
  after(() => {
    for (const lab of ['t-pre-host', 't-pre-host2', 't-pre-host6', 't-pre-host6b', 't-pre-cpus']) netlab(['down', lab]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  leakcheckAround({ labs: ['t-pre-'], runDir: true });
  const file = (name: string, text: string): string => { const f = join(dir, `${name}.yaml`); writeFileSync(f, text); return f; };
  before(function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'fb-preflight-'));
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
