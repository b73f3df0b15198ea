/**
 * `netlab down [FILE|LAB] [--name LAB] [--all] [--user NAME]`: remove a lab — also one whose
 * start crashed or whose State file is gone. Doing it twice is fine.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { requireHostRoot, runAsUser } from '../lab/all-users.js';
import { labNameOf } from '../lab/lab-name.js';
import { Lab } from '../lab/lab.js';
import { requireLabName } from '../lab/paths.js';
import { colors, warn } from './output.js';
import { fmtMs, progressPrinter } from './progress.js';

interface DownFlags { name?: string; all?: boolean; quiet?: boolean; user?: string }

export function register(program: Command): void {
  program
    .command('down')
    .description('remove a lab and everything it created (idempotent; works after crashes too)')
    .argument('[target]', 'topology file, containerlab file, Kathará lab folder, or lab name (default: the only running lab)')
    .option('--name <lab>', 'lab name')
    .option('--all', 'remove every lab on this host, also ones whose State file is gone')
    .option('-q, --quiet', 'no progress lines')
    .option('--user <name>', 'as root: take down a lab of this user (a rootless lab, docs/rootless.md)')
    .action(async (target: string | undefined, flags: DownFlags) => {
      if (flags.user !== undefined) {
        requireHostRoot('--user');
        if (flags.all || (target === undefined && flags.name === undefined)) throw new UsageError('--user', 'needs the lab to take down', `name it: netlab down --user ${flags.user} LAB`);
        const lab = flags.name !== undefined ? requireLabName(flags.name, '--name') : await labNameOf(target!);
        process.exitCode = runAsUser(flags.user, ['down', lab, ...(flags.quiet ? ['--quiet'] : [])]);
        return;
      }
      let labs: string[];
      if (flags.all) labs = Lab.list();
      else if (flags.name !== undefined) labs = [requireLabName(flags.name, '--name')];
      else if (target !== undefined) labs = [await labNameOf(target)];
      else {
        const all = Lab.list();
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
