/**
 * The only objects netlab makes in the host's namespace, and only when a
 * topology asks (issue 4): a host link and a management network. They work
 * from the host, and `down` removes exactly them (leakcheck around the suite).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { leakcheckAround, repoRoot, requireRoot } from '../helpers/kernel.js';

const hostLinks = (): string[] => JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout).map((l: { ifname: string }) => l.ifname);
const ping = (addr: string): number => spawnSync('ping', ['-n', '-c1', '-W2', addr]).status ?? 1;

describe('lab objects on the host (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround();
  let lab: Lab | undefined;
  before(function () { requireRoot(this); });
  after(async () => { await lab?.down(); });

  it('creates the host link and the management bridge, reachable from the host', async () => {
    lab = await Lab.up(join(repoRoot, 'test/fixtures/labs/host-mgmt.yaml'), { load: { env: { LAB: 'nlhost' } } });
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
    expect(nft).to.match(/netlab_nlhost/);
  });

  it('removes exactly what it made on down, and nothing of the host', async () => {
    const t = lab!.topology;
    await lab!.down();
    lab = undefined;
    const links = hostLinks();
    for (const name of ['nlhost-up', t.mgmt!.bridge, ...t.nodes.map((n) => n.mgmt!.hostIface)]) expect(links).to.not.include(name);
    expect(links).to.include('lo');
    expect(spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout).to.not.match(/netlab_nlhost/);
  });
});
