/**
 * `netlab down [FILE|LAB] [--name LAB] [--all]`: remove a lab — also one whose
 * start crashed or whose State file is gone. Doing it twice is fine.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { identifyLab } from '../frontends/index.js';
import { Lab } from '../lab/lab.js';
import { requireLabName } from '../lab/paths.js';
import { findAllLabs } from '../lab/teardown.js';
import { checkLabName } from '../topology/names.js';
import { topologyName } from '../topology/load.js';
import { colors, warn } from './output.js';
import { fmtMs, progressPrinter } from './progress.js';

interface DownFlags { name?: string; all?: boolean; quiet?: boolean }

/**
 * The lab name a `down` argument means: a topology file's lab name, found by
 * the loader's own rules (`name:` with ${VAR} expanded, else the file's name),
 * or a lab name as it is.
 * @throws TopologyError / UsageError (exit 2) for a file whose name is not a
 *   lab name, or an argument that is neither a file nor a lab name.
 */
export function labNameOf(arg: string): string {
  if (isFile(arg) || isDir(arg)) {
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

export function register(program: Command): void {
  program
    .command('down')
    .description('remove a lab and everything it created (idempotent; works after crashes too)')
    .argument('[target]', 'topology file, containerlab file, Kathará lab folder, or lab name (default: the only running lab)')
    .option('--name <lab>', 'lab name')
    .option('--all', 'remove every lab on this host, also ones whose State file is gone')
    .option('-q, --quiet', 'no progress lines')
    .action(async (target: string | undefined, flags: DownFlags) => {
      let labs: string[];
      if (flags.all) labs = findAllLabs();
      else if (flags.name !== undefined) labs = [requireLabName(flags.name, '--name')];
      else if (target !== undefined) labs = [labNameOf(target)];
      else {
        const all = findAllLabs();
        if (all.length > 1) throw new UsageError('netlab down', `${all.length} labs exist (${all.join(', ')})`, 'name one (netlab down LAB) or use --all');
        labs = all;
      }
      if (!labs.length) { process.stdout.write('no lab to take down\n'); return; }
      for (const lab of labs) {
        const started = performance.now();
        const r = await Lab.down(lab, { onProgress: flags.quiet ? undefined : progressPrinter(), onWarning: warn });
        for (const w of r.warnings) warn(w);
        if (!r.found) { process.stdout.write(`lab ${lab} is not running; nothing to do\n`); continue; }
        if (r.alreadyDead.length) warn(`node(s) ${r.alreadyDead.join(', ')} of ${lab} had already died; cleaned up`);
        process.stdout.write(`${colors.green('✓')} lab ${colors.bold(lab)} is down: ${r.stopped} node${r.stopped === 1 ? '' : 's'} stopped in ${fmtMs(performance.now() - started)}\n`);
      }
    });
}
