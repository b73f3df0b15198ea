/**
 * docs/cli.md is the CLI's reference: every command and every option the
 * program registers must appear in it, so a new flag cannot ship undocumented
 * (issue 14: six `link set` flags once appeared in no doc).
 */
import { expect } from 'chai';
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_NAMES, commandsFor } from '../../src/cli/commands.js';
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
  const doc = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8');
  let tree: { name: string; options: string[] }[] = [];
  before(async () => {
    const program = new Command('netlab');
    for (const register of await commandsFor()) register(program);
    tree = commandTree(program);
  });

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

describe('CLI: a command loads only its own file (src/cli/commands.ts)', () => {
  async function registered(name?: string): Promise<string[]> {
    const program = new Command('netlab');
    for (const register of await commandsFor(name)) register(program);
    return program.commands.map((c) => c.name());
  }

  it('registers just `down` for netlab down, and exec with shell (one file)', async () => {
    expect(await registered('down')).to.deep.equal(['down']);
    expect(await registered('shell')).to.deep.equal(['exec', 'shell']);
  });

  it('registers every command once, in help order, for help or a word that is no command', async () => {
    expect(await registered()).to.deep.equal(COMMAND_NAMES);
    expect(await registered('bogus')).to.deep.equal(COMMAND_NAMES);
    expect(await registered('toString')).to.deep.equal(COMMAND_NAMES);
  });
});


describe('docs/topology.md covers the node settings', () => {
  it('has a row for every key a node may set (the schema\'s node fields, group and mgmt)', async () => {
    const { nodeFields, NodeEntry } = await import('../../src/topology/schema/source.js');
    const doc = readFileSync(join(repoRoot, 'docs/topology.md'), 'utf8');
    const keys = [...new Set([...Object.keys(nodeFields), ...Object.keys(NodeEntry.properties)])];
    expect(keys).to.include.members(['kind', 'layers', 'mgmt', 'group']);
    expect(keys.filter((k) => !doc.includes(`| \`${k}\` |`))).to.deep.equal([]);
  });
});
