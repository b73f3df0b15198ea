/**
 * What the CLI prints: errors, warnings, and whether to use colour. One place so
 * every command looks the same.
 */
import pc from 'picocolors';
import { isNetlabError } from '../errors.js';

/** Colours only on a terminal and when NO_COLOR is unset (https://no-color.org). */
export const colors = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);

/**
 * Prints `error: <where>: <what>` and `hint: <fix>` to stderr. Errors that are
 * not NetlabErrors are bugs: they are printed with their stack.
 */
export function printError(err: unknown, debug: boolean): void {
  if (isNetlabError(err)) {
    process.stderr.write(`${colors.red('error:')} ${err.headline}\n`);
    if (err.hint) process.stderr.write(`${colors.yellow('hint:')} ${err.hint}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`${colors.red('error:')} ${e.message}\n`);
  process.stderr.write(`${e.stack ?? ''}\n(this is a bug in netlab: please report it with the command you ran)\n`);
}

/**
 * The notes of a lab read from another format (what netlab does differently,
 * ignores, or falls back on), one `note:` line each on stderr.
 */
export function printNotes(t: { imported?: { format: string; notes: { where: string; text: string }[] } }): void {
  for (const n of t.imported?.notes ?? []) process.stderr.write(`${colors.cyan('note:')} ${n.where}: ${n.text}\n`);
}

/** `warning: …` on stderr. */
export function warn(text: string): void {
  process.stderr.write(`${colors.yellow('warning:')} ${text}\n`);
}
