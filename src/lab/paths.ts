/**
 * Where a lab lives on the host (docs/decisions.md, "Names on the host").
 * Pure: string arithmetic only.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of all run directories: $NETLAB_RUN_DIR or /run/netlab. */
export function runRoot(): string {
  return process.env.NETLAB_RUN_DIR || '/run/netlab';
}

/**
 * /run/netlab/.ip_forward: present while host forwarding is on because a lab's
 * management network switched it on; holds the value before (src/net/host.ts).
 * Dot-named, so it is never taken for a lab.
 */
export function forwardingMarker(): string {
  return join(runRoot(), '.ip_forward');
}

/** /run/netlab/<lab> */
export function labDir(lab: string): string {
  return join(runRoot(), lab);
}

/** The State file of a lab. */
export function stateFile(lab: string): string {
  return join(labDir(lab), 'state.json');
}

/** /run/netlab/<lab>/nodes/<node>: upper, work and root of the node's overlay, its console log. */
export function nodeDir(lab: string, node: string): string {
  return join(labDir(lab), 'nodes', node);
}

/** Directory `ip netns` reads (ip-netns(8)). */
export const netnsDir = '/run/netns';

/** `/run/netns/<lab>.<node>`: a symlink to the node's /proc/PID/ns/net, so `ip netns exec` works. */
export function netnsLink(lab: string, node: string): string {
  return join(netnsDir, `${lab}.${node}`);
}

/** `/run/netns/<name_prefix><node>`: the extra `ip netns` name of a node of a lab with `name_prefix:` (containerlab's clab-<lab>-<node>). */
export function netnsAlias(prefix: string, node: string): string {
  return join(netnsDir, `${prefix}${node}`);
}

/**
 * compat/ of this checkout (dist/src/lab → ../../../compat): the commands a
 * node with `compat: true` gets as a read-only layer (compat/README.md).
 * NETLAB_COMPAT_DIR overrides (packaging).
 */
export function compatDir(): string {
  return process.env.NETLAB_COMPAT_DIR || resolve(dirname(fileURLToPath(import.meta.url)), '../../../compat');
}
