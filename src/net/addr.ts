/**
 * Pure parsing of the address forms links carry: IPv4/IPv6 addresses and
 * prefixes in CIDR notation, and Ethernet MAC addresses. No kernel, no root.
 *
 * Errors are TopologyErrors with `where` = the caller's label (an endpoint such
 * as `r1:eth1`, or a key path), because a bad address is always bad input.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { TopologyError } from '../errors.js';
import { formatIP } from '../topology/ip.js';

/** AF_INET and AF_INET6 from <sys/socket.h>. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** An address with its prefix length, parsed from CIDR text. */
export interface Cidr {
  /** AF_INET (2) or AF_INET6 (10). */
  family: typeof AF_INET | typeof AF_INET6;
  /** The address as written (host bits kept): 4 or 16 bytes, network order. */
  bytes: Buffer;
  /** Prefix length in bits: 0–32 (IPv4) or 0–128 (IPv6). */
  prefixLen: number;
  /** The text as given, for messages. */
  text: string;
}

/**
 * The bytes of an IPv4 or IPv6 address (network order, 4 or 16 bytes).
 * Accepts IPv6 with `::` and with a trailing dotted IPv4 (`::ffff:10.0.0.1`);
 * refuses zone ids (`fe80::1%eth0`).
 * @throws TopologyError(where) when `text` is not an address.
 */
export function ipBytes(text: string, where = ''): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (isIPv6(text) && !text.includes('%')) {
    let s = text;
    let tail: number[] = [];
    const lastColon = s.lastIndexOf(':');
    if (s.includes('.', lastColon)) {
      const v4 = s.slice(lastColon + 1).split('.').map(Number);
      tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
      s = `${s.slice(0, lastColon + 1)}0`; // placeholder group, dropped below
    }
    const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
    const groups = (x: string | undefined): number[] => (x ? x.split(':').map((g) => parseInt(g, 16)) : []);
    let left = groups(head);
    let right = groups(rest);
    if (tail.length) {
      if (rest !== undefined) right = [...right.slice(0, -1), ...tail];
      else left = [...left.slice(0, -1), ...tail];
    }
    const fill = rest !== undefined ? 8 - left.length - right.length : 0;
    const all = [...left, ...new Array<number>(fill).fill(0), ...right];
    const out = Buffer.alloc(16);
    all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
    return out;
  }
  throw new TopologyError(where, `"${text}" is not an IPv4 or IPv6 address`, 'write e.g. 10.0.0.1 or 2001:db8::1');
}

/** True when `text` is an IPv6 address (a convenience for callers choosing a family). */
export function isV6(text: string): boolean {
  return text.includes(':');
}

/**
 * Parses `addr/len` ("10.0.0.1/24", "2001:db8::1/64"). Without `/len`, the
 * length is the full address (32 or 128): a host address.
 * @throws TopologyError(where) on a bad address or a prefix length out of range.
 */
export function parseCidr(text: string, where = ''): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = ipBytes(addr, where);
  const family = bytes.length === 4 ? AF_INET : AF_INET6;
  const max = bytes.length * 8;
  const lenText = slash < 0 ? String(max) : text.slice(slash + 1);
  const prefixLen = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLen >= 0 && prefixLen <= max)) {
    throw new TopologyError(where, `"${text}": prefix length must be 0–${max}`, `write e.g. ${family === AF_INET ? '10.0.0.1/24' : '2001:db8::1/64'}`);
  }
  return { family, bytes, prefixLen, text };
}

/**
 * The directed broadcast of an IPv4 prefix (host bits all ones), as `ip addr
 * add … brd +` computes it; undefined for /31 and /32 (RFC 3021: no broadcast).
 */
export function ipv4Broadcast(c: Cidr): Buffer | undefined {
  if (c.family !== AF_INET || c.prefixLen >= 31) return undefined;
  const n = c.bytes.readUInt32BE(0);
  const hostMask = c.prefixLen === 0 ? 0xffffffff : (0xffffffff >>> c.prefixLen);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((n | hostMask) >>> 0);
  return out;
}

/** The prefix with host bits cleared (what a route's RTA_DST must carry). */
export function networkBytes(c: Cidr): Buffer {
  const out = Buffer.from(c.bytes);
  for (let bit = c.prefixLen; bit < out.length * 8; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

/**
 * Parses a MAC address "02:00:5e:00:00:01" (colons or dashes, any case) into 6 bytes.
 * @param opts.group accept a group (multicast) address: the link-layer address
 *   of a neighbour entry for a multicast group, e.g. 01:00:5e:00:00:05.
 * @throws TopologyError(where) when malformed, or multicast without opts.group
 * (the low bit of the first octet set: an interface cannot own a group
 * address; IEEE 802, the kernel answers EADDRNOTAVAIL).
 */
export function parseMac(text: string, where = '', opts: { group?: boolean } = {}): Buffer {
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) {
    throw new TopologyError(where, `"${text}" is not a MAC address`, 'write six hex octets, e.g. 02:00:00:00:00:01');
  }
  const b = Buffer.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
  if (b[0]! & 1 && !opts.group) {
    throw new TopologyError(where, `MAC ${text} is a multicast address`, 'the first octet must be even; 02:… is a locally administered unicast prefix');
  }
  return b;
}

/** 6 bytes → "02:00:00:00:00:01". */
export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** 4 bytes → "10.0.0.1"; 16 bytes → "fd00:1::1" (the text of topology/ip.ts formatIP). Pure. */
export function formatIpBytes(b: Uint8Array): string {
  return formatIP(b.length === 4 ? 4 : 6, BigInt(`0x${Buffer.from(b).toString('hex')}`));
}
