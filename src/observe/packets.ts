/**
 * A one-line summary of each packet of a pcapng stream, as a packet list
 * shows it (source, destination, protocol, length, a few words of detail):
 * the live packet list of `netlab ui` (src/ui/live-capture.ts) reads the
 * stream netlab-capture writes (src/observe/capture.ts, native/capture.c).
 *
 * Pure and incremental: PcapngReader takes the stream in chunks as they
 * arrive and hands out whole blocks; summarize() decodes the headers netlab
 * labs carry — Ethernet (802.1Q/802.1ad tags skipped), ARP, IPv4, IPv6 (its
 * extension headers skipped), ICMP, ICMPv6, TCP, UDP, OSPF, and the IP
 * protocol numbers of the routing protocols by name (IANA "Assigned Internet
 * Protocol Numbers"). Anything else is named by its EtherType or protocol
 * number. Nothing here reads a payload beyond the headers it names.
 *
 * Formats: pcapng, draft-ietf-opsawg-pcapng (Section Header Block 0x0A0D0D0A,
 * Interface Description Block 1, Enhanced Packet Block 6, Simple Packet
 * Block 3); link types from tcpdump.org/linktypes.html (1 Ethernet, 12/101
 * raw IP, 113 Linux cooked v1, 276 Linux cooked v2).
 */

/** One packet as the list shows it. */
export interface PacketSummary {
  /** Source address: IP for IP and ARP, else the MAC. */
  src: string;
  /** Destination address: IP for IP and ARP, else the MAC. */
  dst: string;
  /** Topmost protocol decoded: ICMP, TCP, UDP, OSPF, ARP, ICMPv6, BGP, DNS, … */
  protocol: string;
  /** A few words: `echo request id=1 seq=3`, `51234 → 179 [S]`, `Hello`. */
  info: string;
}

/** One block of a pcapng stream, as PcapngReader hands it out. */
export type PcapngBlock =
  | { kind: 'section'; raw: Buffer }
  | { kind: 'interface'; raw: Buffer; index: number; linktype: number; name: string; tsPerSecond: number }
  | { kind: 'packet'; raw: Buffer; iface: number; /** Seconds since 1970 (ms precision kept, ns lost to the double). */ timeS: number; caplen: number; length: number; data: Buffer }
  | { kind: 'other'; raw: Buffer; type: number };

/** Largest block accepted, bytes: a snaplen of 262,144 plus headers, with room. */
const MAX_BLOCK = 1 << 20;

/** Thrown for bytes that are not pcapng (bad magic, a block length that cannot be). */
export class PcapngError extends Error {}

/**
 * Splits a pcapng stream into blocks as chunks arrive (pure; keeps at most
 * one incomplete block). Both byte orders are read, as each section says.
 */
export class PcapngReader {
  private pending: Buffer = Buffer.alloc(0);
  private little = true;
  private ifaces: { linktype: number; tsPerSecond: number; name: string }[] = [];
  /** The bytes of the blocks the last push() completed, contiguous (for writing them on as they came). */
  consumed: Buffer = Buffer.alloc(0);

  /** Link type and name of interface `i` of the current section, if described. */
  iface(i: number): { linktype: number; tsPerSecond: number; name: string } | undefined {
    return this.ifaces[i];
  }

  /**
   * Adds `chunk`; returns the blocks it completes, in order.
   * @throws PcapngError when the stream is not pcapng.
   */
  push(chunk: Buffer): PcapngBlock[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: PcapngBlock[] = [];
    let off = 0;
    while (buf.length - off >= 12) {
      const type = buf.readUInt32LE(off);
      if (type === 0x0a0d0d0a) {
        const magic = buf.readUInt32LE(off + 8);
        if (magic === 0x1a2b3c4d) this.little = true;
        else if (magic === 0x4d3c2b1a) this.little = false;
        else throw new PcapngError('a section header with an unknown byte-order magic');
      }
      const u32 = (at: number): number => (this.little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
      const len = u32(off + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) throw new PcapngError(`a block of ${len} bytes`);
      if (buf.length - off < len) break;
      const raw = buf.subarray(off, off + len);
      out.push(this.block(u32(off), raw, (at) => u32(off + at), (at) => (this.little ? buf.readUInt16LE(off + at) : buf.readUInt16BE(off + at))));
      off += len;
    }
    // Blocks handed out keep referring to `buf`; the rest is copied so `buf` can go.
    this.pending = Buffer.from(buf.subarray(off));
    this.consumed = buf.subarray(0, off);
    return out;
  }

  private block(type: number, raw: Buffer, u32: (at: number) => number, u16: (at: number) => number): PcapngBlock {
    if (type === 0x0a0d0d0a) {
      this.ifaces = [];
      return { kind: 'section', raw };
    }
    if (type === 1) {
      const linktype = u16(8);
      let tsPerSecond = 1e6;
      let name = '';
      // Options from byte 16 to the trailing length: code, length, value padded to 4.
      for (let at = 16; at + 4 <= raw.length - 4;) {
        const code = u16(at), olen = u16(at + 2);
        if (code === 0) break;
        if (code === 2) name = raw.toString('utf8', at + 4, at + 4 + olen);
        if (code === 9 && olen >= 1) {
          const v = raw[at + 4]!;
          tsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        }
        at += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      const index = this.ifaces.length;
      this.ifaces.push({ linktype, tsPerSecond, name });
      return { kind: 'interface', raw, index, linktype, name, tsPerSecond };
    }
    if (type === 6 && raw.length >= 32) {
      const iface = u32(8);
      const ticks = u32(12) * 4294967296 + u32(16);
      const caplen = Math.min(u32(20), raw.length - 32);
      const per = this.ifaces[iface]?.tsPerSecond ?? 1e6;
      return { kind: 'packet', raw, iface, timeS: ticks / per, caplen, length: u32(24), data: raw.subarray(28, 28 + caplen) };
    }
    if (type === 3 && raw.length >= 16) {
      const length = u32(8);
      const caplen = Math.min(length, raw.length - 16);
      return { kind: 'packet', raw, iface: 0, timeS: 0, caplen, length, data: raw.subarray(12, 12 + caplen) };
    }
    return { kind: 'other', raw, type };
  }
}

const ETHERTYPES: Record<number, string> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x88cc: 'LLDP', 0x8809: 'LACP', 0x8847: 'MPLS', 0x8848: 'MPLS',
  0x88e5: 'MACsec', 0x8100: '802.1Q', 0x88a8: '802.1ad', 0x22f0: 'AVTP', 0x8863: 'PPPoE', 0x8864: 'PPPoE',
};

/** IP protocol numbers (IANA) netlab's labs carry, beyond those decoded. */
const IP_PROTOCOLS: Record<number, string> = {
  1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6-in-IPv4', 47: 'GRE', 50: 'ESP', 51: 'AH',
  58: 'ICMPv6', 89: 'OSPF', 103: 'PIM', 112: 'VRRP', 115: 'L2TP', 132: 'SCTP',
};

/** Well-known ports, for the protocol column (IANA service names). */
const PORTS: Record<number, string> = {
  22: 'SSH', 23: 'Telnet', 53: 'DNS', 67: 'DHCP', 68: 'DHCP', 69: 'TFTP', 80: 'HTTP', 123: 'NTP', 161: 'SNMP', 162: 'SNMP',
  179: 'BGP', 443: 'HTTPS', 514: 'Syslog', 520: 'RIP', 521: 'RIPng', 546: 'DHCPv6', 547: 'DHCPv6', 646: 'LDP',
  3784: 'BFD', 3785: 'BFD', 4784: 'BFD', 4789: 'VXLAN', 5201: 'iperf3', 6081: 'Geneve', 6633: 'OpenFlow', 6653: 'OpenFlow',
};

const ICMP4: Record<number, string> = {
  0: 'echo reply', 3: 'destination unreachable', 5: 'redirect', 8: 'echo request', 11: 'time exceeded', 12: 'parameter problem',
};
const ICMP6: Record<number, string> = {
  1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 4: 'parameter problem', 128: 'echo request', 129: 'echo reply',
  130: 'MLD query', 131: 'MLD report', 133: 'router solicitation', 134: 'router advertisement', 135: 'neighbour solicitation',
  136: 'neighbour advertisement', 137: 'redirect', 143: 'MLDv2 report',
};
const OSPF_TYPES: Record<number, string> = { 1: 'Hello', 2: 'DB Description', 3: 'LS Request', 4: 'LS Update', 5: 'LS Ack' };

/** `aa:bb:cc:dd:ee:ff` (pure). */
export function formatMac(b: Buffer, at: number): string {
  const p: string[] = [];
  for (let i = 0; i < 6; i++) p.push((b[at + i] ?? 0).toString(16).padStart(2, '0'));
  return p.join(':');
}

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** An IPv6 address in its canonical text (RFC 5952: lower case, longest run of two or more zero groups as ::). Pure. */
export function formatIpv6(b: Buffer, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(at + 2 * i));
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x: number[]): string => x.map((v) => v.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function tcpFlags(f: number): string {
  let s = '';
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  return s || 'none';
}

/** The transport layer of an IP packet whose payload starts at `at` (protocol `proto`). */
function transport(b: Buffer, at: number, proto: number, v6: boolean): { protocol: string; info: string } {
  const left = b.length - at;
  if ((proto === 1 && !v6) || (proto === 58 && v6)) {
    if (left < 2) return { protocol: v6 ? 'ICMPv6' : 'ICMP', info: 'truncated' };
    const type = b[at]!, code = b[at + 1]!;
    const names = v6 ? ICMP6 : ICMP4;
    let info = names[type] ?? `type ${type} code ${code}`;
    const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
    if (echo && left >= 8) info += ` id=${b.readUInt16BE(at + 4)} seq=${b.readUInt16BE(at + 6)}`;
    else if (names[type] && code) info += ` code ${code}`;
    if (v6 && (type === 135 || type === 136) && left >= 24) info += ` ${formatIpv6(b, at + 8)}`;
    return { protocol: v6 ? 'ICMPv6' : 'ICMP', info };
  }
  if (proto === 6) {
    if (left < 14) return { protocol: 'TCP', info: 'truncated' };
    const sp = b.readUInt16BE(at), dp = b.readUInt16BE(at + 2);
    const named = PORTS[dp] ?? PORTS[sp];
    return { protocol: named && named !== 'DNS' ? named : 'TCP', info: `${sp} → ${dp} [${tcpFlags(b[at + 13]!)}]` };
  }
  if (proto === 17) {
    if (left < 8) return { protocol: 'UDP', info: 'truncated' };
    const sp = b.readUInt16BE(at), dp = b.readUInt16BE(at + 2);
    const named = PORTS[dp] ?? PORTS[sp];
    return { protocol: named ?? 'UDP', info: `${sp} → ${dp} len=${Math.max(0, b.readUInt16BE(at + 4) - 8)}` };
  }
  if (proto === 89) {
    if (left < 2) return { protocol: 'OSPF', info: 'truncated' };
    return { protocol: b[at] === 3 ? 'OSPFv3' : 'OSPF', info: OSPF_TYPES[b[at + 1]!] ?? `type ${b[at + 1]}` };
  }
  return { protocol: IP_PROTOCOLS[proto] ?? `IP proto ${proto}`, info: '' };
}

/** IPv6 extension headers skipped to reach the transport (RFC 8200 §4). */
const V6_EXT = new Set([0, 43, 44, 60]);

function ip(b: Buffer, at: number): PacketSummary | undefined {
  if (b.length - at < 1) return undefined;
  const version = b[at]! >> 4;
  if (version === 4 && b.length - at >= 20) {
    const ihl = (b[at]! & 0x0f) * 4;
    const proto = b[at + 9]!;
    const src = ipv4(b, at + 12), dst = ipv4(b, at + 16);
    const frag = b.readUInt16BE(at + 6) & 0x1fff;
    if (frag) return { src, dst, protocol: IP_PROTOCOLS[proto] ?? 'IPv4', info: `fragment offset ${frag * 8}` };
    const t = transport(b, at + ihl, proto, false);
    return { src, dst, protocol: t.protocol, info: t.info };
  }
  if (version === 6 && b.length - at >= 40) {
    const src = formatIpv6(b, at + 8), dst = formatIpv6(b, at + 24);
    let next = b[at + 6]!;
    let p = at + 40;
    for (let hops = 0; V6_EXT.has(next) && hops < 8 && b.length - p >= 8; hops++) {
      const n = b[p]!;
      p += next === 44 ? 8 : (b[p + 1]! + 1) * 8;
      next = n;
    }
    const t = transport(b, p, next, true);
    return { src, dst, protocol: t.protocol, info: t.info };
  }
  return undefined;
}

function arp(b: Buffer, at: number, srcMac: string, dstMac: string): PacketSummary {
  if (b.length - at < 28 || b.readUInt16BE(at + 2) !== 0x0800) return { src: srcMac, dst: dstMac, protocol: 'ARP', info: '' };
  const op = b.readUInt16BE(at + 6);
  const sender = ipv4(b, at + 14), target = ipv4(b, at + 24);
  if (op === 1) return { src: sender, dst: target, protocol: 'ARP', info: sender === target ? `announcement ${sender}` : `who has ${target}? tell ${sender}` };
  if (op === 2) return { src: sender, dst: target, protocol: 'ARP', info: `${sender} is at ${formatMac(b, at + 8)}` };
  return { src: sender, dst: target, protocol: 'ARP', info: `op ${op}` };
}

/** The summary of an Ethernet frame's payload of EtherType `type` at `at`. */
function ether(b: Buffer, type: number, at: number, src: string, dst: string): PacketSummary {
  for (let tags = 0; (type === 0x8100 || type === 0x88a8) && tags < 2 && b.length - at >= 4; tags++) {
    type = b.readUInt16BE(at + 2);
    at += 4;
  }
  if (type === 0x0800 || type === 0x86dd) return ip(b, at) ?? { src, dst, protocol: ETHERTYPES[type]!, info: 'truncated' };
  if (type === 0x0806) return arp(b, at, src, dst);
  if (type < 0x0600) return { src, dst, protocol: 'LLC', info: `length ${type}` };
  return { src, dst, protocol: ETHERTYPES[type] ?? `0x${type.toString(16).padStart(4, '0')}`, info: '' };
}

/**
 * A packet's summary from its captured bytes (pure). `linktype` is its
 * interface's (the Interface Description Block's); unknown link types give
 * `linktype N` with empty addresses. Never throws: a short packet is named
 * `truncated`.
 */
export function summarize(linktype: number, data: Buffer): PacketSummary {
  if (linktype === 1) {
    if (data.length < 14) return { src: '', dst: '', protocol: 'Ethernet', info: 'truncated' };
    return ether(data, data.readUInt16BE(12), 14, formatMac(data, 6), formatMac(data, 0));
  }
  if (linktype === 12 || linktype === 101) return ip(data, 0) ?? { src: '', dst: '', protocol: 'raw IP', info: 'truncated' };
  if (linktype === 113 && data.length >= 16) return ether(data, data.readUInt16BE(14), 16, '', '');
  if (linktype === 276 && data.length >= 20) return ether(data, data.readUInt16BE(0), 20, '', '');
  return { src: '', dst: '', protocol: `linktype ${linktype}`, info: '' };
}
