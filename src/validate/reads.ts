/**
 * Shared reads: route, neighbour and session tests on the same node ask the
 * same question (`vtysh -c 'show ip route json'`), often at nearly the same
 * moment — a lab whose tests check every loopback on every router asks each
 * router's table once per prefix. A read of the same node and argv within
 * READ_TTL_MS of another reuses its answer (also while it is still running),
 * so those tests cost one exec per node instead of one per test.
 *
 * READ_TTL_MS is shorter than the runner's first pause between tries, so a
 * test that retries always sees a fresh answer. Only read-only daemon and
 * table queries go through here; `exec` tests and pings never do.
 */
import type { ExecOptions, ExecResult } from '../daemons/kind.js';
import { findKind } from '../daemons/registry.js';
import type { NodeQuery, RoutingState, StateAnswer } from '../daemons/routing-state.js';
import { CheckError } from './errors.js';
import type { CheckContext } from './types.js';

/** How long an answer is reused, ms. */
export const READ_TTL_MS = 200;

/** Answers by node and argv, with when they were asked (ms, the context's clock). */
export type ReadCache = Map<string, { at: number; result: Promise<ExecResult> }>;

/** Runs a read-only query in a node, or reuses the answer to the same query asked less than READ_TTL_MS ago. */
export function read(ctx: CheckContext, node: string, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
  if (!ctx.reads) return ctx.exec(node, argv, opts);
  const key = `${node}\0${argv.join('\0')}`;
  const now = ctx.now ? ctx.now() : performance.now();
  const hit = ctx.reads.get(key);
  if (hit && now - hit.at < READ_TTL_MS) return hit.result;
  const result = ctx.exec(node, argv, opts);
  ctx.reads.set(key, { at: now, result });
  // a rejected read is not kept: the next test asks again
  result.catch(() => { if (ctx.reads?.get(key)?.result === result) ctx.reads.delete(key); });
  return result;
}

/**
 * The routing state of the node a protocol test names, read by its kind's
 * plug-in (Kind.routingState: FRR's vtysh, BIRD's birdc) through the shared
 * reads. A daemon that does not answer (yet) is a `problem`, retried while
 * the test waits.
 * @throws CheckError when the tool is not installed in the node, or the kind
 *   reads no routing state (a topology loaded with a catalog of its own).
 */
export async function readRoutingState<T>(ctx: CheckContext, node: string, kind: string,
  ask: (state: RoutingState, query: NodeQuery) => Promise<StateAnswer<T>>): Promise<StateAnswer<T>> {
  const state = findKind(kind)?.routingState;
  if (!state) throw new CheckError(`kind ${kind} (node ${node}) has no routing daemon netlab can read`);
  const r = await ask(state, (argv, opts) => read(ctx, node, argv, opts));
  if ('problem' in r && r.missing) throw new CheckError(r.problem);
  return r;
}
