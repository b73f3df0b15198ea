/**
 * Imported labs and netlab's image store: an image the store has (or that
 * `up --pull` fetches) runs as itself; only the others fall back to the
 * host's FRR or root, each with its one-line note. Read from the peer corpus
 * in place (test/helpers/peers.ts); the store is answered by a catalog.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertLab, type ImageCatalog } from '../../src/frontends/index.js';
import { loadLab } from '../../src/lab/load.js';
import { storeImageCatalog } from '../../src/lab/images.js';
import { peerLab } from '../helpers/peers.js';

type Obj = Record<string, Record<string, unknown>>;

/** A store that holds exactly `refs`. */
const holding = (...refs: string[]): ImageCatalog => ({ available: (r) => refs.includes(r), stored: (r) => refs.includes(r) });

describe('front-ends: images from netlab\'s store', function () {
  describe('containerlab frr01', function () {
    let file = '';
    before(function () { file = peerLab(this, 'containerlab', 'frr01', 'frr01.clab.yml'); });

    it('runs the FRR image the store has as kind frr on that image, with the bound frr.conf', () => {
      const doc = convertLab(file, { images: holding('quay.io/frrouting/frr:10.5.1'), env: {} })!;
      const r1 = (doc.data.nodes as Obj).router1!;
      expect(r1.kind).to.equal('frr');
      expect(r1.image).to.equal('quay.io/frrouting/frr:10.5.1');
      expect(r1.config).to.equal('router1/frr.conf');
      expect(doc.notes.map((n) => n.text)).to.include("image quay.io/frrouting/frr:10.5.1 is in netlab's store: router1, router2, router3 run it as kind frr (the image's FRR)");
    });
    it('falls back, with one note, only for the image the store lacks', () => {
      const doc = convertLab(file, { images: holding('quay.io/frrouting/frr:10.5.1'), env: {} })!;
      expect((doc.data.nodes as Obj).PC1!.image).to.equal(undefined);
      const notes = doc.notes.map((n) => n.text).filter((t) => t.includes('wbitt/network-multitool'));
      expect(notes).to.have.length(1);
      expect(notes[0]).to.match(/is not in netlab's store: PC1, PC2, PC3 run on the host's root/);
    });
    it('never says that netlab runs images only from the host\'s root', () => {
      const doc = convertLab(file, { images: holding('quay.io/frrouting/frr:10.5.1', 'wbitt/network-multitool:3.22.2'), env: {} })!;
      expect(doc.notes.map((n) => n.text).join('\n')).to.not.match(/only from the host's root/);
      expect((doc.data.nodes as Obj).PC1!.image).to.equal('wbitt/network-multitool:3.22.2');
      expect((doc.data.nodes as Obj).PC1!.kind).to.equal(undefined);
    });
    it('with --pull keeps every image and says up pulls what the store lacks', () => {
      const doc = convertLab(file, { images: { available: () => true, stored: () => false, pull: true }, env: {} })!;
      expect((doc.data.nodes as Obj).PC2!.image).to.equal('wbitt/network-multitool:3.22.2');
      expect(doc.notes.map((n) => n.text)).to.include("image wbitt/network-multitool:3.22.2 is not in netlab's store: up pulls it (--pull); PC1, PC2, PC3 run it");
    });
    it('loads the converted lab with the images set on its nodes', () => {
      const t = loadLab(file, { images: holding('quay.io/frrouting/frr:10.5.1'), env: {} });
      expect(t.nodes.find((n) => n.name === 'router2')!.image).to.equal('quay.io/frrouting/frr:10.5.1');
      expect(t.nodes.find((n) => n.name === 'PC2')!.image).to.equal(undefined);
    });
  });

  describe('containerlab holo-bgp (Holo, not on the host)', function () {
    let file = '';
    before(function () { file = peerLab(this, 'containerlab', 'holo-bgp', 'bgp', 'topology.yml'); });
    it('is refused, naming the node and the image, when the store lacks the Holo image', () => {
      expect(() => convertLab(file, { env: {} })).to.throw(/runs ghcr\.io\/holo-routing\/holo-bundle:latest, the Holo routing suite/);
    });
    it('accepts the Holo image when the store has it (what stops it then is its bind outside the lab folder)', () => {
      expect(() => convertLab(file, { images: holding('ghcr.io/holo-routing/holo-bundle:latest'), env: {} }))
        .to.throw(/bind source \.\.\/scripts\/start\.sh is outside the lab folder/);
    });
  });

  describe('Kathará bgp-simple-peering-frr', function () {
    let dir = '';
    before(function () { dir = peerLab(this, 'kathara', 'bgp-simple-peering-frr'); });
    it('runs kathara/frr from the store as kind frr on the image, started by the startup file', () => {
      const doc = convertLab(dir, { images: holding('kathara/frr'), env: {} })!;
      const r1 = (doc.data.nodes as Obj).router1!;
      expect(r1).to.include({ kind: 'frr', image: 'kathara/frr', autostart: false });
      expect(doc.notes.map((n) => n.text)).to.include("image kathara/frr is in netlab's store: router1, router2 run it as kind frr (the image's FRR)");
    });
    it('falls back to the host\'s FRR when the store lacks it', () => {
      const doc = convertLab(dir, { env: {} })!;
      expect((doc.data.nodes as Obj).router1!.image).to.equal(undefined);
      expect(doc.notes.map((n) => n.text).join('\n')).to.match(/image kathara\/frr is not in netlab's store: router1, router2 run the host's FRR/);
    });
  });

  describe('storeImageCatalog', function () {
    let store = '';
    before(() => { store = mkdtempSync(join(tmpdir(), 'netlab-cat-')); });
    after(() => rmSync(store, { recursive: true, force: true }));
    it('says no for an image an empty store lacks, and creates nothing', () => {
      const c = storeImageCatalog({ store: join(store, 'none') });
      expect(c.available('alpine:3')).to.equal(false);
      expect(c.pull).to.equal(false);
    });
    it('with pull says yes to every reference but not to a path, which stays the lab\'s', () => {
      const c = storeImageCatalog({ store, pull: true });
      expect(c.available('alpine:3')).to.equal(true);
      expect(c.stored!('alpine:3')).to.equal(false);
      expect(c.available('./rootfs')).to.equal(false);
    });
  });
});
