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
import { CheckError } from './errors.js';
import { firstLine } from './labels.js';
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
 * `vtysh -c COMMAND` in the node (a shared read), its JSON answer parsed by
 * `parse`. FRR that does not answer yet, or answers something else, is an
 * answer (`problem`, naming `daemon` when it may not run), retried while the
 * test waits; vtysh missing is a CheckError.
 */
export async function vtyshJson<T>(ctx: CheckContext, node: string, command: string, daemon: string, parse: (json: string) => T):
  Promise<{ source: string; value: T } | { source: string; problem: string }> {
  const source = `vtysh -c '${command}'`;
  const r = await read(ctx, node, ['vtysh', '-c', command], { timeoutMs: 10_000 });
  if (r.code === 127) throw new CheckError(`vtysh is not installed in ${node} (Debian package frr)`);
  if (r.code !== 0) return { source, problem: `vtysh: ${firstLine(r.stdout || r.stderr) || `exited with ${r.code}`}` };
  try {
    return { source, value: parse(r.stdout) };
  } catch {
    const said = firstLine(r.stdout || r.stderr);
    return { source, problem: `vtysh: ${said}${/not running/i.test(said) ? '' : ` (is ${daemon} running?)`}` };
  }
}
