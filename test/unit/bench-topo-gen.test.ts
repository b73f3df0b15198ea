import { expect } from 'chai';
import { fatTree, fatTreeK, fatTreeSize, generate, grid, gridShape, labName, ring, toMininetJson, toYaml, type BenchGraph } from '../../bench/topo-gen.js';
import { floorBatches } from '../../bench/tool-floor.js';
import { loadTopology } from '../../src/lab/load.js';

/** Number of links at each node. */
const degrees = (g: BenchGraph): Map<string, number> => {
  const d = new Map<string, number>(g.nodes.map((n) => [n, 0]));
  for (const [a, b] of g.links) { d.set(a.node, d.get(a.node)! + 1); d.set(b.node, d.get(b.node)! + 1); }
  return d;
};

/** True when every node reaches every other. */
const connected = (g: BenchGraph): boolean => {
  const adj = new Map<string, string[]>(g.nodes.map((n) => [n, []]));
  for (const [a, b] of g.links) { adj.get(a.node)!.push(b.node); adj.get(b.node)!.push(a.node); }
  const seen = new Set([g.nodes[0]!]);
  const todo = [g.nodes[0]!];
  while (todo.length) for (const x of adj.get(todo.pop()!)!) if (!seen.has(x)) { seen.add(x); todo.push(x); }
  return seen.size === g.nodes.length;
};

describe('bench topology generators', () => {
  it('makes a ring of N nodes with N links, each node on two of them', () => {
    const g = ring(100);
    expect(g.nodes).to.have.length(100);
    expect(g.links).to.have.length(100);
    expect([...degrees(g).values()].every((d) => d === 2)).to.equal(true);
    expect(g.links[99]!.map((e) => `${e.node}:${e.iface}`)).to.deep.equal(['n100:eth2', 'n1:eth2']);
  });

  it('makes a ring of two nodes with one link, not the same pair twice', () => {
    expect(ring(2).links).to.have.length(1);
  });

  it('numbers each node\'s interfaces eth1, eth2, … without repeating one', () => {
    for (const g of [ring(50), grid(50), fatTree(100)]) {
      const ends = g.links.flat().map((e) => `${e.node}:${e.iface}`);
      expect(new Set(ends).size).to.equal(ends.length);
      const byNode = new Map<string, number[]>();
      for (const e of g.links.flat()) byNode.set(e.node, [...(byNode.get(e.node) ?? []), Number(e.iface.slice(3))]);
      for (const nums of byNode.values()) expect(nums).to.deep.equal(nums.map((_, i) => i + 1));
    }
  });

  it('shapes a grid as the factor pair of N closest to a square', () => {
    expect(gridShape(100)).to.deep.equal({ rows: 10, cols: 10, exact: true });
    expect(gridShape(500)).to.deep.equal({ rows: 20, cols: 25, exact: true });
    expect(gridShape(1000)).to.deep.equal({ rows: 25, cols: 40, exact: true });
    expect(gridShape(2000)).to.deep.equal({ rows: 40, cols: 50, exact: true });
  });

  it('gives a prime N a partial last grid row instead of a line', () => {
    expect(gridShape(101)).to.deep.equal({ rows: 10, cols: 11, exact: false });
    const g = grid(101);
    expect(g.nodes).to.have.length(101);
    expect(connected(g)).to.equal(true);
  });

  it('links a full grid with 2·r·c − r − c links and degrees 2 to 4', () => {
    const g = grid(500);
    expect(g.links).to.have.length(2 * 20 * 25 - 20 - 25);
    expect(Math.min(...degrees(g).values())).to.equal(2);
    expect(Math.max(...degrees(g).values())).to.equal(4);
    expect(connected(g)).to.equal(true);
  });

  it('picks the fat-tree k whose node count is closest to N', () => {
    expect([100, 500, 1000, 2000].map(fatTreeK)).to.deep.equal([6, 12, 14, 18]);
    expect([6, 12, 14, 18].map(fatTreeSize)).to.deep.equal([99, 612, 931, 1863]);
  });

  it('builds a k-ary fat-tree: k ports per switch, k/2 hosts per edge switch, hosts only at the edge', () => {
    const g = fatTree(500); // k = 12
    expect(g.nodes).to.have.length(612);
    expect(g.links).to.have.length((3 * 12 ** 3) / 4);
    const d = degrees(g);
    for (const [node, deg] of d) expect(deg, node).to.equal(node.startsWith('h') ? 1 : 12);
    const hostPeers = g.links.filter(([a]) => a.node.startsWith('h')).map(([, b]) => b.node[0]);
    expect(new Set(hostPeers)).to.deep.equal(new Set(['e']));
    expect(connected(g)).to.equal(true);
    expect(g.shape).to.equal('fat-tree k=12 (612 nodes: 432 hosts, 180 switches)');
  });

  it('writes a topology netlab loads: plain linux nodes, every link, addressing off unless asked', () => {
    const g = generate('grid', 100);
    const off = loadTopology({ text: toYaml(g, { name: labName(g), addressing: false }) }, { env: {}, checkFiles: false });
    expect(off.name).to.equal('bench-grid-100');
    expect(off.nodes).to.have.length(100);
    expect(off.links).to.have.length(g.links.length);
    expect(off.nodes.every((n) => n.kind === 'linux')).to.equal(true);
    const on = toYaml(g, { name: 'x', addressing: true });
    expect(on).to.not.include('addressing');
  });

  it('writes the graph for Mininet as node names and node pairs', () => {
    expect(JSON.parse(toMininetJson(ring(3)))).to.deep.equal({ nodes: ['n1', 'n2', 'n3'], links: [['n1', 'n2'], ['n2', 'n3'], ['n3', 'n1']] });
  });

  it('creates each floor veth in place with its first end up, and brings lo and the peer ends up per namespace', () => {
    const b = floorBatches(ring(3));
    expect(b.netnsAdd).to.equal('netns add nlbench-n1\nnetns add nlbench-n2\nnetns add nlbench-n3\n');
    expect(b.links.split('\n')[0]).to.equal('link add eth1 netns nlbench-n1 up type veth peer name eth1 netns nlbench-n2');
    expect(b.up.get('n2')).to.equal('link set lo up\nlink set eth1 up\n');
    expect(b.netnsDel.split('\n').filter(Boolean)).to.have.length(3);
  });

  it('refuses a node count that is not a positive integer', () => {
    expect(() => ring(0)).to.throw(RangeError);
    expect(() => grid(2.5)).to.throw(RangeError);
  });
});
