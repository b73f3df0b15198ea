/**
 * `netlab save`: each router's running configuration, written into a folder
 * next to the topology file, so a student's work survives `down`.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isAlive } from '../core/node.js';
import { getKind } from '../daemons/registry.js';
import { UsageError } from '../errors.js';
import { withLabLock } from './lock.js';
import { writeOutput } from './output.js';
import { readState } from './state.js';
import { readLabTopology } from './status.js';
import { nodeContext } from './steps-run.js';

/** One file written by save. */
export interface SavedFile {
  node: string;
  path: string;
  bytes: number;
}

/** What `save` did: the folder, the files written, the nodes skipped with why ("r2 (not running)"). */
export interface SaveReport {
  dir: string;
  files: SavedFile[];
  skipped: string[];
}

/**
 * The folder `save` writes to (pure): `<topology dir>/<topology file name>.saved`;
 * `<topology dir>/<lab>.saved` for a lab run under another name (`up --name`,
 * so two copies of one file keep their own saves); `<cwd>/<lab>.saved` for a
 * lab started from text.
 */
export function saveDir(lab: string, file: string | undefined, cwd = process.cwd(), renamed = false): string {
  if (!file) return resolve(cwd, `${lab}.saved`);
  return join(dirname(file), `${renamed ? lab : basename(file, extname(file))}.saved`);
}

/**
 * Asks every running node whose kind can (FRR, BIRD) for its running
 * configuration and writes `<dir>/<node>/<file>`. Holds the lab's lock
 * (src/lab/lock.ts), so a `down` or `link` of the lab waits until it is saved.
 * @returns the files written.
 * @throws UsageError when `lab` is not a lab name or the lab is not running;
 *   NetlabError when another command holds the lab for the whole wait.
 */
export async function saveConfigs(lab: string, dir?: string, opts: { onWarning?: (text: string) => void } = {}): Promise<SaveReport> {
  return withLabLock(lab, 'save', () => saveLocked(lab, dir), { onWait: opts.onWarning });
}

async function saveLocked(lab: string, dir: string | undefined): Promise<SaveReport> {
  const { state } = readState(lab);
  if (!state) throw new UsageError(`lab ${lab}`, 'is not running', 'netlab status lists running labs');
  const t = readLabTopology(lab);
  const out = dir ?? saveDir(lab, state.file, undefined, t.renamed);
  const files: SavedFile[] = [];
  const skipped: string[] = [];
  for (const n of t.nodes) {
    const kind = getKind(n.kind);
    const rec = state.nodes[n.name];
    if (!kind.save) continue;
    if (!rec || !isAlive(rec)) { skipped.push(`${n.name} (not running)`); continue; }
    const configs = await kind.save(nodeContext(lab, t, n, rec.pid));
    for (const [name, text] of Object.entries(configs)) {
      const path = join(out, n.name, name);
      writeOutput(path, text, dir === undefined ? 'the save folder' : '-o');
      files.push({ node: n.name, path, bytes: Buffer.byteLength(text) });
    }
  }
  return { dir: out, files, skipped };
}
