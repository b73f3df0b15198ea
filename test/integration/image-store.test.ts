/**
 * The image store on a real filesystem: layers unpacked with overlayfs
 * whiteouts and opaque directories, hostile and damaged input refused with
 * nothing left behind, a full disk, Docker archives and OCI layouts made by
 * skopeo, and rm/prune keeping what labs use. Needs root (mknod of
 * whiteouts, trusted.* xattrs); no namespaces.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetlabError } from '../../src/errors.js';
import { importImage, listImages, pruneImages, removeImage, resolveImage } from '../../src/image/index.js';
import { getXattr } from '../../src/image/libc.js';
import { findInLayers } from '../../src/image/root-view.js';
import { busyboxRoot, haveSkopeo, skopeo, tarOf, tarOfDir, writeOciLayout, type FixtureImage } from '../helpers/images.js';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { netlab } from '../helpers/lab.js';

describe('image store (real files)', function () {
  leakcheckAround();
  let base = '';
  let busybox: Buffer;
  before(function () {
    requireRoot(this);
    base = mkdtempSync(join(tmpdir(), 'netlab-imgstore-'));
    busybox = tarOfDir(busyboxRoot(join(base, 'bbroot')));
  });
  after(() => { if (base) rmSync(base, { recursive: true, force: true }); });

  let n = 0;
  /** A fresh store folder and an OCI layout of `images`. */
  function fixture(images: FixtureImage[]): { store: string; layout: string } {
    const dir = join(base, `f${++n}`);
    writeOciLayout(join(dir, 'layout'), images);
    return { store: join(dir, 'store'), layout: join(dir, 'layout') };
  }

  /** Whatever the store holds besides its own empty folders and files. */
  function contents(store: string): string[] {
    if (!existsSync(store)) return [];
    const out: string[] = [];
    for (const d of ['layers', 'meta', 'tmp']) {
      try { out.push(...readdirSync(join(store, d)).map((f) => `${d}/${f}`)); } catch { /* none */ }
    }
    return out;
  }

  async function refused(p: Promise<unknown>): Promise<NetlabError> {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(NetlabError);
      return err as NetlabError;
    }
    throw new Error('it was accepted');
  }

  it('turns .wh.<name> into an overlayfs whiteout and .wh..wh..opq into an opaque directory', async () => {
    const top = await tarOf([
      { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.group' },
      { name: 'home/', type: 'directory' }, { name: 'home/.wh..wh..opq' }, { name: 'home/new/', type: 'directory' },
      { name: 'hello', content: 'world\n' },
    ]);
    const f = fixture([{ layers: [busybox, top], ref: 'docker.io/library/t:wh' }]);
    await importImage(f.layout, { store: f.store });
    const r = await resolveImage('t:wh', { store: f.store, pull: 'never' });
    const upper = r.lowerDirs[0]!;
    const wh = lstatSync(join(upper, 'etc/group'));
    expect(wh.isCharacterDevice() && wh.rdev === 0, 'etc/group is a 0/0 character device').to.equal(true);
    expect(getXattr(join(upper, 'home'), 'trusted.overlay.opaque')?.toString()).to.equal('y');
    expect(existsSync(join(upper, 'home/.wh..wh..opq'))).to.equal(false);
    // As a node will see it: group gone, passwd from the lower layer, home/app hidden, hello added.
    expect(findInLayers(r.lowerDirs, '/etc/group')).to.equal(undefined);
    expect(findInLayers(r.lowerDirs, '/etc/passwd')).to.equal(join(r.lowerDirs[1]!, 'etc/passwd'));
    expect(findInLayers(r.lowerDirs, '/home/app')).to.equal(undefined);
    expect(findInLayers(r.lowerDirs, '/home/new')).to.equal(join(upper, 'home/new'));
    expect(readFileSync(findInLayers(r.lowerDirs, '/hello')!, 'utf8')).to.equal('world\n');
  });

  it('keeps a file that a whiteout of the same layer names (a whiteout hides lower layers only)', async () => {
    const top = await tarOf([{ name: 'x', content: 'kept' }, { name: '.wh.x' }]);
    const f = fixture([{ layers: [top], ref: 'docker.io/library/t:same' }]);
    await importImage(f.layout, { store: f.store });
    const r = await resolveImage('t:same', { store: f.store, pull: 'never' });
    expect(readFileSync(join(r.lowerDirs[0]!, 'x'), 'utf8')).to.equal('kept');
  });

  it('keeps owners, modes (setuid too), symlinks, hardlinks and file capabilities', async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // cap_net_raw+ep
    const layer = await tarOf([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/su', content: 'x', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'bin/ping', content: 'p', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': cap.toString('utf8') } },
      { name: 'home/', type: 'directory' }, { name: 'home/u/', type: 'directory', uid: 1000, gid: 1000, mode: 0o700 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/ln', type: 'link', linkname: 'bin/su' },
    ]);
    const f = fixture([{ layers: [layer], ref: 'docker.io/library/t:attrs' }]);
    await importImage(f.layout, { store: f.store });
    const dir = (await resolveImage('t:attrs', { store: f.store, pull: 'never' })).lowerDirs[0]!;
    expect(statSync(join(dir, 'bin/su')).mode & 0o7777).to.equal(0o4755);
    const home = statSync(join(dir, 'home/u'));
    expect([home.uid, home.gid, home.mode & 0o777]).to.deep.equal([1000, 1000, 0o700]);
    expect(lstatSync(join(dir, 'bin/sh')).isSymbolicLink()).to.equal(true);
    expect(statSync(join(dir, 'bin/ln')).ino).to.equal(statSync(join(dir, 'bin/su')).ino);
    expect(getXattr(join(dir, 'bin/ping'), 'security.capability')).to.deep.equal(cap);
  });

  it('keeps user xattrs and skips trusted.* ones a layer brings, with a warning', async () => {
    const layer = await tarOf([
      { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.dir': 'kept' } },
      { name: 'd/f', content: 'x', pax: { 'SCHILY.xattr.user.note': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]);
    const f = fixture([{ layers: [layer], ref: 'docker.io/library/t:xattr' }]);
    const warnings: string[] = [];
    await importImage(f.layout, { store: f.store, onWarning: (w) => warnings.push(w) });
    const dir = (await resolveImage('t:xattr', { store: f.store, pull: 'never' })).lowerDirs[0]!;
    expect(getXattr(join(dir, 'd/f'), 'user.note')?.toString()).to.equal('hello');
    expect(getXattr(join(dir, 'd'), 'user.dir')?.toString()).to.equal('kept');
    expect(getXattr(join(dir, 'd'), 'trusted.overlay.opaque')).to.equal(undefined);
    expect(getXattr(join(dir, 'd/f'), 'trusted.overlay.redirect')).to.equal(undefined);
    expect(warnings.join('\n')).to.contain('/d: extended attribute trusted.overlay.opaque skipped').and.contain('/d/f: extended attribute trusted.overlay.redirect skipped');
  });

  it('unpacks zstd layers (OCI +zstd) as well as gzip and plain ones', async function () {
    if (spawnSync('zstd', ['--version']).status !== 0) skip(this, 'the zstd program is not installed (scripts/install-deps installs it)');
    const f = fixture([{ layers: [busybox, await tarOf([{ name: 'z', content: 'zstd layer\n' }])], zstd: true, ref: 'docker.io/library/t:zstd' }]);
    await importImage(f.layout, { store: f.store });
    const r = await resolveImage('t:zstd', { store: f.store, pull: 'never' });
    expect(readFileSync(findInLayers(r.lowerDirs, '/z')!, 'utf8')).to.equal('zstd layer\n');
    expect(findInLayers(r.lowerDirs, '/bin/busybox')).to.be.a('string');
  });

  it('refuses an entry that climbs out with .. and leaves nothing in the store (exit 2)', async () => {
    const evil = await tarOf([{ name: 'ok', content: '1' }, { name: '../../escaped', content: 'x' }]);
    const f = fixture([{ layers: [evil], ref: 'docker.io/library/t:dotdot' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.exitCode).to.equal(2);
    expect(err.message).to.match(/unsafe layer: .*outside the layer/);
    expect(contents(f.store)).to.deep.equal([]);
    expect(existsSync(join(f.store, '..', 'escaped'))).to.equal(false);
  });

  it('refuses to write through a symlink the same layer made (symlink, then a file through it)', async () => {
    const target = join(base, 'victim');
    mkdirSync(target, { recursive: true });
    const evil = await tarOf([{ name: 'x', type: 'symlink', linkname: target }, { name: 'x/owned', content: 'x' }]);
    const f = fixture([{ layers: [evil], ref: 'docker.io/library/t:symlink' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.message).to.match(/goes through x, which is a symlink/);
    expect(readdirSync(target)).to.deep.equal([]);
    expect(contents(f.store)).to.deep.equal([]);
  });

  it('refuses a file through a folder that a later entry turned into a symlink', async () => {
    const target = join(base, 'victim2');
    mkdirSync(target, { recursive: true });
    // 300 files in a folder; the symlink replaces the folder; the last entry tries to go through it (netlab-unpack keeps the folder open for the files before).
    const many = Array.from({ length: 300 }, (_, i) => ({ name: `d/f${i}`, content: randomBytes(4096) }));
    const evil = await tarOf([{ name: 'd/', type: 'directory' }, ...many, { name: 'd', type: 'symlink', linkname: target }, { name: 'd/owned', content: 'x' }]);
    const f = fixture([{ layers: [evil], ref: 'docker.io/library/t:race' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.message).to.match(/goes through d, which is a symlink/);
    expect(readdirSync(target)).to.deep.equal([]);
    expect(contents(f.store)).to.deep.equal([]);
  });

  it('applies entries of one name in tar order, the last one winning', async () => {
    const layer = await tarOf([
      { name: 'n', content: 'first' }, { name: 'n/', type: 'directory' }, { name: 'n/inner', content: 'x' }, { name: 'n', content: 'last' },
      { name: 'm/', type: 'directory' }, { name: 'm', content: 'a file now' },
      { name: 's', content: 'a file' }, { name: 's', type: 'symlink', linkname: 'n' },
      { name: 'h', content: 'target' }, { name: 'hl', type: 'link', linkname: 'h' },
      { name: 'dup', content: 'one' }, { name: 'dup', content: 'two' },
      ...Array.from({ length: 200 }, (_, i) => ({ name: `many/f${i}`, content: `${i}` })),
      { name: 'many/f7', content: 'again' },
    ]);
    const f = fixture([{ layers: [layer], ref: 'docker.io/library/t:order' }]);
    await importImage(f.layout, { store: f.store });
    const dir = (await resolveImage('t:order', { store: f.store, pull: 'never' })).lowerDirs[0]!;
    expect(readFileSync(join(dir, 'n'), 'utf8')).to.equal('last');
    expect(readFileSync(join(dir, 'm'), 'utf8')).to.equal('a file now');
    expect(lstatSync(join(dir, 's')).isSymbolicLink()).to.equal(true);
    expect(statSync(join(dir, 'hl')).ino).to.equal(statSync(join(dir, 'h')).ino);
    expect(readFileSync(join(dir, 'dup'), 'utf8')).to.equal('two');
    expect(readdirSync(join(dir, 'many'))).to.have.length(200);
    expect(readFileSync(join(dir, 'many/f7'), 'utf8')).to.equal('again');
    expect(readFileSync(join(dir, 'many/f199'), 'utf8')).to.equal('199');
  });

  it('imports many small images one after another in one process (each layer\'s helpers end cleanly)', async () => {
    // Threads of a layer used to be terminated from outside, sometimes while loading
    // koffi, which aborted the whole process (about one run in two of 60 imports);
    // each layer also starts netlab-unpack.
    const layer = await tarOf([{ name: 'a', content: 'x' }]);
    for (let i = 0; i < 60; i++) {
      const f = fixture([{ layers: [layer], ref: `docker.io/library/t:many${i}` }]);
      await importImage(f.layout, { store: f.store });
    }
  });

  it('refuses a hardlink to a file outside its layer', async () => {
    for (const linkname of ['../../../etc/passwd', '/etc/passwd']) {
      const evil = await tarOf([{ name: 'l', type: 'link', linkname }]);
      const f = fixture([{ layers: [evil], ref: 'docker.io/library/t:hardlink' }]);
      const err = await refused(importImage(f.layout, { store: f.store }));
      expect(err.exitCode, linkname).to.equal(2);
      expect(contents(f.store), linkname).to.deep.equal([]);
    }
  });

  it('skips device files other than whiteouts, with a warning', async () => {
    const layer = await tarOf([{ name: 'dev/', type: 'directory' }, { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }, { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 }]);
    const f = fixture([{ layers: [layer], ref: 'docker.io/library/t:dev' }]);
    const warnings: string[] = [];
    await importImage(f.layout, { store: f.store, onWarning: (w) => warnings.push(w) });
    const dir = (await resolveImage('t:dev', { store: f.store, pull: 'never' })).lowerDirs[0]!;
    expect(readdirSync(join(dir, 'dev'))).to.deep.equal([]);
    expect(warnings.join('\n')).to.contain('2 device files skipped (/dev/sda, /dev/mem)');
  });

  it('refuses a layer with a damaged tar header instead of skipping to the next good one (exit 2)', async () => {
    const layer = await tarOf([{ name: 'a', content: 'a' }, { name: 'b', content: 'b' }, { name: 'c', content: 'c' }]);
    // b's header follows a's (512-byte header, 512-byte block): one changed byte of its name breaks its checksum.
    layer[1024] ^= 0x20;
    const f = fixture([{ layers: [layer], ref: 'docker.io/library/t:checksum' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.exitCode).to.equal(2);
    expect(err.message).to.match(/damaged or truncated \(Invalid tar header: Damaged tar archive/);
    expect(contents(f.store).filter((c) => !c.startsWith('meta/'))).to.deep.equal([]);
  });

  it('keeps file names as the layer spells them: PAX UTF-8 names and raw bytes of other charsets', async () => {
    const src = join(base, 'names');
    const latin1 = Buffer.from('caf\xe9', 'latin1');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'naïve ü'), 'utf8');
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), latin1]), 'latin1');
    for (const format of ['pax', 'gnu']) {
      const r = spawnSync('tar', ['-C', src, `--format=${format}`, '-cf', '-', '.'], { env: { ...process.env, LC_ALL: 'C' } });
      expect(r.status, r.stderr.toString()).to.equal(0);
      const f = fixture([{ layers: [r.stdout], ref: `docker.io/library/t:names-${format}` }]);
      await importImage(f.layout, { store: f.store });
      const dir = (await resolveImage(`t:names-${format}`, { store: f.store, pull: 'never' })).lowerDirs[0]!;
      const names = readdirSync(dir, { encoding: 'buffer' }).map((b) => b.toString('hex')).sort();
      expect(names, format).to.deep.equal([Buffer.from('naïve ü').toString('hex'), latin1.toString('hex')].sort());
      expect(readFileSync(join(dir, 'naïve ü'), 'utf8')).to.equal('utf8');
    }
  });

  it('refuses layers with the command that installs libarchive when it cannot be loaded, keeping nothing', async () => {
    const f = fixture([{ layers: [await tarOf([{ name: 'a', content: 'a' }])], ref: 'docker.io/library/t:nolib' }]);
    process.env.NETLAB_LIBARCHIVE = 'libarchive-not-installed.so.13';
    try {
      const err = await refused(importImage(f.layout, { store: f.store }));
      expect(err.message).to.contain('libarchive, which reads image layers, cannot be loaded').and.contain('libarchive-not-installed.so.13');
      expect(err.hint).to.contain('apt install libarchive13');
    } finally {
      delete process.env.NETLAB_LIBARCHIVE;
    }
    expect(listImages({ store: f.store }).images).to.deep.equal([]);
    expect(contents(f.store).filter((c) => !c.startsWith('meta/'))).to.deep.equal([]);
  });

  it('names the layer whose digest does not match, and stores nothing of the image', async () => {
    const f = fixture([{ layers: [busybox, await tarOf([{ name: 'a', content: 'a' }])], ref: 'docker.io/library/t:bad' }]);
    const idx = JSON.parse(readFileSync(join(f.layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(readFileSync(join(f.layout, 'blobs/sha256', idx.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    const blob = join(f.layout, 'blobs/sha256', manifest.layers[1]!.digest.slice(7));
    const { gzipSync } = await import('node:zlib');
    writeFileSync(blob, gzipSync(await tarOf([{ name: 'a', content: 'b' }])));
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.headline).to.contain(`layer 2 of 2 (${manifest.layers[1]!.digest})`).and.contain('digest mismatch');
    expect(err.exitCode).to.equal(2);
    expect(listImages({ store: f.store }).images).to.deep.equal([]);
    expect(contents(f.store).filter((c) => !c.startsWith('layers/') && !c.startsWith('meta/'))).to.deep.equal([]);
  });

  it('refuses an unsupported layer media type, naming it (exit 2)', async () => {
    const f = fixture([{ layers: [busybox], ref: 'docker.io/library/t:bz', layerMediaType: 'application/vnd.oci.image.layer.v1.tar+bzip2' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.exitCode).to.equal(2);
    expect(err.message).to.contain('unsupported media type application/vnd.oci.image.layer.v1.tar+bzip2');
    expect(contents(f.store)).to.deep.equal([]);
  });

  it('refuses an image for another architecture, naming both (exit 2)', async () => {
    const f = fixture([{ layers: [busybox], ref: 'docker.io/library/t:arm', architecture: 'arm64' }]);
    const err = await refused(importImage(f.layout, { store: f.store }));
    expect(err.exitCode).to.equal(2);
    expect(err.message).to.contain('no image for this machine (linux/amd64)').and.contain('linux/arm64');
    expect(contents(f.store)).to.deep.equal([]);
  });

  describe('Docker archives (skopeo)', function () {
    let f: { store: string; layout: string };
    let archive = '';
    before(async function () {
      if (!haveSkopeo()) skip(this, 'skopeo is not installed (scripts/install-deps installs it)');
      f = fixture([{ layers: [busybox, await tarOf([{ name: 'etc/motd', content: 'hi\n' }])], ref: 'docker.io/library/t:arch', run: { Cmd: ['sh'] } }]);
      archive = join(base, 'docker.tar');
      skopeo(['copy', `oci:${f.layout}:docker.io/library/t:arch`, `docker-archive:${archive}:lab/bb:1`]);
    });

    it('imports a Docker archive to the same image ID as the OCI layout it came from, unpacking shared layers once', async () => {
      const [fromLayout] = await importImage(f.layout, { store: f.store });
      const layersBefore = readdirSync(join(f.store, 'layers')).map((l) => `${l}:${statSync(join(f.store, 'layers', l)).ino}`).sort();
      const states: string[] = [];
      const [fromArchive] = await importImage(archive, { store: f.store, onProgress: (e) => { if (e.state === 'present') states.push('present'); } });
      expect(fromArchive!.id).to.equal(fromLayout!.id);
      expect(fromArchive!.refs).to.include('docker.io/lab/bb:1');
      const layersAfter = readdirSync(join(f.store, 'layers')).map((l) => `${l}:${statSync(join(f.store, 'layers', l)).ino}`).sort();
      expect(layersAfter).to.deep.equal(layersBefore);
      expect(readdirSync(join(f.store, 'tmp'))).to.deep.equal([]);
    });

    it('imports an unchanged archive named again with one stat, not a second read', async () => {
      const store = join(base, 'again-store');
      const first = await resolveImage(archive, { store });
      let events = 0;
      const second = await resolveImage(archive, { store, onProgress: () => { events++; } });
      expect(second.record!.id).to.equal(first.record!.id);
      expect(events).to.equal(0);
    });

    it('imports, lists, inspects and removes through the netlab image commands', () => {
      const env = { NETLAB_STORE: join(base, 'cli-store') };
      const imp = netlab(['image', 'import', '-q', '--tag', 'lab/bb:cli', archive], env);
      expect(imp.code, imp.stderr).to.equal(0);
      expect(imp.stdout).to.contain('imported docker.io/lab/bb:1, docker.io/lab/bb:cli').and.contain('linux/amd64  2 layers');
      const ls = netlab(['image', 'ls'], env);
      expect(ls.code, ls.stderr).to.equal(0);
      expect(ls.stdout).to.match(/^IMAGE\s+ID\s+PLATFORM\s+LAYERS\s+SIZE\s+USED BY$/m).and.match(/^lab\/bb:1\s+[0-9a-f]{12}\s+linux\/amd64\s+2\s+/m);
      expect(ls.stdout).to.match(/1 image, 2 layers: .* on disk; store /);
      const insp = netlab(['image', 'inspect', 'lab/bb:cli'], env);
      expect(insp.code, insp.stderr).to.equal(0);
      expect(insp.stdout).to.contain('cmd       ["sh"]').and.contain('layers (bottom first)');
      const json = JSON.parse(netlab(['image', 'inspect', '--json', 'lab/bb:1'], env).stdout) as { layerDirs: { present: boolean }[] };
      expect(json.layerDirs.map((l) => l.present)).to.deep.equal([true, true]);
      expect(netlab(['image', 'rm', 'lab/bb:cli'], env).stdout).to.equal('untagged lab/bb:cli\n');
      const rm = netlab(['image', 'rm', 'lab/bb:1'], env);
      expect(rm.stdout).to.match(/removed lab\/bb:1: 2 layers, .* freed/);
      const gone = netlab(['image', 'inspect', 'lab/bb:1'], env);
      expect(gone.code).to.equal(2);
      expect(gone.stderr).to.contain('error: image lab/bb:1: is not in the image store').and.contain('hint:');
      expect(netlab(['image', 'prune', '--all'], env).stdout).to.contain('removed 0 images and 0 layers');
    });

    it('imports an OCI archive (podman save --format oci-archive) to the same image ID', async () => {
      const oci = join(base, 'oci.tar');
      skopeo(['copy', `oci:${f.layout}:docker.io/library/t:arch`, `oci-archive:${oci}:lab/bb:oci`]);
      const store = join(base, 'oci-store');
      const [fromLayout] = await importImage(f.layout, { store: join(base, 'oci-store-layout') });
      const [fromOci] = await importImage(oci, { store });
      expect(fromOci!.id).to.equal(fromLayout!.id);
      const r = await resolveImage(oci, { store, pull: 'never' });
      expect(readFileSync(findInLayers(r.lowerDirs, '/etc/motd')!, 'utf8')).to.equal('hi\n');
    });

    it('refuses a truncated archive and leaves no partial layer (exit 2)', async () => {
      const cut = join(base, 'cut.tar');
      writeFileSync(cut, readFileSync(archive).subarray(0, Math.floor(statSync(archive).size * 0.6)));
      const store = join(base, 'cut-store');
      const err = await refused(importImage(cut, { store }));
      expect(err.exitCode).to.equal(2);
      expect(contents(store)).to.deep.equal([]);
    });

    it('refuses a file that is not an image archive', async () => {
      const junk = join(base, 'junk.tar');
      writeFileSync(junk, Buffer.alloc(10_000, 7));
      const err = await refused(importImage(junk, { store: join(base, 'junk-store') }));
      expect(err.exitCode).to.equal(2);
      expect(err.message).to.match(/tar archive|not an image archive/);
    });
  });

  describe('a full disk', function () {
    let mnt = '';
    before(function () {
      mnt = join(base, 'small');
      mkdirSync(mnt);
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'netlab-test', mnt]);
      if (r.status !== 0) skip(this, `cannot mount a small tmpfs: ${r.stderr}`);
    });
    after(() => { if (mnt) spawnSync('umount', [mnt]); });

    it('removes the partial layer when the disk fills up and keeps the store usable', async () => {
      const store = join(mnt, 'store');
      const small = fixture([{ layers: [await tarOf([{ name: 'a', content: 'small' }])], ref: 'docker.io/library/t:small' }]);
      await importImage(small.layout, { store });
      const big = fixture([{ layers: [await tarOf([{ name: 'big', content: Buffer.alloc(5 * 1024 * 1024, 1) }])], ref: 'docker.io/library/t:big' }]);
      const err = await refused(importImage(big.layout, { store }));
      expect(err.message).to.contain('no space left');
      expect(err.hint).to.contain('prune');
      expect(readdirSync(join(store, 'tmp'))).to.deep.equal([]);
      expect(listImages({ store }).images.map((i) => i.names[0])).to.deep.equal(['t:small']);
      const r = await resolveImage('t:small', { store, pull: 'never' });
      expect(readFileSync(join(r.lowerDirs[0]!, 'a'), 'utf8')).to.equal('small');
    });
  });

  describe('rm and prune', function () {
    const runDir = join(tmpdir(), `netlab-imgstore-run-${process.pid}`);
    let store = '';
    before(async () => {
      store = join(base, 'gc-store');
      const top1 = await tarOf([{ name: 'one', content: '1' }]);
      const top2 = await tarOf([{ name: 'two', content: '2' }]);
      await importImage(fixture([{ layers: [busybox, top1], ref: 'docker.io/library/t:one' }]).layout, { store });
      await importImage(fixture([{ layers: [busybox, top2], ref: 'docker.io/library/t:two' }]).layout, { store });
      process.env.NETLAB_RUN_DIR = runDir;
    });
    after(() => { delete process.env.NETLAB_RUN_DIR; rmSync(runDir, { recursive: true, force: true }); });

    it('lists each image with its size, and the store\'s disk use counting shared layers once', () => {
      const { images, usage } = listImages({ store });
      expect(images.map((i) => i.names[0]).sort()).to.deep.equal(['t:one', 't:two']);
      expect(usage.layers).to.equal(3);
      expect(usage.unshared).to.be.greaterThan(usage.bytes);
    });

    it('refuses to remove an image a running lab uses', async () => {
      const r = await resolveImage('t:one', { store, pull: 'never' });
      mkdirSync(join(runDir, 'gc-lab'), { recursive: true });
      writeFileSync(join(runDir, 'gc-lab', 'images.json'), JSON.stringify({ store, nodes: {}, images: [r.record!.id], layers: r.lowerDirs.map((d) => d.slice(-12)) }));
      const err = await refused(removeImage('t:one', { store }));
      expect(err.exitCode).to.equal(2);
      expect(err.message).to.contain('used by running lab gc-lab');
      const pruned = await pruneImages({ store, all: true });
      expect(pruned.images).to.have.length(1); // t:two only
      expect(listImages({ store }).images.map((i) => i.names[0])).to.deep.equal(['t:one']);
      for (const d of r.lowerDirs) expect(existsSync(d), d).to.equal(true);
      rmSync(join(runDir, 'gc-lab'), { recursive: true, force: true });
    });

    it('removes an image and the layers no other image needs, and prune removes leftovers of dead pulls', async () => {
      mkdirSync(join(store, 'tmp', 'layer-abcdefabcdef-999999-zz'), { recursive: true });
      const r = await removeImage('t:one', { store });
      expect(r.layers).to.equal(2);
      expect(readdirSync(join(store, 'layers'))).to.deep.equal([]);
      await pruneImages({ store });
      expect(readdirSync(join(store, 'tmp'))).to.deep.equal([]);
      expect(listImages({ store }).usage.bytes).to.equal(0);
    });
  });

  it('refuses a path that does not exist, and a folder without an OCI layout on import', async () => {
    const e1 = await refused(importImage(join(base, 'nope.tar'), { store: join(base, 's-none') }));
    expect(e1.exitCode).to.equal(2);
    expect(e1.message).to.contain('does not exist');
    const e2 = await refused(importImage(join(base, 'bbroot'), { store: join(base, 's-none') }));
    expect(e2.exitCode).to.equal(2);
    expect(e2.message).to.contain('root filesystem folder is used as it is');
  });

});
