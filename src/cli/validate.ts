/**
 * `netlab validate FILE [--keep] [--junit FILE] [--only NAME…] [--tests FILE] [--wait DUR] [--jobs N]`:
 * runs a lab's tests. Brings the lab up when it is not running and takes it
 * down afterwards (unless --keep); a lab that was already running is tested
 * as it is and left running. Prints a line per test as it ends, then a
 * summary; writes JUnit XML with --junit. Exit 0 when every test passed, 1
 * otherwise, 2 for bad input (a wrong test, an unknown --only name).
 *
 * The flow is the library's `validateLab(file, options, io)`
 * (src/lab/validate-run.ts); this file gives it flags, colours and signals.
 */
import type { Command } from 'commander';
import { NetlabError, UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { validateClass } from '../lab/validate-class.js';
import { validateLab } from '../lab/validate-run.js';
import { DEFAULT_CONCURRENCY, plain } from '../validate/index.js';
import type { ClassOptions } from '../index.js';
import pc from 'picocolors';
import { progressPrinter } from './progress.js';


export function register(program: Command): void {
  program
    .command('validate')
    .description("run a lab's tests (bringing it up and down if it is not running); exit 0 when all pass, 1 otherwise")
    .argument('<file>', 'topology file with tests:')
    .option('--name <lab>', "lab name to use instead of the file's name: (test a private copy of the lab)")
    .option('--keep', 'leave the lab running afterwards (when validate brought it up)')
    .option('--junit <file>', 'write a JUnit XML report (GitLab, GitHub, Jenkins)')
    .option('--only <name...>', 'run only these tests (exact name, or part of a name, or tests[N])')
    .option('--tests <file>', "a tests file to use instead of the topology's tests:")
    .option('--wait <time>', 'retry tests that have no wait: for this long (e.g. 30s)')
    .option('--jobs <n>', `tests running at once (default ${DEFAULT_CONCURRENCY})`)
    .option('--json', 'print the report as JSON on standard output (results, with after: tests\' measured times); test lines go to stderr')
    .option('--all-users', 'as root: run the tests against every user\'s running copy of the lab (a class, docs/rootless.md)')
    .option('--csv <file>', 'with --all-users: write the class report as CSV, a row per student and test')
    .action(async (file: string, opts: ClassOptions & { allUsers?: boolean }) => {
      if (opts.csv !== undefined && !opts.allUsers) throw new UsageError('--csv', 'goes with --all-users', `netlab validate ${file} --all-users --csv class.csv`);
      if (opts.allUsers) {
        const { allUsers: _, ...rest } = opts;
        process.exitCode = await validateClass(file, rest, (t) => process.stdout.write(t));
        return;
      }
      const controller = new AbortController();
      // Ctrl-C or SIGTERM (a CI timeout): end the running tests, take the lab down, exit 130 / 143 as up does.
      let exitCode = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        process.stderr.write(`\ninterrupted by ${sig}: ending the running tests, then cleaning up (Ctrl-C again to stop at once)\n`);
        exitCode = sig === 'SIGINT' ? 130 : 143;
        // Thrown as is when the lab was still coming up (and was rolled back).
        const reason = new NetlabError(file, `interrupted by ${sig}; the lab it had started was removed`);
        (reason as { exitCode: number }).exitCode = exitCode;
        controller.abort(reason);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const { code } = await validateLab(file, opts, {
          lab: Lab,
          out: (t) => process.stdout.write(t),
          note: (t) => process.stderr.write(t),
          onProgress: progressPrinter(),
          style: process.stdout.isTTY && !process.env.NO_COLOR ? pc.createColors(true) : plain,
          signal: controller.signal,
        });
        if (controller.signal.aborted) process.exitCode = exitCode; // the report says what ran; 130/143 say it was cut short
        else if (code !== 0) process.exitCode = code;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
