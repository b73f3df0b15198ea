import { expect } from 'chai';
import { parseBirdOspfNeighbors, parseBirdProtocols } from '../../src/daemons/bird-state.js';
import { parseFrrBgpNeighbors, parseFrrOspfNeighbors } from '../../src/daemons/frr-state.js';
import { stateMatches } from '../../src/validate/ospf.js';
import { parsePing } from '../../src/validate/reach.js';
import { parseFrrRoutes, frrRoutes } from '../../src/daemons/frr-routes.js';
import { kernelProtocol, kernelRoutes, normalisePrefix, parseKernelRoutes } from '../../src/daemons/route-table.js';
import { captured } from './validate-fake.js';

describe('validate: reading what daemons and tools print', () => {
  describe('FRR (8.4.4, captured)', () => {
    it('reads OSPF neighbours with router id, state and interface', () => {
      expect(parseFrrOspfNeighbors(captured('r2-ospf.json'))).to.deep.equal([
        { routerId: '10.0.0.1', state: 'Full/-', iface: 'eth1', address: '10.1.0.0' },
        { routerId: '10.0.0.3', state: 'Full/-', iface: 'eth2', address: '10.1.0.3' },
      ]);
    });

    it('reads a neighbour that is still in Init', () => {
      expect(parseFrrOspfNeighbors(captured('r1-ospf-early.json'))[0]!.state).to.equal('Init/-');
    });

    it('reads the older layout with router ids at the top level', () => {
      const old = JSON.stringify({ '10.0.0.9': { state: 'Full/DR', ifaceName: 'eth3:10.9.0.1', ifaceAddress: '10.9.0.2' } });
      expect(parseFrrOspfNeighbors(old)).to.deep.equal([{ routerId: '10.0.0.9', state: 'Full/DR', iface: 'eth3', address: '10.9.0.2' }]);
    });

    it('reads every BGP neighbour with its state, AS and last reset reason', () => {
      const s = parseFrrBgpNeighbors(captured('r1-bgp.json'));
      expect(s.map((x) => [x.peer, x.state, x.remoteAs])).to.deep.equal([['10.1.0.1', 'Established', 65002], ['10.9.9.9', 'Active', 65009]]);
      expect(s[1]!.reason).to.equal('Waiting for NHT');
    });

    it('reads the RIB with every candidate and marks the selected one', () => {
      const routes = parseFrrRoutes(captured('r1-route.json'), 4).filter((r) => r.prefix === '10.0.0.2/32');
      expect(routes.map((r) => [r.protocol, r.selected])).to.deep.equal([['ospf', false], ['bgp', true]]);
      expect(routes[1]!.nexthops).to.deep.equal([{ via: '10.1.0.1', dev: 'eth1' }]);
    });
  });

  describe('iproute2 (ip -j route)', () => {
    it('reads kernel routes with FRR protocols and connected routes', () => {
      const routes = parseKernelRoutes(captured('r1-iproute.json'), 4);
      expect(routes.map((r) => `${r.prefix} ${r.protocol}`)).to.deep.equal([
        '10.0.0.2/32 bgp', '10.0.0.3/32 ospf', '10.1.0.0/31 connected', '10.1.0.2/31 ospf',
      ]);
      expect(routes.every((r) => r.selected)).to.equal(true);
    });

    it('selects the lowest metric when a prefix is there twice', () => {
      const routes = parseKernelRoutes(captured('b1-iproute.json'), 4).filter((r) => r.prefix === '10.1.0.2/31');
      expect(routes.map((r) => [r.protocol, r.selected])).to.deep.equal([['connected', true], ['bird', false]]);
    });

    it('reads a multipath route\'s next hops and a default route', () => {
      const json = JSON.stringify([{ dst: 'default', protocol: 'bgp', metric: 20, nexthops: [{ gateway: '10.1.0.1', dev: 'eth1' }, { gateway: '10.1.0.3', dev: 'eth2' }] }]);
      const [r] = parseKernelRoutes(json, 4);
      expect(r!.prefix).to.equal('0.0.0.0/0');
      expect(r!.nexthops).to.deep.equal([{ via: '10.1.0.1', dev: 'eth1' }, { via: '10.1.0.3', dev: 'eth2' }]);
    });

    it('maps kernel protocol names to FRR\'s words', () => {
      expect(kernelProtocol(undefined, undefined)).to.equal('static');
      expect(kernelProtocol('kernel', 'link')).to.equal('connected');
      expect(kernelProtocol('188', undefined)).to.equal('ospf');
    });

    it('normalises prefixes', () => {
      expect(normalisePrefix('10.0.0.3', 4)).to.equal('10.0.0.3/32');
      expect(normalisePrefix('default', 6)).to.equal('::/0');
      expect(normalisePrefix('2001:db8:0:1::/64', 6)).to.equal('2001:db8:0:1::/64');
    });

    it('lets a BIRD route count as OSPF, and a zebra kernel route as static', () => {
      expect(kernelRoutes.protocolMatches('ospf', 'bird')).to.equal(true);
      expect(frrRoutes.protocolMatches('static', 'kernel')).to.equal(true);
      expect(kernelRoutes.protocolMatches('static', 'kernel')).to.equal(false);
      expect(frrRoutes.protocolMatches('ospf', 'bgp')).to.equal(false);
    });
  });

  describe('BIRD 2.0.12 (captured)', () => {
    it('reads show protocols rows', () => {
      const p = parseBirdProtocols(captured('b1-proto.txt'));
      expect(p.map((x) => [x.name, x.proto, x.state, x.info])).to.deep.equal([
        ['device1', 'Device', 'up', ''], ['direct1', 'Direct', 'up', ''], ['kernel1', 'Kernel', 'up', ''], ['ospf1', 'OSPF', 'up', 'Running'],
      ]);
    });

    it('reads show protocols all details of a BGP protocol', () => {
      const text = [
        'BIRD 2.0.12 ready.',
        'Name       Proto      Table      State  Since         Info',
        'bgp_r2     BGP        ---        start  2026-11-29 16:40:45  Active        Socket: Connection refused',
        '  BGP state:          Active',
        '    Neighbor address: 10.1.0.2',
        '    Neighbor AS:      65002',
        '    Last error:       Socket: Connection refused',
      ].join('\n');
      const [p] = parseBirdProtocols(text);
      expect(p).to.deep.include({ name: 'bgp_r2', state: 'start', since: '2026-11-29 16:40:45', bgpState: 'Active', neighborAddress: '10.1.0.2', neighborAs: 65002 });
    });

    it('reads BGP state, neighbour address and AS from captured show protocols all', () => {
      const bgp = parseBirdProtocols(captured('b1-protoall.txt')).filter((p) => p.proto === 'BGP');
      expect(bgp.map((p) => [p.name, p.bgpState, p.neighborAddress, p.neighborAs])).to.deep.equal([
        ['bgp_r2', 'Established', '10.1.0.2', 65002], ['bgp_nobody', 'Idle', '10.1.0.9', 65009],
      ]);
    });

    it('reads OSPF neighbours per protocol', () => {
      expect(parseBirdOspfNeighbors(captured('b1-ospfn.txt'))).to.deep.equal([
        { protocol: 'ospf1', routerId: '10.0.0.2', state: 'Full/PtP', iface: 'eth1', address: '10.1.0.2' },
      ]);
    });
  });

  describe('ping (iputils)', () => {
    it('reads replies, loss and average rtt', () => {
      expect(parsePing(captured('ping-full.txt'))).to.deep.equal({ transmitted: 2, received: 2, errors: 0, lossPercent: 0, avgMs: 0.106 });
    });

    it('reads ICMP errors and total loss', () => {
      const out = 'From 10.1.0.1 icmp_seq=1 Destination Host Unreachable\n\n--- 10.0.0.9 ping statistics ---\n3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2040ms\n';
      expect(parsePing(out)).to.deep.equal({ transmitted: 3, received: 0, errors: 3, lossPercent: 100 });
    });

    it('finds no summary when ping could not send', () => {
      expect(parsePing(captured('ping-unreach.txt'))).to.equal(undefined);
    });
  });

  it('compares states by the part before the slash unless the slash is asked for', () => {
    expect(stateMatches('Full/DR', 'full')).to.equal(true);
    expect(stateMatches('Full/DR', 'Full/DROther')).to.equal(false);
    expect(stateMatches('2-Way/DROther', '2-way')).to.equal(true);
  });
});
