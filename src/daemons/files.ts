/**
 * Writing a kind's files into a node before it starts: into the node's
 * overlay upper directory, so the node sees them over its lower root. Used by
 * the applier (and by the integration-test harness).
 *
 * Parent directories that do not exist in the upper layer are created with the
 * mode and owner of the same directory in the lower root (/etc/frr is
 * frr:frr 0750 in the frr package; a root:root 0755 copy would change what the
 * node sees), or root 0755 when the lower root has none. Owners are names
 * resolved in the lower root's /etc/passwd and /etc/group, because the node's
 * users are the lower root's users.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NetlabError } from '../errors.js';
import { findInLayers } from '../image/root-view.js';
import type { NodeFile } from './kind.js';

/** A node's lower root: a folder ('/' = the host's) or an image's layers, top first. */
export type LowerRoot = string | string[];

/** Host path of `path` in the lower root as the node sees it, or undefined (an image's layers: the topmost that shows it). */
function inLower(lower: LowerRoot, path: string): string | undefined {
  if (typeof lower === 'string') return join(lower, path);
  return findInLayers(lower, path);
}

/** How the lower root is named in messages. */
function lowerName(lower: LowerRoot, path: string): string {
  return typeof lower === 'string' ? join(lower, path) : `the image's ${path}`;
}

/** Looks a user or group name up in a passwd/group-format file; undefined when absent. */
export function lookupId(file: string, name: string): number | undefined {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  return undefined;
}

/**
 * Owners a lab without root cannot see (docs/rootless.md): the lower root's
 * files whose owner its user namespace does not map show as `overflowId`
 * (65534, /proc/sys/kernel/overflowuid); a folder netlab makes in their place
 * takes the owner of the file it makes the folder for.
 */
export interface UnmappedOwners {
  overflowId: number;
}

function ensureDir(upperDir: string, lowerRoot: LowerRoot, dir: string, forFile: { uid: number; gid: number }, unmapped?: UnmappedOwners): void {
  const target = join(upperDir, dir);
  if (dir === '/' || existsSync(target)) return;
  ensureDir(upperDir, lowerRoot, dirname(dir), forFile, unmapped);
  let mode = 0o755, uid = 0, gid = 0;
  try {
    const st = statSync(inLower(lowerRoot, dir) ?? '/nonexistent');
    if (st.isDirectory()) {
      uid = st.uid === unmapped?.overflowId ? forFile.uid : st.uid;
      gid = st.gid === unmapped?.overflowId ? forFile.gid : st.gid;
      mode = st.mode & 0o7777;
    }
  } catch { /* not in the lower root: root 0755 */ }
  mkdirSync(target, { mode });
  chmodSync(target, mode);
  chownSync(target, uid, gid);
}

/**
 * Writes `files` under `upperDir` (paths inside the node are absolute).
 * @param lowerRoot the node's lower root filesystem ('/' for the host's), or an image's layers (top first).
 * @param unmapped in a lab without root: how the lower root's unmapped owners show (UnmappedOwners).
 * @throws NetlabError naming the node and file when an owner is unknown in the
 *   lower root (e.g. no `frr` user: the package is not installed).
 */
export function writeNodeFiles(upperDir: string, files: NodeFile[], lowerRoot: LowerRoot = '/', nodeName = '', unmapped?: UnmappedOwners): void {
  for (const f of files) {
    const ids = (name: string | undefined, db: string): number => {
      if (name === undefined || name === 'root') return 0;
      const found = inLower(lowerRoot, db);
      const id = found === undefined ? undefined : lookupId(found, name);
      if (id === undefined) {
        throw new NetlabError(nodeName ? `node ${nodeName}` : f.path, `${f.path} should belong to "${name}", which ${lowerName(lowerRoot, db)} does not list`,
          `install the package that creates the ${name} user (frr, bird2) in the node's root filesystem`);
      }
      return id;
    };
    const uid = ids(f.owner, 'etc/passwd');
    const gid = ids(f.group, 'etc/group');
    ensureDir(upperDir, lowerRoot, dirname(f.path), { uid, gid }, unmapped);
    const target = join(upperDir, f.path);
    const mode = f.mode ?? (f.directory ? 0o755 : 0o644);
    if (f.directory) mkdirSync(target, { recursive: true, mode });
    else writeFileSync(target, f.content, { mode });
    chmodSync(target, mode);
    chownSync(target, uid, gid);
  }
}
