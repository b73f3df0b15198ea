/**
 * Running a node's main process in the background, the way every kind does
 * it: the topology's `cmd:` (with /bin/sh -c), or — for kind linux on an
 * image, when the topology gives no `cmd:` — the image's Entrypoint + Cmd
 * (config.md), as argv. netlab-enter starts it detached in its own session
 * (--detach: setsid, reparented to the node's PID 1, which reaps it), stdin
 * from /dev/null, stdout and stderr appended to the node's console — /dev/console, a FIFO
 * whose other end the node's PID 1 (netlab-init) copies into the console log
 * on the host up to its size cap (docs/nodes.md), opened before the command
 * drops to the image's User. The image's
 * WorkingDir and User apply to both; the exec that starts it returns once it
 * runs.
 */
import { NetlabError } from '../errors.js';
import type { NodeContext } from './kind.js';

/** Where a node's background command writes, as seen inside the node. */
export const CONSOLE = '/dev/console';

/** The argv of a `cmd:` line. */
export function cmdArgv(cmd: string): string[] {
  return ['/bin/sh', '-c', cmd];
}

/** Starts argv detached with the image's WorkingDir and User; `what` names it in errors. */
async function startDetached(ctx: NodeContext, argv: string[], what: string, hint: string): Promise<void> {
  const r = await ctx.exec(argv, { detach: true, log: CONSOLE, cwd: ctx.run?.cwd, user: ctx.run?.user, timeoutMs: 10_000 });
  if (r.code !== 0) {
    const said = (r.stderr || r.stdout).trim().replace(/^error: /, '');
    throw new NetlabError(`node ${ctx.node.name}`, `${what} could not be started: ${said || `exit code ${r.code}`}`, hint);
  }
}

/**
 * Starts the node's `cmd` (if any) in the background with the node's env.
 * @throws NetlabError naming the node when the command cannot be started
 *   (its own failure later shows on the console, not here).
 */
export async function startCmd(ctx: NodeContext): Promise<void> {
  const cmd = ctx.node.cmd;
  if (cmd === undefined) return;
  await startDetached(ctx, cmdArgv(cmd), 'cmd', 'check the cmd: line; its output goes to the node console');
}

/**
 * Starts the node's main process: its `cmd:`, else its image's Entrypoint +
 * Cmd (nothing for a node without either).
 * @throws NetlabError naming the node when it cannot be started (e.g. the
 *   image's entrypoint is not in the image).
 */
export async function startMain(ctx: NodeContext): Promise<void> {
  if (ctx.node.cmd !== undefined) return startCmd(ctx);
  const argv = ctx.run?.argv ?? [];
  if (!argv.length) return;
  await startDetached(ctx, argv, `the image's entrypoint (${argv.join(' ')})`, 'give the node a cmd: to run something else; its output goes to the node console');
}
