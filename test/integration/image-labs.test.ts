/**
 * Labs whose nodes run on images (real nodes, real overlayfs): a busybox host
 * from a registry pull, an FRR router and a Debian host from an imported
 * Docker archive (Debian 12 made by mmdebstrap), a host from a root
 * filesystem folder, next to host-root nodes; the image config honoured;
 * the store untouched by `down`; and an image problem stopping `up` before
 * anything exists.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poll } from '../../src/daemons/poll.js';
import { NetlabError } from '../../src/errors.js';
import { listImages, removeImage } from '../../src/image/index.js';
import { Lab } from '../../src/lab/lab.js';
import { nodeDir } from '../../src/lab/paths.js';
import type { Topology } from '../../src/topology/types.js';
import { busyboxRoot, debianFrrTar, haveSkopeo, skopeo, tarOf, tarOfDir, writeOciLayout } from '../helpers/images.js';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { residue } from '../helpers/lab.js';
import { haveRegistry, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { loadTopology } from '../../src/lab/load.js';

describe('labs on images (real nodes)', function () {
  leakcheckAround();
  this.timeout(600_000);
  let base = '';
  let store = '';
  let reg: TestRegistry | undefined;
  let bbRef = '';
  let bbFolder = '';

  before(async function () {
    requireRoot(this);
    if (!haveRegistry()) skip(this, 'docker-registry is not installed (scripts/install-deps installs it)');
    if (!haveSkopeo()) skip(this, 'skopeo is not installed (scripts/install-deps installs it)');
    base = mkdtempSync(join(tmpdir(), 'netlab-imglab-'));
    store = join(base, 'store');
    bbFolder = busyboxRoot(join(base, 'bbroot'));
    const busybox = tarOfDir(bbFolder);
    // A second layer that removes /etc/motd.old (whiteout) and empties /srv (opaque), then adds a file there.
    const lower = await tarOf([{ name: 'etc/motd.old', content: 'old\n' }, { name: 'srv/', type: 'directory' }, { name: 'srv/lower-only', content: 'x' }]);
    const upper = await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.motd.old' }, { name: 'srv/', type: 'directory' }, { name: 'srv/.wh..wh..opq' }, { name: 'srv/upper', content: 'y' }]);
    writeOciLayout(join(base, 'bb'), [{
      layers: [busybox, lower, upper], ref: 'bb',
      run: { Env: ['PATH=/bin:/usr/bin', 'GREETING=hello from the image'], Entrypoint: ['sh', '-c'], Cmd: ['echo "main: $GREETING, uid $(id -u), in $(pwd)"; exec sleep 100000'], WorkingDir: '/home/app', User: 'app' },
    }]);
    reg = await startRegistry();
    skopeo(['copy', '--dest-tls-verify=false', `oci:${join(base, 'bb')}:bb`, `docker://${reg.host}/lab/busybox:1`]);
    bbRef = `${reg.host}/lab/busybox:1`;
  });
  after(async () => {
    await reg?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const topo = (text: string, images: Record<string, string>): Topology => {
    const t = loadTopology({ text }, { env: {} });
    for (const [n, img] of Object.entries(images)) t.nodes.find((x) => x.name === n)!.image = img;
    return t;
  };
  const consoleOf = (lab: string, node: string): string => {
    try { return readFileSync(join(nodeDir(lab, node), 'console.log'), 'utf8'); } catch { return ''; }
  };

  describe('a busybox host from a pulled image', function () {
    let lab: Lab;
    before(async () => {
      lab = await Lab.up(topo('name: t-img-bb\nnodes:\n  h1: {}\n  h2: {}\nlinks:\n  - [h1:eth1, h2:eth1]\n', { h1: bbRef, h2: bbRef }), { imageStore: store, insecure: true });
    });
    after(async () => { await lab?.down(); });

    it('runs the image\'s Entrypoint + Cmd as its User, in its WorkingDir, with its Env', async () => {
      await poll('the main process', 10_000, async () => {
        const c = consoleOf(lab.name, 'h1');
        return c.includes('main: hello from the image, uid 1000, in /home/app') ? { done: true, value: undefined } : { done: false, seen: c };
      });
      const ps = await lab.exec('h1', ['ps', '-o', 'user,args']);
      expect(ps.stdout).to.match(/app\s+sleep 100000/);
    });

    it('shows the layers as one root: a whiteout hides a file, an opaque directory the lower layer\'s', async () => {
      const r = await lab.exec('h1', ['sh', '-c', 'ls /srv; test -e /etc/motd.old && echo motd-still-there; cat /etc/hostname; echo $GREETING']);
      expect(r.stdout).to.equal('upper\nh1\nhello from the image\n');
    });

    it('writes only to the node\'s own upper layer: the layers in the store are untouched', async () => {
      const before = readdirSync(join(store, 'layers')).map((l) => statSync(join(store, 'layers', l)).mtimeMs);
      expect((await lab.exec('h1', ['sh', '-c', 'echo mine > /etc/passwd && rm /bin/ls && cat /etc/passwd'])).stdout).to.equal('mine\n');
      expect((await lab.exec('h2', ['sh', '-c', 'head -1 /etc/passwd; ls -d /bin/ls'])).stdout).to.equal('root:x:0:0:root:/root:/bin/sh\n/bin/ls\n');
      expect(readdirSync(join(store, 'layers')).map((l) => statSync(join(store, 'layers', l)).mtimeMs)).to.deep.equal(before);
    });

    it('pings its neighbour', async () => {
      const s = await lab.status();
      const h2 = s.nodes.find((n) => n.name === 'h2')!.interfaces[0]!.ipv4!.split('/')[0]!;
      const r = await lab.exec('h1', ['ping', '-c1', '-W2', h2]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    });

    it('shows each node\'s image and digest in netlab status', async () => {
      const s = await lab.status();
      const img = s.nodes.find((n) => n.name === 'h1')!.image!;
      expect(img.name).to.equal(bbRef);
      expect(img.digest).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(img.id).to.match(/^sha256:[0-9a-f]{64}$/);
    });

    it('refuses to remove the image while the lab runs', async () => {
      try {
        await removeImage(bbRef, { store });
        expect.fail('removed');
      } catch (err) {
        expect((err as NetlabError).message).to.contain(`used by running lab ${lab.name}`);
      }
    });
  });

  describe('a lab mixing host-root nodes with pulled, imported and folder images', function () {
    let lab: Lab | undefined;
    let layersBefore: string[] = [];
    before(async function () {
      const deb = debianFrrTar();
      if (!deb.tar) skip(this, deb.why!);
      // An extra layer marks the image, to tell its files from the host's.
      const marker = await tarOf([{ name: 'etc/netlab-image', content: 'debian12-frr\n' }]);
      writeOciLayout(join(base, 'debian'), [{ layers: [readFileSync(deb.tar!), marker], gzip: false, ref: 'debian' }]);
      skopeo(['copy', `oci:${join(base, 'debian')}:debian`, `docker-archive:${join(base, 'debian.tar')}:lab/debian-frr:12`]);
      const t = topo(`
name: t-img-mix
ospf: { area: 0 }
nodes:
  r1: { kind: frr }
  r2: { kind: frr }
  r3: { kind: bird }
  h0: { gateway: r1 }
  h1: { gateway: r1 }
  h2: { gateway: r2 }
  h3: { gateway: r2 }
links:
  - [r1:eth1, r2:eth1]
  - [h0:eth1, r1:eth2]
  - [h1:eth1, r1:eth3]
  - [h2:eth1, r2:eth2]
  - [h3:eth1, r2:eth3]
  - [r3:eth1, r2:eth4]
`, { r2: join(base, 'debian.tar'), r3: join(base, 'debian.tar'), h1: bbRef, h2: join(base, 'debian.tar'), h3: bbFolder });
      lab = await Lab.up(t, { imageStore: store, insecure: true });
      layersBefore = readdirSync(join(store, 'layers')).sort();
    });
    after(async () => { await lab?.down(); });

    it('forms an OSPF adjacency between the FRR-image router and the host-FRR router', async () => {
      await lab!.waitFor(async () => {
        const r = await lab!.exec('r2', ['vtysh', '-c', 'show ip ospf neighbor']);
        return /Full/.test(r.stdout) ? r.stdout : undefined;
      }, { timeoutMs: 60_000, what: 'r2 to reach Full with r1' });
    });

    it('forms an OSPF adjacency between the BIRD-image router and the FRR-image router', async () => {
      await lab!.waitFor(async () => {
        const r = await lab!.exec('r3', ['birdc', 'show', 'ospf', 'neighbors']);
        return /Full/.test(r.stdout) ? r.stdout : undefined;
      }, { timeoutMs: 60_000, what: 'r3 to reach Full with r2' });
    });

    it('runs the image\'s FRR from the image\'s root, not the host\'s', async () => {
      const r = await lab!.exec('r2', ['sh', '-c', 'cat /etc/netlab-image; test -x /usr/lib/frr/zebra && echo zebra; pgrep -x zebra >/dev/null && echo running']);
      expect(r.stdout).to.equal('debian12-frr\nzebra\nrunning\n');
      expect((await lab!.exec('r1', ['sh', '-c', 'test -e /etc/netlab-image || echo host-root'])).stdout).to.equal('host-root\n');
    });

    it('lets hosts on every kind of root ping each other across the routers', async () => {
      const s = await lab!.status();
      const addr = (n: string): string => s.nodes.find((x) => x.name === n)!.interfaces[0]!.ipv4!.split('/')[0]!;
      for (const [from, to] of [['h1', 'h2'], ['h3', 'h0'], ['h2', 'h1'], ['h0', 'h3']] as const) {
        await lab!.waitFor(async () => (await lab!.exec(from, ['ping', '-c1', '-W1', addr(to)])).code === 0, { timeoutMs: 60_000, what: `${from} to ping ${to}` });
      }
    });

    it('unpacked each image once and takes the lab down leaving the host clean and the store intact', async () => {
      expect(listImages({ store }).images.map((i) => i.names[0]).sort()).to.include(bbRef.replace(/^/, '')).and.have.length(2);
      const name = lab!.name;
      await lab!.down();
      lab = undefined;
      expect(residue(name)).to.deep.equal([]);
      expect(readdirSync(join(store, 'layers')).sort()).to.deep.equal(layersBefore);
    });
  });

  describe('a kernel before Linux 6.8 (one lowerdir string of at most 255 bytes)', function () {
    let lab: Lab | undefined;
    before(async () => {
      process.env.NETLAB_TEST_NO_LOWERDIR_PLUS = '1';
      // A store with a long path: three layers' full paths would not fit in 255 bytes.
      const longStore = join(base, 'a'.repeat(100), 'store');
      lab = await Lab.up(topo('name: t-img-oldk\nnodes:\n  h1: {}\nlinks: []\n', { h1: bbRef }), { imageStore: longStore, insecure: true });
    });
    after(async () => { delete process.env.NETLAB_TEST_NO_LOWERDIR_PLUS; await lab?.down(); });

    it('mounts the image\'s layers by their short names', async () => {
      expect((await lab!.exec('h1', ['ls', '/srv'])).stdout).to.equal('upper\n');
    });
  });

  describe('image problems stop up before anything exists', function () {
    const refused = async (t: Topology): Promise<NetlabError> => {
      try {
        const lab = await Lab.up(t, { imageStore: store, insecure: true });
        await lab.down();
      } catch (err) {
        expect(residue(t.name)).to.deep.equal([]);
        return err as NetlabError;
      }
      throw new Error('up went through');
    };

    it('names the node of an unknown tag (exit 2)', async () => {
      const err = await refused(topo('name: t-img-bad1\nnodes:\n  a: {}\n  b: {}\nlinks: []\n', { b: `${reg!.host}/lab/busybox:nope` }));
      expect(err.exitCode).to.equal(2);
      expect(err.headline).to.match(/^nodes\.b\.image: .*tag nope not found/);
    });

    it('says an unreachable registry is the network (exit 1)', async () => {
      const err = await refused(topo('name: t-img-bad2\nnodes:\n  a: {}\nlinks: []\n', { a: '127.0.0.1:9/lab/busybox:1' }));
      expect(err.exitCode).to.equal(1);
      expect(err.headline).to.contain('nodes.a.image');
    });

    it('refuses kind frr on an image without FRR, naming the node (exit 2)', async () => {
      const err = await refused(topo('name: t-img-bad3\nnodes:\n  r: { kind: frr }\nlinks: []\n', { r: bbRef }));
      expect(err.exitCode).to.equal(2);
      expect(err.headline).to.contain('nodes.r.image: kind frr needs /usr/lib/frr/zebra');
    });

    it('refuses a missing archive (exit 2)', async () => {
      const err = await refused(topo('name: t-img-bad4\nnodes:\n  a: {}\nlinks: []\n', { a: join(base, 'missing.tar') }));
      expect(err.exitCode).to.equal(2);
      expect(err.message).to.contain('does not exist');
    });
  });

});
