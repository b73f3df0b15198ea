import { expect } from 'chai';
import { NetlabError } from '../../src/errors.js';
import { hostPlatform, parseConfig, parseManifestDoc, platformMatches, selectPlatform, checkConfigPlatform } from '../../src/image/manifest.js';
import { layerCompression, sniffCompression, MEDIA } from '../../src/image/media.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const manifest = (layers: string[] = ['application/vnd.oci.image.layer.v1.tar+gzip'], config: string = MEDIA.ociConfig): string => JSON.stringify({
  schemaVersion: 2, mediaType: MEDIA.ociManifest,
  config: { mediaType: config, digest: d('c'), size: 10 },
  layers: layers.map((t, i) => ({ mediaType: t, digest: d(String(i)), size: 100 })),
});
const entry = (arch: string, variant?: string, c = 'e'): unknown => ({
  mediaType: MEDIA.ociManifest, digest: d(c), size: 1, platform: { os: 'linux', architecture: arch, ...(variant ? { variant } : {}) },
});

describe('image manifests and indexes', () => {
  it('reads an OCI manifest: config and layers with their digests', () => {
    const r = parseManifestDoc(manifest(), undefined, 'x');
    expect('manifest' in r).to.equal(true);
    if ('manifest' in r) {
      expect(r.manifest.layers).to.have.length(1);
      expect(r.manifest.config.digest.hex).to.equal('c'.repeat(64));
    }
  });

  it('reads a Docker manifest list as an index from its content type', () => {
    const text = JSON.stringify({ schemaVersion: 2, manifests: [entry('amd64')] });
    const r = parseManifestDoc(text, `${MEDIA.dockerList}; charset=utf-8`, 'x');
    expect('index' in r).to.equal(true);
  });

  it('refuses Docker schema 1 with a hint to push again', () => {
    expect(() => parseManifestDoc(JSON.stringify({ schemaVersion: 1, fsLayers: [] }), undefined, 'x')).to.throw(NetlabError, /schema 1/);
  });

  it('refuses a layer media type it cannot unpack, naming the layer (exit 2)', () => {
    try {
      parseManifestDoc(manifest(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.example.layer.v1.tar+bzip2']), undefined, 'img');
      expect.fail('accepted');
    } catch (err) {
      expect((err as NetlabError).exitCode).to.equal(2);
      expect((err as NetlabError).headline).to.contain('layers[1]').and.contain('bzip2');
    }
  });

  it('refuses an artifact that is not a container image (its config media type)', () => {
    expect(() => parseManifestDoc(manifest(undefined, 'application/vnd.cncf.helm.config.v1+json'), undefined, 'x')).to.throw(NetlabError, /not a container image/);
  });

  it('reads the run config and checks one diff_id per layer', () => {
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['A=1'], Entrypoint: ['/e'], Cmd: ['c'], WorkingDir: '/w', User: 'u', ExposedPorts: { '80/tcp': {} } }, rootfs: { type: 'layers', diff_ids: [d('1')] } });
    const c = parseConfig(cfg, 1, 'x');
    expect(c.config).to.deep.include({ Env: ['A=1'], Entrypoint: ['/e'], Cmd: ['c'], WorkingDir: '/w', User: 'u' });
    expect(() => parseConfig(cfg, 2, 'x')).to.throw(NetlabError, /1 diff_ids for 2 layers/);
  });

  it('picks this machine\'s platform from an index, skipping attestations', () => {
    const index = { mediaType: MEDIA.ociIndex, manifests: [
      { mediaType: MEDIA.ociManifest, digest: { algorithm: 'sha256' as const, hex: 'a'.repeat(64) }, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      { mediaType: MEDIA.ociManifest, digest: { algorithm: 'sha256' as const, hex: 'b'.repeat(64) }, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MEDIA.ociManifest, digest: { algorithm: 'sha256' as const, hex: 'c'.repeat(64) }, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    ] };
    expect(selectPlatform(index, hostPlatform('x64'), 'x').digest.hex).to.equal('c'.repeat(64));
    expect(selectPlatform(index, hostPlatform('arm64'), 'x').digest.hex).to.equal('b'.repeat(64));
  });

  it('refuses an index without this machine\'s platform, listing the ones it has (exit 2)', () => {
    const index = { mediaType: MEDIA.ociIndex, manifests: [
      { mediaType: MEDIA.ociManifest, digest: { algorithm: 'sha256' as const, hex: 'b'.repeat(64) }, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: MEDIA.ociManifest, digest: { algorithm: 'sha256' as const, hex: 'c'.repeat(64) }, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ] };
    try {
      selectPlatform(index, hostPlatform('x64'), 'img');
      expect.fail('accepted');
    } catch (err) {
      expect((err as NetlabError).exitCode).to.equal(2);
      expect((err as NetlabError).message).to.contain('linux/amd64').and.contain('linux/arm64').and.contain('linux/arm/v7');
    }
  });

  it('refuses a single-platform image built for another CPU', () => {
    const c = parseConfig(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { diff_ids: [] } }), 0, 'x');
    expect(() => checkConfigPlatform(c, hostPlatform('x64'), 'img')).to.throw(NetlabError, /linux\/arm64.*linux\/amd64/);
    expect(() => checkConfigPlatform(c, hostPlatform('arm64'), 'img')).to.not.throw();
  });

  it('matches arm variants downwards (v6 runs on v7) and arm64 without a variant', () => {
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).to.equal(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v8' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).to.equal(false);
    expect(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' })).to.equal(true);
    expect(platformMatches({ os: 'windows', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' })).to.equal(false);
  });

  it('knows each layer media type\'s compression, and sniffs gzip and zstd', () => {
    expect(layerCompression('application/vnd.oci.image.layer.v1.tar')).to.equal('none');
    expect(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd')).to.equal('zstd');
    expect(layerCompression('application/vnd.docker.image.rootfs.diff.tar.gzip')).to.equal('gzip');
    expect(layerCompression('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip')).to.equal('gzip');
    expect(layerCompression('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')).to.equal(undefined);
    expect(sniffCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).to.equal('gzip');
    expect(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).to.equal('zstd');
    expect(sniffCompression(Buffer.from('etc/'))).to.equal('none');
  });
});
