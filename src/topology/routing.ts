/**
 * What a node routes: static `routes:`, its `gateway:` (an address, or a
 * neighbour's name resolved to that neighbour's address on the shared subnet),
 * and the `ospf:` / `bgp:` blocks merged with the lab-level ones into typed
 * objects for src/daemons. Runs after interfaces and addresses exist.
 */
import { TopologyError } from '../errors.js';
import type { Bgp, BgpNeighbor, Link, Ospf, OspfInterface, RouteSpec } from './types.js';
import type { NodeDraft } from './nodes.js';
import { mergeValue } from './defaults.js';
import { contains, formatCidr, network, parseCidr, parseIP, type Cidr } from './ip.js';
import { formatPath, type PathPart } from './path.js';
import { normaliseRoute, parseRouteString } from './routes.js';
import type { BgpInput, NodeSettings, OspfInput, TopologyInput } from './schema/source.js';
import { didYouMean } from './suggest.js';

const settings = (d: NodeDraft): NodeSettings => d.node.raw;

/** Resolves routes, gateways, OSPF and BGP of every node. */
export function resolveRouting(raw: TopologyInput, drafts: NodeDraft[], links: Link[], mgmtIface?: string): void {
  const byName = new Map(drafts.map((d) => [d.node.name, d]));
  for (const d of drafts) {
    resolveRoutes(d, mgmtIface);
    resolveGateway(d, byName, links);
    resolveOspf(d, raw.ospf, mgmtIface);
    resolveBgp(d, raw.bgp);
  }
  for (const d of drafts) resolveNeighbours(d, byName);
}

const at = (d: NodeDraft, key: string, ...rest: PathPart[]): string => formatPath([...(d.origin[key] ?? [...d.path, key]), ...rest]);

function ifaceNames(d: NodeDraft, mgmtIface?: string): string[] {
  return ['lo', ...d.node.interfaces.map((i) => i.name), ...(mgmtIface ? [mgmtIface] : [])];
}

function resolveRoutes(d: NodeDraft, mgmtIface?: string): void {
  const list = settings(d).routes ?? [];
  // The kernel keys a route by its prefix and metric (and table): a second one is EEXIST.
  const seen = new Map<string, number>();
  d.node.routes = list.map((r, i): RouteSpec => {
    const res = typeof r === 'string' ? parseRouteString(r) : normaliseRoute(r);
    if ('what' in res) throw new TopologyError(at(d, 'routes', i), res.what, res.hint);
    if (res.dev !== undefined) {
      const names = ifaceNames(d, mgmtIface);
      if (!names.includes(res.dev)) {
        throw new TopologyError(at(d, 'routes', i), `dev ${res.dev} is not an interface of ${d.node.name}${didYouMean(res.dev, names)}`, `interfaces: ${names.join(', ')}`);
      }
    }
    const key = routeKey(res);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new TopologyError(at(d, 'routes', i), `a route to ${res.prefix}${res.metric ? ` with metric ${res.metric}` : ''} is already routes[${first}]`,
        'give each prefix one route (list several via for ECMP), or a different metric');
    }
    seen.set(key, i);
    return res;
  });
}

/** What makes two routes the same route to the kernel: the prefix and the metric. */
function routeKey(r: RouteSpec): string {
  return `${r.prefix} ${r.metric ?? 0}`;
}

function resolveGateway(d: NodeDraft, byName: Map<string, NodeDraft>, links: Link[]): void {
  const g = settings(d).gateway;
  if (g === undefined) return;
  const out: { ipv4?: string; ipv6?: string } = {};
  const one = (v: string, want: 4 | 6 | undefined, path: PathPart[]): void => {
    const ip = parseIP(v);
    const where = at(d, 'gateway', ...path);
    if (ip) {
      if (want && ip.family !== want) throw new TopologyError(where, `${v} is not an IPv${want} address`, `put it under ipv${ip.family}:`);
      checkOnSubnet(d, ip, v, where);
      out[ip.family === 4 ? 'ipv4' : 'ipv6'] = v;
      return;
    }
    const peer = byName.get(v);
    if (!peer) throw new TopologyError(where, `gateway "${v}" is not a node${didYouMean(v, [...byName.keys()])}`, 'write an address or the name of a neighbour node');
    if (peer === d) throw new TopologyError(where, `gateway "${v}" is the node itself`, 'name a neighbour');
    const found = neighbourAddresses(d, peer, links);
    if (!found) throw new TopologyError(where, `${d.node.name} shares no link with ${v}`, 'the gateway must be directly connected');
    for (const fam of want ? [want] : [4, 6] as const) {
      const key = fam === 4 ? 'ipv4' : 'ipv6';
      if (found[key]) out[key] = found[key]!.split('/')[0];
    }
    if ((want && !out[want === 4 ? 'ipv4' : 'ipv6']) || (!want && !out.ipv4 && !out.ipv6)) {
      throw new TopologyError(where, `${v} has no ${want ? `IPv${want} ` : ''}address on the link it shares with ${d.node.name}`, 'give the link addresses, or write the gateway address');
    }
  };
  if (typeof g === 'string') one(g, undefined, []);
  else {
    if (g.ipv4 !== undefined) one(g.ipv4, 4, ['ipv4']);
    if (g.ipv6 !== undefined) one(g.ipv6, 6, ['ipv6']);
  }
  for (const [key, prefix] of [['ipv4', '0.0.0.0/0'], ['ipv6', '::/0']] as const) {
    const i = out[key] === undefined ? -1 : d.node.routes.findIndex((r) => routeKey(r) === routeKey({ prefix }));
    if (i >= 0) {
      throw new TopologyError(at(d, 'gateway', ...(typeof g === 'string' ? [] : [key])), `${d.node.name} has a default route in routes[${i}] already; gateway: adds another`,
        'keep one of them: the gateway, or the route');
    }
  }
  d.node.gateway = out;
}

/**
 * Refuses a gateway address the node cannot reach directly: one on none of
 * its subnets (the kernel answers "Nexthop has invalid gateway"), or of a
 * family the node has no address of.
 */
function checkOnSubnet(d: NodeDraft, ip: { family: 4 | 6; addr: bigint }, written: string, where: string): void {
  const key = ip.family === 4 ? 'ipv4' : 'ipv6';
  const subnets = [...d.node.interfaces.map((i) => i[key]), d.node.mgmt?.[key]].filter((c): c is string => c !== undefined).map((c) => parseCidr(c)!);
  if (subnets.length === 0) {
    throw new TopologyError(where, `${d.node.name} has no IPv${ip.family} address on any interface, so it cannot reach the gateway ${written}`,
      ip.family === 6 ? 'give the lab IPv6 addresses (e.g. addressing: { ipv6: 2001:db8::/48 }), or leave the IPv6 gateway out' : 'give the node\'s links IPv4 addresses, or leave the gateway out');
  }
  const host: Cidr = { family: ip.family, addr: ip.addr, len: ip.family === 4 ? 32 : 128 };
  if (!subnets.some((c) => contains({ ...c, addr: network(c) }, host))) {
    const list = subnets.map((c) => formatCidr({ ...c, addr: network(c) }));
    throw new TopologyError(where, `gateway ${written} is on none of ${d.node.name}'s subnets (${[...new Set(list)].slice(0, 6).join(', ')}${list.length > 6 ? ', …' : ''})`,
      'give an address on one of them, or the name of a neighbour node (gateway: r1)');
  }
}

/** The peer's interface addresses on the first subnet it shares with `d` (a direct link, or the same LAN/prefix). */
function neighbourAddresses(d: NodeDraft, peer: NodeDraft, links: Link[]): { ipv4?: string; ipv6?: string } | undefined {
  for (const mine of d.node.interfaces) {
    const link = links[mine.link]!;
    for (const theirs of peer.node.interfaces) {
      const other = links[theirs.link]!;
      const same = theirs.link === mine.link
        || (link.prefix4 !== undefined && link.prefix4 === other.prefix4)
        || (link.prefix6 !== undefined && link.prefix6 === other.prefix6);
      if (same) return { ipv4: theirs.ipv4, ipv6: theirs.ipv6 };
    }
  }
  return undefined;
}

function dotted(area: string | number): string {
  if (typeof area === 'string') return area;
  const n = area;
  return [24, 16, 8, 0].map((s) => String(Math.floor(n / 2 ** s) % 256)).join('.');
}

function resolveOspf(d: NodeDraft, lab: OspfInput | undefined, mgmtIface?: string): void {
  const own = settings(d).ospf;
  const on = own === false ? false : own !== undefined ? true : lab !== undefined && d.kind.router;
  if (!on) return;
  if (!d.kind.router) {
    throw new TopologyError(at(d, 'ospf'), `kind ${d.node.kind} runs no routing daemon, so it cannot run OSPF`, 'use kind: frr or kind: bird for routers');
  }
  const m = mergeValue(lab ?? {}, own === true ? {} : own) as OspfInput;
  const ospf: Ospf = { area: dotted(m.area ?? 0), interfaces: {}, redistribute: [...(m.redistribute ?? [])], options: { ...(m.options ?? {}) } };
  const rid = m.router_id ?? d.node.loopback.ipv4?.split('/')[0];
  if (rid) ospf.routerId = rid;
  if (m.cost !== undefined) ospf.cost = m.cost;
  if (m.passive !== undefined) ospf.passive = m.passive;
  if (m.network !== undefined) ospf.network = m.network;
  if (m.hello !== undefined) ospf.helloS = m.hello;
  if (m.dead !== undefined) ospf.deadS = m.dead;
  const names = ifaceNames(d, mgmtIface);
  for (const [name, v] of Object.entries(m.interfaces ?? {})) {
    if (!names.includes(name)) {
      throw new TopologyError(at(d, 'ospf', 'interfaces', name), `${name} is not an interface of ${d.node.name}${didYouMean(name, names)}`, `interfaces: ${names.join(', ')}`);
    }
    const oi: OspfInterface = {};
    if (v.area !== undefined) oi.area = dotted(v.area);
    if (v.cost !== undefined) oi.cost = v.cost;
    if (v.passive !== undefined) oi.passive = v.passive;
    if (v.network !== undefined) oi.network = v.network;
    ospf.interfaces[name] = oi;
  }
  d.node.ospf = ospf;
}

function resolveBgp(d: NodeDraft, lab: BgpInput | undefined): void {
  const own = settings(d).bgp;
  if (own === false) return;
  const m = mergeValue(lab ?? {}, own === true || own === undefined ? {} : own) as BgpInput;
  const on = own !== undefined || (lab !== undefined && d.kind.router && m.as !== undefined);
  if (!on) return;
  if (!d.kind.router) {
    throw new TopologyError(at(d, 'bgp'), `kind ${d.node.kind} runs no routing daemon, so it cannot run BGP`, 'use kind: frr or kind: bird for routers');
  }
  if (m.as === undefined) throw new TopologyError(at(d, 'bgp'), 'BGP needs an AS number: as: is missing', 'add as: 65001 here or in the lab-level bgp: block');
  const bgp: Bgp = {
    as: m.as, neighbors: [], networks: [...(m.networks ?? [])],
    redistribute: [...(m.redistribute ?? [])], options: { ...(m.options ?? {}) },
  };
  const rid = m.router_id ?? d.node.loopback.ipv4?.split('/')[0];
  if (rid) bgp.routerId = rid;
  bgp.neighbors = (m.neighbors ?? []).map((n, i) => {
    if (n.address === undefined && n.node === undefined) {
      throw new TopologyError(at(d, 'bgp', 'neighbors', i), 'a neighbour needs address: or node:', 'write e.g. { node: r2 } or { address: 10.1.0.1, as: 65002 }');
    }
    const nb: BgpNeighbor = { options: { ...(n.options ?? {}) } };
    for (const k of ['address', 'node', 'description'] as const) if (n[k] !== undefined) nb[k] = n[k];
    if (n.as !== undefined) nb.as = n.as;
    return nb;
  });
  d.node.bgp = bgp;
}

function resolveNeighbours(d: NodeDraft, byName: Map<string, NodeDraft>): void {
  d.node.bgp?.neighbors.forEach((n, i) => {
    if (n.node === undefined) return;
    const peer = byName.get(n.node);
    const where = at(d, 'bgp', 'neighbors', i, 'node');
    if (!peer) throw new TopologyError(where, `node "${n.node}" is not defined${didYouMean(n.node, [...byName.keys()])}`, 'name a node of this lab');
    if (peer === d) throw new TopologyError(where, `${n.node} cannot be its own BGP neighbour`, 'name another node');
    if (n.as === undefined) {
      if (!peer.node.bgp) throw new TopologyError(where, `${n.node} does not run BGP, so its AS is unknown`, 'add as: to the neighbour, or a bgp: block to that node');
      n.as = peer.node.bgp.as;
    }
  });
}
