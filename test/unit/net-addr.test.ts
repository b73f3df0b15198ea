import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { AF_INET, AF_INET6, formatMac, ipBytes, ipv4Broadcast, networkBytes, parseCidr, parseMac } from '../../src/net/addr.js';
import { subnetUsers } from '../../src/net/host-addresses.js';

describe('net: address parsing', () => {
  it('turns an IPv4 address into its 4 bytes', () => {
    expect([...ipBytes('10.0.12.1')]).to.deep.equal([10, 0, 12, 1]);
  });
  it('expands "::" in IPv6 addresses', () => {
    expect(ipBytes('2001:db8::1').toString('hex')).to.equal('20010db8000000000000000000000001');
    expect(ipBytes('::').toString('hex')).to.equal('0'.repeat(32));
    expect(ipBytes('fe80::').toString('hex')).to.equal(`fe80${'0'.repeat(28)}`);
  });
  it('reads an IPv6 address with a dotted IPv4 tail', () => {
    expect(ipBytes('::ffff:10.0.0.1').toString('hex')).to.equal('00000000000000000000ffff0a000001');
    expect(ipBytes('64:ff9b:1:2:3:4:10.0.0.1').toString('hex')).to.equal('0064ff9b0001000200030004' + '0a000001');
  });
  it('refuses a non-address with the caller\'s path', () => {
    expect(() => ipBytes('10.0.0.256', 'nodes.r1.addr')).to.throw(TopologyError).with.property('path', 'nodes.r1.addr');
    expect(() => ipBytes('fe80::1%eth0')).to.throw(TopologyError);
  });
  it('parses a CIDR into family, bytes and prefix length', () => {
    const c = parseCidr('2001:db8:12::1/64');
    expect(c.family).to.equal(AF_INET6);
    expect(c.prefixLen).to.equal(64);
    expect(parseCidr('10.0.0.1/24').family).to.equal(AF_INET);
  });
  it('reads an address without a length as a host prefix (/32, /128)', () => {
    expect(parseCidr('10.255.0.1').prefixLen).to.equal(32);
    expect(parseCidr('2001:db8::1').prefixLen).to.equal(128);
  });
  it('refuses a prefix length beyond the family\'s size', () => {
    expect(() => parseCidr('10.0.0.1/33')).to.throw(TopologyError, /0–32/);
    expect(() => parseCidr('2001:db8::1/129')).to.throw(TopologyError, /0–128/);
    expect(() => parseCidr('10.0.0.1/')).to.throw(TopologyError);
  });
  it('computes the IPv4 broadcast like "brd +", none for /31 and /32', () => {
    expect([...ipv4Broadcast(parseCidr('10.0.12.1/24'))!]).to.deep.equal([10, 0, 12, 255]);
    expect([...ipv4Broadcast(parseCidr('10.0.0.1/0'))!]).to.deep.equal([255, 255, 255, 255]);
    expect(ipv4Broadcast(parseCidr('10.0.0.0/31'))).to.equal(undefined);
    expect(ipv4Broadcast(parseCidr('2001:db8::1/64'))).to.equal(undefined);
  });
  it('clears host bits for a route destination', () => {
    expect([...networkBytes(parseCidr('10.1.2.3/12'))]).to.deep.equal([10, 0, 0, 0]);
    expect(networkBytes(parseCidr('2001:db8:ffff::1/35')).toString('hex')).to.equal('20010db8e000' + '0'.repeat(20));
  });
  it('parses a MAC and prints it back in lower case', () => {
    expect(formatMac(parseMac('02:AB:00:00:00:01'))).to.equal('02:ab:00:00:00:01');
    expect(formatMac(parseMac('02-00-00-00-00-ff'))).to.equal('02:00:00:00:00:ff');
  });
  it('refuses a multicast MAC (low bit of the first octet set)', () => {
    expect(() => parseMac('03:00:00:00:00:01', 'links[0]')).to.throw(TopologyError, /multicast/);
  });
  it('refuses a malformed MAC', () => {
    expect(() => parseMac('02:00:00:00:01')).to.throw(TopologyError, /not a MAC/);
    expect(() => parseMac('02:00:00:00:00:0g')).to.throw(TopologyError);
  });
});

describe('subnetUsers (host subnet clashes, pure)', () => {
  const held = ['10.1.0.1/31', '192.168.122.1/24', 'fd00:77::1/127'].map((text, i) => ({ cidr: parseCidr(text), label: `${text} on if${i}` }));
  it('names the host addresses whose subnet overlaps, either way round, in the same family only', () => {
    expect(subnetUsers(held, '10.1.0.0/31')).to.deep.equal(['10.1.0.1/31 on if0']);
    expect(subnetUsers(held, '10.0.0.0/8')).to.deep.equal(['10.1.0.1/31 on if0']);
    expect(subnetUsers(held, '192.168.122.200/32')).to.deep.equal(['192.168.122.1/24 on if1']);
    expect(subnetUsers(held, 'fd00:77::/127')).to.deep.equal(['fd00:77::1/127 on if2']);
    expect(subnetUsers(held, '10.2.0.0/31')).to.deep.equal([]);
    expect(subnetUsers(held, 'fd00:78::/127')).to.deep.equal([]);
  });
});
