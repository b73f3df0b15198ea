/**
 * The peer labs corpus (../shared/peers beside the checkout, as CI has it):
 * other tools' labs, read in place by the front-end tests, never copied into
 * the project. NETLAB_PEERS names another place (a git worktree, whose `..`
 * is not the checkout's).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
