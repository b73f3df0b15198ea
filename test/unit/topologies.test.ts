/**
 * Every example lab in topologies/ loads, plans, and draws (issue 2: `netlab
 * graph` works for every topology in topologies/, and the SVG is well formed).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildGraph, plan, toDot, toMermaid, toSvg } from '../../src/graph/index.js';
import { repoRoot } from '../helpers/kernel.js';
import { loadTopologyFile } from '../../src/lab/load.js';
import { kindCatalog } from '../../src/lab/load.js';

const dir = join(repoRoot, 'topologies');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('example topologies', () => {
  it('has the six labs the README and the tutorials name', () => {
    for (const f of ['ospf-triangle', 'bgp-ebgp', 'ibgp-ospf', 'bird-frr-ospf', 'lan-static', 'spine-leaf']) expect(files).to.include(`${f}.yaml`);
  });

  for (const f of files) {
    describe(f, () => {
      const t = loadTopologyFile(join(dir, f));
      it('loads and plans, with tests that prove it converged', () => {
        expect(plan(t, kindCatalog()).phases.length).to.be.greaterThan(2);
        expect(t.tests.length).to.be.greaterThan(0);
      });
      it('draws as DOT, Mermaid and a well-formed SVG naming every node', () => {
        const g = buildGraph(t, kindCatalog());
        expect(toDot(g, t.name)).to.match(/^graph /);
        expect(toMermaid(g)).to.match(/^(graph|flowchart) /);
        const svg = toSvg(g, t.name);
        expect(XMLValidator.validate(svg)).to.equal(true);
        expect(new XMLParser().parse(svg)).to.have.property('svg');
        for (const n of t.nodes) expect(svg).to.contain(`>${n.name}<`);
      });
    });
  }

  it('netlab graph prints them on the command line (exit 0)', () => {
    const r = spawnSync('node', [join(repoRoot, 'dist/src/cli/main.js'), 'graph', join(dir, 'ospf-triangle.yaml'), '--format', 'svg'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^<svg|^<\?xml/);
  });
});
