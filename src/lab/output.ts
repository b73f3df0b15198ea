/**
 * Files a command writes for the user — saved router configs, pictures, JUnit
 * reports: the folder is made first, and a path that cannot be written is the
 * user's to fix (UsageError, exit 2), never a stack trace.
 */
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

function hintFor(code: string): string {
  return code === 'ENOTDIR' || code === 'EEXIST'
    ? 'a file is in the way where a folder must be: give a path inside a folder (it is created if missing)'
    : code === 'EISDIR' ? 'that is a folder: give a file name inside it' : 'give a path in a folder you can write';
}

/**
 * Writes `text` to `path`, making its folder first.
 * @throws UsageError(where) naming the path and the errno (ENOTDIR, EISDIR, EACCES, EROFS, …).
 */
export function writeOutput(path: string, text: string, where: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UsageError(where, `cannot write ${path}: ${code}`, hintFor(code));
  }
}

/**
 * Checks, before a long run, that `path` will be writable: its folder exists
 * or can be made (it is made), the path is not a folder, the folder is writable.
 * Writes nothing at `path` itself.
 * @throws UsageError(where) as writeOutput.
 */
export function checkOutput(path: string, where: string): void {
  const dir = dirname(resolve(path));
  let code: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) code = 'EISDIR';
    else accessSync(dir, constants.W_OK);
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code ?? String(err);
  }
  if (code) throw new UsageError(where, `cannot write ${path}: ${code}`, hintFor(code));
}
