/**
 * Files netlab writes into a node before it starts that belong to no kind:
 * the node's startup and shutdown scripts, at /hostlab/<name> (as Kathará puts
 * them), executable. Pure but for reading the scripts.
 */
import { readFileSync } from 'node:fs';
import { TopologyError } from '../errors.js';
import type { NodeFile } from '../daemons/kind.js';
import { scriptPaths } from '../topology/scripts.js';
import type { Node } from '../topology/types.js';

/**
 * The node's scripts as files to write. Windows line ends are made Unix ones,
 * as Kathará does (utils.convert_win_2_linux).
 * @throws TopologyError at nodes.<name>.startup when a script cannot be read.
 */
export function scriptFiles(node: Node): NodeFile[] {
  const out: NodeFile[] = [];
  for (const [host, inside] of scriptPaths(node)) {
    let text: string;
    try { text = readFileSync(host, 'utf8'); } catch (err) {
      throw new TopologyError(`nodes.${node.name}.${node.startup.includes(host) ? 'startup' : 'shutdown'}`, `cannot read ${host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'paths are relative to the topology file');
    }
    out.push({ path: inside, content: text.replace(/\r\n/g, '\n'), mode: 0o755 });
  }
  return out;
}
