/**
 * The lab name a command argument means (`netlab down FILE|LAB`).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { checkLabName } from '../topology/names.js';
import { requireLabName } from './paths.js';

/**
 * The lab name `arg` means: a topology file's lab name, found by the loader's
 * own rules (`name:` with ${VAR} expanded, else the file's name), that of a
 * containerlab file or Kathará lab folder (its front-end's rule), or a lab
 * name as it is. Reads the file; touches nothing. Async because the
 * front-ends and the loader are imported only for a file (a lab name needs
 * neither: `netlab down LAB` stays quick).
 * @throws TopologyError / UsageError (exit 2) for a file whose name is not a
 *   lab name, or an argument that is neither a file nor a lab name.
 */
export async function labNameOf(arg: string): Promise<string> {
  if (isFile(arg) || isDir(arg)) {
    const [{ identifyLab }, { topologyName }] = await Promise.all([import('../frontends/index.js'), import('../topology/load.js')]);
    // A containerlab file or a Kathará lab folder: its front-end knows the name.
    const src = identifyLab(arg);
    if (src.frontend) return requireLabName(src.frontend.labName(src.path, {}, src.parsed), arg);
    return topologyName({ text: src.text, file: src.path, parsed: src.parsed });
  }
  const p = checkLabName(arg);
  if (p) {
    throw new UsageError('LAB', `"${arg}" is neither a topology file nor a lab name (${p.what})`,
      /\.ya?ml$/i.test(arg) ? `no such file: ${arg}; give the topology file's path, or the lab name (netlab status lists the running labs)` : `${p.hint}; netlab status lists the running labs`);
  }
  return arg;
}

/** Whether `path` is a regular file (false for anything stat(2) refuses: ENAMETOOLONG, ENOTDIR, …). */
function isFile(path: string): boolean {
  try { return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false; } catch { return false; }
}

/** Whether `path` is a folder holding lab.conf (a Kathará lab); false for anything stat(2) refuses. */
function isDir(path: string): boolean {
  try { return statSync(join(path, 'lab.conf'), { throwIfNoEntry: false })?.isFile() ?? false; } catch { return false; }
}
