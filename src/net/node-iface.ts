/**
 * Interfaces of one node that are not veth ends: a dummy, a macvlan on a host
 * interface, a vxlan tunnel. Each is created from the host's namespace with
 * IFLA_NET_NS_FD, so it is born inside the node (named, with its MAC and MTU)
 * in one RTM_NEWLINK: a macvlan keeps its parent in the host, a vxlan keeps
 * its UDP socket in the host (the namespace it was created in,
 * drivers/net/vxlan: vxlan->net is the creating netns), so the tunnel runs
 * over the host's routing while the interface is the node's.
 * One builder per type (the link-type plug-ins of issue 14 will take them):
 *   dummy   IFLA_INFO_KIND "dummy" (drivers/net/dummy.c)
 *   macvlan IFLA_LINK = parent ifindex, IFLA_INFO_KIND "macvlan",
 *           IFLA_INFO_DATA { IFLA_MACVLAN_MODE u32 } (include/uapi/linux/if_link.h)
 *   vxlan   IFLA_INFO_KIND "vxlan", IFLA_INFO_DATA { IFLA_VXLAN_ID u32,
 *           IFLA_VXLAN_GROUP (4 bytes) | IFLA_VXLAN_GROUP6 (16), IFLA_VXLAN_PORT be16 }
 * Nothing is left in the host: the interfaces die with the node's namespace.
 */
import { TopologyError } from '../errors.js';
import { parseIP } from '../topology/ip.js';
import { parseMac } from './addr.js';
import { attr, nested, strz, u32 } from './nlattr.js';
import { IFLA, IFLA_INFO, linkBody } from './messages.js';
import { NLM_F, RTM, Rtnl } from './rtnl.js';
import { checkIfname } from './veth.js';

/** IFLA_LINK: the lower device of a macvlan (include/uapi/linux/if_link.h). */
const IFLA_LINK = 5;
const IFLA_MACVLAN_MODE = 1;
const IFLA_VXLAN_ID = 1;
const IFLA_VXLAN_GROUP = 2;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_GROUP6 = 16;

/** macvlan modes (enum macvlan_mode, include/uapi/linux/if_link.h). */
export const MACVLAN_MODES: Record<string, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };

/** The node end: where and what. */
export interface NodeIface {
  /** Open fd of the node's network namespace. */
  netnsFd: number;
  node: string;
  iface: string;
  mac?: string;
  mtu: number;
}

/** What kind of interface, with its own settings. */
export type NodeIfaceType =
  | { type: 'dummy' }
  | { type: 'macvlan'; parentIndex: number; parent: string; mode: string }
  | { type: 'vxlan'; vni: number; remote: string; port: number };

/** `dummy r1:eth5`, `macvlan r1:eth1 on host:ens3`: how errors name one. */
export function nodeIfaceLabel(e: NodeIface, t: NodeIfaceType): string {
  return t.type === 'macvlan' ? `macvlan ${e.node}:${e.iface} on host:${t.parent}` : `${t.type} ${e.node}:${e.iface}`;
}

/** The RTM_NEWLINK payload (pure). @throws TopologyError for a bad name, MAC, MTU, mode, VNI or address. */
export function nodeIfaceMessage(e: NodeIface, t: NodeIfaceType): Buffer {
  const where = nodeIfaceLabel(e, t);
  checkIfname(e.iface, where);
  if (!Number.isInteger(e.mtu) || e.mtu < 68 || e.mtu > 65535) throw new TopologyError(where, `MTU ${e.mtu} is out of range`, 'use 68–65535 bytes');
  const data: Buffer[] = [];
  if (t.type === 'macvlan') {
    const mode = MACVLAN_MODES[t.mode];
    if (mode === undefined) throw new TopologyError(where, `macvlan mode "${t.mode}" is unknown`, `use one of ${Object.keys(MACVLAN_MODES).join(', ')}`);
    data.push(attr(IFLA_MACVLAN_MODE, u32(mode)));
  } else if (t.type === 'vxlan') {
    if (!Number.isInteger(t.vni) || t.vni < 0 || t.vni > 0xffffff) throw new TopologyError(where, `VNI ${t.vni} is out of range`, 'use 0–16777215');
    const ip = parseIP(t.remote);
    if (!ip) throw new TopologyError(where, `remote "${t.remote}" is not an IP address`, 'write e.g. 192.0.2.2');
    const bytes = Buffer.from(ip.addr.toString(16).padStart(ip.family === 4 ? 8 : 32, '0'), 'hex');
    const port = Buffer.alloc(2);
    port.writeUInt16BE(t.port);
    data.push(attr(IFLA_VXLAN_ID, u32(t.vni)), attr(ip.family === 4 ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, bytes), attr(IFLA_VXLAN_PORT, port));
  }
  const linkinfo = nested(IFLA.LINKINFO, [attr(IFLA_INFO.KIND, strz(t.type)), ...(data.length ? [nested(IFLA_INFO.DATA, data)] : [])]);
  const attrs = [attr(IFLA.IFNAME, strz(e.iface)), attr(IFLA.MTU, u32(e.mtu)), attr(IFLA.NET_NS_FD, u32(e.netnsFd)), linkinfo];
  if (e.mac) attrs.push(attr(IFLA.ADDRESS, parseMac(e.mac, where)));
  if (t.type === 'macvlan') attrs.push(attr(IFLA_LINK, u32(t.parentIndex)));
  return linkBody({}, attrs);
}

/**
 * Creates the interface inside the node (left down: the node's ifup brings it up).
 * @throws KernelError naming the interface; a missing driver reads as such
 *   (`dummy (CONFIG_DUMMY)`, `macvlan (CONFIG_MACVLAN)`, `vxlan (CONFIG_VXLAN)`).
 */
export async function createNodeIface(host: Rtnl, e: NodeIface, t: NodeIfaceType): Promise<void> {
  const feature = { dummy: 'dummy (CONFIG_DUMMY)', macvlan: 'macvlan (CONFIG_MACVLAN)', vxlan: 'vxlan (CONFIG_VXLAN)' }[t.type];
  await host.request(RTM.NEWLINK, nodeIfaceMessage(e, t), {
    object: nodeIfaceLabel(e, t),
    flags: NLM_F.CREATE | NLM_F.EXCL,
    features: { EOPNOTSUPP: feature },
    hints: {
      EEXIST: `${e.node} already has an interface named ${e.iface}`,
      EINVAL: t.type === 'macvlan' ? `the kernel refused the macvlan: is host:${t.parent} an Ethernet interface, and the MTU at most its MTU?` : `the kernel refused the ${t.type}; check its settings`,
    },
  });
}
