/**
 * Running a node's `cmd:` in the background, the way every kind does it:
 * detached in its own session (setsid), stdin from /dev/null, stdout and
 * stderr appended to the node's console, /dev/console: a FIFO whose other end
 * the node's PID 1 (netlab-init) copies into the console log on the host, up
 * to its size cap (docs/nodes.md). The process is reparented to PID 1, which
 * reaps it; the exec that started it returns at once.
 */
import { NetlabError } from '../errors.js';
import type { NodeContext } from './kind.js';

/** Where a node's background command writes, as seen inside the node. */
export const CONSOLE = '/dev/console';

/** The argv that starts `cmd` detached with its output on the node console. */
export function backgroundArgv(cmd: string): string[] {
  // The outer shell only redirects and detaches; the user's line runs in the inner /bin/sh -c.
  return ['/bin/sh', '-c', `exec setsid -f /bin/sh -c "$0" </dev/null >>${CONSOLE} 2>&1`, cmd];
}

/**
 * Starts the node's `cmd` (if any) in the background with the node's env.
 * @throws NetlabError naming the node when the command cannot be started
 *   (its own failure later shows on the console, not here).
 */
export async function startCmd(ctx: NodeContext): Promise<void> {
  const cmd = ctx.node.cmd;
  if (cmd === undefined) return;
  const r = await ctx.exec(backgroundArgv(cmd), { env: ctx.node.env, timeoutMs: 10_000 });
  if (r.code !== 0) {
    throw new NetlabError(`node ${ctx.node.name}`, `cmd could not be started: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`,
      'check the cmd: line; its output goes to the node console');
  }
}
