/**
 * `links:` → Link objects and the nodes' Interfaces (names, MTU, MACs,
 * shaping, peers, segments), with the endpoint checks: a node that is not
 * defined, an interface used twice, a node linked to itself on one interface,
 * host endpoints, reserved interface names.
 */
import { TopologyError } from '../errors.js';
import type { Endpoint, Interface, Link } from './types.js';
import type { NodeDraft } from './nodes.js';
import { HOST_NODE, MGMT_NODE, parseEndpointString } from './endpoints.js';
import { explicitType, isHostSide, LINK_TYPES, vethKind } from './link-types/index.js';
import { LOOPBACK } from './names.js';
import { takeMac, type MacCounter } from './mac.js';
import { formatPath, type PathPart } from './path.js';
import type { EndpointInput, LinkInput, TopologyInput } from './schema/source.js';
import { checkShaping, mergeShaping, parseShaping } from './shaping.js';
import { didYouMean } from './suggest.js';

/** A link in the mapping form (the brief form is turned into one). */
export type LinkObject = Exclude<LinkInput, unknown[]>;
/** An endpoint in the object form. */
type EndpointObject = Exclude<EndpointInput, string>;

/** What the addressing step needs to know about each endpoint as written. */
export interface EndpointDraft {
  ep: Endpoint;
  path: PathPart[];
  /** Explicit addresses as written (string), false = none, undefined = automatic. */
  ipv4?: string | false;
  ipv6?: string | false;
  /** The Interface created for it (undefined for the host end). */
  iface?: Interface;
}

/** A link being resolved. */
export interface LinkDraft {
  link: Link;
  path: PathPart[];
  endpoints: EndpointDraft[];
  /** `prefix:` as written: a string, false, or per family. */
  prefix?: LinkObject['prefix'];
}

/**
 * Resolves every link, in order, adding Interfaces to the nodes.
 * @param mgmtIface the management interface name when the lab has one (reserved in every node).
 */
export function resolveLinks(raw: TopologyInput, drafts: NodeDraft[], labMtu: number, macs: MacCounter, mgmtIface?: string): LinkDraft[] {
  const byName = new Map(drafts.map((d) => [d.node.name, d]));
  const names = drafts.map((d) => d.node.name);
  const used = new Map<string, string>();
  const segments = new Map<string, string>();
  const out: LinkDraft[] = [];
  const links = raw.links ?? [];
  links.forEach((rawLink, index) => {
    const path: PathPart[] = ['links', index];
    const obj: LinkObject = Array.isArray(rawLink) ? { endpoints: rawLink } : rawLink;
    const epBase: PathPart[] = Array.isArray(rawLink) ? path : [...path, 'endpoints'];
    const eps = obj.endpoints;
    const type = obj.type;
    const own = explicitType(type);
    const single = own?.local === true;
    if (eps.length < 1 || (type === 'veth' && eps.length < 2)) {
      throw new TopologyError(formatPath(epBase), `a link needs at least ${type === 'veth' ? 2 : 1} endpoint${type === 'veth' ? 's' : ''}, this one has ${eps.length}`, 'write e.g. [r1:eth1, r2:eth1]; 3 or more make a LAN');
    }
    if (single && eps.length !== 1) {
      throw new TopologyError(formatPath(epBase), `a ${type} link has one endpoint (the node's ${type} interface), this one has ${eps.length}`, `write e.g. ${own!.explicit!.example}`);
    }
    checkTypeKeys(obj, type, path);
    const mtu = obj.mtu ?? labMtu;
    const linkShaping = parseShaping(obj.shaping);
    const state = obj.state ?? 'up';
    const endpoints: RawEndpointDraft[] = eps.map((e, j) => parseEndpoint(e, [...epBase, j]));
    const hosts = endpoints.filter(isHostSide);
    const kind: Link['kind'] = own ? own.kind : vethKind(endpoints.length, hosts.length);
    if (hosts.length && (hosts.length > 1 || endpoints.length !== 2)) {
      throw new TopologyError(formatPath(hosts[hosts.length > 1 ? 1 : 0]!.path), `a ${hosts[0]!.ep.node} endpoint must be one of exactly two endpoints`,
        'link one node to the host: [r1:eth9, host:veth-r1]');
    }
    if (single && hosts.length) throw new TopologyError(formatPath(hosts[0]!.path), `a ${type} link's endpoint is a node's interface`, 'write e.g. r1:eth5');
    for (const e of endpoints) {
      if (e.ep.node === MGMT_NODE && mgmtIface === undefined) {
        throw new TopologyError(formatPath(e.path), `mgmt:${e.ep.iface} is a port on the management network, and this lab has none`, 'add mgmt: true at the top level');
      }
      if (e.raw?.bridge !== undefined && e.ep.node !== HOST_NODE) {
        throw new TopologyError(formatPath([...e.path, 'bridge']), 'bridge: is for host endpoints (node: host)', 'remove it, or make the endpoint { node: host, iface: …, bridge: … }');
      }
    }
    const link: Link = { index, kind, endpoints: endpoints.map((e) => e.ep), mtu, state, ...LINK_TYPES[kind].settings?.(obj) };
    if (obj.name !== undefined) link.name = obj.name;
    if (linkShaping) link.shaping = linkShaping;
    for (const [j, e] of endpoints.entries()) {
      const where = formatPath(e.path);
      const key = `${e.ep.node}:${e.ep.iface}`;
      const prev = used.get(key);
      if (prev !== undefined) {
        const sameLink = prev.startsWith(`${formatPath(epBase)}[`);
        throw new TopologyError(where, sameLink
          ? `${key} is the same interface as ${prev}; a node cannot be linked to itself on one interface`
          : `${key} is already used by ${prev}`,
        e.ep.node === HOST_NODE ? 'give each host link its own host interface name' : `each interface belongs to one link; use another name, e.g. ${e.ep.node}:${freeIface(e.ep.node, used)}`);
      }
      used.set(key, where);
      if (e.ep.node === HOST_NODE) {
        if (e.ep.iface === LOOPBACK) {
          throw new TopologyError(where, 'host:lo is the host\'s loopback, which a link cannot use', 'name a new interface for the host end, e.g. host:nl-r1 (netlab creates it)');
        }
        continue;
      }
      if (e.ep.node === MGMT_NODE) continue;
      const d = byName.get(e.ep.node);
      if (!d) {
        throw new TopologyError(where, `node "${e.ep.node}" is not defined${didYouMean(e.ep.node, names)}`, `add it under nodes:, or fix the name (nodes: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`);
      }
      checkIfaceName(e, d, where, mgmtIface);
      const ownRaw = e.raw?.shaping;
      const shaping = mergeShaping(linkShaping, parseShaping(ownRaw));
      checkShaping(shaping, ownRaw ? [...e.path, 'shaping'] : [...path, 'shaping']);
      const iface: Interface = {
        node: e.ep.node, name: e.ep.iface, link: index, endpoint: j,
        mac: takeMac(macs, e.raw?.mac, where), mtu, state,
      };
      if (shaping) iface.shaping = shaping;
      if (d.kind.switch) iface.master = d.node.bridge;
      e.iface = iface;
      d.node.interfaces.push(iface);
    }
    LINK_TYPES[kind].resolve(link, endpoints, { path, obj, segments, macs });
    for (const e of endpoints) delete e.raw;
    // A host end that joins a bridge (or the management network) takes no pool address: the bridge's network is not the lab's.
    const prefix = obj.prefix === undefined && link.host?.bridge !== undefined ? false : obj.prefix;
    out.push({ link, path, endpoints, prefix });
  });
  return out;
}

/** An endpoint draft with the endpoint as written (dropped once the link is resolved). */
export interface RawEndpointDraft extends EndpointDraft { raw?: EndpointObject }

function parseEndpoint(e: EndpointInput, path: PathPart[]): RawEndpointDraft {
  if (typeof e === 'string') {
    const r = parseEndpointString(e);
    if ('what' in r) throw new TopologyError(formatPath(path), r.what, r.hint);
    return { ep: r, path };
  }
  const d: RawEndpointDraft = { ep: { node: e.node, iface: e.iface }, path, raw: e };
  if (e.ipv4 !== undefined) d.ipv4 = e.ipv4;
  if (e.ipv6 !== undefined) d.ipv6 = e.ipv6;
  return d;
}

function checkIfaceName(e: EndpointDraft, d: NodeDraft, where: string, mgmtIface?: string): void {
  const name = e.ep.iface;
  if (name === LOOPBACK) throw new TopologyError(where, 'interface name "lo" is the loopback', 'use another name, e.g. eth1');
  if (mgmtIface !== undefined && name === mgmtIface) {
    throw new TopologyError(where, `interface name "${name}" is the management interface (mgmt.iface)`, 'use another name, e.g. eth1, or set mgmt: { iface: … }');
  }
  if (d.node.bridge !== undefined && name === d.node.bridge) {
    throw new TopologyError(where, `interface name "${name}" is the bridge of switch node ${d.node.name}`, 'use another name, or set bridge: on the node');
  }
}

/** Each type's own keys (parent:/mode: for macvlan, …) only on links of that type, and the keys that type needs. */
function checkTypeKeys(obj: LinkObject, type: string | undefined, path: PathPart[]): void {
  for (const t of Object.values(LINK_TYPES)) {
    for (const k of t.explicit?.keys ?? []) {
      if (obj[k] !== undefined && type !== t.kind) throw new TopologyError(formatPath([...path, k]), `${k}: is for type: ${t.kind} links`, `remove it, or add type: ${t.kind}`);
    }
  }
  explicitType(type)?.explicit?.check?.(obj, path);
}

function freeIface(node: string, used: Map<string, string>): string {
  for (let i = 1; ; i++) if (!used.has(`${node}:eth${i}`)) return `eth${i}`;
}
