/**
 * Packets and pcapng bytes for tests, as netlab-capture writes them
 * (native/capture.c: little-endian, if_name, if_tsresol 9): frames are built
 * field by field so a test states what each one is.
 */

function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }
function ip4(a: string): Buffer { return Buffer.from(a.split('.').map(Number)); }
function mac(m: string): Buffer { return Buffer.from(m.split(':').map((x) => parseInt(x, 16))); }
function ip6(a: string): Buffer {
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

export const MAC_A = '02:00:00:00:00:01';
export const MAC_B = '02:00:00:00:00:02';

/** An Ethernet frame of `type` with `payload`, from MAC_A to `dst` (default MAC_B). */
export function ethernet(type: number, payload: Buffer, dst = MAC_B): Buffer {
  return Buffer.concat([mac(dst), mac(MAC_A), u16(type), payload]);
}

/** An IPv4 header (no options) carrying `payload` of protocol `proto`. */
export function ipv4(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h[8] = 64; h[9] = proto;
  ip4(src).copy(h, 12); ip4(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}

/** An IPv6 header carrying `payload` with next header `next`. */
export function ipv6(src: string, dst: string, next: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(payload.length, 4); h[6] = next; h[7] = 64;
  ip6(src).copy(h, 8); ip6(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

/** An ICMP (or ICMPv6) echo: type 8/0 (128/129), id, seq. */
export function echo(type: number, id: number, seq: number): Buffer {
  const b = Buffer.alloc(16); b[0] = type; b.writeUInt16BE(id, 4); b.writeUInt16BE(seq, 6); return b;
}

/** A TCP header from `sport` to `dport` with `flags` (0x02 SYN, 0x10 ACK). */
export function tcp(sport: number, dport: number, flags: number): Buffer {
  const b = Buffer.alloc(20); b.writeUInt16BE(sport, 0); b.writeUInt16BE(dport, 2); b[12] = 0x50; b[13] = flags; return b;
}

/** A UDP datagram from `sport` to `dport` with `len` bytes of data. */
export function udp(sport: number, dport: number, len: number): Buffer {
  const b = Buffer.alloc(8 + len); b.writeUInt16BE(sport, 0); b.writeUInt16BE(dport, 2); b.writeUInt16BE(8 + len, 4); return b;
}

/** An ARP request (op 1) or reply (op 2) for IPv4 over Ethernet. */
export function arp(op: number, senderIp: string, targetIp: string): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); b.writeUInt16BE(0x0800, 2); b[4] = 6; b[5] = 4; b.writeUInt16BE(op, 6);
  mac(MAC_A).copy(b, 8); ip4(senderIp).copy(b, 14); ip4(targetIp).copy(b, 24);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const h = Buffer.alloc(8); h.writeUInt32LE(type, 0); h.writeUInt32LE(len, 4);
  const t = Buffer.alloc(4); t.writeUInt32LE(len, 0);
  return Buffer.concat([h, body, Buffer.alloc(pad), t]);
}

function option(code: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4); h.writeUInt16LE(code, 0); h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/** A Section Header Block (little-endian). */
export function shb(): Buffer {
  const b = Buffer.alloc(16); b.writeUInt32LE(0x1a2b3c4d, 0); b.writeUInt16LE(1, 4); b.writeInt32LE(-1, 8); b.writeInt32LE(-1, 12);
  return block(0x0a0d0d0a, b);
}

/** An Interface Description Block named `name`, Ethernet, nanosecond timestamps. */
export function idb(name: string, linktype = 1): Buffer {
  const b = Buffer.alloc(8); b.writeUInt16LE(linktype, 0); b.writeUInt32LE(262144, 4);
  return block(1, Buffer.concat([b, option(2, Buffer.from(name)), option(9, Buffer.from([9])), Buffer.alloc(4)]));
}

/** An Enhanced Packet Block of interface `iface` at `ns` nanoseconds since 1970. */
export function epb(iface: number, ns: bigint, frame: Buffer): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(iface, 0); b.writeUInt32LE(Number(ns >> 32n), 4); b.writeUInt32LE(Number(ns & 0xffffffffn), 8);
  b.writeUInt32LE(frame.length, 12); b.writeUInt32LE(frame.length, 16);
  return block(6, Buffer.concat([b, frame]));
}
