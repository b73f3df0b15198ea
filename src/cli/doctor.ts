/**
 * `netlab doctor`: prints what this machine can do for a lab; exit 1 when
 * something every lab needs is missing.
 */
import type { Command } from 'commander';
import { runChecks } from '../lab/doctor.js';
import { colors } from './output.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the kernel features and programs labs need, and say how to get what is missing')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runChecks();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
      } else {
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) {
          const mark = c.ok ? colors.green('ok     ') : c.required ? colors.red('MISSING') : colors.yellow('missing');
          process.stdout.write(`${mark} ${c.name.padEnd(width)}  ${c.detail}\n`);
          if (!c.ok && c.affects) process.stdout.write(`        ${' '.repeat(width)}  affects: ${c.affects}\n`);
          if (!c.ok && c.fix) process.stdout.write(`        ${' '.repeat(width)}  fix: ${c.fix}\n`);
        }
      }
      const blocking = checks.filter((c) => c.required && !c.ok);
      if (!opts.json) {
        const verdict = blocking.length
          ? `${blocking.length} required piece(s) missing: labs cannot start until they are fixed.`
          : 'Everything a lab needs is here; missing optional pieces only limit the features listed.';
        process.stdout.write(`\n${verdict}\nLinks and qdiscs were tried in throw-away network namespaces; nothing on the host was changed.\n`);
      }
      if (blocking.length) process.exitCode = 1;
    });
}
