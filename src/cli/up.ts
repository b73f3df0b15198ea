/**
 * `netlab up FILE`: build a lab. Ctrl-C or SIGTERM while it runs rolls back to
 * nothing; `--dry-run` prints the plan and touches nothing.
 */
import type { Command } from 'commander';
import { NetlabError } from '../errors.js';
import { formatPlan, plan } from '../graph/index.js';
import { storeImageCatalog } from '../lab/images.js';
import { Lab } from '../lab/lab.js';
import { kindCatalog, loadLab } from '../lab/load.js';
import { colors, printNotes, warn } from './output.js';
import { fmtMs, imageProgressPrinter, progressPrinter } from './progress.js';

interface UpFlags { name?: string; dryRun?: boolean; verbose?: boolean; reconfigure?: boolean; keepOnError?: boolean; quiet?: boolean; force?: boolean; insecure?: boolean; pull?: boolean }

export function register(program: Command): void {
  program
    .command('up')
    .description('build the lab described by FILE: nodes, links, addresses, shaping, daemons; wait until ready')
    .argument('<file>', 'topology file (YAML), containerlab file (.clab.yml) or Kathará lab folder')
    .option('--name <lab>', 'lab name to use instead of the file\'s name: (run a second copy of a lab)')
    .option('-n, --dry-run', 'print the plan (every kernel action, in order) and change nothing')
    .option('-v, --verbose', 'with --dry-run: print every action, also of very large labs')
    .option('--reconfigure', 'replace the lab if it is already running')
    .option('--keep-on-error', 'after a failure, leave what was built for debugging (netlab down removes it)')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .option('--force', 'start even when the lab needs more memory than this host has available')
    .option('--pull', 'containerlab/Kathará labs: pull the images netlab\'s store lacks and run them, instead of falling back to the host\'s FRR or root')
    .option('--insecure', 'pull missing images over plain HTTP from a registry on this machine (localhost, 127.0.0.1, [::1])')
    .action(async (file: string, flags: UpFlags) => {
      const t = loadLab(file, { name: flags.name, images: storeImageCatalog({ pull: flags.pull }) });
      if (!flags.quiet) printNotes(t);
      if (flags.dryRun) {
        process.stdout.write(formatPlan(plan(t, kindCatalog()), { verbose: flags.verbose }));
        return;
      }
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        signals++;
        if (signals > 1) {
          process.stderr.write(`\n${sig} again: stopping now; run netlab down ${t.name} to remove what was built\n`);
          process.exit(sig === 'SIGINT' ? 130 : 143);
        }
        process.stderr.write(`\n${sig}: rolling back lab ${t.name} (press Ctrl-C again to stop at once)\n`);
        const err = new NetlabError(`lab ${t.name}`, `interrupted by ${sig}; everything it had built was removed`);
        (err as { exitCode: number }).exitCode = sig === 'SIGINT' ? 130 : 143;
        controller.abort(err);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const lab = await Lab.up(t, {
          signal: controller.signal,
          reconfigure: flags.reconfigure,
          keepOnError: flags.keepOnError,
          force: flags.force,
          onProgress: flags.quiet ? undefined : progressPrinter(),
          onImageProgress: flags.quiet ? undefined : imageProgressPrinter('pull'),
          insecure: flags.insecure,
          onWarning: warn,
        });
        const r = lab.report!;
        const first = t.nodes[0]?.name ?? 'NODE';
        process.stdout.write(`${colors.green('✓')} lab ${colors.bold(t.name)} is up: ${r.nodes} node${r.nodes === 1 ? '' : 's'}, ${r.links} link${r.links === 1 ? '' : 's'} in ${fmtMs(r.ms)}\n`
          + `  shell:   netlab shell ${first}\n`
          + `  run:     netlab exec ${first} -- ip addr\n`
          + `  status:  netlab status ${t.name}\n`
          + `  down:    netlab down ${t.name}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
