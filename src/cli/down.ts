/**
 * `netlab down [FILE|LAB] [--name LAB] [--all]`: remove a lab — also one whose
 * start crashed or whose State file is gone. Doing it twice is fine.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { load as parseYaml } from 'js-yaml';
import { UsageError } from '../errors.js';
import { identifyLab } from '../frontends/index.js';
import { Lab } from '../lab/lab.js';
import { findAllLabs } from '../lab/teardown.js';
import { colors, warn } from './output.js';
import { fmtMs, progressPrinter } from './progress.js';

interface DownFlags { name?: string; all?: boolean; quiet?: boolean }

/** The lab name a `down` argument means: a topology file's `name:`, or a lab name as it is. */
export function labNameOf(arg: string): string {
  if (existsSync(arg)) {
    // A containerlab file or a Kathará lab folder: its front-end knows the name.
    const src = identifyLab(arg);
    if (src.frontend) return src.frontend.labName(src.path, {}, src.parsed);
    let name: unknown;
    try { name = (parseYaml(readFileSync(arg, 'utf8')) as { name?: unknown } | null)?.name; } catch { /* not YAML */ }
    if (typeof name === 'string' && name) return name.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, v: string, d?: string) => process.env[v] ?? d ?? '');
    throw new UsageError(arg, 'has no lab name (a top-level name: key)', 'give the lab name instead: netlab down --name LAB');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(arg)) throw new UsageError(arg, 'is neither a file nor a lab name', 'netlab status lists the running labs');
  return arg;
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
      else if (flags.name) labs = [flags.name];
      else if (target) labs = [labNameOf(target)];
      else {
        const all = findAllLabs();
        if (all.length > 1) throw new UsageError('netlab down', `${all.length} labs exist (${all.join(', ')})`, 'name one (netlab down LAB) or use --all');
        labs = all;
      }
      if (!labs.length) { process.stdout.write('no lab to take down\n'); return; }
      for (const lab of labs) {
        const started = performance.now();
        const r = await Lab.down(lab, { onProgress: flags.quiet ? undefined : progressPrinter() });
        for (const w of r.warnings) warn(w);
        if (!r.found) { process.stdout.write(`lab ${lab} is not running; nothing to do\n`); continue; }
        if (r.alreadyDead.length) warn(`node(s) ${r.alreadyDead.join(', ')} of ${lab} had already died; cleaned up`);
        process.stdout.write(`${colors.green('✓')} lab ${colors.bold(lab)} is down: ${r.stopped} node${r.stopped === 1 ? '' : 's'} stopped in ${fmtMs(performance.now() - started)}\n`);
      }
    });
}
