/**
 * Inside one node's network namespace: find interfaces, bring them up or down,
 * read their state, add addresses and static routes. Every function takes an
 * Rtnl opened inside that namespace (`Rtnl.open({ netnsFd })`).
 *
 * Cutting a link: `netlab link down r1:eth1` sets that veth end
 * administratively down ({@link setLinkState}). The veth driver then turns the
 * carrier off on BOTH ends (drivers/net/veth.c, veth_close →
 * netif_carrier_off(peer)), so the far end reads NO-CARRIER / LOWERLAYERDOWN
 * and routing daemons see the interface go down. `up` brings the end up again;
 * the carrier returns on both ends once both are up (veth_open).
 */
import { KernelError } from '../errors.js';
import { AF_INET, AF_INET6, formatMac, ipv4Broadcast, parseCidr } from './addr.js';
import { IFA, IFA_F_NODAD, IFF_LOOPBACK, IFF_UP, addrBody, linkBody, linkStateBody, parseLink, txCounters } from './messages.js';
import { attr, u32 } from './nlattr.js';
import { describeRoute } from '../topology/routes.js';
import { neighbourMessage, type NeighbourSpec } from './neigh.js';
import { routeMessage } from './route.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';
import type { RouteSpec } from './types.js';

/** ENODEV: what the kernel answers for a missing interface; used for the same case found before asking. */
const ENODEV = 19;

/** One interface as the kernel reports it. */
export interface LinkEntry {
  ifindex: number;
  name: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** rtnl link kind: "veth", "bridge", … ('' for lo and physical devices). */
  kind: string;
  /** MTU in bytes. */
  mtu: number;
  /** MAC "aa:bb:cc:dd:ee:ff" ('' when the device has none). */
  mac: string;
  /** ifindex of the bridge this interface is a port of (0: none). */
  master: number;
}

/**
 * All interfaces of the socket's namespace, by name — one RTM_GETLINK dump.
 * Call once per namespace and pass the map around rather than asking per name.
 * @throws KernelError when the dump is refused.
 */
export async function listLinks(rtnl: Rtnl): Promise<Map<string, LinkEntry>> {
  const msgs = await rtnl.dump(RTM.GETLINK, linkBody(), { object: `interfaces of ${rtnl.label}` });
  const out = new Map<string, LinkEntry>();
  for (const p of msgs) {
    const m = parseLink(p);
    if (!m.name) continue;
    out.set(m.name, {
      ifindex: m.ifindex,
      name: m.name,
      up: (m.flags & IFF_UP) !== 0,
      kind: m.kind,
      mtu: m.mtu,
      mac: m.address ? formatMac(m.address) : '',
      master: m.master,
    });
  }
  return out;
}

/**
 * Looks an interface up in a map from {@link listLinks}.
 * @throws KernelError(`node:iface`, 'lookup', ENODEV) when it is not there.
 */
export function ifindexOf(links: Map<string, LinkEntry>, iface: string, nodeLabel: string): number {
  const l = links.get(iface);
  if (!l) {
    throw new KernelError(`${nodeLabel}:${iface}`, 'interface lookup', ENODEV, '',
      `${nodeLabel} has no interface "${iface}" (it has: ${[...links.keys()].join(', ')})`);
  }
  return l.ifindex;
}

/** IF_OPER_* (RFC 2863 operational states, include/uapi/linux/if.h), by number. */
export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPERSTATES)[number];
/** IF_OPER_UP. */
const OPER_UP = 6;

/** The state of one interface as routing daemons see it. */
export interface LinkState {
  name: string;
  /** IFF_UP: administratively up. */
  adminUp: boolean;
  /** IFLA_CARRIER: the peer is up (for a veth). */
  carrier: boolean;
  /** IFLA_OPERSTATE. */
  operState: OperState;
  mtu: number;
  /** The interface's own transmit counters (IFLA_STATS64): what it sent, whatever its qdisc. */
  tx: { bytes: number; packets: number; dropped: number };
}

/**
 * Sets an interface administratively up or down (RTM_NEWLINK with ifi_change =
 * IFF_UP, as `ip link set up/down`); see the file comment for what the peer sees.
 * @throws KernelError naming `object` (`r1:eth1`), operation `set link up` / `set link down`.
 */
export function setLinkState(rtnl: Rtnl, ifindex: number, up: boolean, object: string): Promise<number> {
  return rtnl.request(RTM.NEWLINK, linkStateBody(ifindex, up), { object, operation: up ? 'set link up' : 'set link down' });
}

/**
 * Reads the admin state, carrier, operational state, MTU and transmit counters
 * of `ifindex` (one RTM_GETLINK).
 * @throws KernelError(`object`, 'RTM_GETLINK', ENODEV) when there is no such interface.
 */
export async function readLinkState(rtnl: Rtnl, ifindex: number, object = `ifindex ${ifindex}`): Promise<LinkState> {
  const [p] = await rtnl.get(RTM.GETLINK, linkBody({ index: ifindex }), { object });
  if (!p) throw new KernelError(object, 'RTM_GETLINK', ENODEV);
  const m = parseLink(p);
  return {
    name: m.name,
    adminUp: (m.flags & IFF_UP) !== 0,
    carrier: (m.carrier ?? 0) !== 0,
    operState: OPERSTATES[m.operstate] ?? 'unknown',
    mtu: m.mtu,
    tx: txCounters(m.stats64),
  };
}

/** An address to put on an interface. */
export interface AddressSpec {
  /** Interface name inside the node ("eth1", "lo"). */
  iface: string;
  /** Address with prefix length: "10.0.0.1/24", "2001:db8::1/64"; no length means /32 or /128. */
  cidr: string;
}

/**
 * The payload of RTM_NEWADDR for `cidr` on `ifindex` (pure).
 * IPv4: IFA_LOCAL and IFA_ADDRESS (equal: not a point-to-point peer) and IFA_BROADCAST
 * for prefixes shorter than /31 (as `ip addr add … brd +`). IPv6: IFA_ADDRESS with
 * IFA_F_NODAD, so the address is usable at once instead of "tentative" for the ~1–2 s
 * of duplicate address detection (RFC 4862 §5.4; the flag is in both ifa_flags and
 * IFA_FLAGS, include/uapi/linux/if_addr.h).
 * @throws TopologyError(where) on a malformed address.
 */
export function addressMessage(cidr: string, ifindex: number, where = ''): Buffer {
  const c = parseCidr(cidr, where);
  if (c.family === AF_INET) {
    const brd = ipv4Broadcast(c);
    const attrs = [attr(IFA.LOCAL, c.bytes), attr(IFA.ADDRESS, c.bytes)];
    if (brd) attrs.push(attr(IFA.BROADCAST, brd));
    return addrBody({ family: AF_INET, prefixLen: c.prefixLen, index: ifindex }, attrs);
  }
  return addrBody({ family: AF_INET6, prefixLen: c.prefixLen, index: ifindex, flags: IFA_F_NODAD },
    [attr(IFA.ADDRESS, c.bytes), attr(IFA.FLAGS, u32(IFA_F_NODAD))]);
}

/** What {@link configureNetns} sets up in one node. */
export interface NetnsConfig {
  /** Interfaces to bring up; `lo` is always brought up as well. */
  up: string[];
  /** Addresses, in order; several per interface allowed. */
  addresses: AddressSpec[];
  /** Static routes, added after all addresses (their gateways must be reachable by then). */
  routes: RouteSpec[];
  /** Permanent neighbour entries (src/net/neigh.ts), added after the routes. */
  neighbours?: NeighbourSpec[];
}

/**
 * Configures one node's namespace over `rtnl` (a socket opened inside it):
 * 1. one RTM_GETLINK dump (name → ifindex, and which are already up), unless
 *    `known` (what an earlier call returned) is given: ifindexes stay valid;
 * 2. `lo` and every interface of `up` that is not up yet: IFF_UP;
 * 3. every address (IPv6 with nodad), in the socket's window;
 * 4. every route, after the addresses (a gateway must be in a connected subnet);
 * 5. every permanent neighbour entry (replacing one the kernel learned).
 * Returns the interface map read in step 1 (ifindexes stay valid).
 * `nodeLabel` names the node in errors: `address 10.0.0.1/24 on r1:eth1`.
 * Work started before a refusal is left in place (the namespace dies with the node).
 * @throws KernelError naming the interface, address or route the kernel refused;
 *         TopologyError for a malformed address or route.
 */
export async function configureNetns(rtnl: Rtnl, cfg: NetnsConfig, nodeLabel: string, known?: Map<string, LinkEntry>): Promise<Map<string, LinkEntry>> {
  const links = known ?? await listLinks(rtnl);
  // Build every message first: a malformed address or route fails before anything is sent.
  const addrs = cfg.addresses.map((a) => {
    const object = `address ${a.cidr} on ${nodeLabel}:${a.iface}`;
    return { a, object, body: addressMessage(a.cidr, ifindexOf(links, a.iface, nodeLabel), object) };
  });
  const routes = cfg.routes.map((r) => {
    const object = `route ${describeRoute(r)} on ${nodeLabel}`;
    return { r, object, body: routeMessage(r, (dev) => ifindexOf(links, dev, nodeLabel), object) };
  });
  const neighbours = (cfg.neighbours ?? []).map((n) => {
    const object = `neighbour ${n.ip} (${n.mac}) on ${nodeLabel}:${n.iface}`;
    return { object, body: neighbourMessage(n, ifindexOf(links, n.iface, nodeLabel), object) };
  });
  const upNames = [...new Set(['lo', ...cfg.up])];
  const upIdx = upNames.map((n) => ifindexOf(links, n, nodeLabel));

  await all(upNames.map((name, i) => links.get(name)?.up ? undefined
    : setLinkState(rtnl, upIdx[i], true, `${nodeLabel}:${name}`)));

  await all(addrs.map(({ a, object, body }) => rtnl.request(RTM.NEWADDR, body, {
    object, flags: NLM_F.CREATE | NLM_F.EXCL,
    hints: {
      EEXIST: `${nodeLabel}:${a.iface} already has ${a.cidr} (listed twice?)`,
      EINVAL: 'the kernel refused the address; is the prefix length right for its family?',
    },
  })));

  const unreachable = `the next hop is not in a subnet connected to ${nodeLabel}; give one of its interfaces an address in that subnet`;
  await all(routes.map(({ r, object, body }) => rtnl.request(RTM.NEWROUTE, body, {
    object, flags: NLM_F.CREATE | NLM_F.EXCL,
    hints: {
      ENETUNREACH: unreachable,
      EHOSTUNREACH: unreachable,
      EEXIST: `${nodeLabel} already has a route to ${r.prefix} (listed twice, or a connected subnet with the same metric)`,
      ENETDOWN: 'the outgoing interface is down',
    },
  })));

  await all(neighbours.map(({ object, body }) => rtnl.request(RTM.NEWNEIGH, body, { object, flags: NLM_F.CREATE | NLM_F.REPLACE })));
  return links;
}

/**
 * Waits until every interface in `ifaces` is operationally up (IFLA_OPERSTATE UP;
 * `lo` counts when administratively up: it always reports UNKNOWN), polling with
 * one dump every `pollMs`. A fresh veth reports UNKNOWN until linkwatch has run:
 * measured here, 1.5 s of UNKNOWN — and dropped pings — right after 1,000
 * namespaces were killed. Why: a veth that comes up before its peer gets its carrier
 * — and its real qdisc, until then a "noop" queue that drops every packet — only
 * when the kernel's linkwatch work runs, which needs the global RTNL lock and can
 * lag by a second or more while other namespaces are being torn down
 * (net/core/link_watch.c, dev_activate in net/sched/sch_generic.c). Call it once
 * every node of a lab is configured (the peers are up), before saying "ready".
 * @throws KernelError(`node:iface`, 'wait for link up', ETIMEDOUT) naming the
 *   interfaces still down after `timeoutMs` (is the peer's node configured?).
 */
export async function waitOperUp(rtnl: Rtnl, ifaces: string[], nodeLabel: string, timeoutMs = 5000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const msgs = await rtnl.dump(RTM.GETLINK, linkBody(), { object: `interfaces of ${nodeLabel}` });
    const ready = new Set<string>();
    for (const p of msgs) {
      const m = parseLink(p);
      if (m.name && (m.operstate === OPER_UP || ((m.flags & IFF_LOOPBACK) && (m.flags & IFF_UP)))) ready.add(m.name);
    }
    const down = ifaces.filter((i) => !ready.has(i));
    if (!down.length) return;
    if (Date.now() >= deadline) {
      throw new KernelError(`${nodeLabel}:${down.join(',')}`, 'wait for link up', 110, '',
        `no carrier after ${timeoutMs} ms; is the node at the other end running and configured?`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Awaits all promises (undefined entries are skipped); when some fail, waits for
 * the rest to settle and throws the first failure in list order.
 */
export async function all(ps: Array<Promise<unknown> | undefined>): Promise<void> {
  const rs = await Promise.allSettled(ps.filter((p): p is Promise<unknown> => p !== undefined));
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}
