/**
 * Where a node's startup and shutdown scripts are inside the node:
 * /hostlab/<file name>, as Kathará puts them (a script may look for its
 * siblings there). Two scripts of one name get their position in front. Pure.
 */
import { basename } from 'node:path';
import type { Node } from './types.js';

/** Folder of the scripts inside a node. */
export const SCRIPT_DIR = '/hostlab';

/** Host path → path inside the node, for the node's startup and shutdown scripts. */
export function scriptPaths(node: Node): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  [...node.startup, ...node.shutdown].forEach((host, i) => {
    if (out.has(host)) return;
    let name = basename(host);
    if (taken.has(name)) name = `${i}-${name}`;
    taken.add(name);
    out.set(host, `${SCRIPT_DIR}/${name}`);
  });
  return out;
}
