/**
 * Finding a program on the host, for `up`'s preflight (a kind's daemons) and
 * `netlab doctor`. Nodes use the host's root as their lower layer, so what the
 * host has, every such node has.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Where programs are looked for besides $PATH (root's sbin dirs, FRR's daemons). */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/lib/frr'];

/** The executable `program` (a name, or an absolute path) resolves to, or undefined. */
export function findProgram(program: string): string | undefined {
  const candidates = program.startsWith('/') ? [program]
    : [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS].map((d) => join(d, program));
  for (const p of candidates) {
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}
