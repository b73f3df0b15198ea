/**
 * The only objects netlab makes in the host's namespace, and only when a
 * topology asks (issue 4): a host link and a management network. They work
 * from the host, and `down` removes exactly them (leakcheck around the suite).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { Lab } from '../../src/lab/lab.js';
import type { Topology } from '../../src/topology/types.js';
import { leakcheckAround, repoRoot, requireRoot } from '../helpers/kernel.js';
import { residue } from '../helpers/lab.js';
import { loadTopology } from '../../src/lab/load.js';

const hostLinks = (): string[] => JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout).map((l: { ifname: string }) => l.ifname);
const ping = (addr: string): number => spawnSync('ping', ['-n', '-c1', '-W2', addr]).status ?? 1;

describe('lab objects on the host (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround({ labs: ['t-host'], runDir: true });
  let lab: Lab | undefined;
  before(function () { requireRoot(this); });
  after(async () => { await lab?.down(); });

  it('creates the host link and the management bridge, reachable from the host', async () => {
    lab = await Lab.up(join(repoRoot, 'test/fixtures/labs/host-mgmt.yaml'), { load: { env: { LAB: 't-host' } } });
    const t = lab.topology;
    const links = hostLinks();
    expect(links).to.include('nlhost-up');
    expect(links).to.include(t.mgmt!.bridge);
    for (const n of t.nodes) expect(links).to.include(n.mgmt!.hostIface);
    expect(ping('10.1.0.2'), 'a over the host link').to.equal(0);
    for (const n of t.nodes) expect(ping(n.mgmt!.ipv4!.split('/')[0]), `${n.name} over the management network`).to.equal(0);
    const r = await lab.exec('b', ['ping', '-n', '-c1', '-W2', t.mgmt!.gateway.split('/')[0]]);
    expect(r.code, 'b reaches the host on the management network').to.equal(0);
    const nft = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout;
    expect(nft).to.match(/netlab_t-host/);
  });

  it('removes exactly what it made on down, and nothing of the host', async () => {
    const t = lab!.topology;
    await lab!.down();
    lab = undefined;
    const links = hostLinks();
    for (const name of ['nlhost-up', t.mgmt!.bridge, ...t.nodes.map((n) => n.mgmt!.hostIface)]) expect(links).to.not.include(name);
    expect(links).to.include('lo');
    expect(spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout).to.not.match(/netlab_t-host/);
  });
});

describe('two labs with management networks (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround({ labs: ['t-host'], runDir: true });
  const FWD = '/proc/sys/net/ipv4/ip_forward';
  let original = '';
  const opened: Lab[] = [];
  const mgmtLab = (name: string, network: string): Topology =>
    loadTopology({ text: `name: ${name}\nmgmt: { network: ${network} }\nnodes: [a, b]\nlinks: [[a:eth1, b:eth1]]\n` }, { env: {} });
  before(function () {
    requireRoot(this);
    original = readFileSync(FWD, 'utf8').trim();
  });
  after(async () => {
    for (const lab of opened.splice(0).reverse()) await lab.down().catch(() => undefined);
    if (original) writeFileSync(FWD, `${original}\n`);
  });

  it('refuses a second lab in a management subnet the first one uses, before any node starts', async () => {
    opened.push(await Lab.up(mgmtLab('t-host-mgmta', '192.168.241.0/24')));
    const err = await Lab.up(mgmtLab('t-host-mgmtb', '192.168.241.0/24')).then((l) => { opened.push(l); return undefined; }, (e: unknown) => e);
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).path).to.equal('mgmt.network');
    expect((err as TopologyError).message).to.contain('already in use on the host').and.contain(opened[0]!.topology.mgmt!.bridge);
    expect(residue('t-host-mgmtb')).to.deep.equal([]);
  });

  it('switches host forwarding back off only when the last lab that needed it goes down', async () => {
    for (const lab of opened.splice(0)) await lab.down();
    writeFileSync(FWD, '0\n');
    const a = await Lab.up(mgmtLab('t-host-mgmta', '192.168.241.0/24'));
    opened.push(a);
    const b = await Lab.up(mgmtLab('t-host-mgmtb', '192.168.242.0/24'));
    opened.push(b);
    expect(readFileSync(FWD, 'utf8').trim()).to.equal('1');
    const downA = await a.down();
    opened.splice(opened.indexOf(a), 1);
    expect(downA.warnings.join('\n')).to.not.match(/sysctl/);
    expect(readFileSync(FWD, 'utf8').trim(), 'still on for t-host-mgmtb').to.equal('1');
    await b.down();
    opened.splice(opened.indexOf(b), 1);
    expect(readFileSync(FWD, 'utf8').trim(), 'back off with the last lab').to.equal('0');
  });
});
