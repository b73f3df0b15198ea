/**
 * Labs written for containerlab and Kathará, read in place from the peer
 * corpus (test/helpers/peers.ts), come up under netlab and do what their
 * authors meant: routers converge, hosts reach each other. Kathará labs are
 * published without their startup files; the tests take netlab's own from
 * test/fixtures/kathara through the front-end's `scripts` option.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importImage } from '../../src/image/index.js';
import { storeImageCatalog } from '../../src/lab/images.js';
import { busyboxRoot, debianFrrTar, tarOf, tarOfDir, writeOciLayout } from '../helpers/images.js';
import { Lab } from '../../src/lab/lab.js';
import { loadLab } from '../../src/lab/load.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { eventually as until, peerLab, reaches } from '../helpers/peers.js';

const scripts = (lab: string): string => join(repoRoot, 'test', 'fixtures', 'kathara', lab);

function needFrr(ctx: Mocha.Context): void {
  if (!existsSync('/usr/lib/frr/watchfrr')) skip(ctx, 'FRR is not installed (apt install frr)');
}

describe('imported labs (containerlab, Kathará) run as published', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });

  describe('containerlab frr01 (3 FRR routers in OSPF, 3 hosts configured by exec)', function () {
    let lab: Lab | undefined;
    let upMs = 0;
    before(async function () {
      requireRoot(this);
      needFrr(this);
      const file = peerLab(this, 'containerlab', 'frr01', 'frr01.clab.yml');
      const t0 = Date.now();
      lab = await Lab.up(loadLab(file, { name: 't-frr01' }));
      upMs = Date.now() - t0;
    });
    after(async () => { await lab?.down(); });

    it('comes up from the .clab.yml as published', () => {
      expect(lab!.topology.imported?.format).to.equal('containerlab');
      expect(upMs).to.be.lessThan(15_000);
    });
    it('converges: PC1 reaches PC3 across the OSPF ring', async () => {
      expect(await reaches(lab!, 'PC1', '192.168.13.2', 60_000), 'PC1 → PC3 (192.168.13.2)').to.equal(true);
    });
    it('names every node clab-frr01-<node> in ip netns, as containerlab does', () => {
      for (const n of ['router1', 'PC3']) expect(existsSync(`/run/netns/clab-t-frr01-${n}`), n).to.equal(true);
    });
  });

  describe('ipspace netlab\'s containerlab output (clab.yml + clab_files/) for its 01-ebgp-session test, FRR as the DUT', function () {
    // test/fixtures/ipspace-clab/ebgp: what `netlab create -p clab -d frr` writes. ipspace netlab then
    // configures the routers itself (`netlab initial`, vtysh in each node); the test does what that step does.
    let lab: Lab | undefined;
    const vtysh = async (node: string, lines: string[]): Promise<void> => {
      const r = await lab!.exec(node, ['vtysh', '-c', 'configure terminal', ...lines.flatMap((l) => ['-c', l])]);
      expect(r.code, `${node}: vtysh ${lines.join('; ')}: ${r.stdout}${r.stderr}`).to.equal(0);
    };
    before(async function () {
      requireRoot(this);
      needFrr(this);
      lab = await Lab.up(loadLab(join(repoRoot, 'test', 'fixtures', 'ipspace-clab', 'ebgp', 'clab.yml'), { name: 't-ipsp' }));
    });
    after(async () => { await lab?.down(); });

    it('gives each node the management address the file names, and the bound /etc/hosts', async () => {
      for (const [node, addr] of [['dut', '192.168.121.101/24'], ['x1', '192.168.121.102/24'], ['x2', '192.168.121.103/24']] as const) {
        expect((await lab!.exec(node, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout, `${node} eth0`).to.contain(`inet ${addr}`);
      }
      expect((await lab!.exec('dut', ['cat', '/etc/hosts'])).stdout).to.match(/^10\.0\.0\.2 x1$/m);
      expect(await reaches(lab!, 'dut', '192.168.121.103'), 'dut → x2 over the management network').to.equal(true);
    });

    it('runs the FRR daemons the bound daemons file turns on (bgpd, not ospfd)', async () => {
      const d = (await lab!.exec('x1', ['vtysh', '-c', 'show daemons'])).stdout;
      expect(d).to.contain('bgpd');
      expect(d).not.to.contain('ospfd');
    });

    it('carries the eBGP sessions and x2\'s beacon prefix to x1 once configured as netlab initial would', async () => {
      await vtysh('dut', ['interface eth1', 'ip address 10.1.0.1/30', 'interface eth2', 'ip address 10.1.0.5/30', 'router bgp 65000', 'no bgp ebgp-requires-policy',
        'neighbor 10.1.0.2 remote-as 65100', 'neighbor 10.1.0.6 remote-as 65101']);
      await vtysh('x1', ['interface eth1', 'ip address 10.1.0.2/30', 'router bgp 65100', 'no bgp ebgp-requires-policy', 'neighbor 10.1.0.1 remote-as 65000']);
      await vtysh('x2', ['interface eth1', 'ip address 10.1.0.6/30', 'interface lo', 'ip address 172.42.42.1/24', 'router bgp 65101', 'no bgp ebgp-requires-policy',
        'neighbor 10.1.0.5 remote-as 65000', 'address-family ipv4 unicast', 'network 172.42.42.0/24']);
      expect(await until(60_000, async () => /^B>\*\s*172\.42\.42\.0\/24/m.test((await lab!.exec('x1', ['vtysh', '-c', 'show ip route bgp'])).stdout)),
        'x1 learns 172.42.42.0/24 from x2 through the DUT').to.equal(true);
    });
  });

  describe('Kathará ospf-frr-singlearea (5 FRR routers, 2 LANs, FRR started by systemctl/service/init.d)', function () {
    let lab: Lab | undefined;
    before(async function () {
      requireRoot(this);
      needFrr(this);
      const dir = peerLab(this, 'kathara', 'ospf-frr-singlearea');
      lab = await Lab.up(loadLab(dir, { name: 't-kat-ospf', scripts: scripts('ospf-frr-singlearea') }));
    });
    after(async () => { await lab?.down(); });

    it('starts FRR from the startup files and converges: bb1 reaches bb3\'s far address', async () => {
      expect(lab!.topology.imported?.format).to.equal('Kathará');
      expect(await reaches(lab!, 'bb1', '10.0.2.2', 60_000), 'bb1 → bb3 (10.0.2.2, two hops away)').to.equal(true);
    });
    it('runs ospfd in a device whose startup file used /etc/init.d/frr start', async () => {
      const r = await lab!.exec('bb1', ['vtysh', '-c', 'show ip ospf neighbor']);
      expect(r.stdout).to.match(/Full/);
    });
  });

  describe('Kathará static-routing (no routing daemons; routes left for the student)', function () {
    let lab: Lab | undefined;
    before(async function () {
      requireRoot(this);
      const dir = peerLab(this, 'kathara', 'static-routing');
      lab = await Lab.up(loadLab(dir, { name: 't-kat-static', scripts: scripts('static-routing') }));
    });
    after(async () => { await lab?.down(); });

    it('addresses every device from its startup file (ip and ifconfig): pc1 reaches r1, r1 reaches r2', async () => {
      expect(await reaches(lab!, 'pc1', '195.11.14.1'), 'pc1 → r1').to.equal(true);
      expect(await reaches(lab!, 'r1', '100.0.0.10'), 'r1 → r2').to.equal(true);
    });
    it('has no route to the far LAN until the student adds one, as the lab intends', async () => {
      const r = await lab!.exec('pc1', ['ping', '-c', '1', '-W', '1', '200.1.1.7']);
      expect(r.code).to.not.equal(0);
    });
  });

  describe('containerlab netns-basics with alpine:latest in netlab\'s store', function () {
    let lab: Lab | undefined;
    let base = '';
    before(async function () {
      requireRoot(this);
      const file = peerLab(this, 'containerlab', 'ciscoittech-netns-basics', 'topology.clab.yml');
      // A busybox image with a marker file, stored under the name the lab uses.
      base = mkdtempSync(join(tmpdir(), 'netlab-fe-store-'));
      const root = busyboxRoot(join(base, 'root'));
      writeFileSync(join(root, 'etc/alpine-release'), 'from netlab\'s store\n');
      writeOciLayout(join(base, 'layout'), [{ layers: [tarOfDir(root)], ref: 'alpine', run: { Env: ['PATH=/bin:/usr/bin:/sbin'], Cmd: ['sh'] } }]);
      const store = join(base, 'store');
      await importImage(join(base, 'layout'), { store, tag: 'alpine:latest' });
      lab = await Lab.up(loadLab(file, { name: 't-fe-store', images: storeImageCatalog({ store }) }), { imageStore: store });
    });
    after(async () => {
      await lab?.down();
      if (base) rmSync(base, { recursive: true, force: true });
    });

    it('runs every node on the stored image, not the host\'s root, and says so in one note', async () => {
      expect(lab!.topology.nodes.map((n) => n.image)).to.deep.equal(['alpine:latest', 'alpine:latest', 'alpine:latest', 'alpine:latest']);
      expect(lab!.topology.imported!.notes.map((n) => n.text)).to.include("image alpine:latest is in netlab's store: host1, host2, router, host3 run it");
      expect((await lab!.exec('router', ['cat', '/etc/alpine-release'])).stdout).to.equal('from netlab\'s store\n');
    });
    it('routes between the hosts with the image\'s own ip and sysctl (busybox), as the exec lines say', async () => {
      expect(await reaches(lab!, 'host1', '10.0.2.10'), 'host1 → host3 through router').to.equal(true);
    });
  });

  describe('Kathará bgp-simple-peering-frr with kathara/frr in netlab\'s store (a Debian 12 FRR image)', function () {
    let lab: Lab | undefined;
    let base = '';
    before(async function () {
      requireRoot(this);
      const dir = peerLab(this, 'kathara', 'bgp-simple-peering-frr');
      const deb = debianFrrTar();
      if (!deb.tar) skip(this, deb.why!);
      base = mkdtempSync(join(tmpdir(), 'netlab-fe-katfrr-'));
      const marker = await tarOf([{ name: 'etc/netlab-image', content: 'kathara/frr from the store\n' }]);
      writeOciLayout(join(base, 'layout'), [{ layers: [readFileSync(deb.tar!), marker], gzip: false, ref: 'frr' }]);
      const store = join(base, 'store');
      await importImage(join(base, 'layout'), { store, tag: 'kathara/frr' });
      lab = await Lab.up(loadLab(dir, { name: 't-fe-katfrr', images: storeImageCatalog({ store }), scripts: scripts('bgp-simple-peering-frr') }), { imageStore: store });
    });
    after(async () => {
      await lab?.down();
      if (base) rmSync(base, { recursive: true, force: true });
    });

    it('starts the image\'s FRR from the startup file\'s systemctl start frr, and the eBGP session comes up', async () => {
      expect(lab!.topology.nodes.map((n) => `${n.kind} ${n.image}`)).to.deep.equal(['frr kathara/frr', 'frr kathara/frr']);
      expect((await lab!.exec('router1', ['cat', '/etc/netlab-image'])).stdout).to.equal('kathara/frr from the store\n');
      const up = await until(60_000, async () => /Established|\s\d+\s+\d+\s+N\/A/.test((await lab!.exec('router1', ['vtysh', '-c', 'show bgp neighbors'])).stdout));
      expect(up, 'router1: BGP session with router2 Established').to.equal(true);
    });
  });
});
