/**
 * The payloads of the rtnetlink messages netlab sends and reads: the fixed
 * header of each family (ifinfomsg, ifaddrmsg, rtmsg, tcmsg) followed by
 * attributes from src/net/nlattr.ts. Pure: Buffers in, Buffers or plain
 * objects out. The netlink header (nlmsghdr) is added by src/net/rtnl.ts.
 *
 * Layouts: include/uapi/linux/rtnetlink.h (ifinfomsg, ifaddrmsg, rtmsg,
 * tcmsg), include/uapi/linux/if_link.h (IFLA_*), if_addr.h (IFA_*),
 * pkt_sched.h and rtnetlink.h (TCA_*). Every struct is in host byte order.
 */
import { attr, attrMap, findAttr, readStrz, readU64, strz } from './nlattr.js';

/** IFLA_* link attributes netlab sends or reads. */
export const IFLA = {
  ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, OPERSTATE: 16, LINKINFO: 18, STATS64: 23, NET_NS_FD: 28, CARRIER: 33,
} as const;
/** IFLA_INFO_* inside IFLA_LINKINFO. */
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
/** IFA_* address attributes. */
export const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4, FLAGS: 8 } as const;
/** IFA_F_NODAD: skip duplicate address detection (include/uapi/linux/if_addr.h). */
export const IFA_F_NODAD = 0x02;
/** RTA_* route attributes. */
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, MULTIPATH: 9 } as const;
/** TCA_* tc attributes. */
export const TCA = { KIND: 1, OPTIONS: 2, STATS: 3, STATS2: 7 } as const;
/** ifi_flags bits (include/uapi/linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_LOOPBACK = 0x8;

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const RTMSG_LEN = 12;
const TCMSG_LEN = 20;

/** struct ifinfomsg: which interface, and which IFF_* flags to set (`change` says which bits count). */
export interface Ifinfo {
  family?: number;
  /** ifi_index: 0 for "any" (a dump, or a new link the kernel numbers). */
  index?: number;
  flags?: number;
  change?: number;
}

/** ifinfomsg (16 bytes) + attributes: the payload of RTM_NEWLINK/DELLINK/GETLINK/SETLINK. */
export function linkBody(ifi: Ifinfo = {}, attrs: Buffer[] = []): Buffer {
  const h = Buffer.alloc(IFINFOMSG_LEN);
  h.writeUInt8(ifi.family ?? 0, 0);
  h.writeInt32LE(ifi.index ?? 0, 4);
  h.writeUInt32LE(ifi.flags ?? 0, 8);
  h.writeUInt32LE(ifi.change ?? 0, 12);
  return attrs.length ? Buffer.concat([h, ...attrs]) : h;
}

/** RTM_NEWLINK payload that sets interface `index` administratively up or down and changes nothing else (as `ip link set … up/down`). */
export function linkStateBody(index: number, up: boolean): Buffer {
  return linkBody({ index, flags: up ? IFF_UP : 0, change: IFF_UP });
}

/** One interface as an RTM_NEWLINK answer describes it (the fields netlab reads). */
export interface LinkMessage {
  ifindex: number;
  /** ifi_flags (IFF_UP, IFF_LOOPBACK, …). */
  flags: number;
  /** IFLA_IFNAME ('' when absent). */
  name: string;
  /** IFLA_MTU, bytes (0 when absent). */
  mtu: number;
  /** IFLA_ADDRESS (the MAC), absent for devices without one. */
  address?: Buffer;
  /** IFLA_MASTER: ifindex of the bridge it is a port of (0: none). */
  master: number;
  /** IFLA_OPERSTATE (RFC 2863: 6 = up; 0 when absent). */
  operstate: number;
  /** IFLA_CARRIER (1: carrier), absent on old kernels. */
  carrier?: number;
  /** IFLA_INFO_KIND inside IFLA_LINKINFO ("veth", "bridge"; '' for lo and physical devices). */
  kind: string;
  /** IFLA_STATS64 (struct rtnl_link_stats64), when present. */
  stats64?: Buffer;
}

/** Decodes an RTM_NEWLINK payload. @throws RangeError when shorter than ifinfomsg. */
export function parseLink(p: Buffer): LinkMessage {
  if (p.length < IFINFOMSG_LEN) throw new RangeError(`link message of ${p.length} bytes`);
  const a = attrMap(p.subarray(IFINFOMSG_LEN));
  const u32 = (t: number): number | undefined => { const b = a.get(t); return b && b.length >= 4 ? b.readUInt32LE(0) : undefined; };
  const linkinfo = a.get(IFLA.LINKINFO);
  const kind = linkinfo ? findAttr(linkinfo, IFLA_INFO.KIND) : undefined;
  const name = a.get(IFLA.IFNAME);
  return {
    ifindex: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    name: name ? readStrz(name) : '',
    mtu: u32(IFLA.MTU) ?? 0,
    address: a.get(IFLA.ADDRESS),
    master: u32(IFLA.MASTER) ?? 0,
    operstate: a.get(IFLA.OPERSTATE)?.[0] ?? 0,
    carrier: a.get(IFLA.CARRIER)?.[0],
    kind: kind ? readStrz(kind) : '',
    stats64: a.get(IFLA.STATS64),
  };
}

/** Transmit counters from IFLA_STATS64 (struct rtnl_link_stats64: tx_packets at 8, tx_bytes at 24, tx_dropped at 56). */
export function txCounters(stats64: Buffer | undefined): { bytes: number; packets: number; dropped: number } {
  if (!stats64 || stats64.length < 64) return { bytes: 0, packets: 0, dropped: 0 };
  return { packets: readU64(stats64, 8), bytes: readU64(stats64, 24), dropped: readU64(stats64, 56) };
}

/** struct ifaddrmsg. */
export interface Ifaddr {
  family: number;
  prefixLen?: number;
  /** IFA_F_* (8 bits here; IFA_FLAGS carries all 32). */
  flags?: number;
  scope?: number;
  index?: number;
}

/** ifaddrmsg (8 bytes) + attributes: the payload of RTM_NEWADDR/DELADDR/GETADDR. */
export function addrBody(ifa: Ifaddr, attrs: Buffer[] = []): Buffer {
  const h = Buffer.alloc(IFADDRMSG_LEN);
  h.writeUInt8(ifa.family, 0);
  h.writeUInt8(ifa.prefixLen ?? 0, 1);
  h.writeUInt8(ifa.flags ?? 0, 2);
  h.writeUInt8(ifa.scope ?? 0, 3);
  h.writeUInt32LE(ifa.index ?? 0, 4);
  return attrs.length ? Buffer.concat([h, ...attrs]) : h;
}

/** One address as an RTM_NEWADDR answer describes it. */
export interface AddrMessage {
  family: number;
  prefixLen: number;
  /** ifa_scope (RT_SCOPE_*: 0 universe, 253 link, 254 host). */
  scope: number;
  ifindex: number;
  /** IFA_ADDRESS (the peer's on a point-to-point link, else the address itself). */
  address?: Buffer;
  /** IFA_LOCAL (IPv4: the interface's own address). */
  local?: Buffer;
}

/** Decodes an RTM_NEWADDR payload. @throws RangeError when shorter than ifaddrmsg. */
export function parseAddr(p: Buffer): AddrMessage {
  if (p.length < IFADDRMSG_LEN) throw new RangeError(`address message of ${p.length} bytes`);
  const a = attrMap(p.subarray(IFADDRMSG_LEN));
  return { family: p[0]!, prefixLen: p[1]!, scope: p[3]!, ifindex: p.readUInt32LE(4), address: a.get(IFA.ADDRESS), local: a.get(IFA.LOCAL) };
}

/** struct rtmsg. */
export interface Rtmsg {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
}

/** rtmsg (12 bytes) + attributes: the payload of RTM_NEWROUTE/DELROUTE. */
export function routeBody(rtm: Rtmsg, attrs: Buffer[] = []): Buffer {
  const h = Buffer.alloc(RTMSG_LEN);
  h.writeUInt8(rtm.family, 0);
  h.writeUInt8(rtm.dstLen, 1);
  // src_len 0, tos 0
  h.writeUInt8(rtm.table, 4);
  h.writeUInt8(rtm.protocol, 5);
  h.writeUInt8(rtm.scope, 6);
  h.writeUInt8(rtm.type, 7);
  // rtm_flags 0
  return attrs.length ? Buffer.concat([h, ...attrs]) : h;
}

/** struct tcmsg: which interface, and which qdisc, class or filter on it. */
export interface Tcmsg {
  ifindex: number;
  /** tcm_handle: the object's own handle (qdisc `1:`, class `1:11`, filter handle); 0: any. */
  handle?: number;
  /** tcm_parent: TC_H_ROOT for a root qdisc, else the parent's handle. */
  parent?: number;
  /** tcm_info: for a filter, priority (high 16 bits) and protocol (low 16, network order). */
  info?: number;
}

/**
 * tcmsg (20 bytes), then TCA_KIND and TCA_OPTIONS when given: the payload of
 * RTM_{NEW,DEL,GET}{QDISC,TCLASS,TFILTER}, as tc(8) sends it.
 */
export function tcBody(tcm: Tcmsg, kind?: string, options?: Buffer): Buffer {
  const h = Buffer.alloc(TCMSG_LEN);
  h.writeInt32LE(tcm.ifindex, 4);
  h.writeUInt32LE(tcm.handle ?? 0, 8);
  h.writeUInt32LE(tcm.parent ?? 0, 12);
  h.writeUInt32LE(tcm.info ?? 0, 16);
  const parts: Buffer[] = [h];
  if (kind !== undefined) parts.push(attr(TCA.KIND, strz(kind)));
  if (options !== undefined) parts.push(attr(TCA.OPTIONS, options));
  return parts.length > 1 ? Buffer.concat(parts) : h;
}

/** One qdisc, class or filter as a dump describes it. */
export interface TcMessage {
  ifindex: number;
  handle: number;
  parent: number;
  info: number;
  /** TCA_KIND ('' when absent). */
  kind: string;
  /** TCA_OPTIONS, raw (each kind decodes its own: src/shaping/tbf.ts, htb.ts, netem.ts). */
  options?: Buffer;
  /** TCA_STATS (legacy struct tc_stats). */
  stats?: Buffer;
  /** TCA_STATS2 (nested gnet_stats_*). */
  stats2?: Buffer;
}

/** Decodes an RTM_NEW{QDISC,TCLASS,TFILTER} payload. @throws RangeError when shorter than tcmsg. */
export function parseTc(p: Buffer): TcMessage {
  if (p.length < TCMSG_LEN) throw new RangeError(`tc message of ${p.length} bytes`);
  const a = attrMap(p.subarray(TCMSG_LEN));
  const kind = a.get(TCA.KIND);
  return {
    ifindex: p.readInt32LE(4), handle: p.readUInt32LE(8), parent: p.readUInt32LE(12), info: p.readUInt32LE(16),
    kind: kind ? readStrz(kind) : '', options: a.get(TCA.OPTIONS), stats: a.get(TCA.STATS), stats2: a.get(TCA.STATS2),
  };
}
