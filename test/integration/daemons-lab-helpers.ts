/**
 * Helpers for the daemon suites that run on real labs (Lab.up): a kind's
 * NodeContext for a running node, and waiting for a kernel route.
 */
import { existsSync } from 'node:fs';
import type { NodeContext } from '../../src/daemons/kind.js';
import { poll } from '../../src/daemons/poll.js';
import type { Lab } from '../../src/lab/lab.js';
import { readState } from '../../src/lab/state.js';
import { nodeContext } from '../../src/lab/steps-run.js';
import { requireRoot, skip } from '../helpers/kernel.js';

/** Skips (printing why) unless root with FRR (and BIRD when asked) installed. */
export function needDaemons(ctx: Mocha.Context, bird = false): void {
  requireRoot(ctx);
  if (!existsSync('/usr/lib/frr/watchfrr')) skip(ctx, 'FRR is not installed (apt install frr)');
  if (bird && !existsSync('/usr/sbin/bird')) skip(ctx, 'BIRD is not installed (apt install bird2)');
}

/** The NodeContext the applier gives a kind, for a node of a running lab. */
export function ctxOf(lab: Lab, node: string): NodeContext {
  const rec = readState(lab.name).state!.nodes[node]!;
  return nodeContext(lab.name, lab.topology, lab.topology.nodes.find((n) => n.name === node)!, rec.pid);
}

/** Waits until `node` has a kernel route to `prefix` installed by `proto` (ospf, bgp, bird). */
export async function waitRoute(lab: Lab, node: string, prefix: string, proto: string, timeoutMs = 20_000): Promise<void> {
  await poll(`${node} route ${prefix} proto ${proto}`, timeoutMs, async () => {
    const r = await lab.exec(node, ['ip', '-j', prefix.includes(':') ? '-6' : '-4', 'route', 'show', prefix]);
    const routes = r.code === 0 ? (JSON.parse(r.stdout) as { protocol?: string }[]) : [];
    return routes.some((x) => x.protocol === proto) ? { done: true, value: undefined } : { done: false, seen: r.stdout.trim() };
  });
}
