import { expect } from 'chai';
import { routerNeighbors } from '../../src/lab/neighbors.js';
import { findNode } from '../../src/topology/index.js';
import { captured, exit, fakeExec, fixtureLab, ok } from './validate-fake.js';

describe('lab: a router\'s neighbours for the web UI', () => {
  const t = fixtureLab();

  it('reads an FRR router\'s OSPF neighbours and BGP sessions through vtysh', async () => {
    const exec = fakeExec((_node, cmd) => {
      if (cmd === 'vtysh -c show ip ospf neighbor json') return ok(captured('r1-ospf.json'));
      if (cmd === 'vtysh -c show bgp neighbors json') return ok(captured('r1-bgp.json'));
      return exit(1);
    });
    const r = await routerNeighbors(t, findNode(t, 'r1')!, exec);
    expect(r.problems).to.deep.equal([]);
    expect(r.ospf!.length).to.be.greaterThan(0);
    expect(r.bgp!.map((s) => s.state)).to.include('Established');
  });

  it('reads a BIRD router through birdc', async () => {
    const exec = fakeExec((_node, cmd) => (cmd === 'birdc show ospf neighbors' ? ok(captured('b1-ospfn.txt')) : exit(1)));
    const b1 = { ...findNode(t, 'b1')!, ospf: findNode(t, 'r1')!.ospf }; // b1 with OSPF on
    const r = await routerNeighbors(t, b1, exec);
    expect(exec.calls.map((c) => c.argv.join(' '))).to.deep.equal(['birdc show ospf neighbors']);
    expect(r.problems).to.deep.equal([]);
    expect(r.ospf!.length).to.be.greaterThan(0);
  });

  it('asks nothing of a node whose kind has no routing daemon', async () => {
    const exec = fakeExec(() => exit(1));
    const linux = t.nodes.find((n) => n.kind === 'linux');
    if (!linux) throw new Error('the fixture lab has no linux node');
    const r = await routerNeighbors(t, linux, exec);
    expect(r).to.deep.equal({ node: linux.name, problems: [] });
    expect(exec.calls).to.deep.equal([]);
  });
});
