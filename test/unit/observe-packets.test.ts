/**
 * The packet list's decoder (src/observe/packets.ts): pcapng read in pieces
 * as a pipe delivers it, and a summary per packet of the protocols a lab carries.
 */
import { expect } from 'chai';
import { formatIpv6, PcapngError, PcapngReader, summarize, type PcapngBlock } from '../../src/observe/packets.js';
import { arp, echo, epb, ethernet, idb, ipv4, ipv6, MAC_A, MAC_B, shb, tcp, udp } from '../helpers/pcapng.js';

const T0 = 1_765_000_000_000_000_000n;

describe('packet list decoder (pcapng → one line per packet)', function () {
  it('reads a pcapng stream cut into 1-byte chunks as it reads it whole', function () {
    const frame = ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', 1, echo(8, 7, 1)));
    const bytes = Buffer.concat([shb(), idb('r1:eth1'), epb(0, T0, frame), epb(0, T0 + 1_500_000n, frame)]);
    const whole = new PcapngReader().push(bytes).map((b) => b.kind);
    const r = new PcapngReader();
    const pieces: PcapngBlock[] = [];
    for (let i = 0; i < bytes.length; i++) pieces.push(...r.push(bytes.subarray(i, i + 1)));
    expect(pieces.map((b) => b.kind)).to.deep.equal(whole).and.deep.equal(['section', 'interface', 'packet', 'packet']);
    const [, iface, p1, p2] = pieces as [PcapngBlock, Extract<PcapngBlock, { kind: 'interface' }>, Extract<PcapngBlock, { kind: 'packet' }>, Extract<PcapngBlock, { kind: 'packet' }>];
    expect(iface).to.include({ name: 'r1:eth1', linktype: 1, tsPerSecond: 1e9 });
    expect(p1.length).to.equal(frame.length);
    expect(p1.data.equals(frame)).to.equal(true);
    expect(p2.timeS - p1.timeS).to.be.closeTo(0.0015, 1e-6);
  });

  it('hands back the bytes of the blocks it completed, for writing them on whole', function () {
    const bytes = Buffer.concat([shb(), idb('r1:eth1')]);
    const r = new PcapngReader();
    r.push(bytes.subarray(0, bytes.length - 3));
    expect(r.consumed.equals(shb())).to.equal(true);
    r.push(bytes.subarray(bytes.length - 3));
    expect(r.consumed.equals(idb('r1:eth1'))).to.equal(true);
  });

  it('refuses bytes that are not pcapng with a PcapngError', function () {
    expect(() => new PcapngReader().push(Buffer.from('0123456789abcdef'))).to.throw(PcapngError);
  });

  it('names an IPv4 ping by its addresses, ICMP, id and sequence', function () {
    expect(summarize(1, ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', 1, echo(8, 7, 3))))).to.deep.equal({ src: '10.1.0.1', dst: '10.1.0.2', protocol: 'ICMP', info: 'echo request id=7 seq=3' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.1.0.2', '10.1.0.1', 1, echo(0, 7, 3))))).to.deep.include({ protocol: 'ICMP', info: 'echo reply id=7 seq=3' });
  });

  it('names ARP requests and replies by the IP addresses they are about', function () {
    expect(summarize(1, ethernet(0x0806, arp(1, '10.1.0.1', '10.1.0.2'), 'ff:ff:ff:ff:ff:ff'))).to.deep.equal({ src: '10.1.0.1', dst: '10.1.0.2', protocol: 'ARP', info: 'who has 10.1.0.2? tell 10.1.0.1' });
    expect(summarize(1, ethernet(0x0806, arp(2, '10.1.0.2', '10.1.0.1')))).to.deep.include({ info: `10.1.0.2 is at ${MAC_A}` });
  });

  it('names TCP and UDP by well-known port, with ports and TCP flags', function () {
    expect(summarize(1, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(51234, 179, 0x02))))).to.deep.include({ protocol: 'BGP', info: '51234 → 179 [S]' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(40000, 4444, 0x12))))).to.deep.include({ protocol: 'TCP', info: '40000 → 4444 [S.]' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(5353, 53, 30))))).to.deep.include({ protocol: 'DNS', info: '5353 → 53 len=30' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(40000, 40001, 5))))).to.deep.include({ protocol: 'UDP' });
  });

  it('names OSPF packets by type, and other IP protocols by their IANA name or number', function () {
    expect(summarize(1, ethernet(0x0800, ipv4('10.1.0.1', '224.0.0.5', 89, Buffer.from([2, 1, 0, 44]))))).to.deep.equal({ src: '10.1.0.1', dst: '224.0.0.5', protocol: 'OSPF', info: 'Hello' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.1.0.1', '224.0.0.18', 112, Buffer.alloc(8))))).to.deep.include({ protocol: 'VRRP' });
    expect(summarize(1, ethernet(0x0800, ipv4('10.1.0.1', '10.1.0.2', 253, Buffer.alloc(8))))).to.deep.include({ protocol: 'IP proto 253' });
  });

  it('decodes IPv6 with compressed addresses, ICMPv6 neighbour discovery and echo, past extension headers', function () {
    const ns = Buffer.alloc(24); ns[0] = 135; Buffer.from([0xfe, 0x80, ...Array(13).fill(0), 2]).copy(ns, 8);
    expect(summarize(1, ethernet(0x86dd, ipv6('fe80::1', 'ff02::1:ff00:2', 58, ns)))).to.deep.equal({ src: 'fe80::1', dst: 'ff02::1:ff00:2', protocol: 'ICMPv6', info: 'neighbour solicitation fe80::2' });
    const hopByHop = Buffer.concat([Buffer.from([58, 0]), Buffer.alloc(6)]);
    expect(summarize(1, ethernet(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 0, Buffer.concat([hopByHop, echo(128, 1, 9)]))))).to.deep.include({ protocol: 'ICMPv6', info: 'echo request id=1 seq=9' });
  });

  it('skips an 802.1Q tag, and names frames it does not decode by EtherType between MACs', function () {
    const tagged = ethernet(0x8100, Buffer.concat([Buffer.from([0, 10, 0x08, 0x00]), ipv4('10.9.0.1', '10.9.0.2', 1, echo(8, 1, 1))]));
    expect(summarize(1, tagged)).to.deep.include({ src: '10.9.0.1', protocol: 'ICMP' });
    expect(summarize(1, ethernet(0x88cc, Buffer.alloc(20)))).to.deep.equal({ src: MAC_A, dst: MAC_B, protocol: 'LLDP', info: '' });
    expect(summarize(1, ethernet(0x1234, Buffer.alloc(20)))).to.deep.include({ protocol: '0x1234' });
  });

  it('says truncated for a frame cut short, and names an unknown link type, without throwing', function () {
    expect(summarize(1, Buffer.alloc(6))).to.deep.include({ info: 'truncated' });
    expect(summarize(1, ethernet(0x0800, Buffer.alloc(8)))).to.deep.include({ protocol: 'IPv4', info: 'truncated' });
    expect(summarize(147, Buffer.alloc(40))).to.deep.include({ protocol: 'linktype 147' });
    expect(summarize(101, ipv4('10.0.0.1', '10.0.0.2', 1, echo(8, 1, 2)))).to.deep.include({ src: '10.0.0.1', protocol: 'ICMP' });
  });

  it('writes IPv6 addresses as RFC 5952 says', function () {
    const b = (s: number[]): Buffer => Buffer.from(s.flatMap((g) => [g >> 8, g & 0xff]));
    expect(formatIpv6(b([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), 0)).to.equal('2001:db8::1');
    expect(formatIpv6(b([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1]), 0)).to.equal('2001:db8:0:1::1');
    expect(formatIpv6(b([0x2001, 0, 0, 1, 0, 0, 0, 1]), 0)).to.equal('2001:0:0:1::1');
    expect(formatIpv6(b([0, 0, 0, 0, 0, 0, 0, 0]), 0)).to.equal('::');
    expect(formatIpv6(b([0x2001, 0xdb8, 1, 2, 3, 4, 0, 5]), 0)).to.equal('2001:db8:1:2:3:4:0:5');
  });
});
