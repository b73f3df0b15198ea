/**
 * Files a lab in another format refers to (binds, configs, startup scripts,
 * per-device folders): resolved against the lab's folder and checked to stay
 * inside it, symlinks followed, before anything uses them. A lab downloaded
 * from somewhere must not reach `/etc/shadow` or `~/.ssh` through
 * `../../../` or a symlink (docs/decisions.md, "Imported labs stay in their folder").
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TopologyError } from '../errors.js';

/** Whether `path` is `dir` or lies below it. Both absolute and normalised. Pure. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** What {@link labFile} found. */
export interface LabFile {
  /** Absolute path, symlinks resolved. */
  abs: string;
  /** The path relative to the lab folder, as the netlab document writes it (`router1/frr.conf`). */
  rel: string;
  isDir: boolean;
}

/**
 * Resolves `p` (as written in the lab: relative to `dir`, or absolute) and
 * checks that it exists and lies inside `dir` once symlinks are resolved.
 * @param where key path or file:line for the error.
 * @param what what the file is, for messages ("bind source", "startup file").
 * @throws TopologyError when it is missing or outside the lab folder.
 */
export function labFile(dir: string, p: string, where: string, what: string): LabFile {
  const root = realpathSync(dir);
  const abs = resolve(root, p);
  if (!isInside(root, abs)) throw outside(root, p, where, what);
  if (!existsSync(abs)) {
    throw new TopologyError(where, `${what} ${p} does not exist (looked for ${abs})`, `paths are relative to the lab folder ${root}`);
  }
  const real = realpathSync(abs);
  if (!isInside(root, real)) throw outside(root, `${p} (a link to ${real})`, where, what);
  return { abs: real, rel: relative(root, real) || '.', isDir: statSync(real).isDirectory() };
}

/** Like {@link labFile}, but undefined when the path does not exist (still refused when it would lie outside). */
export function optionalLabFile(dir: string, p: string, where: string, what: string): LabFile | undefined {
  const root = realpathSync(dir);
  const abs = resolve(root, p);
  if (!isInside(root, abs)) throw outside(root, p, where, what);
  if (!existsSync(abs)) return undefined;
  return labFile(dir, p, where, what);
}

function outside(root: string, p: string, where: string, what: string): TopologyError {
  return new TopologyError(where, `${what} ${p} is outside the lab folder ${root}`,
    'netlab reads only files inside the lab\'s own folder: copy the file into the folder and refer to it from there');
}
