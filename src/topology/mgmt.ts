/**
 * The management network (opt-in, `mgmt:`): a bridge in the host namespace,
 * and in every node an interface (default eth0) with an address from the
 * management network — the host bridge takes the first address, node `id`
 * takes network + 1 + id.
 */
import { TopologyError } from '../errors.js';
import type { Mgmt } from './types.js';
import type { NodeDraft } from './nodes.js';
import { formatIP, hostRange, network, parseCidr, parseIP, type Cidr } from './ip.js';
import { formatPath } from './path.js';
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
 * A node's own address (`nodes.X.mgmt.ipv4/ipv6`, containerlab's `mgmt-ipv4/6`)
 * is used as given; every other node takes network + 1 + its id, or, when a
 * node took that one, the lowest address no node has (as containerlab's IPAM
 * leaves static addresses alone).
 * @throws TopologyError when the network has fewer addresses than nodes, or a
 *   node's own address lies outside the network, is the host bridge's, or is
 *   another node's.
 */
export function assignMgmt(lab: string, m: { mgmt: Mgmt; cidr: Cidr; cidr6?: Cidr }, drafts: NodeDraft[], macs: MacCounter): void {
  const net = network(m.cidr);
  const [first, last] = hostRange(4, net, m.cidr.len);
  const room = Number(last - first); // first is the host bridge
  if (drafts.length > room) {
    throw new TopologyError('mgmt.network', `management network ${m.mgmt.network} has ${room} addresses for nodes; the lab has ${drafts.length} nodes`,
      'give a larger network, e.g. mgmt: { network: 192.168.128.0/20 }');
  }
  const v4 = addresses(drafts, 4, m.mgmt.network, first, last, (d) => first + BigInt(d.node.id));
  const v6 = m.cidr6 ? addresses(drafts, 6, m.mgmt.network6!, ...hostRange(6, network(m.cidr6), m.cidr6.len), (d) => network(m.cidr6!) + 1n + BigInt(d.node.id)) : undefined;
  if (!m.cidr6) {
    const d = drafts.find((x) => x.mgmt?.ipv6 !== undefined);
    if (d) throw new TopologyError(formatPath([...d.path, 'mgmt', 'ipv6']), 'gives an IPv6 management address, but the management network has no IPv6 network', 'add one: mgmt: { ipv6: 2001:db8:121::/64 }');
  }
  const tag = labTag(lab, 5);
  for (const d of drafts) {
    const id = d.node.id;
    d.node.mgmt = {
      iface: m.mgmt.iface,
      hostIface: `nm${tag}${id.toString(36)}`,
      mac: takeMac(macs, undefined, `mgmt (${d.node.name})`),
      ipv4: `${formatIP(4, v4.get(d)!)}/${m.cidr.len}`,
    };
    if (v6) d.node.mgmt.ipv6 = `${formatIP(6, v6.get(d)!)}/${m.cidr6!.len}`;
  }
}

/**
 * One management address per node in `family` (pure): the node's own, else
 * `auto(node)`, else the lowest free one in [first, last]. `first` is the
 * host bridge's.
 */
function addresses(drafts: NodeDraft[], family: 4 | 6, net: string, first: bigint, last: bigint, auto: (d: NodeDraft) => bigint): Map<NodeDraft, bigint> {
  const out = new Map<NodeDraft, bigint>();
  const owner = new Map<bigint, NodeDraft>();
  for (const d of drafts) {
    const given = family === 4 ? d.mgmt?.ipv4 : d.mgmt?.ipv6;
    if (given === undefined) continue;
    const where = formatPath([...d.path, 'mgmt', `ipv${family}`]);
    const a = parseIP(given)!.addr; // the schema checked the form and family
    if (a < first || a > last) throw new TopologyError(where, `${given} is not a host address of the management network ${net}`, `give an address inside ${net}, or leave it out (netlab picks one)`);
    if (a === first) throw new TopologyError(where, `${given} is the host bridge's address (the first of ${net})`, `give another address, e.g. ${formatIP(family, first + 100n)}`);
    const other = owner.get(a);
    if (other) throw new TopologyError(where, `${given} is also node ${other.node.name}'s management address`, 'give each node an address of its own');
    owner.set(a, d);
    out.set(d, a);
  }
  const taken = new Set(owner.keys());
  const wanted = drafts.filter((d) => !out.has(d));
  for (const d of wanted) taken.add(auto(d));
  let next = first + 1n;
  for (const d of wanted) {
    let a = auto(d);
    if (owner.has(a)) {
      while (taken.has(next)) next++;
      a = next;
      taken.add(a);
    }
    out.set(d, a);
  }
  return out;
}
