import { expect } from 'chai';
import { join } from 'node:path';
import { buildGraph, components, degree, neighbours, segmentKey } from '../../src/graph/graph.js';
import { dotQuote, toDot } from '../../src/graph/render/dot.js';
import { mermaidLabel, toMermaid } from '../../src/graph/render/mermaid.js';
import { toHtml, toSvg, xmlEscape } from '../../src/graph/render/svg.js';
import { fixtures } from './topology-fixtures.js';
import { loadTopology } from '../../src/lab/load.js';
import { kindCatalog } from '../../src/lab/load.js';

const good = (name: string) => loadTopology(join(fixtures, 'good', `${name}.yaml`), { env: {} });
const text = (yaml: string) => loadTopology({ text: yaml }, { env: {}, checkFiles: false });

describe('graph', () => {
  it('has a vertex per node and per LAN segment, an edge per p2p link and per LAN member', () => {
    const g = buildGraph(good('triangle'), kindCatalog());
    expect(g.order).to.equal(5);
    expect(g.size).to.equal(6);
    expect(g.getNodeAttributes(segmentKey('lan2')).type).to.equal('segment');
  });

  it('adds the host as a vertex for host links', () => {
    const g = buildGraph(good('host-link'), kindCatalog());
    expect(g.hasNode('host')).to.equal(true);
    expect(neighbours(g, 'r1')).to.deep.equal(['h1', 'host']);
  });

  it('finds connected components in node order', () => {
    const t = text('name: c\nnodes: [a, b, c, d, e]\nlinks:\n  - [a:e1, c:e1]\n  - [b:e1, d:e1, e:e1]\n');
    expect(components(buildGraph(t, kindCatalog()))).to.deep.equal([['a', 'c'], ['b', 'd', 'e']]);
  });

  it('counts degree with parallel links and sees LAN members as neighbours', () => {
    const g = buildGraph(good('triangle'), kindCatalog());
    expect(degree(g, 'r1')).to.equal(3);
    expect(neighbours(g, 'h1')).to.deep.equal(['r1', 'r2']);
  });

  describe('rendering', () => {
    const odd = text('name: odd\nnodes: [r-1, x9, a_b]\nlinks:\n  - [r-1:e.1, x9:e"1]\n  - [x9:9e, a_b:e<2]\n');

    it('quotes DOT ids and escapes quotes', () => {
      expect(dotQuote('a"b\\c')).to.equal('"a\\"b\\\\c"');
      const dot = toDot(buildGraph(odd, kindCatalog()), 'odd');
      expect(dot).to.contain('"r-1" -- "x9" [taillabel="e.1", headlabel="e\\"1"]');
    });

    it('gives Mermaid generated ids and escaped labels', () => {
      expect(mermaidLabel('a"b')).to.equal('"a#quot;b"');
      const m = toMermaid(buildGraph(odd, kindCatalog()));
      expect(m).to.contain('v0("r-1 (linux)")');
      expect(m).to.contain('#quot;');
    });

    it('draws a self-contained SVG with escaped names, the same every time', () => {
      const g = buildGraph(odd, kindCatalog());
      const svg = toSvg(g, 'odd');
      expect(xmlEscape('<a&"b">')).to.equal('&lt;a&amp;&quot;b&quot;&gt;');
      expect(svg).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).to.contain('e&lt;2');
      expect(svg).to.not.match(/(src|href)=/);
      expect(toSvg(buildGraph(odd, kindCatalog()), 'odd')).to.equal(svg);
    });

    it('wraps the SVG in an HTML page without external resources', () => {
      const html = toHtml(buildGraph(good('triangle'), kindCatalog()), 'triangle');
      expect(html).to.contain('<svg').and.contain('<title>netlab: triangle</title>');
      expect(html).to.not.match(/<script|<link|https?:\/\/(?!www\.w3\.org)/);
    });

    it('lays out 200 nodes inside the picture', () => {
      const n = 200;
      const names = Array.from({ length: n }, (_, i) => `n${i}`);
      const t = text(`name: big\nnodes: [${names.join(',')}]\nlinks:\n${names.map((x, i) => `  - [${x}:e1, ${names[(i + 1) % n]}:e2]`).join('\n')}\n`);
      const svg = toSvg(buildGraph(t, kindCatalog()), 'big');
      const w = Number(/width="(\d+)"/.exec(svg)![1]);
      for (const m of svg.matchAll(/cx="([\d.-]+)" cy="([\d.-]+)"/g)) {
        expect(Number(m[1])).to.be.within(0, w);
      }
    });
  });
});
