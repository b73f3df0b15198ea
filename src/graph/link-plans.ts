/**
 * What each link type adds to the plan, one planner per type, keyed by
 * LinkKind like the registry of src/topology/link-types (so a type without a
 * planner does not compile), and the management network's share.
 */
import { isHostEndpoint } from '../topology/endpoints.js';
import { HOST, SEGMENTS } from '../topology/namespaces.js';
import type { Link, LinkKind, Topology } from '../topology/types.js';
import type { Action, BridgeAction, HostPortAction, VethEnd } from './actions.js';

/** What a planner may ask of the plan being built. */
export interface LinkPlanContext {
  /** The plan's end of a node interface (its MAC and MTU from the topology). */
  end(node: string, iface: string): VethEnd;
  /** The management network's bridge, when the lab has one. */
  mgmtBridge?: string;
}

/** One link's actions, by where they go. */
export interface LinkPlan {
  /** Bridges phase, with the lab's other segment bridges (before the management bridge). */
  segment?: BridgeAction;
  /** Links phase, in link order: the interfaces and veth pairs. */
  links: Action[];
  /** Bridges phase, after the management bridge: host ends joining a host bridge. */
  port?: HostPortAction;
}

/** Plans one link of a type. Pure. */
export type LinkPlanner = (l: Link, at: LinkPlanContext) => LinkPlan;

/** Two node ends: one veth pair, made with both ends in place. */
const p2p: LinkPlanner = (l, at) => {
  const [a, b] = l.endpoints as [Link['endpoints'][0], Link['endpoints'][0]];
  return { links: [{ op: 'veth', link: l.index, a: at.end(a.node, a.iface), b: at.end(b.node, b.iface) }] };
};

/** A veth pair per member, its other end a port of the LAN's bridge in the segment namespace. */
const lan: LinkPlanner = (l, at) => ({
  segment: { op: 'bridge', ns: SEGMENTS, name: l.segment!, ports: l.ports!.map((p) => p.iface), mtu: l.mtu, stp: false },
  links: l.endpoints.map((e, j) => {
    const p = l.ports![j]!;
    return { op: 'veth', link: l.index, a: at.end(e.node, e.iface), b: { node: SEGMENTS, iface: p.iface, mac: p.mac, mtu: l.mtu } };
  }),
});

/** A veth pair to the host's namespace; its host end joins a host bridge (or the management bridge) when asked. */
const host: LinkPlanner = (l, at) => {
  const e = l.endpoints.find((x) => !isHostEndpoint(x))!;
  const out: LinkPlan = { links: [{ op: 'host.link', link: l.index, node: at.end(e.node, e.iface), host: { iface: l.host!.iface, mac: l.host!.mac, mtu: l.mtu } }] };
  const bridge = l.host!.mgmt ? at.mgmtBridge! : l.host!.bridge;
  if (bridge !== undefined) out.port = { op: 'host.port', link: l.index, iface: l.host!.iface, bridge };
  return out;
};

/** The node end of a one-endpoint link, as the dummy/macvlan/vxlan actions carry it. */
function single(l: Link, at: LinkPlanContext): { link: number; node: string; iface: string; mac: string; mtu: number } {
  const e = at.end(l.endpoints[0]!.node, l.endpoints[0]!.iface);
  return { link: l.index, node: e.node, iface: e.iface, mac: e.mac, mtu: e.mtu };
}

const dummy: LinkPlanner = (l, at) => ({ links: [{ op: 'dummy', ...single(l, at) }] });
const macvlan: LinkPlanner = (l, at) => ({ links: [{ op: 'macvlan', ...single(l, at), parent: l.macvlan!.parent, mode: l.macvlan!.mode }] });
const vxlan: LinkPlanner = (l, at) => ({ links: [{ op: 'vxlan', ...single(l, at), ...l.vxlan! }] });

/** Every link type's planner. */
export const LINK_PLANNERS: Readonly<Record<LinkKind, LinkPlanner>> = { p2p, lan, host, dummy, macvlan, vxlan };

/** The management network's share of the plan (`mgmt:`; src/topology/mgmt.ts). */
export interface MgmtPlan {
  /** Bridges phase: the bridge on the host, its ports the nodes' host ends. */
  bridge: BridgeAction;
  /** Links phase: every node's management veth. */
  links: Action[];
  /** Addresses phase: the gateway address(es) of the bridge. */
  addresses: Action[];
}

/** Plans the management network of a lab that has one. Pure. */
export function planMgmt(t: Topology): MgmtPlan | undefined {
  const m = t.mgmt;
  if (!m) return undefined;
  const addresses: Action[] = [{ op: 'addr', node: HOST, iface: m.bridge, cidr: m.gateway }];
  if (m.gateway6) addresses.push({ op: 'addr', node: HOST, iface: m.bridge, cidr: m.gateway6 });
  return {
    bridge: { op: 'bridge', ns: HOST, name: m.bridge, ports: t.nodes.map((n) => n.mgmt!.hostIface), mtu: m.mtu, stp: false },
    links: t.nodes.map((n) => {
      const nm = n.mgmt!;
      return { op: 'mgmt', node: n.name, iface: nm.iface, mac: nm.mac, mtu: m.mtu, hostIface: nm.hostIface, bridge: m.bridge };
    }),
    addresses,
  };
}
