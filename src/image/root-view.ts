/**
 * Looking a path up in a stack of overlay lower dirs (top first) the way
 * overlayfs would show it to a node, without mounting anything: the topmost
 * layer that has the path wins; a whiteout (character device 0/0) there, or
 * an opaque directory on the way (xattr trusted.overlay.opaque=y), hides the
 * layers below (Documentation/filesystems/overlayfs.rst). Used before the
 * nodes exist: the image's /etc/passwd for owners and users, its programs
 * for the kinds' requirements, its directories' modes.
 */
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { getXattr } from './libc.js';

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * The host path of `path` (absolute, inside the node) in the topmost layer
 * that shows it, or undefined when no layer does. Symlinks in `path` are not
 * followed (give the real path: /usr/bin, not /bin on a merged-/usr image).
 */
export function findInLayers(lowerDirs: string[], path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const layer of lowerDirs) {
    let hidden = false;
    for (let i = 1; i < parts.length; i++) {
      const dir = join(layer, ...parts.slice(0, i));
      let st: Stats;
      try { st = lstatSync(dir); } catch { continue; }
      if (isWhiteout(st) || !st.isDirectory()) return undefined;
      if (getXattr(dir, 'trusted.overlay.opaque')?.toString() === 'y') hidden = true;
    }
    const p = join(layer, ...parts);
    let st: Stats | undefined;
    try { st = lstatSync(p); } catch { st = undefined; }
    if (st) return isWhiteout(st) ? undefined : p;
    if (hidden) return undefined;
  }
  return undefined;
}

/** The text of `path` as the node will see it, or undefined. */
export function readInLayers(lowerDirs: string[], path: string): string | undefined {
  const p = findInLayers(lowerDirs, path);
  if (!p) return undefined;
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
}

/** The directories a program name is looked for in (a node's default PATH). */
export const PROGRAM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Whether the layers hold `program` (an absolute path, or a name looked up in PROGRAM_DIRS). */
export function hasProgram(lowerDirs: string[], program: string): boolean {
  const candidates = program.startsWith('/') ? [program] : PROGRAM_DIRS.map((d) => `${d}/${program}`);
  return candidates.some((c) => findInLayers(lowerDirs, c) !== undefined);
}
