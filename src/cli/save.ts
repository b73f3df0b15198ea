/**
 * `netlab save [LAB] [-o DIR]`: write every router's running configuration
 * next to the topology file.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { requireLabName } from '../lab/paths.js';
import { warn } from './output.js';

export function register(program: Command): void {
  program
    .command('save')
    .description('write each router\'s running config into a folder next to the topology (survives down)')
    .argument('[lab]', 'lab name (default: the only running lab)')
    .option('-o, --output <dir>', 'folder to write into (default: <topology>.saved next to the file)')
    .action(async (lab: string | undefined, flags: { output?: string }) => {
      if (flags.output === '') throw new UsageError('-o', 'is empty', 'give a folder, e.g. -o saved (it is created if missing), or leave -o out');
      const opened = Lab.open(lab === undefined ? undefined : requireLabName(lab, 'LAB'));
      const name = opened.name;
      const r = await opened.save({ output: flags.output, onWarning: warn });
      for (const s of r.skipped) warn(`not saved: ${s}`);
      if (!r.files.length) { process.stdout.write(`lab ${name} has no router whose configuration can be saved\n`); return; }
      for (const f of r.files) process.stdout.write(`${relative(process.cwd(), f.path) || f.path}  (${f.bytes} bytes)\n`);
      process.stdout.write(`saved ${r.files.length} file(s) in ${r.dir}\nto start from them next time, in the topology: nodes: { ${r.files[0].node}: { config: ${relative(opened.topology.dir, r.files[0].path)} } }\n`);
    });
}
