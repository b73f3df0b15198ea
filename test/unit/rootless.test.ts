/**
 * Labs without root (docs/rootless.md): what a rootless lab may not ask for,
 * the one line `up` prints without cgroups, and how netlab tells it runs in a
 * user's own user namespace. Pure: no kernel, no root.
 */
import { expect } from 'chai';
import { isInitialUidMap } from '../../src/core/rootless.js';
import { rootlessLimitsNotice } from '../../src/lab/up.js';
import { loadTopology } from '../../src/lab/load.js';
import type { Topology } from '../../src/topology/index.js';
import { rootlessRefusals } from '../../src/topology/rootless.js';

const load = (yaml: string): Topology => loadTopology({ text: yaml }, { env: {}, checkFiles: false });

describe('rootless labs', () => {
  it('accepts the README demo lab (routers, hosts, p2p links) without root', () => {
    const t = load(`name: tri
defaults: { kind: frr }
ospf: { area: 0 }
nodes: { r1: {}, r2: {}, h1: { kind: linux } }
links: [[r1:eth1, r2:eth1], [h1:eth1, r1:eth2]]
`);
    expect(rootlessRefusals(t)).to.deep.equal([]);
  });

  it('accepts a LAN and shaping without root (both live in the lab\'s own namespaces)', () => {
    const t = load(`name: lan
nodes: { a: {}, b: {}, c: {} }
links:
  - { endpoints: [a:eth1, b:eth1, c:eth1] }
  - { endpoints: [a:eth2, b:eth2], shaping: { rate: 10mbit, delay: 5ms } }
`);
    expect(rootlessRefusals(t)).to.deep.equal([]);
  });

  it('refuses a host link, naming the host endpoint', () => {
    const t = load(`name: h
nodes: { a: {}, b: {} }
links: [[a:eth1, b:eth1], [a:eth2, host:lab0]]
`);
    const r = rootlessRefusals(t);
    expect(r.map((x) => x.where)).to.deep.equal(['links[1].endpoints[1]']);
    expect(r[0]!.what).to.contain('host link');
    expect(r[0]!.hint).to.contain('sudo netlab up');
  });

  it('refuses a management network, userns: false and resources.devices, in topology order', () => {
    const t = load(`name: m
userns: false
mgmt: { network: 192.168.131.0/24 }
nodes: { a: { resources: { devices: [/dev/null] } }, b: {} }
links: [[a:eth1, b:eth1]]
`);
    expect(rootlessRefusals(t).map((x) => x.where)).to.deep.equal(['mgmt', 'userns', 'nodes.a.resources.devices']);
    for (const x of rootlessRefusals(t)) expect(x.hint, x.where).to.match(/root/);
  });

  it('says in one line that a lab runs without limits, naming the nodes whose resources are not applied', () => {
    const t = load(`name: lim
nodes: { a: { resources: { memory: 64M } }, b: { resources: { cpus: 0.5 } }, c: {} }
links: [[a:eth1, b:eth1]]
`);
    const line = rootlessLimitsNotice(t);
    expect(line).to.not.contain('\n');
    expect(line).to.contain('lab lim runs without limits');
    expect(line).to.contain('resources: of a, b are not applied');
    expect(line).to.contain('docs/rootless.md');
  });

  it('tells the initial user namespace\'s uid_map from a user\'s own', () => {
    expect(isInitialUidMap('         0          0 4294967295\n')).to.equal(true);
    expect(isInitialUidMap('         0       1001          1\n         1     100000      65535\n')).to.equal(false);
    expect(isInitialUidMap('')).to.equal(false);
  });
});
