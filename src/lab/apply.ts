/**
 * apply: the one place that turns a Plan into kernel objects (DESIGN.md, "The
 * data flow"). Phases run in order; the actions of a phase are independent and
 * run in parallel within bounded windows. Every object is recorded in the State
 * file before (or, for cheap local objects, as) it is created, so that
 * `teardown` can undo a half-made lab after a failure, a Ctrl-C or a SIGKILL.
 *
 * The steps themselves live in steps-*.ts; this file holds the shared context
 * and the phase loop.
 */
import { closeNetns } from '../core/netns.js';
import type { Action, Phase, Plan } from '../graph/actions.js';
import type { Rtnl } from '../net/rtnl.js';
import type { LinkEntry } from '../net/iface.js';
import { PhaseProgress, type ProgressListener } from './progress.js';
import type { StateStore } from './state.js';
import type { CgroupLayout } from '../core/cgroups.js';
import type { RunningNode } from '../core/node.js';
import type { NodeRoot } from './images.js';

/** Everything the steps share while one lab is being built. */
export interface ApplyContext {
  plan: Plan;
  store: StateStore;
  layout: CgroupLayout;
  /** Node name (or SEGMENTS, src/topology/namespaces.ts) → its running PID 1. */
  running: Map<string, RunningNode>;
  /** Node name (or SEGMENTS, HOST: src/topology/namespaces.ts) → open network namespace fd. */
  netns: Map<string, number>;
  /** Node name → rtnetlink socket inside its namespace, opened on first use (links, addresses, routes and tc alike). */
  sockets: Map<string, Rtnl>;
  /** Node name → its interfaces (name → ifindex) as the ifup step read them; later steps skip the dump. */
  links: Map<string, Map<string, LinkEntry>>;
  /** Socket in the host namespace (veths are created from here, placed by fd). */
  host: Rtnl;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Phase name → milliseconds it took. */
  timings: Record<string, number>;
  /** A failure leaves the lab in place (`up --keep-on-error`) instead of rolling it back. */
  keepOnError?: boolean;
  /** Says something went wrong that does not stop `up` (a startup script or an `exec_errors: warn` line failed). */
  warn?: (text: string) => void;
  /** Node name → its root filesystem and image (src/lab/images.ts); nodes not in it use the host's `/`. */
  roots?: Map<string, NodeRoot>;
}

/** A step: runs every action of one op within a phase, reporting progress. */
export type Step = (ctx: ApplyContext, actions: Action[], progress: PhaseProgress) => Promise<void>;

/**
 * Runs every phase of the plan in order; a phase marked `alongside` runs at
 * the same time as the one before it, and the next phase starts when both
 * have ended. Within a phase, the actions are grouped by op and each group is
 * given to its step; groups of one phase run one after the other in the
 * order the ops first appear. Throws the first failure (after every phase
 * running alongside it has ended, so nothing still works while the caller
 * rolls back).
 */
export async function runPhases(ctx: ApplyContext, steps: Record<string, Step>): Promise<void> {
  const phases = ctx.plan.phases;
  for (let i = 0; i < phases.length;) {
    throwIfAborted(ctx.signal);
    let j = i + 1;
    while (j < phases.length && phases[j]!.alongside) j++;
    const together = phases.slice(i, j);
    i = j;
    if (together.length === 1) await runPhase(ctx, steps, together[0]!);
    else {
      const ends = await Promise.allSettled(together.map((p) => runPhase(ctx, steps, p)));
      const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
      if (failed) throw failed.reason;
    }
    ctx.store.flush();
  }
}

/** One phase: its ops' groups in turn, its time added to ctx.timings[name]. */
async function runPhase(ctx: ApplyContext, steps: Record<string, Step>, phase: Phase): Promise<void> {
  const progress = new PhaseProgress(phase.name, phase.actions.length, ctx.onProgress);
  const groups = new Map<string, Action[]>();
  for (const a of phase.actions) groups.set(a.op, [...(groups.get(a.op) ?? []), a]);
  for (const [op, actions] of groups) {
    const step = steps[op];
    if (!step) throw new Error(`apply: no step for action "${op}" (planner and applier disagree)`);
    await step(ctx, actions, progress);
    throwIfAborted(ctx.signal);
  }
  ctx.timings[phase.name] = (ctx.timings[phase.name] ?? 0) + progress.end();
}

/** Closes every socket and namespace fd the context holds. */
export function closeContext(ctx: ApplyContext): void {
  for (const s of ctx.sockets.values()) s.close();
  ctx.sockets.clear();
  for (const fd of ctx.netns.values()) closeNetns(fd);
  ctx.netns.clear();
}

/** Throws the abort reason (a NetlabError for Ctrl-C/SIGTERM) when `signal` fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Nodes worked on at once by a step (each over its own socket, which batches its own requests). */
export const NODE_WINDOW = 16;

/** Groups items by their `node`, in the order nodes first appear. Pure. */
export function byNode<A extends { node: string }>(items: A[]): Map<string, A[]> {
  const m = new Map<string, A[]>();
  for (const a of items) {
    const list = m.get(a.node);
    if (list) list.push(a);
    else m.set(a.node, [a]);
  }
  return m;
}

/**
 * Runs `fn` over `items` with at most `width` in flight; the first failure stops
 * new work, waits for the running ones, and is thrown.
 */
export async function inWindow<T>(items: T[], width: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length && !signal?.aborted) {
      const item = items[next++];
      try { await fn(item); } catch (err) { failure ??= err; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure !== undefined) throw failure;
  throwIfAborted(signal);
}
