/**
 * Files a command writes for the user — saved router configs, pictures, JUnit
 * reports: the folder is made first, and a path that cannot be written is the
 * user's to fix (UsageError, exit 2), never a stack trace or a hang.
 */
import { closeSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

function hintFor(code: string): string {
  return code === 'ENOTDIR' || code === 'EEXIST'
    ? 'a file is in the way where a folder must be: give a path inside a folder (it is created if missing)'
    : code === 'EISDIR' ? 'that is a folder: give a file name inside it' : 'give a path in a folder you can write';
}

const refuse = (where: string, path: string, code: string): UsageError => new UsageError(where, `cannot write ${path}: ${code}`, hintFor(code));

/**
 * mkdir -p, one level at a time. (Node's recursive mkdirSync retries forever
 * where the kernel answers ENOENT for a parent that exists, e.g. under /proc.)
 * @throws the errno error of the first level that cannot be made.
 */
export function makeDirs(dir: string): void {
  const parts = resolve(dir).split(sep).filter(Boolean);
  let at = '';
  for (const p of parts) {
    at += `${sep}${p}`;
    try {
      mkdirSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!statSync(at).isDirectory()) throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
    }
  }
}

/**
 * Writes `text` to `path`, making its folder first.
 * @throws UsageError(where) naming the path and the errno (ENOTDIR, EISDIR, EACCES, EROFS, …).
 */
export function writeOutput(path: string, text: string, where: string): void {
  try {
    makeDirs(dirname(resolve(path)));
    writeFileSync(path, text);
  } catch (err) {
    throw refuse(where, path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/**
 * Checks, before a long run, that `path` will be writable, by trying: its
 * folder is made, and the file is opened for writing without truncating it
 * (created and removed again when it did not exist). Refuses an empty path, a
 * folder (or a path ending in /), and any of `inputs` (the files the run reads:
 * `--junit lab.yaml` must not overwrite the topology).
 * @throws UsageError(where).
 */
export function checkOutput(path: string, where: string, inputs: string[] = []): void {
  if (!path) throw new UsageError(where, 'is empty', 'give a file name, e.g. reports/junit.xml');
  if (path.endsWith('/')) throw refuse(where, path, 'EISDIR');
  const real = (p: string): string => { try { return realpathSync(p); } catch { return resolve(p); } };
  if (inputs.some((i) => real(i) === real(path))) {
    throw new UsageError(where, `${path} is a file this run reads`, 'give the report its own name, e.g. junit.xml');
  }
  try {
    makeDirs(dirname(resolve(path)));
    const existed = statSync(path, { throwIfNoEntry: false });
    if (existed?.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    closeSync(openSync(path, existed ? 'r+' : 'wx'));
    if (!existed) unlinkSync(path);
  } catch (err) {
    throw refuse(where, path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/**
 * Opens `path` for writing (made or truncated), making its folder first, and
 * returns the descriptor (for output a child process writes, e.g. a capture).
 * @throws UsageError(where) for an empty path, a folder, or a place that cannot be written.
 */
export function openOutput(path: string, where: string): number {
  if (!path) throw new UsageError(where, 'is empty', 'give a file name, e.g. capture.pcapng');
  if (path.endsWith('/')) throw refuse(where, path, 'EISDIR');
  try {
    makeDirs(dirname(resolve(path)));
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    return openSync(path, 'w');
  } catch (err) {
    throw refuse(where, path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}
