/**
 * docs/cli.md is the CLI's reference: every command and every option the
 * program registers must appear in it, so a new flag cannot ship undocumented
 * (issue 14: six `link set` flags once appeared in no doc).
 */
import { expect } from 'chai';
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands.js';
import { repoRoot } from '../helpers/kernel.js';

/** Every command of the program, with its full name ("link set") and its long options. */
function commandTree(cmd: Command, prefix: string[] = []): { name: string; options: string[] }[] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    const options = c.options.map((o) => o.long).filter((l): l is string => Boolean(l));
    return [{ name: path.join(' '), options }, ...commandTree(c, path)];
  });
}

describe('docs/cli.md covers the CLI', () => {
  const program = new Command('netlab');
  for (const register of commands) register(program);
  const doc = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8');
  const tree = commandTree(program);

  it('registers commands at all (the walk sees the program)', () => {
    expect(tree.map((c) => c.name)).to.include.members(['up', 'down', 'status', 'exec', 'link']);
  });

  it('names every command in a heading or in the text', () => {
    const missing = tree.filter((c) => !doc.includes(`netlab ${c.name}`) && !doc.includes(c.name.split(' ').pop()!)).map((c) => c.name);
    expect(missing).to.deep.equal([]);
  });

  it('documents every long option of every command', () => {
    const missing = tree.flatMap((c) => c.options.filter((o) => !new RegExp(`${o.replace(/[-]/g, '\\-')}(?![\\w-])`).test(doc)).map((o) => `${c.name} ${o}`));
    expect(missing).to.deep.equal([]);
  });
});
