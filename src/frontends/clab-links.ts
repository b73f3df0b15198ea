/**
 * containerlab's links → netlab links (containerlab docs/manual/links.md).
 *
 * Brief form `endpoints: ["a:eth1", "b:eth1"]`, where an endpoint may also be
 * `host:IF` (a host link), `mgmt-net:IF` (a port on the management network),
 * `macvlan:PARENT` (a macvlan on a host interface) or `BRIDGE:IF` for a node
 * of kind bridge/ovs-bridge (a veth whose host end `IF` joins that bridge);
 * and the extended `type:` forms veth, host, mgmt-net, macvlan, dummy, vxlan
 * (and vxlan-stitch). Link `mtu`, endpoint `mac`, endpoint and link-level
 * `ipv4`/`ipv6` are kept; `vars` and `labels` are noted and dropped.
 */
import { TopologyError } from '../errors.js';
import type { ClabContext } from './containerlab.js';
import type { Note } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What a containerlab node is to its links. */
export type ClabNodeRole =
  | { type: 'node' }
  /** A bridge in the host's namespace (kind bridge; ovs-bridge runs as a Linux bridge). */
  | { type: 'bridge'; ovs: boolean }
  /** The host itself (kind host). */
  | { type: 'host' };

/** The links, and whether one of them needs the management network. */
export interface ConvertedLinks {
  links: Obj[];
  needsMgmt: boolean;
}

/** One endpoint as containerlab writes it, normalised. */
interface ClabEndpoint {
  node: string;
  iface: string;
  mac?: string;
  ipv4?: string;
  ipv6?: string;
}

/**
 * Converts `topology.links`.
 * @throws TopologyError naming the link for a form netlab cannot read.
 */
export function convertLinks(raw: unknown, roles: Map<string, ClabNodeRole>, ctx: ClabContext): ConvertedLinks {
  if (raw === undefined || raw === null) return { links: [], needsMgmt: false };
  if (!Array.isArray(raw)) throw new TopologyError(ctx.at(['topology', 'links']), 'links must be a list', 'write links: [ { endpoints: ["a:eth1", "b:eth1"] } ]');
  const out: ConvertedLinks = { links: [], needsMgmt: false };
  raw.forEach((l, i) => {
    const path = ['topology', 'links', i];
    const where = ctx.at(path);
    if (!isObj(l)) throw new TopologyError(where, 'a link must be a mapping with endpoints:', 'write - endpoints: ["a:eth1", "b:eth1"]');
    for (const k of ['vars', 'labels']) if (l[k] !== undefined) ctx.notes.push({ where: ctx.at([...path, k]), text: `link ${k} are ignored: containerlab's config engine is not run` });
    const type = l.type === undefined ? undefined : String(l.type);
    const link = type === undefined ? briefLink(l, path, roles, ctx, out) : typedLink(type, l, path, roles, ctx, out);
    if (typeof l.mtu === 'number') link.mtu = l.mtu;
    out.links.push(link);
  });
  return out;
}

function briefLink(l: Obj, path: (string | number)[], roles: Map<string, ClabNodeRole>, ctx: ClabContext, out: ConvertedLinks): Obj {
  const eps = l.endpoints;
  if (!Array.isArray(eps) || eps.length !== 2) {
    throw new TopologyError(ctx.at([...path, 'endpoints']), 'a containerlab link has exactly two endpoints', 'write endpoints: ["a:eth1", "b:eth1"]');
  }
  const parsed = eps.map((e, j) => endpointOf(e, [...path, 'endpoints', j], ctx));
  const v4 = Array.isArray(l.ipv4) ? l.ipv4 : undefined;
  const v6 = Array.isArray(l.ipv6) ? l.ipv6 : undefined;
  parsed.forEach((e, j) => {
    if (typeof v4?.[j] === 'string' && v4[j] !== '') e.ipv4 = v4[j] as string;
    if (typeof v6?.[j] === 'string' && v6[j] !== '') e.ipv6 = v6[j] as string;
  });
  const [a, b] = parsed as [ClabEndpoint, ClabEndpoint];
  const special = [a, b].find((e) => e.node === 'macvlan' || e.node === 'mgmt-net');
  if (special) {
    const other = special === a ? b : a;
    if (special.node === 'macvlan') return { type: 'macvlan', endpoints: [nodeEndpoint(other, roles, path, ctx)], parent: special.iface };
    out.needsMgmt = true;
    return { endpoints: [nodeEndpoint(other, roles, path, ctx), `mgmt:${special.iface}`] };
  }
  return { endpoints: [a, b].map((e) => anyEndpoint(e, roles, path, ctx)) };
}

function typedLink(type: string, l: Obj, path: (string | number)[], roles: Map<string, ClabNodeRole>, ctx: ClabContext, out: ConvertedLinks): Obj {
  const one = (): ClabEndpoint => {
    if (l.endpoint === undefined) throw new TopologyError(ctx.at(path), `a ${type} link has one endpoint:`, 'write endpoint: { node: l1, interface: eth1 }');
    return endpointOf(l.endpoint, [...path, 'endpoint'], ctx);
  };
  const hostIf = (): string => {
    if (typeof l['host-interface'] !== 'string') throw new TopologyError(ctx.at(path), `a ${type} link needs host-interface:`, 'write host-interface: the interface name on the host');
    return l['host-interface'];
  };
  switch (type) {
    case 'veth': {
      const eps = l.endpoints;
      if (!Array.isArray(eps) || eps.length !== 2) throw new TopologyError(ctx.at([...path, 'endpoints']), 'a veth link has exactly two endpoints', 'write endpoints: [ { node: a, interface: eth1 }, { node: b, interface: eth1 } ]');
      return { endpoints: eps.map((e, j) => anyEndpoint(endpointOf(e, [...path, 'endpoints', j], ctx), roles, path, ctx)) };
    }
    case 'host': {
      const e = one();
      return { endpoints: [nodeEndpoint(e, roles, path, ctx), `host:${hostIf()}`] };
    }
    case 'mgmt-net': {
      const e = one();
      out.needsMgmt = true;
      return { endpoints: [nodeEndpoint(e, roles, path, ctx), `mgmt:${hostIf()}`] };
    }
    case 'macvlan': {
      const e = one();
      const link: Obj = { type: 'macvlan', endpoints: [nodeEndpoint(e, roles, path, ctx)], parent: hostIf() };
      if (typeof l.mode === 'string') link.mode = l.mode;
      return link;
    }
    case 'dummy':
      return { type: 'dummy', endpoints: [nodeEndpoint(one(), roles, path, ctx)] };
    case 'vxlan':
    case 'vxlan-stitch': {
      const e = one();
      if (typeof l.remote !== 'string' || l.vni === undefined) throw new TopologyError(ctx.at(path), `a ${type} link needs remote: and vni:`, 'write remote: 192.0.2.2, vni: 100');
      const link: Obj = { type: 'vxlan', endpoints: [nodeEndpoint(e, roles, path, ctx)], remote: l.remote, vni: Number(l.vni) };
      const port = l['udp-port'] ?? l['dst-port'];
      if (port !== undefined) link.port = Number(port);
      if (type === 'vxlan-stitch') ctx.notes.push({ where: ctx.at([...path, 'type']), text: 'vxlan-stitch is a vxlan interface in the node, as vxlan' });
      return link;
    }
    default:
      throw new TopologyError(ctx.at([...path, 'type']), `link type "${type}" is not one containerlab documents`, 'use veth, host, mgmt-net, macvlan, dummy or vxlan');
  }
}

function endpointOf(e: unknown, path: (string | number)[], ctx: ClabContext): ClabEndpoint {
  if (typeof e === 'string') {
    const colon = e.indexOf(':');
    if (colon <= 0) throw new TopologyError(ctx.at(path), `endpoint "${e}" is not "node:interface"`, 'write e.g. "r1:eth1"');
    return { node: e.slice(0, colon), iface: e.slice(colon + 1) };
  }
  if (isObj(e) && typeof e.node === 'string' && typeof e.interface === 'string') {
    const out: ClabEndpoint = { node: e.node, iface: e.interface };
    if (typeof e.mac === 'string') out.mac = e.mac;
    if (typeof e.ipv4 === 'string') out.ipv4 = e.ipv4;
    if (typeof e.ipv6 === 'string') out.ipv6 = e.ipv6;
    return out;
  }
  throw new TopologyError(ctx.at(path), 'an endpoint is "node:interface" or { node, interface }', 'write e.g. { node: r1, interface: eth1, mac: 02:00:00:00:00:01 }');
}

/** An endpoint on a node netlab runs (not a bridge, not the host). */
function nodeEndpoint(e: ClabEndpoint, roles: Map<string, ClabNodeRole>, path: (string | number)[], ctx: ClabContext): string | Obj {
  const role = roles.get(e.node);
  if (!role) throw new TopologyError(ctx.at(path), `node "${e.node}" is not defined`, `define it under topology.nodes (nodes: ${[...roles.keys()].slice(0, 8).join(', ')})`);
  if (role.type !== 'node') throw new TopologyError(ctx.at(path), `${e.node} is kind ${role.type === 'host' ? 'host' : 'bridge'}: this link type needs a node's interface`, 'link a linux node here');
  return plain(e);
}

/** Any endpoint of a veth link: a node, a bridge's port (host end joining the bridge), the host. */
function anyEndpoint(e: ClabEndpoint, roles: Map<string, ClabNodeRole>, path: (string | number)[], ctx: ClabContext): string | Obj {
  if (e.node === 'host') return plain(e);
  const role = roles.get(e.node);
  if (!role) throw new TopologyError(ctx.at(path), `node "${e.node}" is not defined`, `define it under topology.nodes (nodes: ${[...roles.keys()].slice(0, 8).join(', ')})`);
  if (role.type === 'host') return plain({ ...e, node: 'host' });
  if (role.type === 'bridge') {
    const out: Obj = { node: 'host', iface: e.iface, bridge: e.node };
    if (e.mac) out.mac = e.mac;
    if (role.ovs) noteOnce(ctx.notes, { where: ctx.at(path), text: `${e.node} is kind ovs-bridge: netlab attaches its ports to a Linux bridge of that name (created when the host has none)` });
    return out;
  }
  return plain(e);
}

function plain(e: ClabEndpoint): string | Obj {
  if (!e.mac && !e.ipv4 && !e.ipv6) return `${e.node}:${e.iface}`;
  const out: Obj = { node: e.node, iface: e.iface };
  if (e.mac) out.mac = e.mac;
  if (e.ipv4) out.ipv4 = e.ipv4;
  if (e.ipv6) out.ipv6 = e.ipv6;
  return out;
}

function noteOnce(notes: Note[], n: Note): void {
  if (!notes.some((x) => x.text === n.text)) notes.push(n);
}
