/**
 * A lab's management network: a bridge on the host with an address, one veth
 * per node, NAT out through an nftables table of the lab, every object
 * recorded (host-objects.ts has the rules).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TopologyError } from '../errors.js';
import { AF_INET, formatIpBytes, networkBytes, parseCidr } from './addr.js';
import { bridgeMessage, bridgePortBody } from './bridge.js';
import { addHostAddresses, pickHostIfindex, refuseExisting, removeHostObjects, type HostLinkRecord, type HostObject, type Recorder } from './host-objects.js';
import { all, type NetnsConfig } from './iface.js';
import { createNatTable, natTableName } from './nft.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';
import { createVeths } from './veth.js';

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
      hints: { EEXIST: `the host already has an interface named ${spec.bridge} (or ifindex ${br.ifindex}); netlab leaves it alone. `
        + `If it is what a lab of this name left behind (netlab status shows no such lab, and its run folder was deleted), ip link delete ${spec.bridge} removes it` },
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
      keep(createNatTable(table, `${formatIpBytes(networkBytes(gw))}/${gw.prefixLen}`, spec.bridge));
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
