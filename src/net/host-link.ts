/**
 * A link between a node and the host (`host:IFNAME` endpoint): a veth with
 * one end in the host's namespace, recorded before it is made
 * (host-objects.ts has the rules).
 */
import { addHostAddresses, pickHostIfindex, refuseExisting, removeHostObjects, type HostLinkRecord, type HostObject, type Recorder } from './host-objects.js';
import type { Rtnl } from './rtnl.js';
import { createVeths, type VethEnd } from './veth.js';

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
