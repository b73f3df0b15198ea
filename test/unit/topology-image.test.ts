import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { plan } from '../../src/graph/index.js';
import { loadTopology } from '../../src/lab/load.js';
import { kindCatalog } from '../../src/lab/load.js';

describe('topology: image:', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netlab-topo-img-'));
    writeFileSync(join(dir, 'frr.tar'), '');
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });
  const load = (text: string) => loadTopology({ text, file: join(dir, 'lab.yaml') }, { env: {} });

  it('layers image: from defaults, groups and nodes, and keeps references as written', () => {
    const t = load('name: x\ndefaults: { image: alpine:3.20 }\ngroups: { g: { members: [b], image: quay.io/frrouting/frr:10.2.1 } }\nnodes: { a: {}, b: {}, c: { image: busybox } }\nlinks: []\n');
    expect(t.nodes.map((n) => n.image)).to.deep.equal(['alpine:3.20', 'quay.io/frrouting/frr:10.2.1', 'busybox']);
  });

  it('makes a path absolute against the topology file\'s folder and checks that it exists', () => {
    expect(load('name: x\nnodes: { a: { image: ./frr.tar } }\nlinks: []\n').nodes[0]!.image).to.equal(join(dir, 'frr.tar'));
    expect(() => load('name: x\nnodes: { a: { image: ./nope.tar } }\nlinks: []\n')).to.throw(TopologyError, /image .*nope\.tar does not exist/);
  });

  it('refuses a malformed reference at its key path, with the fix', () => {
    try {
      load('name: x\nnodes: { a: { image: Alpine } }\nlinks: []\n');
      expect.fail('accepted');
    } catch (err) {
      expect((err as TopologyError).path).to.equal('nodes.a.image');
      expect((err as TopologyError).hint).to.contain('alpine');
    }
  });

  it('refuses image: and rootfs: on one node', () => {
    expect(() => load(`name: x\nnodes: { a: { image: alpine, rootfs: ${dir} } }\nlinks: []\n`)).to.throw(TopologyError, /either image: or rootfs:/);
  });

  it('plans a main-process step for a node on an image (its entrypoint), none for a host-root node', () => {
    const p = plan(load('name: x\nnodes: { a: { image: alpine }, b: {} }\nlinks: []\n'), kindCatalog());
    const daemons = p.phases.find((ph) => ph.name === 'daemons')?.actions.map((a) => (a as { node: string }).node);
    expect(daemons).to.deep.equal(['a']);
  });
});
