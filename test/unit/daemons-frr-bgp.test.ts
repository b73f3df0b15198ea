import { expect } from 'chai';
import { bgpSessions } from '../../src/daemons/bgp-sessions.js';
import { renderBgp } from '../../src/daemons/frr-bgp.js';
import { TopologyError } from '../../src/errors.js';
import type { Topology } from '../../src/topology/types.js';
import { loadTopology } from '../../src/lab/load.js';

const load = (text: string): Topology => loadTopology({ text }, { env: {}, checkFiles: false });
const node = (t: Topology, name: string) => t.nodes.find((n) => n.name === name)!;
const sessions = (t: Topology, name: string) => bgpSessions(node(t, name), t).map((s) => `${s.address} as${s.as}${s.ibgp ? ' ibgp' : ''}${s.updateSourceLo ? ' lo' : ''}${s.multihop ? ` mh${s.multihop}` : ''}${s.nextHopSelf ? ' nhs' : ''}`);

const EBGP = `
name: ebgp
defaults: { kind: frr }
nodes:
  r1: { bgp: { as: 65001 } }
  r2: { bgp: { as: 65002 } }
  h1: { kind: linux }
links:
  - [r1:eth1, r2:eth1]
  - [r1:eth2, h1:eth1]
`;

const IBGP = `
name: ibgp
defaults: { kind: frr }
groups:
  core: { members: [r1, r2, r3], ospf: { area: 0 }, bgp: { as: 65000 } }
nodes:
  r1: {}
  r2: {}
  r3: {}
  x1: { bgp: { as: 65100 } }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
  - [x1:eth1, r1:eth3]
`;

describe('daemons: BGP sessions and the FRR BGP renderer', () => {
  it('renders an eBGP router: one session per link to another AS, loopback announced, ECMP on', () => {
    const t = load(EBGP);
    expect(renderBgp(node(t, 'r1'), t).join('\n') + '\n').to.equal(`router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp bestpath as-path multipath-relax
 neighbor 10.1.0.1 remote-as 65002
 neighbor 10.1.0.1 description r2
 neighbor 10.1.0.1 timers connect 3
 !
 address-family ipv4 unicast
  network 10.0.0.1/32
  neighbor 10.1.0.1 activate
  maximum-paths 16
  maximum-paths ibgp 16
 exit-address-family
exit
`);
  });

  it('opens no session towards a host that does not run BGP', () => {
    expect(sessions(load(EBGP), 'r1')).to.deep.equal(['10.1.0.1 as65002']);
  });

  it('meshes iBGP over loopbacks with update-source lo and next-hop-self when both nodes run OSPF', () => {
    const t = load(IBGP);
    expect(sessions(t, 'r1')).to.deep.equal(['10.1.0.4 as65100', '10.0.0.2 as65000 ibgp lo nhs', '10.0.0.3 as65000 ibgp lo nhs']);
    expect(sessions(t, 'r3')).to.deep.equal(['10.0.0.1 as65000 ibgp lo nhs', '10.0.0.2 as65000 ibgp lo nhs']);
    const text = renderBgp(node(t, 'r1'), t).join('\n');
    expect(text).to.contain(' neighbor 10.0.0.3 update-source lo\n').and.contain('  neighbor 10.0.0.3 next-hop-self\n');
  });

  it('peers iBGP over the shared link when there is no IGP, and not at all when not connected', () => {
    const t = load(`
name: noigp
defaults: { kind: frr }
bgp: { as: 65000 }
nodes: { r1: {}, r2: {}, r3: {} }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
`);
    expect(sessions(t, 'r1')).to.deep.equal(['10.1.0.1 as65000 ibgp nhs']);
    expect(sessions(t, 'r2')).to.deep.equal(['10.1.0.0 as65000 ibgp nhs', '10.1.0.3 as65000 ibgp nhs']);
  });

  it('uses the shared link for an explicit eBGP neighbour node, and loopbacks with multihop when not connected', () => {
    const t = load(`
name: expl
defaults: { kind: frr }
nodes:
  r1: { bgp: { as: 65001, neighbors: [{ node: r2 }, { node: r3 }] } }
  r2: { bgp: { as: 65002 } }
  r3: { bgp: { as: 65003 } }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
`);
    expect(sessions(t, 'r1')).to.deep.equal(['10.1.0.1 as65002', '10.0.0.3 as65003 lo mh255']);
    expect(renderBgp(node(t, 'r1'), t).join('\n')).to.contain(' neighbor 10.0.0.3 ebgp-multihop 255\n');
  });

  it('takes an explicit neighbour address as written, with its description and options as neighbor lines', () => {
    const t = load(`
name: addr
defaults: { kind: frr }
nodes:
  r1: { bgp: { as: 65001, neighbors: [{ address: 192.0.2.9, as: 64999, description: upstream, options: { password: s3cret, "timers": "3 9" } }] } }
links: []
`);
    const text = renderBgp(node(t, 'r1'), t).join('\n');
    expect(text).to.contain(' neighbor 192.0.2.9 remote-as 64999\n neighbor 192.0.2.9 description upstream\n');
    expect(text).to.contain(' neighbor 192.0.2.9 password s3cret\n neighbor 192.0.2.9 timers 3 9\n');
  });

  it('runs IPv6 sessions over IPv6 link addresses and activates them in the IPv6 family only', () => {
    const t = load(EBGP.replace('links:', 'addressing: { ipv6: "2001:db8:1::/48", loopback6: "2001:db8:ff::/64" }\nlinks:'));
    const text = renderBgp(node(t, 'r1'), t).join('\n');
    expect(sessions(t, 'r1')).to.deep.equal(['10.1.0.1 as65002', '2001:db8:1::2 as65002']);
    const v6 = text.slice(text.indexOf(' address-family ipv6 unicast'));
    expect(v6).to.contain('  network 2001:db8:ff::1/128\n').and.contain('  neighbor 2001:db8:1::2 activate\n');
    expect(v6).not.to.contain('10.1.0.1');
  });

  it('announces bgp.networks and redistributes what bgp.redistribute names', () => {
    const t = load(EBGP.replace('r1: { bgp: { as: 65001 } }', 'r1: { bgp: { as: 65001, networks: [192.0.2.0/24], redistribute: [connected, static] } }'));
    const text = renderBgp(node(t, 'r1'), t).join('\n');
    expect(text).to.contain('  network 10.0.0.1/32\n  network 192.0.2.0/24\n  redistribute connected\n  redistribute static\n');
  });

  it('names the neighbour in a TopologyError when an explicit neighbour shares no address family', () => {
    const t = load(`
name: unreach
defaults: { kind: frr }
addressing: { loopback: false }
nodes:
  r1: { bgp: { as: 65001, neighbors: [{ node: r2 }] } }
  r2: { bgp: { as: 65002 } }
links: []
`);
    expect(() => bgpSessions(node(t, 'r1'), t)).to.throw(TopologyError, /r1 and r2 share no address family/)
      .with.property('path', 'nodes.r1.bgp.neighbors[0]');
  });
});
