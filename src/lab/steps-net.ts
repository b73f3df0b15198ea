/**
 * apply steps for the network: sysctls, veth pairs, bridges, host links, the
 * management network, addresses, routes, administrative link state. All kernel
 * work goes through src/net; this file maps plan actions to its calls and
 * records what is created in the State file.
 */
import { HOST, SEGMENTS, type Action, type AddrAction, type BridgeAction, type DummyAction, type HostBridgeAction, type HostLinkAction, type HostPortAction, type IfUpAction, type LinkStateAction, type MacvlanAction, type MgmtAction, type NeighAction, type RouteAction, type SysctlAction, type VethAction, type VxlanAction, type VethEnd as PlanEnd } from '../graph/actions.js';
import { NetlabError } from '../errors.js';
import { ensureHostBridge, joinHostBridge } from '../net/host-bridge.js';
import { createNodeIface, type NodeIfaceType } from '../net/node-iface.js';
import { getKind } from '../daemons/registry.js';
import { createBridge } from '../net/bridge.js';
import { createHostLink } from '../net/host-link.js';
import type { HostObject } from '../net/host-objects.js';
import { createMgmtNetwork } from '../net/mgmt-network.js';
import { configureNetns, ifindexOf, listLinks, setLinkState, waitOperUp, type NetnsConfig } from '../net/iface.js';
import { Rtnl } from '../net/rtnl.js';
import { writeSysctls } from '../net/sysctl.js';
import { createVeths, type VethEnd } from '../net/veth.js';
import { NODE_WINDOW, byNode, inWindow, type ApplyContext, type Step } from './apply.js';
import { forwardingMarker } from './paths.js';

/** `node r1`, `the segment namespace`, `the host`: how errors name a namespace. */
export function nsLabel(node: string): string {
  return node === SEGMENTS ? 'segments' : node === HOST ? 'host' : node;
}

/** The rtnetlink socket inside a node's namespace, opened on first use. */
export function socketOf(ctx: ApplyContext, node: string): Rtnl {
  if (node === HOST) return ctx.host;
  let s = ctx.sockets.get(node);
  if (!s) {
    s = Rtnl.open({ netnsFd: netnsOf(ctx, node), label: nsLabel(node) });
    ctx.sockets.set(node, s);
  }
  return s;
}

/** The open namespace fd of a started node. */
export function netnsOf(ctx: ApplyContext, node: string): number {
  const fd = ctx.netns.get(node);
  if (fd === undefined) throw new Error(`apply: namespace of ${node} is not open (node not started?)`);
  return fd;
}

/** Records a host object in the State file before it is created (a journal append). */
function recordHost(ctx: ApplyContext): (o: HostObject) => void {
  return (o) => ctx.store.recordHost(o);
}

const sysctl: Step = async (ctx, actions, progress) => {
  const nodes = new Map(ctx.plan.topology.nodes.map((n) => [n.name, n]));
  for (const a of actions as SysctlAction[]) {
    const n = nodes.get(a.node);
    // The kind's own (e.g. FRR's multipath hashing) first; the plan's, with the user's, win.
    const values = n ? { ...getKind(n.kind).sysctls?.(n), ...a.values } : a.values;
    writeSysctls(netnsOf(ctx, a.node), values, nsLabel(a.node));
    progress.step();
  }
};

/**
 * Interface indexes of the k-th veth pair of a lab: 2k+2 and 2k+3 (lo is 1).
 * Deterministic, so `ip link` reads the same on every `up`; and the two ends
 * never share a number. That matters: the kernel treats a carrier change as
 * urgent only when a device's ifindex differs from its peer's (iflink,
 * net/core/link_watch.c linkwatch_urgent_event); with equal numbers — what
 * fresh namespaces give both ends — the first end up waits up to a second for
 * its queue, dropping every packet meanwhile (measured: 1.01 s on a 3-node lab).
 */
export function vethIfindexes(k: number): [number, number] {
  return [2 * k + 2, 2 * k + 3];
}

const veth: Step = async (ctx, actions, progress) => {
  const end = (e: PlanEnd, ifindex: number): VethEnd => ({ netnsFd: netnsOf(ctx, e.node), node: nsLabel(e.node), iface: e.iface, mac: e.mac, mtu: e.mtu, ifindex });
  const list = actions as VethAction[];
  let last = 0;
  await createVeths(ctx.host, list.map((a, k) => {
    const [ia, ib] = vethIfindexes(k);
    return { a: end(a.a, ia), b: end(a.b, ib) };
  }), {
    onProgress: (done) => { progress.step(done - last); last = done; },
  });
  // End b of every pair is created down (the kernel refuses IFF_UP on a veth peer);
  // the ifup step brings every node interface up. Segment ports come up with their bridge.
};

const bridge: Step = async (ctx, actions, progress) => {
  const local = (actions as BridgeAction[]).filter((a) => a.ns !== HOST); // the mgmt bridge is made by the mgmt step
  await inWindow(local, NODE_WINDOW, async (a) => {
    const label = a.ns === SEGMENTS ? `segment ${a.name}` : `bridge ${a.name} of ${a.ns}`;
    await createBridge(socketOf(ctx, a.ns), { name: a.name, mtu: a.mtu, ports: a.ports, stp: a.stp }, label);
    progress.step();
  }, ctx.signal);
  progress.step(actions.length - local.length);
};

const hostLink: Step = async (ctx, actions, progress) => {
  const t = ctx.plan.topology;
  for (const a of actions as HostLinkAction[]) {
    const l = t.links[a.link]!;
    await createHostLink(ctx.host, netnsOf(ctx, HOST), {
      hostIface: a.host.iface,
      hostMac: a.host.mac,
      hostAddresses: [l.host?.ipv4, l.host?.ipv6].filter((x): x is string => Boolean(x)),
      node: { netnsFd: netnsOf(ctx, a.node.node), node: a.node.node, iface: a.node.iface, mac: a.node.mac, mtu: a.node.mtu },
    }, recordHost(ctx));
    progress.step();
  }
};

const mgmt: Step = async (ctx, actions, progress) => {
  const m = ctx.plan.topology.mgmt!;
  const list = actions as MgmtAction[];
  let last = 0;
  await createMgmtNetwork(ctx.host, netnsOf(ctx, HOST), {
    lab: ctx.plan.lab, bridge: m.bridge, gateway: m.gateway, gateway6: m.gateway6, mtu: m.mtu, nat: true, forwardingMarker: forwardingMarker(),
  }, list.map((a) => ({ node: a.node, netnsFd: netnsOf(ctx, a.node), iface: a.iface, mac: a.mac, hostIface: a.hostIface, addresses: [] })),
  recordHost(ctx), (done) => { progress.step(done - last); last = done; });
};

/**
 * Brings every node's link ends up, then waits until all have carrier. A fresh
 * veth has no carrier (and drops packets) until the kernel's linkwatch runs,
 * which can lag by a second under load (src/net/iface.ts waitOperUp): waiting
 * here, once every peer is up, makes the lab usable when up returns.
 */
const ifup: Step = async (ctx, actions, progress) => {
  const list = actions as IfUpAction[];
  await inWindow(list, NODE_WINDOW, async (a) => {
    ctx.links.set(a.node, await configureNetns(socketOf(ctx, a.node), { up: a.ifaces, addresses: [], routes: [] }, a.node));
  }, ctx.signal);
  await inWindow(list, NODE_WINDOW, async (a) => {
    const carrier = a.carrier ?? a.ifaces;
    if (carrier.length) await waitOperUp(socketOf(ctx, a.node), carrier, a.node);
    progress.step();
  }, ctx.signal);
};

/**
 * A step that configures each node once over its own socket (one
 * configureNetns call per node, NODE_WINDOW nodes at a time), with the part of
 * the node's NetnsConfig that `part` makes from that node's actions.
 */
function perNode<A extends Action & { node: string }>(part: (list: A[]) => Partial<NetnsConfig>): Step {
  return async (ctx, actions, progress) => {
    await inWindow([...byNode(actions as A[])], NODE_WINDOW, async ([node, list]) => {
      await configureNetns(socketOf(ctx, node), { up: [], addresses: [], routes: [], ...part(list) }, node, ctx.links.get(node));
      progress.step(list.length);
    }, ctx.signal);
  };
}

const nodeAddr = perNode<AddrAction>((list) => ({ addresses: list.map((a) => ({ iface: a.iface, cidr: a.cidr })) }));

/** Adds each node's addresses (loopbacks on lo); host-side addresses come with their link. */
const addr: Step = async (ctx, actions, progress) => {
  const mine = (actions as AddrAction[]).filter((a) => a.node !== HOST);
  await nodeAddr(ctx, mine, progress);
  progress.step(actions.length - mine.length);
};

/** Adds the permanent neighbour entries of point-to-point links (src/net/neigh.ts). */
const neigh = perNode<NeighAction>((list) => ({ neighbours: list.map((a) => ({ iface: a.iface, ip: a.ip, mac: a.mac })) }));

const route = perNode<RouteAction>((list) => ({ routes: list.map((a) => a.route) }));

const linkState: Step = async (ctx, actions, progress) => {
  await inWindow([...byNode(actions as LinkStateAction[])], NODE_WINDOW, async ([node, list]) => {
    const sock = socketOf(ctx, node);
    const links = await listLinks(sock);
    for (const a of list) {
      await setLinkState(sock, ifindexOf(links, a.iface, node), a.up, `${node}:${a.iface}`);
      progress.step();
    }
  }, ctx.signal);
};

/** Dummy, macvlan and vxlan interfaces, each created inside its node from the host's socket. */
const nodeIface: Step = async (ctx, actions, progress) => {
  let parents: Map<string, { ifindex: number }> | undefined;
  for (const a of actions as (DummyAction | MacvlanAction | VxlanAction)[]) {
    let t: NodeIfaceType;
    if (a.op === 'macvlan') {
      parents ??= await listLinks(ctx.host);
      const parent = parents.get(a.parent);
      if (!parent) {
        throw new NetlabError(`links[${a.link}]`, `macvlan ${a.node}:${a.iface} sits on host:${a.parent}, which this host does not have`,
          'give parent: an interface of this host (ip link lists them); a containerlab file names it through a variable such as ${host_link:=ens3}: set it, e.g. host_link=eth0 netlab up FILE');
      }
      t = { type: 'macvlan', parentIndex: parent.ifindex, parent: a.parent, mode: a.mode };
    } else if (a.op === 'vxlan') t = { type: 'vxlan', vni: a.vni, remote: a.remote, port: a.port };
    else t = { type: 'dummy' };
    await createNodeIface(ctx.host, { netnsFd: netnsOf(ctx, a.node), node: a.node, iface: a.iface, mac: a.mac, mtu: a.mtu }, t);
    progress.step();
  }
};

/** Bridges on the host that host ends join (containerlab's bridge kind): used when there, else made and recorded. */
const hostBridge: Step = async (ctx, actions, progress) => {
  for (const a of actions as HostBridgeAction[]) {
    await ensureHostBridge(ctx.host, a.name, a.mtu, recordHost(ctx));
    progress.step();
  }
};

/** Host ends that join a host bridge (a containerlab bridge node, or the management network). */
const hostPort: Step = async (ctx, actions, progress) => {
  for (const a of actions as HostPortAction[]) {
    await joinHostBridge(ctx.host, a.iface, a.bridge);
    progress.step();
  }
};

/** The network steps, by action op. */
export const netSteps: Record<string, Step> = {
  sysctl, veth, bridge, 'host.link': hostLink, mgmt, ifup, addr, neigh, route, 'link.state': linkState,
  dummy: nodeIface, macvlan: nodeIface, vxlan: nodeIface, 'host.bridge': hostBridge, 'host.port': hostPort,
};

export type { Action };
