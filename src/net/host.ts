/**
 * The only objects netlab creates in the host's network namespace, and only on
 * request: a link to the host (`host:IFNAME` endpoint — a veth with one end in
 * the host's namespace) and a management network (a bridge on the host with an
 * address, one veth per node, NAT out through an nftables table of the lab).
 *
 * Rules (docs/links.md, "The host"):
 * - a name that already exists on the host is an error; netlab never touches it;
 * - every link is reported to `record` BEFORE it is created, with the ifindex it
 *   will have (chosen at random high in the 31-bit range, where the kernel's own
 *   sequential numbering never reaches, and requested with ifi_index), so the
 *   State file knows it even if `up` dies half-way; a record whose object was
 *   never made is simply "gone" on removal;
 * - removal acts only on recorded objects, and only after checking the object is
 *   still the one created (same ifindex AND name for a link, same handle for a
 *   table); netlab never acts on a host interface by name otherwise.
 */
import { randomInt } from 'node:crypto';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { KernelError, TopologyError } from '../errors.js';
import { AF_INET, AF_INET6, networkBytes, parseCidr, type Cidr } from './addr.js';
import { formatIP } from '../topology/ip.js';
import { bridgeMessage, bridgePortBody } from './bridge.js';
import { addressMessage, all, listLinks, type LinkEntry, type NetnsConfig } from './iface.js';
import { addrBody, linkBody, parseAddr, parseLink } from './messages.js';
import { createNatTable, netlabNatTables, natTableName, removeNatTable, type NftTableRecord } from './nft.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';
import { createVeths, type VethEnd } from './veth.js';

/** A host link or bridge netlab created. */
export interface HostLinkRecord {
  kind: 'link';
  /** Interface name on the host. */
  name: string;
  /** Its ifindex on the host at creation; removal checks name AND ifindex. */
  ifindex: number;
  linkKind: 'veth' | 'bridge';
}

/** A host sysctl netlab changed (only net.ipv4.ip_forward, for NAT), with the value to restore. */
export interface HostSysctlRecord {
  kind: 'sysctl';
  key: 'net.ipv4.ip_forward';
  previous: string;
  value: string;
  /**
   * A file shared by every lab that relies on netlab having switched forwarding
   * on (it holds the value before): a lab started while another lab's change is
   * in effect records it too, so whichever goes down last restores the value.
   */
  marker?: string;
}

/** Anything netlab created or changed in the host's namespace. JSON-safe, for the State file. */
export type HostObject = HostLinkRecord | NftTableRecord | HostSysctlRecord;

/** Called with each host object before it is created (links) or right after (table, sysctl). */
export type Recorder = (obj: HostObject) => void;

/**
 * An ifindex for a new host interface: random in [2^24, 2^31), far above the
 * kernel's sequential numbering (which starts at 1 and counts up), so it is free
 * in practice; a clash would make the creation fail with EEXIST, never touch another link.
 */
export function pickHostIfindex(): number {
  return randomInt(1 << 24, 0x7fffffff);
}

/** Opens the caller's own (host) network namespace, e.g. for the host end of a veth. Caller closes it. */
export function openHostNetns(): number {
  return openSync('/proc/self/ns/net', 'r');
}

/** A link between a node and the host. */
export interface HostLinkSpec {
  /** The interface to create on the host (the IFNAME of `host:IFNAME`), ≤ 15 bytes. */
  hostIface: string;
  /** MAC of the host end (unicast); omitted: random. */
  hostMac?: string;
  /** Addresses for the host end, e.g. ["192.168.99.1/24"]; IPv6 with nodad. */
  hostAddresses?: string[];
  /** The node's end (its namespace fd, node name, interface, MAC, MTU — the host end gets the same MTU). */
  node: VethEnd;
}

/**
 * Creates a veth between the host (end up, addresses added) and a node (end
 * left down: the node's configureNetns brings it up).
 * @returns the records (also given to `record` one by one).
 * @throws TopologyError when `hostIface` already exists on the host (nothing is touched);
 *   KernelError on a refusal, after removing what this call created.
 */
export async function createHostLink(host: Rtnl, hostNetnsFd: number, spec: HostLinkSpec, record: Recorder): Promise<HostObject[]> {
  const made: HostObject[] = [];
  const keep = (o: HostObject): void => { made.push(o); record(o); };
  const where = `host:${spec.hostIface}`;
  await refuseExisting(host, [spec.hostIface], where);
  const rec: HostLinkRecord = { kind: 'link', name: spec.hostIface, ifindex: pickHostIfindex(), linkKind: 'veth' };
  keep(rec);
  const hostEnd: VethEnd = { netnsFd: hostNetnsFd, node: 'host', iface: spec.hostIface, mac: spec.hostMac, mtu: spec.node.mtu, ifindex: rec.ifindex };
  try {
    await createVeths(host, [{ a: hostEnd, b: spec.node }]);
    await addHostAddresses(host, rec, spec.hostAddresses ?? []);
  } catch (err) {
    await removeHostObjects(host, made);
    throw err;
  }
  return made;
}

/** The management network of a lab. */
export interface MgmtNetworkSpec {
  /** Lab name; the NAT table is `ip netlab_<lab>`. */
  lab: string;
  /** Bridge name on the host (≤ 15 bytes, unique on the host, e.g. derived from the lab hash). */
  bridge: string;
  bridgeMac?: string;
  /** The bridge's IPv4 address with the subnet's length: "172.31.0.1/24" (the nodes' gateway). */
  gateway: string;
  /** Optional IPv6 address of the bridge: "fd00:31::1/64". */
  gateway6?: string;
  /** MTU of the bridge and every mgmt veth, bytes. */
  mtu: number;
  /** Masquerade the IPv4 subnet out of the host's other interfaces. */
  nat: boolean;
  /** Where to note that netlab switched net.ipv4.ip_forward on (see HostSysctlRecord.marker). */
  forwardingMarker?: string;
}

/** One node on the management network. */
export interface MgmtAttachment {
  node: string;
  netnsFd: number;
  /** Interface inside the node, e.g. "mgmt0". */
  iface: string;
  mac?: string;
  /** The veth's host end, enslaved to the bridge (≤ 15 bytes, unique on the host). */
  hostIface: string;
  /** The node's addresses on `iface`: ["172.31.0.11/24"]. */
  addresses: string[];
}

/**
 * Creates the management bridge (up, with its addresses), one veth per node
 * (host end enslaved and up; node end down until configureNetns), and with `nat`
 * the lab's nftables table. When `nat` is asked and the host does not forward
 * IPv4 (net.ipv4.ip_forward = 0), forwarding is switched on and recorded, and
 * {@link removeHostObjects} switches it off again when no other netlab NAT table remains.
 * @returns the records, in creation order (also given to `record` one by one).
 * @throws TopologyError when a name already exists on the host (nothing touched);
 *   KernelError on a refusal, after removing what this call created.
 */
export async function createMgmtNetwork(host: Rtnl, hostNetnsFd: number, spec: MgmtNetworkSpec,
  nodes: MgmtAttachment[], record: Recorder, onProgress?: (done: number, total: number) => void): Promise<HostObject[]> {
  const where = `mgmt network ${spec.bridge}`;
  const gw = parseCidr(spec.gateway, where);
  if (gw.family !== AF_INET) throw new TopologyError(where, `gateway ${spec.gateway} is not IPv4`, 'give the bridge an IPv4 address such as 172.31.0.1/24');
  const table = spec.nat ? natTableName(spec.lab) : '';
  const brSpec = { name: spec.bridge, mtu: spec.mtu, mac: spec.bridgeMac, ports: [] };
  bridgeMessage(brSpec, where); // checks the name and MAC before anything is created
  await refuseExisting(host, [spec.bridge, ...nodes.map((n) => n.hostIface)], where);

  const made: HostObject[] = [];
  const keep = (o: HostObject): void => { made.push(o); record(o); };
  try {
    const br: HostLinkRecord = { kind: 'link', name: spec.bridge, ifindex: pickHostIfindex(), linkKind: 'bridge' };
    keep(br);
    await host.request(RTM.NEWLINK, bridgeMessage({ ...brSpec, ifindex: br.ifindex }, where), {
      object: `${where} (bridge on the host)`, flags: NLM_F.CREATE | NLM_F.EXCL,
      features: { EOPNOTSUPP: 'bridge (CONFIG_BRIDGE)' },
      hints: { EEXIST: `the host already has an interface named ${spec.bridge} (or ifindex ${br.ifindex}); netlab leaves it alone` },
    });
    await addHostAddresses(host, br, [spec.gateway, ...(spec.gateway6 ? [spec.gateway6] : [])]);

    const ends = nodes.map((n) => {
      const rec: HostLinkRecord = { kind: 'link', name: n.hostIface, ifindex: pickHostIfindex(), linkKind: 'veth' };
      keep(rec);
      return rec;
    });
    const pairs = nodes.map((n, i) => ({
      a: { netnsFd: hostNetnsFd, node: 'host', iface: n.hostIface, mtu: spec.mtu, ifindex: ends[i].ifindex },
      b: { netnsFd: n.netnsFd, node: n.node, iface: n.iface, mac: n.mac, mtu: spec.mtu },
    }));
    await createVeths(host, pairs, { onProgress });
    await all(nodes.map((n, i) => host.request(RTM.NEWLINK, bridgePortBody(ends[i].ifindex, br.ifindex),
      { object: `host:${n.hostIface} (mgmt port of ${n.node})`, operation: 'enslave to bridge' })));

    if (spec.nat) {
      keep(createNatTable(table, `${formatIp(networkBytes(gw))}/${gw.prefixLen}`, spec.bridge));
      const fwd = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
      const marker = spec.forwardingMarker;
      const mark = marker ? { marker } : {};
      if (fwd === '0') {
        if (marker) writeFileSync(marker, '0\n');
        keep({ kind: 'sysctl', key: 'net.ipv4.ip_forward', previous: '0', value: '1', ...mark });
        writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
      } else if (marker && existsSync(marker)) {
        // On because another lab switched it on: this lab shares the duty to switch it back.
        keep({ kind: 'sysctl', key: 'net.ipv4.ip_forward', previous: readFileSync(marker, 'utf8').trim(), value: '1', marker });
      }
    }
  } catch (err) {
    await removeHostObjects(host, made);
    throw err;
  }
  return made;
}

/**
 * What to add to a node's configureNetns for its mgmt attachment (pure): bring
 * `iface` up, give it its addresses, and with `defaultRoute` a default route via
 * the bridge (only for nodes without a default route of their own in the lab).
 */
export function mgmtNodeConfig(spec: MgmtNetworkSpec, n: MgmtAttachment, defaultRoute = false): NetnsConfig {
  const gw = spec.gateway.split('/')[0];
  return {
    up: [n.iface],
    addresses: n.addresses.map((cidr) => ({ iface: n.iface, cidr })),
    routes: defaultRoute ? [{ prefix: '0.0.0.0/0', via: [gw], dev: n.iface }] : [],
  };
}

/** What happened to one recorded object on removal. */
export interface RemovalResult {
  object: HostObject;
  /** 'removed', 'gone' (already not there), 'kept: <why>' (still in use by another lab), or 'left alone: <why>'. */
  outcome: string;
}

/**
 * Removes recorded host objects, newest first (a changed sysctl last). A link is deleted by ifindex only
 * when the interface with that ifindex still has the recorded name (and kind); a
 * table only when its name still has the recorded handle; ip_forward is restored
 * only when it still has netlab's value and no other netlab NAT table exists.
 * Deleting a veth's host end removes the node end too.
 * Never throws for an object that is gone or changed; throws KernelError when the
 * kernel refuses to delete an object that is still netlab's.
 */
export async function removeHostObjects(host: Rtnl, objects: HostObject[]): Promise<RemovalResult[]> {
  const out: RemovalResult[] = [];
  const newestFirst = [...objects].reverse();
  for (const o of newestFirst) {
    if (o.kind === 'nftTable') out.push({ object: o, outcome: removeNatTable(o) });
    else if (o.kind === 'link') out.push({ object: o, outcome: await removeHostLink(host, o) });
  }
  // Last: forwarding is restored only once this lab's own NAT table is gone.
  for (const o of newestFirst) if (o.kind === 'sysctl') out.push({ object: o, outcome: restoreForwarding(o) });
  return out;
}

async function removeHostLink(host: Rtnl, o: HostLinkRecord): Promise<string> {
  const [p] = await host.get(RTM.GETLINK, linkBody({ index: o.ifindex }), { object: `host:${o.name}`, ignore: ['ENODEV'] });
  if (!p) return 'gone';
  const m = parseLink(p);
  if (m.name !== o.name) return `left alone: ifindex ${o.ifindex} is now "${m.name}", not "${o.name}"`;
  const kind = m.kind;
  if (kind !== o.linkKind) return `left alone: host:${o.name} is a ${kind || 'device'} now, not a ${o.linkKind}`;
  const errno = await host.request(RTM.DELLINK, linkBody({ index: o.ifindex }), { object: `host:${o.name}`, ignore: ['ENODEV'] });
  return errno ? 'gone' : 'removed';
}

function restoreForwarding(o: HostSysctlRecord): string {
  const now = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  if (now !== o.value) return `left alone: ip_forward is ${now} now`;
  const others = netlabNatTables();
  if (others.length) return `kept: still needed by ${others.join(', ')}`;
  writeFileSync('/proc/sys/net/ipv4/ip_forward', `${o.previous}\n`);
  if (o.marker) rmSync(o.marker, { force: true });
  return 'removed';
}

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
    const text = `${formatIp(bytes)}/${prefixLen}`;
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

/** Throws when any of `names` exists on the host — read-only check, nothing touched. */
async function refuseExisting(host: Rtnl, names: string[], where: string): Promise<void> {
  const links = await listLinks(host);
  const taken = names.filter((n) => links.has(n));
  if (taken.length) {
    throw new TopologyError(where, `the host already has interface(s) named ${taken.join(', ')}`,
      'netlab never changes host interfaces it did not create; pick another name (or remove yours first)');
  }
}

async function addHostAddresses(host: Rtnl, l: HostLinkRecord, cidrs: string[]): Promise<void> {
  const bodies = cidrs.map((cidr) => addressMessage(cidr, l.ifindex, `host:${l.name}`));
  await all(cidrs.map((cidr, i) => host.request(RTM.NEWADDR, bodies[i], {
    object: `address ${cidr} on host:${l.name}`, flags: NLM_F.CREATE | NLM_F.EXCL,
  })));
}

/** 4 bytes → "10.0.0.1"; 16 bytes → "fd00:1::1" (topology/ip.ts formatIP). Pure. */
function formatIp(b: Uint8Array): string {
  return formatIP(b.length === 4 ? 4 : 6, BigInt(`0x${Buffer.from(b).toString('hex')}`));
}
