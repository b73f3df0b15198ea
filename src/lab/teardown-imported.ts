/**
 * What `down` does for the keys imported labs use: shutdown scripts run in
 * their nodes before anything stops (Kathará's m.shutdown, shared.shutdown),
 * and the extra `ip netns` names of `name_prefix:` go with the lab. Both read
 * the lab's topology.json; a lab without one (a crashed start) has neither.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execInNode } from '../core/enter.js';
import { isAlive } from '../core/node.js';
import { scriptPaths } from '../topology/scripts.js';
import type { Topology } from '../topology/types.js';
import { inWindow } from './apply.js';
import { labDir, netnsAlias } from './paths.js';
import type { State } from './state.js';

/** How long one shutdown script may run, ms. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** The lab's topology.json, or undefined. */
export function readTopologyQuietly(lab: string): Topology | undefined {
  try { return JSON.parse(readFileSync(join(labDir(lab), 'topology.json'), 'utf8')) as Topology; } catch { return undefined; }
}

/**
 * Runs each running node's shutdown scripts, in order, a few nodes at once.
 * @returns one warning per script that failed or timed out.
 */
export async function runShutdownScripts(lab: string, t: Topology, state: State): Promise<string[]> {
  const warnings: string[] = [];
  const nodes = (t.nodes ?? []).filter((n) => n.shutdown?.length && state.nodes[n.name] && isAlive(state.nodes[n.name]!));
  await inWindow(nodes, 4, async (n) => {
    const pid = state.nodes[n.name]!.pid;
    const inside = scriptPaths(n);
    for (const host of n.shutdown) {
      const path = inside.get(host)!;
      const r = await execInNode({ lab, name: n.name, pid }, ['/bin/sh', '-c', `if head -c2 "$0" | grep -q '^#!'; then exec "$0"; else exec /bin/bash "$0"; fi`, path],
        { env: n.env, timeoutMs: SHUTDOWN_TIMEOUT_MS });
      if (r.code !== 0) {
        const said = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ');
        warnings.push(`${n.name}: shutdown script ${path} ${r.code === 137 ? `did not end within ${SHUTDOWN_TIMEOUT_MS / 1000} s` : `exited with ${r.code}`}${said ? `: ${said}` : ''}`);
      }
    }
  });
  return warnings;
}

/**
 * The `ip netns` aliases (`/run/netns/<name_prefix><node>`) of the lab that
 * are still netlab's: symlinks into /proc/<pid>/ns/net of one of the lab's
 * recorded node pids (or of any pid when the State file is gone).
 */
export function netnsAliasesOf(t: Topology, state: State | undefined): string[] {
  if (!t.namePrefix) return [];
  const out: string[] = [];
  for (const n of t.nodes) {
    const path = netnsAlias(t.namePrefix, n.name);
    try {
      if (!lstatSync(path).isSymbolicLink()) continue;
      const m = /^\/proc\/(\d+)\/ns\/net$/.exec(readlinkSync(path));
      if (!m) continue;
      const pid = state?.nodes[n.name]?.pid;
      if (pid === undefined || pid === Number(m[1])) out.push(path);
    } catch { /* not there */ }
  }
  return out;
}
