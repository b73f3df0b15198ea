/**
 * The calls the CLI makes, reached through the library's entry point
 * (src/index.ts) as scripts and the web UI reach them.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToNetlab, GRAPH_FORMATS, kindCatalog, labNameOf, loadTopology, renderGraph, TopologyError, UsageError } from '../../src/index.js';

describe('library: what the CLI calls', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-lib-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };

  it('renderGraph draws a topology in every format netlab graph writes', () => {
    const t = loadTopology({ text: 'name: pic\nnodes: { r1: {}, r2: {} }\nlinks: [[r1:eth1, r2:eth1]]\n' });
    expect(GRAPH_FORMATS).to.deep.equal(['dot', 'mermaid', 'svg', 'html']);
    expect(renderGraph(t, 'dot', kindCatalog())).to.match(/^graph "pic"/).and.contain('r1').and.contain('r2');
    expect(renderGraph(t, 'mermaid', kindCatalog())).to.match(/^(graph|flowchart)/);
    expect(renderGraph(t, 'svg', kindCatalog())).to.contain('<svg').and.contain('r2');
    expect(renderGraph(t, 'html', kindCatalog())).to.contain('<html').and.contain('<svg');
  });

  it('convertToNetlab turns a containerlab file into a netlab topology the loader accepts', () => {
    const text = convertToNetlab(file('duo.clab.yml', 'name: duo\ntopology:\n  nodes:\n    a: { kind: linux }\n    b: { kind: linux }\n  links:\n    - endpoints: ["a:eth1", "b:eth1"]\n'));
    const t = loadTopology({ text });
    expect(t.name).to.equal('duo');
    expect(t.nodes.map((n) => n.name)).to.deep.equal(['a', 'b']);
  });

  it('convertToNetlab keeps containerlab\'s per-node management addresses, in its default subnets when the file names none', () => {
    const text = convertToNetlab(file('m.clab.yml', 'name: m\ntopology:\n  nodes:\n    a: { kind: linux, mgmt-ipv4: 172.20.20.99, mgmt-ipv6: "3fff:172:20:20::99" }\n    b: { kind: linux }\n'));
    const t = loadTopology({ text });
    expect(t.mgmt).to.deep.include({ network: '172.20.20.0/24', network6: '3fff:172:20:20::/64' });
    expect(t.nodes.map((n) => [n.mgmt!.ipv4, n.mgmt!.ipv6])).to.deep.equal([['172.20.20.99/24', '3fff:172:20:20::99/64'], ['172.20.20.3/24', '3fff:172:20:20::3/64']]);
  });

  it('convertToNetlab keeps an image the store lacks only with pull (netlab convert --pull), else runs the node on the host\'s root', () => {
    const lab = file('img.clab.yml', 'name: img\ntopology:\n  nodes:\n    a: { kind: linux, image: alpine:3.19 }\n');
    const store = join(dir, 'store');
    mkdirSync(store);
    const without = loadTopology({ text: convertToNetlab(lab, undefined, { store }) });
    expect(without.nodes[0]!.image).to.equal(undefined);
    const withPull = convertToNetlab(lab, undefined, { store, pull: true });
    expect(withPull).to.contain('up pulls it (--pull)');
    expect(loadTopology({ text: withPull }).nodes[0]!.image).to.equal('alpine:3.19');
  });

  it('convertToNetlab refuses a netlab topology, saying what it reads', () => {
    const err = (() => { try { convertToNetlab(file('n.yaml', 'nodes: { r1: {} }\n')); } catch (e) { return e; } return undefined; })();
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).hint).to.contain('containerlab');
  });

  it('labNameOf gives a file\'s lab name, a lab name as it is, and refuses anything else with exit 2', async () => {
    expect(await labNameOf(file('tri.yaml', 'nodes: { r1: {} }\n'))).to.equal('tri');
    expect(await labNameOf(file('x.yaml', 'name: other\nnodes: { r1: {} }\n'))).to.equal('other');
    expect(await labNameOf('lab-1')).to.equal('lab-1');
    const err = await labNameOf('no such.yaml').then(() => undefined, (e: unknown) => e) as UsageError;
    expect(err).to.be.instanceOf(UsageError);
    expect(err.exitCode).to.equal(2);
    expect(err.hint).to.contain('no such file');
    const bad = await labNameOf(file('bad.yaml', 'name: "a b"\nnodes: { r1: {} }\n')).then(() => undefined, (e: unknown) => e);
    expect(bad).to.be.instanceOf(TopologyError);
  });
});
