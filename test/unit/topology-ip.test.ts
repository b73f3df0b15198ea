import { expect } from 'chai';
import { formatCidr, formatIP, parseCidr, parseIPv4, parseIPv6, overlaps, contains } from '../../src/topology/ip.js';

describe('topology ip', () => {
  it('parses IPv4 and refuses leading zeros and octets above 255', () => {
    expect(parseIPv4('10.1.2.3')).to.equal(0x0a010203n);
    expect(parseIPv4('010.1.1.1')).to.equal(undefined);
    expect(parseIPv4('10.0.0.256')).to.equal(undefined);
  });
  it('parses IPv6 with :: and an embedded IPv4 tail', () => {
    expect(parseIPv6('2001:db8::1')).to.equal(0x20010db8000000000000000000000001n);
    expect(parseIPv6('::')).to.equal(0n);
    expect(parseIPv6('::ffff:10.0.0.1')).to.equal(0xffff0a000001n);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).to.equal(0x00010002000300040005000600070008n);
    expect(parseIPv6('1::2::3')).to.equal(undefined);
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).to.equal(undefined);
  });
  it('formats IPv6 per RFC 5952 (longest zero run, lower case)', () => {
    expect(formatIP(6, parseIPv6('2001:DB8:0:0:1:0:0:1')!)).to.equal('2001:db8::1:0:0:1');
    expect(formatIP(6, parseIPv6('2001:db8:0:1:0:0:0:1')!)).to.equal('2001:db8:0:1::1');
    expect(formatIP(6, 0n)).to.equal('::');
    expect(formatIP(6, parseIPv6('2001:db8:0:1:1:1:1:1')!)).to.equal('2001:db8:0:1:1:1:1:1');
  });
  it('parses CIDRs with an optional default length', () => {
    expect(formatCidr(parseCidr('10.1.0.0/16')!)).to.equal('10.1.0.0/16');
    expect(parseCidr('10.0.0.1')).to.equal(undefined);
    expect(parseCidr('10.0.0.1', () => 32)!.len).to.equal(32);
    expect(parseCidr('10.0.0.0/33')).to.equal(undefined);
  });
  it('tells overlap and containment', () => {
    const a = parseCidr('10.0.0.0/8')!, b = parseCidr('10.9.0.0/16')!, c = parseCidr('11.0.0.0/8')!;
    expect(overlaps(a, b)).to.equal(true);
    expect(overlaps(a, c)).to.equal(false);
    expect(contains(a, b)).to.equal(true);
    expect(contains(b, a)).to.equal(false);
  });
});
