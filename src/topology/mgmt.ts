/**
 * The management network (opt-in, `mgmt:`): a bridge in the host namespace,
 * and in every node an interface (default eth0) with an address from the
 * management network — the host bridge takes the first address, node `id`
 * takes network + 1 + id.
 */
import { TopologyError } from '../errors.js';
import type { Mgmt } from './types.js';
import type { NodeDraft } from './nodes.js';
import { formatIP, hostRange, network, parseCidr, type Cidr } from './ip.js';
import { labTag, takeMac, type MacCounter } from './mac.js';
import { LOOPBACK } from './names.js';
import type { TopologyInput } from './schema/source.js';

/** Default management network (the one vagrant-libvirt and ipspace netlab use). */
export const MGMT_DEFAULT_NETWORK = '192.168.121.0/24';

/** Reads `mgmt:` (without assigning anything yet): the settings, or undefined when off. */
export function readMgmt(raw: TopologyInput, lab: string, mtu: number): { mgmt: Mgmt; cidr: Cidr; cidr6?: Cidr } | undefined {
  const m = raw.mgmt;
  if (m === undefined || m === false) return undefined;
  const o = m === true ? {} : m;
  for (const key of ['bridge', 'iface'] as const) {
    if (o[key] === LOOPBACK) {
      throw new TopologyError(`mgmt.${key}`, `"lo" is the loopback of ${key === 'bridge' ? 'the host' : 'every node'}, so it cannot be the management ${key === 'bridge' ? 'bridge' : 'interface'}`,
        key === 'bridge' ? 'leave bridge out (netlab names it after the lab), or name a new bridge, e.g. nl-mylab' : 'leave iface out (eth0), or name another interface, e.g. mgmt0');
    }
  }
  const cidr = parseCidr(o.network ?? MGMT_DEFAULT_NETWORK)!;
  const net = network(cidr);
  const tag = labTag(lab, 6);
  const bridge = o.bridge ?? (lab.length <= 12 ? `nl-${lab}` : `nl-${lab.slice(0, 5)}-${tag}`);
  const mgmt: Mgmt = {
    bridge, iface: o.iface ?? 'eth0',
    network: `${formatIP(4, net)}/${cidr.len}`, gateway: `${formatIP(4, hostRange(4, net, cidr.len)[0])}/${cidr.len}`, mtu,
  };
  let cidr6: Cidr | undefined;
  if (o.ipv6 !== undefined) {
    cidr6 = parseCidr(o.ipv6)!;
    const n6 = network(cidr6);
    mgmt.network6 = `${formatIP(6, n6)}/${cidr6.len}`;
    mgmt.gateway6 = `${formatIP(6, n6 + 1n)}/${cidr6.len}`;
  }
  return { mgmt, cidr, cidr6 };
}

/**
 * Gives every node its management interface: MAC, host-side veth name
 * (`nm` + 5 hex digits of a hash of the lab name + the id in base 36, ≤15 bytes, unique on the host), addresses.
 * @throws TopologyError when the network has fewer addresses than nodes.
 */
export function assignMgmt(lab: string, m: { mgmt: Mgmt; cidr: Cidr; cidr6?: Cidr }, drafts: NodeDraft[], macs: MacCounter): void {
  const net = network(m.cidr);
  const [first, last] = hostRange(4, net, m.cidr.len);
  const room = Number(last - first); // first is the host bridge
  if (drafts.length > room) {
    throw new TopologyError('mgmt.network', `management network ${m.mgmt.network} has ${room} addresses for nodes; the lab has ${drafts.length} nodes`,
      'give a larger network, e.g. mgmt: { network: 192.168.128.0/20 }');
  }
  const tag = labTag(lab, 5);
  for (const d of drafts) {
    const id = d.node.id;
    d.node.mgmt = {
      iface: m.mgmt.iface,
      hostIface: `nm${tag}${id.toString(36)}`,
      mac: takeMac(macs, undefined, `mgmt (${d.node.name})`),
      ipv4: `${formatIP(4, first + BigInt(id))}/${m.cidr.len}`,
    };
    if (m.cidr6) d.node.mgmt.ipv6 = `${formatIP(6, network(m.cidr6) + 1n + BigInt(id))}/${m.cidr6.len}`;
  }
}
