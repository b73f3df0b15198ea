/**
 * The addresses the host holds, read-only, so that `up` refuses a management
 * network or host link in a subnet the host already uses.
 */
import { AF_INET, AF_INET6, formatIpBytes, networkBytes, parseCidr, type Cidr } from './addr.js';
import { listLinks, type LinkEntry } from './iface.js';
import { addrBody, parseAddr } from './messages.js';
import { RTM, Rtnl } from './rtnl.js';

/** An address the host holds, for subnet checks (hostAddresses). */
export interface HostAddress {
  cidr: Cidr;
  /** "192.168.122.1/24 on virbr0". */
  label: string;
}

/**
 * Every address the host holds, both families, but IPv6 link-local ones
 * (fe80::/64, on every interface). Read-only: one RTM_GETADDR dump, and a link
 * dump for the names unless `known` (what listLinks returned) is given.
 */
export async function hostAddresses(host: Rtnl, known?: Map<string, LinkEntry>): Promise<HostAddress[]> {
  const msgs = await host.dump(RTM.GETADDR, addrBody({ family: 0 }), { object: 'host addresses' });
  const links = known ?? await listLinks(host);
  const names = new Map([...links.values()].map((l) => [l.ifindex, l.name]));
  const out: HostAddress[] = [];
  for (const p of msgs) {
    const m = parseAddr(p);
    if (m.scope === RT_SCOPE_LINK || (m.family !== AF_INET && m.family !== AF_INET6)) continue;
    const addr = m.local ?? m.address;
    if (!addr) continue;
    const bytes = Buffer.from(addr);
    const prefixLen = m.prefixLen;
    const text = `${formatIpBytes(bytes)}/${prefixLen}`;
    out.push({ cidr: { family: m.family, bytes, prefixLen, text }, label: `${text} on ${names.get(m.ifindex) ?? `ifindex ${m.ifindex}`}` });
  }
  return out;
}

/**
 * Which of `held` overlap the subnet `cidr` ("192.168.121.1/24", "fd00:1::1/127"),
 * as their labels. Pure. Two management networks (or host links) in one subnet
 * would both route it to their own interface: the host could not tell the labs
 * apart. (libvirt's default virbr0, for one, holds 192.168.122.1/24.)
 */
export function subnetUsers(held: HostAddress[], cidr: string): string[] {
  const want = parseCidr(cidr, 'host-side subnet');
  return held.filter(({ cidr: c }) => {
    if (c.family !== want.family) return false;
    const prefixLen = Math.min(c.prefixLen, want.prefixLen);
    return networkBytes({ ...c, prefixLen }).equals(networkBytes({ ...want, prefixLen }));
  }).map((h) => h.label);
}

/** RT_SCOPE_LINK (include/uapi/linux/rtnetlink.h): fe80::/64 and the like. */
const RT_SCOPE_LINK = 253;
