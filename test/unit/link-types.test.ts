import { expect } from 'chai';
import { LINK_PLANNERS } from '../../src/graph/link-plans.js';
import { HOST_NODE, isHostEndpoint } from '../../src/topology/endpoints.js';
import { loadTopology } from '../../src/lab/load.js';
import { explicitType, isLan, LINK_TYPES, linkType, vethKind } from '../../src/topology/link-types/index.js';
import { checkNodeName } from '../../src/topology/names.js';
import { coreName, HOST, isHidden, planName, SEGMENTS, SEGMENTS_NODE } from '../../src/topology/namespaces.js';

const lab = loadTopology({
  text: [
    'name: lt', 'nodes: [r1, r2, r3]', 'links:',
    '  - [r1:eth1, r2:eth1]',
    '  - [r1:eth2, r2:eth2, r3:eth2]',
    '  - [r3:eth9, host:nl-r3]',
    '  - { type: dummy, endpoints: [r1:eth5] }',
    '  - { type: macvlan, endpoints: [r2:eth5], parent: eth0 }',
    '  - { type: vxlan, endpoints: [r3:eth5], remote: 192.0.2.2, vni: 100 }',
    '',
  ].join('\n'),
}, { env: {} });

describe('link types', () => {
  it('registers each type under its own kind, with a planner for every one', () => {
    for (const [kind, t] of Object.entries(LINK_TYPES)) expect(t.kind).to.equal(kind);
    expect(Object.keys(LINK_PLANNERS)).to.deep.equal(Object.keys(LINK_TYPES));
  });

  it('gives each link of a file the type its endpoints or type: select', () => {
    expect(lab.links.map((l) => l.kind)).to.deep.equal(['p2p', 'lan', 'host', 'dummy', 'macvlan', 'vxlan']);
    expect(lab.links.map(isLan)).to.deep.equal([false, true, false, false, false, false]);
    expect(lab.links.map((l) => linkType(l).local)).to.deep.equal([false, false, false, true, true, true]);
  });

  it('selects by type: only the one-interface types, and by endpoints the veth ones', () => {
    expect(explicitType(undefined)).to.equal(undefined);
    expect(explicitType('veth')).to.equal(undefined);
    expect(explicitType('macvlan')?.kind).to.equal('macvlan');
    expect([vethKind(2, 0), vethKind(3, 0), vethKind(1, 0), vethKind(2, 1)]).to.deep.equal(['p2p', 'lan', 'lan', 'host']);
  });

  it('types the host end of a host link, and only it, as a HostEndpoint', () => {
    const ends = lab.links.flatMap((l) => l.endpoints);
    expect(ends.filter(isHostEndpoint)).to.deep.equal([{ node: HOST_NODE, iface: 'nl-r3' }]);
    expect(lab.nodes.find((n) => n.name === 'r3')!.interfaces.find((i) => i.name === 'eth9')!.peer).to.deep.equal({ node: HOST_NODE, iface: 'nl-r3' });
  });
});

describe('hidden namespaces', () => {
  it('tells the plan\'s and the core\'s hidden names from nodes, which cannot take them', () => {
    for (const name of [SEGMENTS, HOST, SEGMENTS_NODE]) {
      expect(isHidden(name), name).to.equal(true);
      expect(checkNodeName(name), name).to.not.equal(undefined);
    }
    for (const n of lab.nodes) expect(isHidden(n.name)).to.equal(false);
  });

  it('maps the segment namespace between the plan\'s and the core\'s name, and nodes to themselves', () => {
    expect(coreName(SEGMENTS)).to.equal(SEGMENTS_NODE);
    expect(planName(SEGMENTS_NODE)).to.equal(SEGMENTS);
    expect([coreName('r1'), planName('r1')]).to.deep.equal(['r1', 'r1']);
  });
});
