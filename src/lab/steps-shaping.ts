/**
 * apply steps for traffic control: each interface's egress shaping (tbf, or
 * htb + netem), the nodes' traffic classes and their packets' priority. Kernel work goes through
 * src/shaping, over the node's rtnetlink socket (the one the network steps use).
 */
import type { ClassesAction, PriorityAction, QdiscAction } from '../graph/actions.js';
import { ifindexOf, listLinks, type LinkEntry } from '../net/iface.js';
import { applyShaping } from '../shaping/apply.js';
import { applyClasses } from '../shaping/classes.js';
import { applyPriority } from '../shaping/priority.js';
import { NODE_WINDOW, byNode, inWindow, type ApplyContext, type Step } from './apply.js';
import { labDir, labPath } from './paths.js';
import { nsLabel, socketOf } from './steps-net.js';

const qdisc: Step = async (ctx, actions, progress) => {
  const classNodes = new Set(ctx.plan.phases.flatMap((p) => p.actions).filter((a) => a.op === 'classes').map((a) => (a as ClassesAction).node));
  // Interfaces of nodes with classes get their shaping together with the classes (one htb tree).
  const own = (actions as QdiscAction[]).filter((a) => !classNodes.has(a.node));
  await inWindow([...byNode(own)], NODE_WINDOW, async ([node, list]) => {
    const rtnl = socketOf(ctx, node);
    const links = await listLinks(rtnl);
    for (const a of list) {
      await applyShaping(rtnl, ifindexOf(links, a.iface, nsLabel(node)), a.shaping, `${nsLabel(node)}:${a.iface}`, { mtu: links.get(a.iface)?.mtu });
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
      rtnl: socketOf(ctx, a.node),
      classes: a.classes,
      interfaces: n.interfaces.map((i) => ({ ifindex: ifindexOf(links, i.name, a.node), label: `${a.node}:${i.name}`, shaping: i.shaping ?? {}, mtu: i.mtu })),
    });
  }
  const record = await applyClasses({ lab: ctx.plan.lab, runDir: labDir(ctx.plan.lab), nodes });
  ctx.store.update((s) => { s.classes = record; });
  ctx.store.flush();
  progress.step(actions.length);
};

/** Node priorities: one nftables rule in each node's namespace (it goes with the namespace; nothing to undo). */
const priority: Step = async (ctx, actions, progress) => {
  for (const a of actions as PriorityAction[]) {
    applyPriority(`/proc/${ctx.running.get(a.node)!.pid}/ns/net`, a.node, a.priority);
    progress.step();
  }
};

/** The traffic-control steps, by action op. */
export const shapingSteps: Record<string, Step> = { qdisc, classes, priority };
