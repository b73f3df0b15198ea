/**
 * A Linux bridge inside one network namespace: the hidden per-lab segment
 * namespace that carries a LAN (a link with 3+ endpoints), or a `kind: bridge`
 * node. The bridge and every port come up; STP is off unless asked for (ports
 * then forward at once instead of after 2 × forward_delay = 30 s); multicast
 * snooping is off, so the segment floods like a plain hub-switch and a lab
 * does not depend on an MLD/IGMP querier being present.
 *
 * Messages (include/uapi/linux/if_link.h, net/bridge/br_netlink.c):
 *   RTM_NEWLINK ifname, mtu, address, IFF_UP, IFLA_LINKINFO { KIND "bridge",
 *     DATA { IFLA_BR_STP_STATE u32, IFLA_BR_MCAST_SNOOPING u8 } }
 *   per port: RTM_NEWLINK index=port, IFLA_MASTER = bridge ifindex, IFF_UP
 *     (what `ip link set PORT master BR up` sends).
 * An MTU set explicitly on the bridge stays (the kernel stops following the
 * smallest port MTU once the user has set one, since Linux 4.17).
 */
import { TopologyError } from '../errors.js';
import { parseMac } from './addr.js';
import { all, ifindexOf, listLinks, type LinkEntry } from './iface.js';
import { IFF_UP, IFLA, IFLA_INFO, linkBody } from './messages.js';
import { attr, nested, strz, u32, u8 } from './nlattr.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';
import { checkIfname } from './veth.js';

/** IFLA_BR_* inside IFLA_INFO_DATA of a bridge (include/uapi/linux/if_link.h). */
const IFLA_BR_STP_STATE = 5;
const IFLA_BR_MCAST_SNOOPING = 23;

/**
 * The most ports a Linux bridge takes: port numbers are 10 bits and 0 is
 * reserved (BR_MAX_PORTS = 1 << BR_PORT_BITS, net/bridge/br_private.h); the
 * 1024th port is refused with EXFULL (measured).
 */
export const MAX_BRIDGE_PORTS = 1023;

/** A bridge to create. */
export interface BridgeSpec {
  /** Interface name of the bridge in its namespace (≤ 15 bytes). */
  name: string;
  /** MTU in bytes, the same as every port's. */
  mtu: number;
  /** Bridge MAC (unicast); omitted: the kernel picks one. */
  mac?: string;
  /** Spanning tree (IEEE 802.1D, kernel STP); default off. */
  stp?: boolean;
  /** IGMP/MLD snooping; default off (flood multicast to every port). */
  mcastSnooping?: boolean;
  /** Interfaces already in the namespace to enslave (the segment ends of veth pairs). */
  ports: string[];
  /** ifindex to create the bridge with (the kernel honours ifi_index); omitted: the kernel picks. */
  ifindex?: number;
}

/** The RTM_NEWLINK payload creating the bridge (pure). @throws TopologyError(where). */
export function bridgeMessage(spec: BridgeSpec, where: string): Buffer {
  checkIfname(spec.name, where);
  const linkinfo = nested(IFLA.LINKINFO, [
    attr(IFLA_INFO.KIND, strz('bridge')),
    nested(IFLA_INFO.DATA, [
      attr(IFLA_BR_STP_STATE, u32(spec.stp ? 1 : 0)),
      attr(IFLA_BR_MCAST_SNOOPING, u8(spec.mcastSnooping ? 1 : 0)),
    ]),
  ]);
  const attrs = [attr(IFLA.IFNAME, strz(spec.name)), attr(IFLA.MTU, u32(spec.mtu)), linkinfo];
  if (spec.mac) attrs.push(attr(IFLA.ADDRESS, parseMac(spec.mac, where)));
  return linkBody({ index: spec.ifindex ?? 0, flags: IFF_UP, change: IFF_UP }, attrs);
}

/** RTM_NEWLINK payload that makes interface `port` a port of bridge `bridge` and brings it up (as `ip link set PORT master BR up`). */
export function bridgePortBody(port: number, bridge: number): Buffer {
  return linkBody({ index: port, flags: IFF_UP, change: IFF_UP }, [attr(IFLA.MASTER, u32(bridge))]);
}

/**
 * Creates the bridge over `rtnl` (a socket inside the target namespace),
 * enslaves every port and brings everything up; returns the bridge's ifindex.
 * `label` names the bridge in errors (`segment lan1`, `bridge node sw1`).
 * Every port must exist and have the bridge's MTU (checked with one dump,
 * before the bridge is created).
 * @throws TopologyError when a port's MTU differs or there are more than 1023 ports; KernelError on a refusal
 *   (EEXIST: the name is taken; EOPNOTSUPP: no bridge module; ENODEV: a port is missing).
 */
export async function createBridge(rtnl: Rtnl, spec: BridgeSpec, label: string): Promise<number> {
  const body = bridgeMessage(spec, label);
  if (spec.ports.length > MAX_BRIDGE_PORTS) {
    throw new TopologyError(label, `${spec.ports.length} ports; a Linux bridge takes at most ${MAX_BRIDGE_PORTS}`,
      'split the LAN into several segments joined by a router or a switch node');
  }
  const before: Map<string, LinkEntry> = await listLinks(rtnl);
  const portIdx = spec.ports.map((p) => ifindexOf(before, p, label));
  const wrongMtu = spec.ports.filter((p) => before.get(p)!.mtu !== spec.mtu);
  if (wrongMtu.length) {
    throw new TopologyError(label, `port(s) ${wrongMtu.map((p) => `${p} (MTU ${before.get(p)!.mtu})`).join(', ')} differ from the segment MTU ${spec.mtu}`,
      'every link on a LAN segment must have the same MTU');
  }
  await rtnl.request(RTM.NEWLINK, body, {
    object: `${label} (bridge ${spec.name})`, flags: NLM_F.CREATE | NLM_F.EXCL,
    features: { EOPNOTSUPP: 'bridge (CONFIG_BRIDGE)' },
    hints: { EEXIST: `an interface named ${spec.name} already exists in that namespace` },
  });
  const br = spec.ifindex ?? ifindexOf(await listLinks(rtnl), spec.name, label);
  await all(spec.ports.map((p, i) => rtnl.request(RTM.NEWLINK, bridgePortBody(portIdx[i], br),
    { object: `port ${p} of ${label}`, operation: 'enslave to bridge' })));
  return br;
}
