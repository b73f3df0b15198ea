/**
 * `netlab convert FILE|DIR [-o out.yaml]`: a containerlab file or a Kathará
 * lab folder written as a netlab topology, for users who want to move. The
 * same translation `netlab up` runs (src/frontends), with what netlab does
 * differently as comments on top. Touches nothing but the output file.
 */
import type { Command } from 'commander';
import { convertToNetlab } from '../lab/convert.js';
import { writeOutput } from '../lab/output.js';

export function register(program: Command): void {
  program
    .command('convert')
    .description('write a containerlab file or a Kathará lab folder as a netlab topology (YAML)')
    .argument('<lab>', 'containerlab file (.clab.yml) or Kathará lab folder (or its lab.conf)')
    .option('-o, --output <file>', 'write to this file instead of standard output (-: standard output)')
    .option('--pull', 'keep every image (netlab up pulls what the store lacks) instead of falling back to the host\'s FRR or root')
    .action((lab: string, opts: { output?: string; pull?: boolean }) => {
      const out = opts.output === undefined || opts.output === '-' ? undefined : opts.output;
      const text = convertToNetlab(lab, out, { pull: opts.pull === true });
      if (out === undefined) process.stdout.write(text);
      else writeOutput(out, text, '--output');
    });
}
