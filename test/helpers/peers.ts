/**
 * The peer labs corpus (../shared/peers beside the checkout, as CI has it):
 * other tools' labs, read in place by the front-end tests, never copied into
 * the project. NETLAB_PEERS names another place (a git worktree, whose `..`
 * is not the checkout's).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { repoRoot, skip } from './kernel.js';

/** Absolute folder of the peer labs: $NETLAB_PEERS, else <checkout>/../shared/peers. */
export function peersDir(): string {
  return process.env.NETLAB_PEERS ? resolve(process.env.NETLAB_PEERS) : join(repoRoot, '..', 'shared', 'peers');
}

/** `peersDir()/…parts`, or skips the test (with the reason) when the corpus is not there. */
export function peerLab(ctx: Mocha.Context, ...parts: string[]): string {
  const p = join(peersDir(), ...parts);
  if (!existsSync(p)) skip(ctx, `the peer labs are not at ${peersDir()} (set NETLAB_PEERS)`);
  return p;
}

/** Polls `check` (every 250 ms) until it returns true or `ms` pass; returns the last answer. */
export async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One ping from `node` to `addr` answered within `ms`. */
export function reaches(lab: Lab, node: string, addr: string, ms = 30_000): Promise<boolean> {
  return eventually(ms, async () => (await lab.exec(node, ['ping', '-c', '1', '-W', '1', addr])).code === 0);
}
