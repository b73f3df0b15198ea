/**
 * Permanent neighbour (ARP / NDP) entries: RTM_NEWNEIGH with NUD_PERMANENT
 * (include/uapi/linux/neighbour.h, rtnetlink(7) "RTM_NEWNEIGH").
 *
 * Why netlab writes them: the kernel's neighbour tables are shared by every
 * network namespace on the host, and an entry learned by ARP or NDP counts
 * against one host-wide limit, net.ipv4.neigh.default.gc_thresh3 (and its
 * IPv6 twin), 1,024 by default. A lab of 1,024 routers in a grid needs
 * ~4,000; past the limit the kernel refuses new entries ("neighbour:
 * arp_cache: neighbor table overflow!" in the kernel log), packets to a
 * neighbour are dropped and OSPF adjacencies never form. Permanent entries
 * are exempt from that count (net/core/neighbour.c: neigh_alloc,
 * exempt_from_gc, Linux ≥ 4.19), and never expire or need an ARP exchange.
 */
import { AF_INET, AF_INET6, ipBytes, isV6, parseMac } from './addr.js';
import { attr } from './nlattr.js';

/** ndmsg size: family, pad, pad, ifindex, state, flags, type (include/uapi/linux/neighbour.h). */
const NDMSG_LEN = 12;
/** Neighbour attributes. */
export const NDA = { DST: 1, LLADDR: 2 } as const;
/** NUD_PERMANENT: a static entry, never probed or garbage-collected. */
export const NUD_PERMANENT = 0x80;

/** One permanent neighbour entry to add in a node. */
export interface NeighbourSpec {
  /** Interface the neighbour is reached through. */
  iface: string;
  /** The neighbour's address, without a prefix length: "10.1.0.1", "2001:db8::2". */
  ip: string;
  /** The neighbour's MAC, "02:…". */
  mac: string;
}

/**
 * Whether `ip` is a multicast group (pure): 224.0.0.0/4 (RFC 5771) or
 * ff00::/8 (RFC 4291 §2.7). A group's entry carries a group MAC.
 */
export function isMulticastIp(ip: string): boolean {
  const b = ipBytes(ip);
  return b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}

/**
 * The body of an RTM_NEWNEIGH request for a permanent entry `ip` → `mac` on
 * `ifindex` (send with NLM_F_CREATE | NLM_F_REPLACE, as `ip neigh replace … nud
 * permanent` does).
 * @throws TopologyError(where) for a malformed address or MAC, or a group MAC
 *   for a unicast address.
 */
export function neighbourMessage(n: { ip: string; mac: string }, ifindex: number, where = ''): Buffer {
  const h = Buffer.alloc(NDMSG_LEN);
  h.writeUInt8(isV6(n.ip) ? AF_INET6 : AF_INET, 0);
  h.writeInt32LE(ifindex, 4);
  h.writeUInt16LE(NUD_PERMANENT, 8);
  return Buffer.concat([h, attr(NDA.DST, ipBytes(n.ip, where)), attr(NDA.LLADDR, parseMac(n.mac, where, { group: isMulticastIp(n.ip) }))]);
}
