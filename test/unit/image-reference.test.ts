import { expect } from 'chai';
import { UsageError } from '../../src/errors.js';
import { familiarName, formatReference, isLoopbackRegistry, looksLikePath, parseReference } from '../../src/image/reference.js';

describe('image references', () => {
  it('reads a bare name as Docker Hub\'s library image, tag latest', () => {
    expect(parseReference('alpine')).to.deep.equal({ registry: 'docker.io', repository: 'library/alpine', tag: 'latest' });
  });

  it('keeps the tag, and a user repository on Docker Hub', () => {
    expect(formatReference(parseReference('alpine:3.20'))).to.equal('docker.io/library/alpine:3.20');
    expect(formatReference(parseReference('frrouting/frr:v8.4.0'))).to.equal('docker.io/frrouting/frr:v8.4.0');
  });

  it('reads a registry host with dots or a port, and localhost', () => {
    expect(parseReference('quay.io/frrouting/frr:10.2.1')).to.deep.equal({ registry: 'quay.io', repository: 'frrouting/frr', tag: '10.2.1' });
    expect(parseReference('localhost:5000/lab/frr')).to.include({ registry: 'localhost:5000', repository: 'lab/frr', tag: 'latest' });
    expect(parseReference('localhost/x:1')).to.include({ registry: 'localhost', repository: 'x' });
    expect(parseReference('127.0.0.1:5000/x:1').registry).to.equal('127.0.0.1:5000');
  });

  it('reads a digest, with or without a tag, and sets no default tag with one', () => {
    const hex = 'a'.repeat(64);
    const r = parseReference(`ghcr.io/o/r@sha256:${hex}`);
    expect(r.tag).to.equal(undefined);
    expect(r.digest).to.deep.equal({ algorithm: 'sha256', hex });
    expect(formatReference(parseReference(`ghcr.io/o/r:1@sha256:${hex}`))).to.equal(`ghcr.io/o/r:1@sha256:${hex}`);
  });

  it('normalises Docker Hub\'s other names to docker.io', () => {
    expect(parseReference('index.docker.io/library/busybox').registry).to.equal('docker.io');
    expect(parseReference('registry-1.docker.io/library/busybox').registry).to.equal('docker.io');
  });

  it('refuses upper case in a repository with the lower-case spelling as hint', () => {
    try {
      parseReference('Alpine:3');
      expect.fail('accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(UsageError);
      expect((err as UsageError).message).to.match(/upper-case/);
      expect((err as UsageError).hint).to.contain('alpine');
    }
  });

  it('refuses malformed tags, digests, empty components and spaces (exit 2)', () => {
    for (const bad of ['alpine:-x', 'alpine@sha256:abc', 'a//b', 'a b', '', 'alpine@md5:' + 'a'.repeat(32), 'x/' + 'a'.repeat(300)]) {
      expect(() => parseReference(bad), bad).to.throw(UsageError);
    }
  });

  it('shows names the way people write them', () => {
    expect(familiarName(parseReference('alpine:3.20'))).to.equal('alpine:3.20');
    expect(familiarName(parseReference('frrouting/frr:1'))).to.equal('frrouting/frr:1');
    expect(familiarName(parseReference('quay.io/frrouting/frr:1'))).to.equal('quay.io/frrouting/frr:1');
  });

  it('allows --insecure only for registries on this machine', () => {
    for (const r of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) expect(isLoopbackRegistry(r), r).to.equal(true);
    for (const r of ['quay.io', '10.0.0.1:5000', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]:5000']) expect(isLoopbackRegistry(r), r).to.equal(false);
  });

  it('tells paths from references by their first characters', () => {
    for (const p of ['./frr.tar', '../x', '/abs/oci', '~/img.tar', '.']) expect(looksLikePath(p), p).to.equal(true);
    for (const r of ['frr.tar', 'alpine', 'quay.io/x/y']) expect(looksLikePath(r), r).to.equal(false);
  });
});
