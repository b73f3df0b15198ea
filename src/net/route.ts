/**
 * Static routes as rtnetlink messages (pure: RouteSpec in, message payload out).
 *
 * Encoding (include/uapi/linux/rtnetlink.h, and what `ip route add` sends):
 * rtmsg { family, dst_len, src_len 0, tos 0, table RT_TABLE_MAIN, protocol
 * RTPROT_STATIC, scope, type RTN_UNICAST }, then RTA_DST (network bytes, left
 * out for a default route), RTA_OIF, RTA_GATEWAY for one next hop, or
 * RTA_MULTIPATH for several: a list of `struct rtnexthop { u16 len; u8 flags;
 * u8 hops; s32 ifindex }` each followed by its own RTA_GATEWAY (ECMP, equal
 * weights: hops = weight - 1 = 0). IPv6 accepts RTA_MULTIPATH as well
 * (net/ipv6/route.c, ip6_route_multipath_add).
 */
import { TopologyError } from '../errors.js';
import { describeRoute } from '../topology/routes.js';
import { AF_INET6, ipBytes, networkBytes, parseCidr } from './addr.js';
import { RTA, routeBody } from './messages.js';
import { attr, u32 } from './nlattr.js';
import type { RouteSpec } from './types.js';

/** RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE / RT_SCOPE_LINK, RTN_UNICAST. */
const TABLE_MAIN = 254;
const PROTO_STATIC = 4;
const SCOPE_UNIVERSE = 0;
const SCOPE_LINK = 253;
const TYPE_UNICAST = 1;

/**
 * The payload of RTM_NEWROUTE (or RTM_DELROUTE) for one RouteSpec.
 * `ifindexOf(name)` resolves `dev`; it is called only when `dev` is set.
 * A route with neither `via` nor `dev` is refused; a link-local IPv6 gateway
 * (fe80::/10) needs `dev` (the kernel cannot pick the link for it).
 * @throws TopologyError(where) on a bad prefix/gateway or mixed families.
 */
export function routeMessage(r: RouteSpec, ifindexOf: (dev: string) => number, where = ''): Buffer {
  const dst = parseCidr(r.prefix, where);
  const via = (r.via ?? []).map((g) => ipBytes(g, where));
  if (via.some((g) => g.length !== dst.bytes.length)) {
    throw new TopologyError(where, `route ${describeRoute(r)}: the next hop and the prefix are of different IP families`, 'use an IPv4 next hop for an IPv4 prefix and an IPv6 one for an IPv6 prefix');
  }
  if (!via.length && !r.dev) {
    throw new TopologyError(where, `route ${r.prefix} has neither "via" nor "dev"`, 'give a next-hop address (via) or an interface (dev)');
  }
  if (dst.family === AF_INET6 && !r.dev && via.some((g) => g[0] === 0xfe && (g[1] & 0xc0) === 0x80)) {
    throw new TopologyError(where, `route ${describeRoute(r)}: a link-local next hop needs "dev"`, 'add dev: <interface> so the kernel knows which link fe80:: is on');
  }
  const oif = r.dev ? ifindexOf(r.dev) : 0;
  const attrs: Buffer[] = [];
  if (dst.prefixLen > 0) attrs.push(attr(RTA.DST, networkBytes(dst)));
  if (r.metric !== undefined) attrs.push(attr(RTA.PRIORITY, u32(r.metric)));
  if (via.length > 1) {
    attrs.push(attr(RTA.MULTIPATH, Buffer.concat(via.map((g) => rtnexthop(oif, g)))));
  } else {
    if (oif) attrs.push(attr(RTA.OIF, u32(oif)));
    if (via.length === 1) attrs.push(attr(RTA.GATEWAY, via[0]!));
  }
  return routeBody({
    family: dst.family,
    dstLen: dst.prefixLen,
    table: TABLE_MAIN,
    protocol: PROTO_STATIC,
    scope: via.length ? SCOPE_UNIVERSE : SCOPE_LINK,
    type: TYPE_UNICAST,
  }, attrs);
}

/** One `struct rtnexthop` with its RTA_GATEWAY; rtnh_len counts both (RTNH_ALIGN = 4). */
export function rtnexthop(ifindex: number, gateway: Buffer): Buffer {
  const gw = attr(RTA.GATEWAY, gateway);
  const head = Buffer.alloc(8);
  head.writeUInt16LE(8 + gw.length, 0);
  head.writeUInt8(0, 2); // flags
  head.writeUInt8(0, 3); // hops: weight - 1
  head.writeInt32LE(ifindex, 4);
  return Buffer.concat([head, gw]);
}
