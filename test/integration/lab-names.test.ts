/**
 * Lab names that cannot escape, through the real CLI (issue 13, item 1): once
 * `netlab down --name ../../tmp/v` removed /tmp/v and said "✓ lab … is down".
 * Every command that takes a lab name refuses each bad name with exit 2, an
 * `error:` naming where the name came from and a `hint:`, and removes nothing:
 * sentinel folders inside the run root, next to it and where the name points
 * are checked after every command. A temporary NETLAB_RUN_DIR.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { netlab, type CliResult } from '../helpers/lab.js';

/** The names that reach the command line (argv cannot hold a NUL; the unit tests give NUL to the API and a file). */
const BAD = ['..', '.', '/', 'a/b', '../../x', '', 'a'.repeat(300)];

describe('lab names through the CLI: refused, nothing removed', function () {
  this.timeout(300_000);
  leakcheckAround({ labs: ['t-names'] });
  let base = '';
  let root = '';
  let good = '';
  let env: Record<string, string> = {};
  const sentinels = (): string[] => [join(root, 'keep'), join(base, 'x', 'inner'), join(base, 'run', 'x'), join(base, 'tmp', 'v')];

  before(function () {
    requireRoot(this);
    base = mkdtempSync(join(tmpdir(), 'netlab-names-'));
    root = join(base, 'run', 'netlab');
    for (const d of sentinels()) mkdirSync(d, { recursive: true });
    writeFileSync(join(root, 'keep', 'notes.txt'), 'not netlab\'s');
    good = join(base, 't-names.yaml');
    writeFileSync(good, 'name: t-names\nnodes: { r1: {} }\n');
    env = { NETLAB_RUN_DIR: root };
  });
  after(() => { if (base) rmSync(base, { recursive: true, force: true }); });

  function expectRefused(r: CliResult, where: RegExp, what: string): void {
    expect(r.code, `${what}\n${r.stdout}${r.stderr}`).to.equal(2);
    expect(r.stderr, what).to.match(new RegExp(`^error: ${where.source}`, 'm'));
    expect(r.stderr, what).to.match(/^hint: ./m);
    expect(r.stderr, what).not.to.match(/\n\s+at /);
    expect(r.stdout, what).not.to.contain('is down');
    for (const s of sentinels()) expect(existsSync(s), `${what}: ${s} is gone`).to.equal(true);
  }

  for (const name of BAD) {
    const label = JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name);
    it(`refuses ${label} as --name, LAB and --lab in every command (exit 2) and removes nothing`, () => {
      const cases: [string[], RegExp][] = [
        [['down', '--name', name], /--name: /],
        [['down', name], /LAB: /],
        [['up', '--name', name, good], /--name: /],
        [['up', '--dry-run', '--name', name, good], /--name: /],
        [['validate', '--name', name, good], /--name: /],
        [['status', name], /LAB: /],
        [['status', name, '--json'], /LAB: /],
        [['save', name], /LAB: /],
        [['exec', '--lab', name, 'r1', '--', 'true'], /--lab: /],
        [['shell', '--lab', name, 'r1'], /--lab: /],
        [['link', 'set', '--lab', name, 'r1:eth1', '--rate', '1mbit'], /--lab: /],
        [['link', 'down', '--lab', name, 'r1:eth1'], /--lab: /],
        [['link', 'up', '--lab', name, 'r1:eth1'], /--lab: /],
        [['link', 'show', '--lab', name], /--lab: /],
      ];
      for (const [args, where] of cases) expectRefused(netlab(args, env), where, `netlab ${args.join(' ').slice(0, 80)}`);
    });

    it(`refuses ${label} as a file's name: in down, up and validate (exit 2, with the line) and removes nothing`, () => {
      const file = join(base, 'bad.yaml');
      writeFileSync(file, `name: ${JSON.stringify(name)}\nnodes: { r1: {} }\n`);
      for (const args of [['down', file], ['up', file], ['up', '--dry-run', file], ['validate', file]]) {
        expectRefused(netlab(args, env), /name: .*\(bad\.yaml:1\)/, `netlab ${args[0]} FILE with name: ${label}`);
      }
    });
  }

  it('refuses a NUL byte in a file\'s name: (exit 2)', () => {
    const file = join(base, 'nul.yaml');
    writeFileSync(file, 'name: "a\\0b"\nnodes: { r1: {} }\n');
    for (const args of [['down', file], ['up', file]]) expectRefused(netlab(args, env), /name: /, `netlab ${args[0]} with a NUL in name:`);
  });

  it('does not follow a symbolic link planted in the run folder (exit 1, naming it)', () => {
    symlinkSync(join(base, 'x'), join(root, 'evil'));
    try {
      const r = netlab(['down', '--name', 'evil'], env);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(/^error: .*evil: is a symbolic link inside netlab's folder/m);
      expect(existsSync(join(base, 'x', 'inner'))).to.equal(true);
      const st = netlab(['status'], env);
      expect(st.code).to.equal(1);
      expect(st.stdout).to.match(/lab evil — broken: is a symbolic link/);
    } finally {
      rmSync(join(root, 'evil'));
    }
  });

  it('leaves alone a folder of the run root that netlab did not make (a mistaken NETLAB_RUN_DIR)', () => {
    const r = netlab(['down', '--name', 'keep'], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/warning: .*keep: left alone: it does not look like a run folder of netlab's/);
    expect(existsSync(join(root, 'keep', 'notes.txt'))).to.equal(true);
  });

  it('takes down a lab named after its file (no name:), and one whose name: holds ${VAR-default}', function () {
    for (const [fname, text, lab] of [['t-names-a.yaml', 'nodes: { r1: {} }\n', 't-names-a'], ['v.yaml', 'name: t-names-${NOPE_UNSET-b}\nnodes: { r1: {} }\n', 't-names-b']] as const) {
      const file = join(base, fname);
      writeFileSync(file, text);
      const up = netlab(['up', '-q', file], env);
      expect(up.code, up.stderr).to.equal(0);
      expect(up.stdout).to.contain(`lab ${lab} is up`);
      const down = netlab(['down', file], env);
      expect(down.code, down.stderr).to.equal(0);
      expect(down.stdout, down.stderr).to.contain(`lab ${lab} is down: 1 node stopped`);
      expect(existsSync(join(root, lab))).to.equal(false);
    }
  });
});
