import { expect } from 'chai';
import { rt } from 'netlink';
import { TopologyError } from '../../src/errors.js';
import { bridgeMessage } from '../../src/net/bridge.js';
import { addressMessage } from '../../src/net/iface.js';
import { findAttr, parseAttrs, readStrz } from '../../src/net/nlattr.js';
import { routeMessage, rtnexthop } from '../../src/net/route.js';
import { vethMessage, type VethPair } from '../../src/net/veth.js';

const join = (b: Uint8Array[]): Buffer => Buffer.concat(b.map((x) => Buffer.from(x)));
const link = (b: Uint8Array[]) => rt.parseLinkMessage(join(b));

const pair = (over: Partial<VethPair['a']> = {}, overB: Partial<VethPair['b']> = {}): VethPair => ({
  a: { netnsFd: 21, node: 'r1', iface: 'eth1', mac: '02:00:00:00:01:01', mtu: 1500, ...over },
  b: { netnsFd: 22, node: 'r2', iface: 'eth2', mac: '02:00:00:00:02:01', mtu: 1500, ...overB },
});

/** The peer part of a veth message: [ifinfomsg(16), attrs…]. */
function peerOf(body: Uint8Array[]): { ifi: Buffer; attrs: Buffer } {
  const li = link(body).attrs.linkinfo!;
  const data = findAttr(li, 2)!;
  const peer = findAttr(data, 1)!;
  return { ifi: peer.subarray(0, 16), attrs: peer.subarray(16) };
}

describe('net: veth message', () => {
  it('names end a, gives it its MAC, MTU and namespace fd, and brings it up', () => {
    const m = link(vethMessage(pair()));
    expect(m.attrs.ifname).to.equal('eth1');
    expect(m.attrs.mtu).to.equal(1500);
    expect(m.attrs.netNsFd).to.equal(21);
    expect(m.attrs.address!.toString('hex')).to.equal('020000000101');
    expect(m.data.flags?.up).to.equal(true);
  });
  it('carries kind "veth" and the peer with its own name, MAC, MTU and fd', () => {
    const body = vethMessage(pair());
    expect(readStrz(findAttr(link(body).attrs.linkinfo!, 1)!)).to.equal('veth');
    const { attrs } = peerOf(body);
    const p = rt.parseLinkMessage(Buffer.concat([Buffer.alloc(16), attrs])).attrs;
    expect(p.ifname).to.equal('eth2');
    expect(p.mtu).to.equal(1500);
    expect(p.netNsFd).to.equal(22);
    expect(p.address!.toString('hex')).to.equal('020000000201');
  });
  it('leaves IFF_UP off the peer (the kernel answers ENOTCONN otherwise)', () => {
    expect(peerOf(vethMessage(pair())).ifi.readUInt32LE(8)).to.equal(0);
  });
  it('puts chosen ifindexes in both ifinfomsgs', () => {
    const body = vethMessage(pair({ ifindex: 1 << 24 }, { ifindex: (1 << 24) + 1 }));
    expect(link(body).data.index).to.equal(1 << 24);
    expect(peerOf(body).ifi.readInt32LE(4)).to.equal((1 << 24) + 1);
  });
  it('refuses a peer ifindex without one for end a (the kernel would ignore it)', () => {
    expect(() => vethMessage(pair({}, { ifindex: 5000 }))).to.throw(TopologyError, /needs one/);
  });
  it('leaves the MAC out when none is given', () => {
    expect(link(vethMessage(pair({ mac: undefined }))).attrs.address).to.equal(undefined);
  });
  it('refuses ends with different MTUs, naming the pair', () => {
    expect(() => vethMessage(pair({}, { mtu: 9000 }))).to.throw(TopologyError, /different MTUs/)
      .with.property('path', 'veth r1:eth1 <-> r2:eth2');
  });
  it('refuses an MTU out of range', () => {
    expect(() => vethMessage(pair({ mtu: 67 }, { mtu: 67 }))).to.throw(TopologyError, /out of range/);
  });
  it('refuses an interface name longer than 15 bytes', () => {
    expect(() => vethMessage(pair({ iface: 'a-very-long-name' }))).to.throw(TopologyError, /16 bytes/);
  });
  it('refuses interface names with "/" or ":"', () => {
    expect(() => vethMessage(pair({ iface: 'eth/1' }))).to.throw(TopologyError);
    expect(() => vethMessage(pair({}, { iface: 'eth:1' }))).to.throw(TopologyError);
  });
});

describe('net: address message', () => {
  it('sets IFA_LOCAL, IFA_ADDRESS and the broadcast for IPv4', () => {
    const m = rt.parseAddressMessage(join(addressMessage('10.0.12.1/24', 7)));
    expect(m.data).to.include({ family: 2, prefixlen: 24, index: 7 });
    expect([...m.attrs.local!]).to.deep.equal([10, 0, 12, 1]);
    expect([...m.attrs.address!]).to.deep.equal([10, 0, 12, 1]);
    expect([...m.attrs.broadcast!]).to.deep.equal([10, 0, 12, 255]);
  });
  it('marks IPv6 addresses nodad so they are usable at once', () => {
    const m = rt.parseAddressMessage(join(addressMessage('2001:db8::1/64', 3)));
    expect(m.data.family).to.equal(10);
    expect(m.data.flags?.nodad).to.equal(true);
    expect(m.attrs.flags?.nodad).to.equal(true);
  });
});

describe('net: route message', () => {
  const idx = (dev: string): number => ({ eth1: 2, eth2: 3 } as Record<string, number>)[dev] ?? 0;
  it('leaves RTA_DST out of a default route and sets the gateway', () => {
    const m = rt.parseRouteMessage(join(routeMessage({ prefix: '0.0.0.0/0', via: ['10.0.12.2'] }, idx)));
    expect(m.data).to.include({ family: 2, dstLen: 0, table: 254 });
    expect(m.attrs.dst).to.equal(undefined);
    expect([...m.attrs.gateway!]).to.deep.equal([10, 0, 12, 2]);
  });
  it('clears host bits of the destination and sets metric and device', () => {
    const m = rt.parseRouteMessage(join(routeMessage({ prefix: '10.1.2.3/16', via: ['10.0.12.2'], dev: 'eth2', metric: 50 }, idx)));
    expect([...m.attrs.dst!]).to.deep.equal([10, 1, 0, 0]);
    expect(m.attrs.priority).to.equal(50);
    expect(m.attrs.oif).to.equal(3);
  });
  it('makes a device route link-scoped', () => {
    const m = rt.parseRouteMessage(join(routeMessage({ prefix: '10.9.0.0/24', dev: 'eth1' }, idx)));
    expect(m.data.scope).to.equal('LINK');
    expect(m.attrs.gateway).to.equal(undefined);
  });
  it('encodes several next hops as RTA_MULTIPATH (ECMP)', () => {
    const m = rt.parseRouteMessage(join(routeMessage({ prefix: '2001:db8:99::/48', via: ['2001:db8:12::2', '2001:db8:13::3'] }, idx)));
    expect(m.attrs.gateway).to.equal(undefined);
    const mp = m.attrs.multipath!;
    const first = mp.readUInt16LE(0);
    expect(first).to.equal(8 + 20); // rtnexthop + RTA_GATEWAY(4 + 16)
    const gw1 = parseAttrs(mp.subarray(8, first))[0];
    expect(gw1.type).to.equal(5);
    expect(gw1.data.toString('hex')).to.equal('20010db8001200000000000000000002');
    expect(mp.length).to.equal(2 * first);
  });
  it('pads a next hop to 4 bytes and counts the gateway in its length', () => {
    const nh = rtnexthop(2, Buffer.from([10, 0, 0, 1]));
    expect(nh.length).to.equal(16);
    expect(nh.readUInt16LE(0)).to.equal(16);
    expect(nh.readInt32LE(4)).to.equal(2);
  });
  it('refuses a next hop of the other family', () => {
    expect(() => routeMessage({ prefix: '10.0.0.0/8', via: ['2001:db8::1'] }, idx, 'nodes.r1.routes[0]'))
      .to.throw(TopologyError, /different IP families/).with.property('path', 'nodes.r1.routes[0]');
  });
  it('refuses a route with neither via nor dev', () => {
    expect(() => routeMessage({ prefix: '10.0.0.0/8' }, idx)).to.throw(TopologyError, /neither/);
  });
  it('refuses a link-local IPv6 next hop without dev', () => {
    expect(() => routeMessage({ prefix: '::/0', via: ['fe80::1'] }, idx)).to.throw(TopologyError, /link-local/);
    expect(() => routeMessage({ prefix: '::/0', via: ['fe80::1'], dev: 'eth1' }, idx)).not.to.throw();
  });
});

describe('net: bridge message', () => {
  it('creates kind "bridge" with STP and multicast snooping off by default', () => {
    const m = link(bridgeMessage({ name: 'lan1', mtu: 1500, ports: [] }, 'segment lan1'));
    const data = findAttr(m.attrs.linkinfo!, 2)!;
    expect(readStrz(findAttr(m.attrs.linkinfo!, 1)!)).to.equal('bridge');
    expect(findAttr(data, 5)!.readUInt32LE(0)).to.equal(0);
    expect(findAttr(data, 23)![0]).to.equal(0);
    expect(m.data.flags?.up).to.equal(true);
  });
  it('turns STP on when asked', () => {
    const m = link(bridgeMessage({ name: 'sw1', mtu: 1500, stp: true, ports: [] }, 'bridge sw1'));
    expect(findAttr(findAttr(m.attrs.linkinfo!, 2)!, 5)!.readUInt32LE(0)).to.equal(1);
  });
});
