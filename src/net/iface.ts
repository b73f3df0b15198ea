/**
 * Inside one node's network namespace: find interfaces, bring them up, add
 * addresses and static routes. Every function takes an Rtnl opened inside that
 * namespace (`Rtnl.open({ netnsFd })`).
 */
import { KernelError } from '../errors.js';
import { AF_INET, AF_INET6, formatMac, ipv4Broadcast, parseCidr } from './addr.js';
import { findAttr, readStrz } from './nlattr.js';
import { describeRoute, routeMessage } from './route.js';
import { NLM_F, RTM, Rtnl, addrBody, linkBody } from './rtnl.js';
import type { RouteSpec } from './types.js';

/** ENODEV: what the kernel answers for a missing interface; used for the same case found before asking. */
const ENODEV = 19;
/** IFLA_INFO_KIND inside IFLA_LINKINFO. */
const IFLA_INFO_KIND = 1;

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
  const msgs = await rtnl.dump(RTM.GETLINK, linkBody({}), { object: `interfaces of ${rtnl.label}` });
  const out = new Map<string, LinkEntry>();
  for (const m of msgs) {
    if (m.kind !== 'link' || !m.attrs.ifname) continue;
    out.set(m.attrs.ifname, {
      ifindex: m.data.index ?? 0,
      name: m.attrs.ifname,
      up: !!m.data.flags?.up,
      kind: findAttrKind(m.attrs.linkinfo),
      mtu: m.attrs.mtu ?? 0,
      mac: m.attrs.address ? formatMac(m.attrs.address) : '',
      master: m.attrs.master ?? 0,
    });
  }
  return out;
}

/** The link kind ("veth", "bridge") inside an IFLA_LINKINFO payload; '' when absent. */
export function findAttrKind(linkinfo: Buffer | undefined): string {
  const kind = linkinfo ? findAttr(linkinfo, IFLA_INFO_KIND) : undefined;
  return kind ? readStrz(kind) : '';
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

/**
 * Sets IFF_UP on an interface (RTM_NEWLINK with ifi_change = IFF_UP, as `ip link set up`).
 * @throws KernelError naming `object`.
 */
export function setLinkUp(rtnl: Rtnl, ifindex: number, object: string): Promise<number> {
  return rtnl.request(RTM.NEWLINK, linkBody({ index: ifindex, flags: { up: true }, change: { up: true } }), {
    object, operation: 'set link up',
  });
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
export function addressMessage(cidr: string, ifindex: number, where = ''): Uint8Array[] {
  const c = parseCidr(cidr, where);
  if (c.family === AF_INET) {
    const brd = ipv4Broadcast(c);
    return addrBody({ family: AF_INET, prefixlen: c.prefixLen, index: ifindex },
      brd ? { local: c.bytes, address: c.bytes, broadcast: brd } : { local: c.bytes, address: c.bytes });
  }
  return addrBody({ family: AF_INET6, prefixlen: c.prefixLen, index: ifindex, flags: { nodad: true } },
    { address: c.bytes, flags: { nodad: true } });
}

/** What {@link configureNetns} sets up in one node. */
export interface NetnsConfig {
  /** Interfaces to bring up; `lo` is always brought up as well. */
  up: string[];
  /** Addresses, in order; several per interface allowed. */
  addresses: AddressSpec[];
  /** Static routes, added after all addresses (their gateways must be reachable by then). */
  routes: RouteSpec[];
}

/**
 * Configures one node's namespace over `rtnl` (a socket opened inside it):
 * 1. one RTM_GETLINK dump (name → ifindex, and which are already up), unless
 *    `known` (what an earlier call returned) is given: ifindexes stay valid;
 * 2. `lo` and every interface of `up` that is not up yet: IFF_UP;
 * 3. every address (IPv6 with nodad), in the socket's window;
 * 4. every route, after the addresses (a gateway must be in a connected subnet).
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
  const upNames = [...new Set(['lo', ...cfg.up])];
  const upIdx = upNames.map((n) => ifindexOf(links, n, nodeLabel));

  await all(upNames.map((name, i) => links.get(name)?.up ? undefined
    : setLinkUp(rtnl, upIdx[i], `${nodeLabel}:${name}`)));

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
  return links;
}

/** IF_OPER_UP (RFC 2863 operstate as the kernel reports it, include/uapi/linux/if.h). */
const OPER_UP = 6;

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
    const msgs = await rtnl.dump(RTM.GETLINK, linkBody({}), { object: `interfaces of ${nodeLabel}` });
    const ready = new Set<string>();
    for (const m of msgs) {
      if (m.kind !== 'link' || !m.attrs.ifname) continue;
      if (m.attrs.operstate === OPER_UP || (m.data.flags?.loopback && m.data.flags.up)) ready.add(m.attrs.ifname);
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
