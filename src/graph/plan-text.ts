/**
 * A plan as text, for `netlab up --dry-run`: a header with counts, then each
 * phase with its action count (by op) and one line per action. Big phases are
 * cut to the first `limit` lines unless `verbose`.
 */
import { formatPriority } from '../topology/priority.js';
import { formatRate } from '../topology/units.js';
import { describeRoute } from '../topology/routes.js';
import { describeShaping } from '../topology/shaping.js';
import type { NetClass } from '../topology/types.js';
import { isLan } from '../topology/link-types/index.js';
import type { Action, Plan, VethEnd } from './actions.js';
import { components } from './graph.js';

/** Options of formatPlan. */
export interface FormatPlanOptions {
  /** Print every action (default false). */
  verbose?: boolean;
  /** Actions shown per phase when not verbose (default 20). */
  limit?: number;
}

/** The plan as lines of text (ends with a newline). */
export function formatPlan(plan: Plan, opts: FormatPlanOptions = {}): string {
  const limit = opts.verbose ? Infinity : opts.limit ?? 20;
  const t = plan.topology;
  const lans = t.links.filter(isLan).length;
  const total = plan.phases.reduce((n, p) => n + p.actions.length, 0);
  const comps = components(plan.graph).length;
  const lines = [
    `plan for lab ${plan.lab}: ${t.nodes.length} node(s), ${t.links.length} link(s)${lans ? ` (${lans} LAN)` : ''}, ` +
    `${comps} connected component(s); ${total} action(s) in ${plan.phases.length} phase(s)`,
  ];
  plan.phases.forEach((p, i) => {
    const counts = new Map<string, number>();
    for (const a of p.actions) counts.set(a.op, (counts.get(a.op) ?? 0) + 1);
    const byOp = [...counts].map(([op, n]) => `${n} ${op}`).join(', ');
    const with_ = p.alongside ? ` (alongside ${plan.phases[i - 1]?.name})` : '';
    lines.push(`phase ${i + 1}/${plan.phases.length} ${p.name}${p.level !== undefined ? ` (start level ${p.level})` : ''}${with_}: ${byOp}`);
    for (const a of p.actions.slice(0, limit)) lines.push(`  ${describeAction(a)}`);
    if (p.actions.length > limit) lines.push(`  … and ${p.actions.length - limit} more (--verbose lists all)`);
  });
  return `${lines.join('\n')}\n`;
}

const end = (e: VethEnd): string => `${e.node}:${e.iface}`;

/** One action as one line, e.g. `veth r1:eth1 <-> r2:eth1 mtu 1500`. */
export function describeAction(a: Action): string {
  switch (a.op) {
    case 'node.start': return `node.start ${a.node}`;
    case 'segment.ns': return 'segment.ns (hidden namespace for LAN bridges)';
    case 'sysctl': return `sysctl ${a.node} ${Object.entries(a.values).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'bridge': return `bridge ${a.ns}/${a.name} mtu ${a.mtu} ports ${a.ports.join(',') || '-'}`;
    case 'veth': return `veth ${end(a.a)} <-> ${end(a.b)} mtu ${a.a.mtu} (link ${a.link})`;
    case 'host.link': return `host.link ${end(a.node)} <-> host:${a.host.iface} mtu ${a.host.mtu} (link ${a.link})`;
    case 'mgmt': return `mgmt ${a.node}:${a.iface} <-> host:${a.hostIface}@${a.bridge}`;
    case 'ifup': return `ifup ${a.node} ${a.ifaces.join(',')}`;
    case 'addr': return `addr ${a.node} ${a.iface} ${a.cidr}`;
    case 'neigh': return `neigh ${a.node} ${a.iface} ${a.ip} lladdr ${a.mac} permanent`;
    case 'route': return `route ${a.node} ${describeRoute(a.route)}`;
    case 'qdisc': return `qdisc ${a.node} ${a.iface} ${describeShaping(a.shaping)}`;
    case 'link.state': return `link.state ${a.node} ${a.iface} ${a.up ? 'up' : 'down'}`;
    case 'classes': return `classes ${a.node} ${describeClasses(a.classes)}`;
    case 'priority': return `priority ${a.node} ${formatPriority(a.priority)}`;
    case 'daemon': return `daemon ${a.node} ${a.kind}${a.autostart === false ? ' (cmd only: daemons start on request)' : ''}`;
    case 'health': return `health ${a.node} ${a.check.test.slice(0, 60)}`;
    case 'startup': return `startup ${a.node} ${a.scripts.join(' ')}`;
    case 'exec': return `exec ${a.node} ${a.lines.length} line(s)${a.errors === 'warn' ? ' (failures warn)' : ''}: ${a.lines[0]!.slice(0, 60)}${a.lines.length > 1 || a.lines[0]!.length > 60 ? ' …' : ''}`;
    case 'dummy': return `dummy ${a.node}:${a.iface} mtu ${a.mtu} (link ${a.link})`;
    case 'macvlan': return `macvlan ${a.node}:${a.iface} on host:${a.parent} mode ${a.mode} mtu ${a.mtu} (link ${a.link})`;
    case 'vxlan': return `vxlan ${a.node}:${a.iface} vni ${a.vni} to ${a.remote}:${a.port} mtu ${a.mtu} (link ${a.link})`;
    case 'host.bridge': return `host.bridge ${a.name} mtu ${a.mtu} (made when the host has none)`;
    case 'host.port': return `host.port host:${a.iface} joins bridge ${a.bridge} (link ${a.link})`;
  }
}

function describeClasses(c: Record<string, NetClass>): string {
  return Object.entries(c).map(([name, k]) => `${name}=${formatRate(k.rateBps)}${k.ceilBps ? `..${formatRate(k.ceilBps)}` : ''}${k.prio !== undefined ? ` prio ${k.prio}` : ''}`).join(' ');
}
