/**
 * apply steps for traffic control: each interface's egress shaping (tbf, or
 * htb + netem) and the nodes' traffic classes. Kernel work goes through
 * src/shaping, over a tc socket per namespace opened on first use.
 */
import { createRtNetlink } from 'netlink';
import { withNetns } from '../core/netns.js';
import { HOST, type ClassesAction, type QdiscAction } from '../graph/actions.js';
import { ifindexOf, listLinks, type LinkEntry } from '../net/iface.js';
import { applyShaping } from '../shaping/apply.js';
import { applyClasses } from '../shaping/classes.js';
import type { RtSocket } from '../shaping/nl.js';
import { inWindow, type ApplyContext, type Step } from './apply.js';
import { labDir, labPath } from './paths.js';
import { netnsOf, nsLabel, socketOf } from './steps-net.js';

const NODE_WINDOW = 16;

/** The tc socket inside a namespace (the netlink package's typed socket, which src/shaping speaks). */
export function tcSocketOf(ctx: ApplyContext, node: string): RtSocket {
  let s = ctx.tc.get(node);
  if (!s) {
    s = node === HOST ? createRtNetlink() : withNetns(netnsOf(ctx, node), nsLabel(node), () => createRtNetlink());
    ctx.tc.set(node, s);
  }
  return s;
}

function byNode<A extends { node: string }>(actions: A[]): [string, A[]][] {
  const m = new Map<string, A[]>();
  for (const a of actions) m.set(a.node, [...(m.get(a.node) ?? []), a]);
  return [...m];
}

const qdisc: Step = async (ctx, actions, progress) => {
  const classNodes = new Set(ctx.plan.phases.flatMap((p) => p.actions).filter((a) => a.op === 'classes').map((a) => (a as ClassesAction).node));
  // Interfaces of nodes with classes get their shaping together with the classes (one htb tree).
  const own = (actions as QdiscAction[]).filter((a) => !classNodes.has(a.node));
  await inWindow(byNode(own), NODE_WINDOW, async ([node, list]) => {
    const links = await listLinks(socketOf(ctx, node));
    const sock = tcSocketOf(ctx, node);
    for (const a of list) {
      await applyShaping(sock, ifindexOf(links, a.iface, nsLabel(node)), a.shaping, `${nsLabel(node)}:${a.iface}`, { mtu: links.get(a.iface)?.mtu });
      progress.step();
    }
  }, ctx.signal);
  progress.step(actions.length - own.length);
};

const classes: Step = async (ctx, actions, progress) => {
  const t = ctx.plan.topology;
  const mount = labPath(ctx.plan.lab, 'net_cls');
  ctx.store.update((s) => { if (!s.mounts.includes(mount)) s.mounts.push(mount); });
  ctx.store.flush();
  const nodes = [];
  for (const a of actions as ClassesAction[]) {
    const n = t.nodes.find((x) => x.name === a.node)!;
    const links: Map<string, LinkEntry> = await listLinks(socketOf(ctx, a.node));
    nodes.push({
      node: a.node,
      netnsPath: `/proc/${ctx.running.get(a.node)!.pid}/ns/net`,
      sock: tcSocketOf(ctx, a.node),
      classes: a.classes,
      interfaces: n.interfaces.map((i) => ({ ifindex: ifindexOf(links, i.name, a.node), label: `${a.node}:${i.name}`, shaping: i.shaping ?? {}, mtu: i.mtu })),
    });
  }
  const record = await applyClasses({ lab: ctx.plan.lab, runDir: labDir(ctx.plan.lab), nodes });
  ctx.store.update((s) => { s.classes = record; });
  ctx.store.flush();
  progress.step(actions.length);
};

/** The traffic-control steps, by action op. */
export const shapingSteps: Record<string, Step> = { qdisc, classes };
