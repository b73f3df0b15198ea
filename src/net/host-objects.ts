/**
 * The objects netlab creates or changes in the host's network namespace, as
 * records (HostObject, kept in the lab's State file), and their removal. They
 * are made only on request: a link to the host (host-link.ts), a management
 * network (mgmt-network.ts), a host bridge (host-bridge.ts).
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
import { openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { TopologyError } from '../errors.js';
import { addressMessage, all, listLinks } from './iface.js';
import { linkBody, parseLink } from './messages.js';
import { netlabNatTables, removeNatTable, type NftTableRecord } from './nft.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';

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

/** Throws (TopologyError) when any of `names` exists on the host — read-only check, nothing touched. */
export async function refuseExisting(host: Rtnl, names: string[], where: string): Promise<void> {
  const links = await listLinks(host);
  const taken = names.filter((n) => links.has(n));
  if (taken.length) {
    throw new TopologyError(where, `the host already has interface(s) named ${taken.join(', ')}`,
      'netlab never changes host interfaces it did not create; pick another name (or remove yours first)');
  }
}

/** Adds `cidrs` to the host link `l` (IPv6 with nodad), all requests in flight at once. */
export async function addHostAddresses(host: Rtnl, l: HostLinkRecord, cidrs: string[]): Promise<void> {
  const bodies = cidrs.map((cidr) => addressMessage(cidr, l.ifindex, `host:${l.name}`));
  await all(cidrs.map((cidr, i) => host.request(RTM.NEWADDR, bodies[i], {
    object: `address ${cidr} on host:${l.name}`, flags: NLM_F.CREATE | NLM_F.EXCL,
  })));
}
