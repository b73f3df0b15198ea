import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetlabError } from '../../src/errors.js';
import { findImage, putImage, type Catalog, type ImageRecord } from '../../src/image/catalog.js';
import { digestOf, parseDigest, verifyDigest } from '../../src/image/digest.js';
import { envMap, imageRun, resolveUser } from '../../src/image/run.js';
import { defaultStoreRoot, insideStore, layerId, Store } from '../../src/image/store.js';
import { authKeys, decodeAuthEntry, findCredentials } from '../../src/image/sources/auth.js';
import { parseChallenge, RegistryClient, usesProxy } from '../../src/image/sources/registry-client.js';
import { downloadable } from '../../src/image/unpack.js';
import { digestInName, memberName } from '../../src/image/sources/archive.js';
import { annotatedRef } from '../../src/image/sources/layout.js';

describe('image store: names and paths', () => {
  it('puts the store in /var/lib/netlab for root, the user\'s own folder otherwise, or $NETLAB_STORE', () => {
    expect(defaultStoreRoot({}, 0)).to.equal('/var/lib/netlab');
    expect(defaultStoreRoot({ HOME: '/home/ann' }, 1000)).to.equal('/home/ann/.local/share/netlab');
    expect(defaultStoreRoot({ HOME: '/home/ann', XDG_DATA_HOME: '/data' }, 1000)).to.equal('/data/netlab');
    expect(defaultStoreRoot({ NETLAB_STORE: '/tmp/s' }, 0)).to.equal('/tmp/s');
  });

  it('refuses any path that leaves the store', () => {
    expect(insideStore('/s', 'layers/abc')).to.equal('/s/layers/abc');
    for (const bad of ['../etc', 'layers/../../etc', '/etc/passwd', '', '.']) expect(() => insideStore('/s', bad), bad).to.throw(NetlabError, /not inside the image store/);
  });

  it('names a layer folder by 12 hex digits of its diff_id, and refuses anything else as an id', () => {
    const d = parseDigest(`sha256:${'ab'.repeat(32)}`)!;
    expect(layerId(d)).to.equal('abababababab');
    const s = new Store('/s');
    expect(s.layerPath('abababababab')).to.equal('/s/layers/abababababab');
    expect(() => s.layerPath('../x')).to.throw(NetlabError);
    expect(() => s.lockPath('a/b')).to.throw(NetlabError);
  });

  it('parses only well-formed sha256 and sha512 digests', () => {
    expect(parseDigest(`sha256:${'a'.repeat(64)}`)).to.deep.equal({ algorithm: 'sha256', hex: 'a'.repeat(64) });
    expect(parseDigest(`sha512:${'a'.repeat(128)}`)?.algorithm).to.equal('sha512');
    for (const bad of [`sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `md5:${'a'.repeat(32)}`, 'sha256:', `sha256:../${'a'.repeat(61)}`]) expect(parseDigest(bad), bad).to.equal(undefined);
  });

  it('names both digests and the object when content does not match (exit 1, or 2 for a user\'s file)', () => {
    const want = digestOf('a');
    try {
      verifyDigest('layer 2 of 3 of x', want, digestOf('b'));
      expect.fail('accepted');
    } catch (err) {
      expect((err as NetlabError).headline).to.match(/^layer 2 of 3 of x: digest mismatch: expected sha256:ca97/);
      expect((err as NetlabError).exitCode).to.equal(1);
    }
    expect(() => verifyDigest('f', want, digestOf('b'), true)).to.throw(NetlabError).with.property('exitCode', 2);
  });
});

describe('image store: layer entries', () => {
  it('tells which archive members are which blob', () => {
    expect(memberName('./manifest.json')).to.equal('manifest.json');
    expect(digestInName(`blobs/sha256/${'a'.repeat(64)}`)?.hex).to.equal('a'.repeat(64));
    expect(digestInName(`${'b'.repeat(64)}.json`)?.hex).to.equal('b'.repeat(64));
    expect(digestInName('abc/layer.tar')).to.equal(undefined);
    expect(digestInName(`blobs/sha256/../${'a'.repeat(61)}`)).to.equal(undefined);
  });

  it('takes a full reference from an OCI index annotation, not a bare tag', () => {
    expect(annotatedRef({ 'org.opencontainers.image.ref.name': 'docker.io/library/alpine:3.20' })).to.equal('docker.io/library/alpine:3.20');
    expect(annotatedRef({ 'io.containerd.image.name': 'frr:local' })).to.equal('docker.io/library/frr:local');
    expect(annotatedRef({ 'org.opencontainers.image.ref.name': '3.20' })).to.equal(undefined);
  });
});

describe('image store: the index', () => {
  const rec = (id: string, refs: string[], digests: string[] = [`sha256:${id.repeat(64)}`]): ImageRecord => ({
    id: `sha256:${id.repeat(64)}`, manifest: digests[0]!, digests, layers: [], platform: 'linux/amd64', size: 0, refs, source: 'registry', storedAt: '', run: {},
  });

  it('finds an image by reference, by digest and by an ID prefix', () => {
    const c: Catalog = { version: 1, images: {}, imports: {} };
    putImage(c, rec('a', ['docker.io/library/alpine:3.20']));
    putImage(c, rec('b', ['quay.io/frrouting/frr:10.2.1'], [`sha256:${'d'.repeat(64)}`]));
    expect(findImage(c, 'alpine:3.20')?.id).to.equal(`sha256:${'a'.repeat(64)}`);
    expect(findImage(c, `quay.io/frrouting/frr@sha256:${'d'.repeat(64)}`)?.id).to.equal(`sha256:${'b'.repeat(64)}`);
    expect(findImage(c, 'bbbbbbbb')?.id).to.equal(`sha256:${'b'.repeat(64)}`);
    expect(findImage(c, 'alpine:3.19')).to.equal(undefined);
  });

  it('moves a tag to the image pulled under it last', () => {
    const c: Catalog = { version: 1, images: {}, imports: {} };
    putImage(c, rec('a', ['docker.io/library/alpine:latest']));
    putImage(c, rec('b', ['docker.io/library/alpine:latest']));
    expect(c.images[`sha256:${'a'.repeat(64)}`]!.refs).to.deep.equal([]);
    expect(findImage(c, 'alpine')?.id).to.equal(`sha256:${'b'.repeat(64)}`);
  });
});

describe('image run config', () => {
  it('turns Env into a map, later entries winning', () => {
    expect(envMap(['A=1', 'B=x=y', 'A=2', 'C'])).to.deep.equal({ A: '2', B: 'x=y', C: '' });
  });

  it('resolves User by name, id and group from the image\'s own files', () => {
    const passwd = 'root:x:0:0::/root:/bin/sh\nfrr:x:100:101::/var/run/frr:/bin/false\n';
    const group = 'root:x:0:\nfrr:x:101:\nfrrvty:x:102:frr\n';
    expect(resolveUser('frr', passwd, group)).to.deep.equal({ uid: 100, gid: 101 });
    expect(resolveUser('frr:frrvty', passwd, group)).to.deep.equal({ uid: 100, gid: 102 });
    expect(resolveUser('1000', passwd, group)).to.deep.equal({ uid: 1000, gid: 0 });
    expect(resolveUser('100:5', passwd, group)).to.deep.equal({ uid: 100, gid: 5 });
    expect(() => resolveUser('nobody', passwd, group)).to.throw(/not in the image's \/etc\/passwd/);
    expect(() => resolveUser('frr:wheel', passwd, group)).to.throw(/group "wheel"/);
  });

  it('records ExposedPorts, Healthcheck and StopSignal with the run settings (for later work), Entrypoint before Cmd', () => {
    const hc = { Test: ['CMD', 'curl', '-f', 'http://localhost/'], Interval: 30_000_000_000 };
    const run = imageRun({ Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Healthcheck: hc, StopSignal: 'SIGQUIT', User: 'root' }, [], 'nodes.w.image', 'nginx');
    expect(run.argv).to.deep.equal(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(run.exposedPorts).to.deep.equal(['80/tcp', '443/tcp']);
    expect(run.healthcheck).to.deep.equal(hc);
    expect(run.stopSignal).to.equal('SIGQUIT');
    expect(run.user).to.equal(undefined);
  });
});

describe('registry credentials and auth', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-auth-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('looks for a repository\'s namespace before its registry, and Docker Hub under its old names', () => {
    expect(authKeys('quay.io', 'frrouting/frr').slice(0, 3)).to.deep.equal(['quay.io/frrouting/frr', 'quay.io/frrouting', 'quay.io']);
    expect(authKeys('docker.io', 'library/alpine')).to.include('https://index.docker.io/v1/');
  });

  it('decodes auth entries as docker login and podman login write them', () => {
    expect(decodeAuthEntry({ auth: Buffer.from('ann:s3:cret').toString('base64') })).to.deep.equal({ username: 'ann', password: 's3:cret' });
    expect(decodeAuthEntry({ identitytoken: 't' })).to.deep.equal({ identityToken: 't' });
    expect(decodeAuthEntry({})).to.equal(undefined);
  });

  it('reads containers\' auth.json before Docker\'s config.json', () => {
    mkdirSync(join(dir, 'home/.docker'), { recursive: true });
    mkdirSync(join(dir, 'home/.config/containers'), { recursive: true });
    const entry = (u: string): string => JSON.stringify({ auths: { 'quay.io': { auth: Buffer.from(`${u}:pw`).toString('base64') } } });
    writeFileSync(join(dir, 'home/.docker/config.json'), entry('docker-user'));
    expect(findCredentials('quay.io', 'x/y', { HOME: join(dir, 'home') })).to.deep.equal({ username: 'docker-user', password: 'pw' });
    writeFileSync(join(dir, 'home/.config/containers/auth.json'), entry('podman-user'));
    expect(findCredentials('quay.io', 'x/y', { HOME: join(dir, 'home') })).to.deep.equal({ username: 'podman-user', password: 'pw' });
    expect(findCredentials('ghcr.io', 'x/y', { HOME: join(dir, 'home') })).to.equal(undefined);
  });

  it('parses a Bearer challenge with quoted parameters', () => {
    const c = parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"');
    expect(c).to.deep.equal({ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } });
    expect(parseChallenge('Basic realm="Registry Realm"')?.scheme).to.equal('basic');
  });
});

describe('layers netlab-unpack downloads itself', () => {
  const sha256 = parseDigest(`sha256:${'ab'.repeat(32)}`)!;
  const sha512 = parseDigest(`sha512:${'ab'.repeat(64)}`)!;

  it('takes an uncompressed layer whose digests are SHA-256, and nothing else', () => {
    expect(downloadable({ compression: 'none', digest: sha256, diffId: sha256 })).to.equal(true);
    expect(downloadable({ compression: 'none' })).to.equal(true);
    for (const compression of ['gzip', 'zstd', 'auto'] as const) expect(downloadable({ compression, digest: sha256, diffId: sha256 }), compression).to.equal(false);
    expect(downloadable({ compression: 'none', digest: sha512, diffId: sha512 }), 'SHA-512: Node hashes it').to.equal(false);
    expect(downloadable({ compression: 'none', digest: sha256, diffId: sha512 })).to.equal(false);
  });

  it('loads the undici package for small requests only when a proxy variable is set (Node\'s own fetch otherwise)', () => {
    expect(usesProxy({})).to.equal(false);
    expect(usesProxy({ NO_PROXY: '*', no_proxy: 'x' }), 'NO_PROXY alone names no proxy').to.equal(false);
    expect(usesProxy({ HTTPS_PROXY: '' }), 'an empty one is none').to.equal(false);
    for (const v of ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']) expect(usesProxy({ [v]: 'http://proxy:3128' }), v).to.equal(true);
  });

  it('gives the blob\'s URL, no proxy for a registry on this machine, and the registry\'s own error wording', () => {
    const local = new RegistryClient('127.0.0.1:5000', 'lab/bb', { insecure: true }).download(sha256, 'layer 2');
    expect(local.url).to.equal(`http://127.0.0.1:5000/v2/lab/bb/blobs/sha256:${'ab'.repeat(32)}`);
    expect(local.direct).to.equal(true);
    expect(local.headers).to.deep.equal({}); // no token earned yet
    const err = local.answerError(404, '{"errors":[{"code":"BLOB_UNKNOWN"}]}');
    expect(err).to.be.instanceOf(NetlabError);
    expect(err.message).to.contain('layer 2 not found (HTTP 404 BLOB_UNKNOWN)');
    const remote = new RegistryClient('quay.io', 'frrouting/frr').download(sha256, 'layer 1');
    expect(remote.url).to.equal(`https://quay.io/v2/frrouting/frr/blobs/sha256:${'ab'.repeat(32)}`);
    expect(remote.direct).to.equal(false);
  });
});
