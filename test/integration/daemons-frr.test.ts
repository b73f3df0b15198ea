/**
 * FRR nodes in real labs (Lab.up): the kind's start, readiness, health, save
 * and rejection paths, and the generated OSPF/BGP configs converging.
 */
import { expect } from 'chai';
import { existsSync, rmSync } from 'node:fs';
import { passedCheckPath } from '../../src/daemons/config.js';
import { frr } from '../../src/daemons/frr.js';
import { poll } from '../../src/daemons/poll.js';
import { NetlabError } from '../../src/errors.js';
import { Lab } from '../../src/lab/lab.js';
import { leakcheckAround } from '../helpers/kernel.js';
import { exampleTopology } from '../helpers/lab.js';
import { ctxOf, needDaemons as needFrr, waitRoute } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

const topology = exampleTopology;
const inline = (text: string) => loadTopology({ text }, { env: {} });

describe('FRR nodes (real labs)', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });

  describe('the ospf-triangle lab', function () {
    const t = topology('ospf-triangle');
    let lab: Lab;

    before(async function () {
      needFrr(this);
      lab = await Lab.up(t);
    });
    after(async () => { await lab?.down(); });

    it('starts the three routers\' FRR and is ready within a second', () => {
      expect(lab.report!.timings.daemons).to.be.lessThan(1000);
    });

    it('runs exactly the daemons its config uses: zebra and ospfd, no staticd or watchfrr', async () => {
      const r = await lab.exec('r1', ['vtysh', '-c', 'show daemons']);
      expect(r.code).to.equal(0);
      expect(r.stdout.trim().split(/\s+/).sort()).to.deep.equal(['ospfd', 'zebra']);
    });

    it('gives each daemon its own part of the generated frr.conf, which it read without an error', async () => {
      const r = await lab.exec('r1', ['/bin/sh', '-c', 'cat /proc/$(cat /run/frr/ospfd.pid)/cmdline | tr "\\0" " "; echo; grep -c " on config line " /var/log/frr/frr.log; vtysh -c "show running-config"']);
      const [cmdline, errors, ...running] = r.stdout.split('\n');
      expect(cmdline).to.contain('-f /etc/frr/ospfd.conf');
      expect(errors).to.equal('0');
      expect(running.join('\n')).to.match(/^router ospf$/m).and.contain(' ip ospf area 0.0.0.0').and.contain(' description to ');
    });

    it('limits FRR to 1024 open files, not the host\'s limit', async () => {
      const r = await lab.exec('r1', ['/bin/sh', '-c', 'grep "Max open files" /proc/$(cat /run/frr/zebra.pid)/limits']);
      expect(r.stdout).to.match(/Max open files\s+1024\s/);
    });

    it('creates /run/frr, /var/lib/frr and /var/log/frr owned by frr', async () => {
      const r = await lab.exec('r2', ['stat', '-c', '%n %U:%G', '/run/frr', '/var/lib/frr', '/var/log/frr']);
      expect(r.stdout.trim().split('\n')).to.deep.equal(['/run/frr frr:frr', '/var/lib/frr frr:frr', '/var/log/frr frr:frr']);
    });

    it('converges: every router learns the other routers\' loopbacks over OSPF', async () => {
      const loops: Record<string, string> = { r1: '10.0.0.1', r2: '10.0.0.2', r3: '10.0.0.3' };
      await Promise.all(Object.keys(loops).flatMap((r) => Object.entries(loops).filter(([o]) => o !== r).map(([, lo]) => waitRoute(lab, r, lo, 'ospf'))));
    });

    it('forwards h1\'s pings to h2 across the routers', async () => {
      const h2 = t.nodes.find((n) => n.name === 'h2')!.interfaces[0]!.ipv4!.split('/')[0]!;
      await poll('h1 ping h2', 20_000, async () => {
        const r = await lab.exec('h1', ['ping', '-c', '1', '-W', '1', h2]);
        return r.code === 0 ? { done: true, value: undefined } : { done: false, seen: r.stdout.trim().split('\n').pop() ?? '' };
      });
    });

    it('does not announce 127.0.0.0/8 from the loopback', async () => {
      await waitRoute(lab, 'r2', '10.0.0.1', 'ospf');
      const r = await lab.exec('r2', ['ip', '-j', 'route', 'show', 'proto', 'ospf']);
      expect((JSON.parse(r.stdout) as { dst: string }[]).map((x) => x.dst)).not.to.include('127.0.0.0/8');
    });

    it('saves the running config, with the generated OSPF settings in it', async () => {
      const saved = await frr.save!(ctxOf(lab, 'r1'));
      expect(Object.keys(saved)).to.deep.equal(['frr.conf']);
      expect(saved['frr.conf']).to.match(/^router ospf$/m).and.contain(' ospf router-id 10.0.0.1').and.contain(' ip ospf area 0.0.0.0');
      expect(saved['frr.conf']).not.to.contain('Building configuration');
    });

    it('reports every daemon running', async () => {
      const h = await frr.health!(ctxOf(lab, 'r3'));
      expect(h.map((d) => `${d.daemon}:${d.running}`)).to.deep.equal(['zebra:true', 'ospfd:true']);
    });

    it('fails ready() at once, naming the dead daemons, when FRR is gone', async () => {
      const r = await lab.exec('r2', ['/bin/sh', '-c', 'kill -9 $(cat /run/frr/zebra.pid)']);
      expect(r.code).to.equal(0);
      const t0 = Date.now();
      const err = await poll('r2 down', 5000, async () => {
        const e = await frr.ready(ctxOf(lab, 'r2'), 30_000).then(() => undefined, (x: unknown) => x);
        return e ? { done: true, value: e } : { done: false, seen: 'still ready' };
      });
      expect(Date.now() - t0).to.be.lessThan(10_000);
      expect(err).to.be.instanceOf(NetlabError).with.property('where', 'node r2');
      expect((err as Error).message).to.match(/FRR is down: zebra \(pid \d+ exited/);
    });

    it('names the daemon that died', async () => {
      const r = await lab.exec('r3', ['/bin/sh', '-c', 'kill -9 $(cat /run/frr/ospfd.pid)']);
      expect(r.code).to.equal(0);
      const h = await poll('r3 health', 5000, async () => {
        const x = await frr.health!(ctxOf(lab, 'r3'));
        return x.find((d) => d.daemon === 'ospfd')?.running === false ? { done: true, value: x } : { done: false, seen: JSON.stringify(x) };
      });
      expect(h.filter((d) => !d.running).map((d) => d.daemon)).to.deep.equal(['ospfd']);
      expect(h.find((d) => d.daemon === 'ospfd')!.detail).to.match(/exited/);
    });
  });

  describe('a config FRR rejects', function () {
    const text = 'hostname r1\nrouter ospf\n network 10.0.0.1/32 aera 0\n';
    const t = inline(`name: t-dmn-bad\nnodes: { r1: { kind: frr, config: { text: ${JSON.stringify(text)} } }, h1: {} }\nlinks: [[r1:eth1, h1:eth1]]\n`);
    before(function () { needFrr(this); });

    it('stops netlab up before building anything, with FRR\'s own message, its line and the node name', async () => {
      const err = await Lab.up(t).then(async (lab) => { await lab.down(); }, (e: unknown) => e);
      expect(err).to.be.instanceOf(NetlabError);
      expect((err as NetlabError).where).to.match(/^node (t-dmn-bad2?\/)?r1$/);
      expect((err as NetlabError).message).to.contain('FRR rejects its inline config text').and.contain('line 3: % Unknown command').and.contain('aera 0');
      expect((err as NetlabError).message).not.to.contain('vtysh.conf');
      expect(Lab.running()).not.to.include('t-dmn-bad');
    });
  });

  describe('a user config vtysh passed before', function () {
    // A text of this run only, so that no earlier run's record exists.
    const text = `! t-dmn-rec ${process.pid}-${Date.now()}\nhostname r1\nrouter ospf\n ospf router-id 10.0.0.1\nexit\n`;
    const argv = ['vtysh', '-C', '-f', 'FILE'];
    let record: string | undefined;
    before(function () { needFrr(this); record = passedCheckPath(argv, text); });
    after(() => { if (record) rmSync(record, { force: true }); });

    it('is checked once: the pass is recorded in the store, and a rejected config leaves no record', async () => {
      expect(record, 'vtysh on PATH').to.be.a('string');
      const t = inline(`name: t-dmn-rec\nnodes: { r1: { kind: frr, config: { text: ${JSON.stringify(text)} } } }\nlinks: []\n`);
      const lab = await Lab.up(t);
      await lab.down();
      expect(existsSync(record!), 'record of the pass').to.equal(true);
      const bad = `${text} bogus line\n`;
      const err = await Lab.up(inline(`name: t-dmn-rec\nnodes: { r1: { kind: frr, config: { text: ${JSON.stringify(bad)} } } }\nlinks: []\n`)).then(async (l) => { await l.down(); }, (e: unknown) => e);
      expect((err as NetlabError).message).to.contain('FRR rejects its inline config text');
      expect(existsSync(passedCheckPath(argv, bad)!), 'record of a rejection').to.equal(false);
    });
  });

  describe('a config FRR parses but refuses to load', function () {
    const text = 'router bgp 65001\nexit\nrouter bgp 65002\nexit\n';
    const t = inline(`name: t-dmn-bad2\nnodes: { r1: { kind: frr, config: { text: ${JSON.stringify(text)} } } }\nlinks: []\n`);
    before(function () { needFrr(this); });

    it('fails netlab up with the message FRR gave while loading it, and rolls the lab back', async () => {
      const err = await Lab.up(t).then(async (lab) => { await lab.down(); }, (e: unknown) => e);
      expect(err).to.be.instanceOf(NetlabError);
      expect((err as NetlabError).where).to.match(/^node (t-dmn-bad2?\/)?r1$/);
      expect((err as NetlabError).message).to.contain('FRR rejects its inline config text').and.match(/BGP is already running; AS is 65001/);
      expect(Lab.running()).not.to.include('t-dmn-bad2');
    });
  });

  describe('the bgp-ebgp lab', function () {
    let lab: Lab;
    before(async function () {
      needFrr(this);
      lab = await Lab.up(topology('bgp-ebgp'));
    });
    after(async () => { await lab?.down(); });

    it('brings up both eBGP sessions of every router', async () => {
      for (const r of ['r1', 'r2', 'r3']) {
        await poll(`${r} sessions`, 20_000, async () => {
          const x = await lab.exec(r, ['vtysh', '-c', 'show bgp summary json']);
          const peers = Object.values((JSON.parse(x.stdout) as { ipv4Unicast?: { peers: Record<string, { state: string }> } }).ipv4Unicast?.peers ?? {});
          const up = peers.filter((p) => p.state === 'Established').length;
          return up === 2 ? { done: true, value: undefined } : { done: false, seen: `${up}/${peers.length} Established` };
        });
      }
    });

    it('carries every loopback to every router', async () => {
      await Promise.all([['r1', '10.0.0.3'], ['r3', '10.0.0.1'], ['r2', '10.0.0.1'], ['r2', '10.0.0.3']].map(([n, p]) => waitRoute(lab, n!, p!, 'bgp')));
    });
  });

  describe('the ibgp-ospf lab', function () {
    let lab: Lab;
    before(async function () {
      needFrr(this);
      lab = await Lab.up(topology('ibgp-ospf'));
    });
    after(async () => { await lab?.down(); });

    it('carries x1\'s loopback across the OSPF core to x2 over iBGP', async () => {
      await waitRoute(lab, 'r2', '10.0.0.1', 'ospf');
      await waitRoute(lab, 'r2', '10.0.0.4', 'bgp');
      await waitRoute(lab, 'x2', '10.0.0.4', 'bgp');
    });

    it('keeps the iBGP session r1–r2 up when their link goes down (OSPF reroutes via r3)', async () => {
      await waitRoute(lab, 'x2', '10.0.0.4', 'bgp');
      const down = await lab.exec('r1', ['ip', 'link', 'set', 'eth1', 'down']);
      expect(down.code).to.equal(0);
      await poll('r2 reaches r1 via r3', 15_000, async () => {
        const r = await lab.exec('r2', ['ip', '-j', 'route', 'show', '10.0.0.1']);
        const gw = (JSON.parse(r.stdout) as { gateway?: string }[])[0]?.gateway;
        return gw === '10.1.0.3' ? { done: true, value: undefined } : { done: false, seen: r.stdout.trim() };
      });
      const s = await lab.exec('r2', ['vtysh', '-c', 'show bgp neighbors 10.0.0.1 json']);
      expect((JSON.parse(s.stdout) as Record<string, { bgpState: string }>)['10.0.0.1']!.bgpState).to.equal('Established');
    });
  });

  describe('an IPv6 lab: OSPFv3 and BGP over IPv6', function () {
    const t = loadTopology({ text: `
name: t-dmn-six
defaults: { kind: frr }
addressing: { loopback6: "2001:db8:ff::/64", ipv6: "2001:db8:1::/48" }
nodes:
  r1: { ospf: { area: 0 } }
  r2: { ospf: { area: 0 } }
  r3: { ospf: { area: 0 }, bgp: { as: 65003 } }
  x1: { bgp: { as: 65100 } }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
  - [r3:eth2, x1:eth1]
` }, { env: {} });
    let lab: Lab;
    const lo6 = (n: string) => t.nodes.find((x) => x.name === n)!.loopback.ipv6!.split('/')[0]!;
    before(async function () {
      needFrr(this);
      lab = await Lab.up(t);
    });
    after(async () => { await lab?.down(); });

    it('runs ospf6d and carries the IPv6 loopbacks over OSPFv3', async () => {
      const d = await lab.exec('r1', ['vtysh', '-c', 'show daemons']);
      expect(d.stdout).to.contain('ospf6d');
      await waitRoute(lab, 'r1', lo6('r3'), 'ospf');
    });

    it('brings up an IPv6 eBGP session and learns the neighbour\'s IPv6 loopback', async () => {
      await waitRoute(lab, 'r3', lo6('x1'), 'bgp');
    });
  });

  describe('the spine-leaf lab', function () {
    let lab: Lab;
    before(async function () {
      needFrr(this);
      lab = await Lab.up(topology('spine-leaf'));
    });
    after(async () => { await lab?.down(); });

    it('installs l1\'s route to l4\'s loopback over both spines (ECMP)', async () => {
      await poll('l1 multipath to 10.0.0.6', 20_000, async () => {
        const r = await lab.exec('l1', ['ip', '-j', 'route', 'show', '10.0.0.6']);
        const hops = (JSON.parse(r.stdout) as { nexthops?: { gateway: string }[] }[])[0]?.nexthops?.map((h) => h.gateway).sort();
        return hops?.length === 2 ? { done: true, value: hops } : { done: false, seen: r.stdout.trim() };
      }).then((hops) => expect(hops).to.deep.equal(['10.1.0.1', '10.1.0.3']));
    });
  });
});
