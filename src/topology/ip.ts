/**
 * IPv4 and IPv6 addresses and prefixes as bigints: parsing (strict), formatting
 * (IPv6 per RFC 5952: lower case, longest zero run compressed), and the little
 * arithmetic addressing needs. Pure; no node:net, so the rules are ours.
 */

export type Family = 4 | 6;

/** An address with a prefix length; `addr` may have host bits set (an interface address). */
export interface Cidr {
  family: Family;
  addr: bigint;
  len: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Bits in an address of this family. */
export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** "10.1.2.3" → 0x0a010203n, or undefined. Leading zeros are refused ("010.1.1.1" is octal to some tools). */
export function parseIPv4(s: string): bigint | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part[0] === '0') return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

/** "2001:db8::1" → bigint, or undefined. Accepts an embedded IPv4 tail ("::ffff:10.0.0.1"); no zone ids. */
export function parseIPv6(s: string): bigint | undefined {
  if (s.length < 2 || s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let text = s;
  if (text.includes('.')) {
    // an embedded IPv4 tail ("::ffff:10.0.0.1") stands for the last two groups
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const groups = head.length + rest.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const all = halves.length === 2 ? [...head, ...new Array<number>(8 - groups).fill(0), ...rest] : head;
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an address of either family. */
export function parseIP(s: string): { family: Family; addr: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, addr: v4 };
  const v6 = parseIPv6(s);
  if (v6 !== undefined) return { family: 6, addr: v6 };
  return undefined;
}

/**
 * "10.1.0.0/16" → Cidr. Without "/len", `defaultLen` is used when given
 * (e.g. 32 for a loopback written as a bare address), otherwise undefined.
 */
export function parseCidr(s: string, defaultLen?: (f: Family) => number): Cidr | undefined {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIP(addrText);
  if (!ip) return undefined;
  let len: number;
  if (slash < 0) {
    if (!defaultLen) return undefined;
    len = defaultLen(ip.family);
  } else {
    const lenText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    len = Number(lenText);
  }
  if (len > bits(ip.family)) return undefined;
  return { family: ip.family, addr: ip.addr, len };
}

/** The address part as text. */
export function formatIP(family: Family, addr: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => String((addr >> sh) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952 4.2: compress the longest run of two or more zero groups (the first if tied).
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** "addr/len" text. */
export function formatCidr(c: Cidr): string {
  return `${formatIP(c.family, c.addr)}/${c.len}`;
}

/** Number of addresses in a prefix of this length. */
export function size(family: Family, len: number): bigint {
  return 1n << BigInt(bits(family) - len);
}

/** The network address (host bits cleared). */
export function network(c: Cidr): bigint {
  return c.addr & ~(size(c.family, c.len) - 1n);
}

/** True when the address has host bits set beyond the prefix. */
export function hasHostBits(c: Cidr): boolean {
  return network(c) !== c.addr;
}

/** Inclusive range [first, last] covered by the prefix. */
export function range(c: Cidr): [bigint, bigint] {
  const n = network(c);
  return [n, n + size(c.family, c.len) - 1n];
}

/** True when prefix `inner` lies entirely inside `outer` (same family). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.len < outer.len) return false;
  const [a, b] = range(outer);
  const [c, d] = range(inner);
  return c >= a && d <= b;
}

/** True when the two prefixes share any address (same family). */
export function overlaps(x: Cidr, y: Cidr): boolean {
  if (x.family !== y.family) return false;
  const [a, b] = range(x);
  const [c, d] = range(y);
  return a <= d && c <= b;
}

/**
 * Usable host addresses of a subnet, first to last: a /31 (RFC 3021) and /32
 * use every address, IPv6 uses all but the subnet-router anycast address
 * (RFC 4291 2.6.1, the all-zero host), IPv4 skips network and broadcast.
 */
export function hostRange(family: Family, net: bigint, len: number): [bigint, bigint] {
  const n = size(family, len);
  if (family === 4) {
    if (len >= 31) return [net, net + n - 1n];
    return [net + 1n, net + n - 2n];
  }
  if (len >= 127) return [net, net + n - 1n];
  return [net + 1n, net + n - 1n];
}

/** Address blocks no lab address or subnet may touch: they mean something else to every host. */
const SPECIAL: readonly { cidr: string; what: string }[] = [
  { cidr: '0.0.0.0/8', what: '"this network" (RFC 1122)' },
  { cidr: '127.0.0.0/8', what: 'the loopback block (RFC 1122)' },
  { cidr: '224.0.0.0/4', what: 'the multicast block (RFC 5771)' },
  { cidr: '240.0.0.0/4', what: 'the reserved block, with the broadcast address (RFC 1112)' },
  { cidr: '::/128', what: 'the unspecified address (RFC 4291)' },
  { cidr: '::1/128', what: 'the loopback address (RFC 4291)' },
  { cidr: 'ff00::/8', what: 'the multicast block (RFC 4291)' },
];
let special: { cidr: Cidr; text: string; what: string }[] | undefined;

/**
 * The special-purpose block an address or subnet of a lab would touch (this
 * network, loopback, multicast, reserved), as `{ text, what }`, or undefined.
 * Pure. Source: RFC 6890 (special-purpose address registries).
 */
export function specialBlock(c: Cidr): { text: string; what: string } | undefined {
  special ??= SPECIAL.map((s) => ({ cidr: parseCidr(s.cidr)!, text: s.cidr, what: s.what }));
  return special.find((s) => s.cidr.family === c.family && overlaps(s.cidr, { ...c, addr: network(c) }));
}
