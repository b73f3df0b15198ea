/**
 * 1,000 generated bad topologies (test/unit/fuzz): each is loaded and planned
 * as `netlab up --dry-run` does, in child processes that are killed when one
 * input takes too long; a sample also goes through the real CLI.
 *
 * The seed is fixed so that `npm test` is repeatable; NETLAB_FUZZ_SEED=random
 * (or a number) and NETLAB_FUZZ_COUNT explore further. A failure prints the
 * seed, the input's index and what was done to it; to get the file:
 *   node dist/test/unit/fuzz/runner.js --seed SEED --show INDEX > input.yaml
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/kernel.js';
import { generateOne } from './fuzz/generator.js';
import { FUZZ_ENV, MESSAGE_MAX, materialise, type Verdict } from './fuzz/oracle.js';
import { runFuzz } from './fuzz/runner.js';

const SEED = process.env.NETLAB_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.NETLAB_FUZZ_SEED ?? 20251205);
const COUNT = Number(process.env.NETLAB_FUZZ_COUNT ?? 1000);
/** Longest a single input may take to load and plan, ms (issue 13: "0 runs over 5 s"). */
const LIMIT_MS = 5000;

function report(list: Verdict[]): string {
  return list.slice(0, 20).map((v) => `\n  seed ${SEED} input ${v.index} (${v.label}): ${v.problems.join('; ') || `${v.ms.toFixed(0)} ms`}` +
    `${v.path !== undefined ? `\n    error: ${v.path}: ${v.message?.slice(0, 200)}\n    hint: ${v.hint?.slice(0, 200)}` : ''}`).join('') +
    (list.length > 20 ? `\n  … and ${list.length - 20} more` : '') +
    `\n  reproduce: node dist/test/unit/fuzz/runner.js --seed ${SEED} --show INDEX > input.yaml`;
}

/** Runs `netlab up --dry-run FILE` and resolves with its exit code and output. */
function dryRun(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(join(repoRoot, 'bin/netlab'), ['up', '--dry-run', file], { env: { ...process.env, ...FUZZ_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b: Buffer) => { if (stdout.length < 1e6) stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => { clearTimeout(timer); done({ code, stdout, stderr }); });
  });
}

describe(`generated bad topologies (seed ${SEED}, ${COUNT} inputs)`, function () {
  this.timeout(180_000);
  let verdicts: Verdict[] = [];

  before(async () => {
    process.stdout.write(`      fuzz seed ${SEED} (NETLAB_FUZZ_SEED=${SEED} repeats this run)\n`);
    verdicts = await runFuzz({ seed: SEED, count: COUNT, timeoutMs: 3 * LIMIT_MS });
  });

  it('loads and plans every input without a stack trace', () => {
    const crashed = verdicts.filter((v) => v.outcome === 'crash');
    expect(crashed, report(crashed)).to.deep.equal([]);
  });

  it('answers every input within 5 s', () => {
    const slow = verdicts.filter((v) => v.ms > LIMIT_MS);
    expect(slow, report(slow)).to.deep.equal([]);
  });

  it('refuses with exit code 2, a key path, a hint and a message of sane length', () => {
    const bad = verdicts.filter((v) => v.outcome === 'refused' && v.problems.length > 0);
    expect(bad, report(bad)).to.deep.equal([]);
    for (const v of verdicts.filter((x) => x.outcome === 'refused')) expect(v.message!.length + v.path!.length).to.be.at.most(MESSAGE_MAX);
  });

  it('accepts only labs the kernel can build: valid names, finite numbers, usable addresses', () => {
    const bad = verdicts.filter((v) => v.outcome === 'accepted' && v.problems.length > 0);
    expect(bad, report(bad)).to.deep.equal([]);
  });

  it('makes bad inputs: most of them are refused, in every family of mutations', () => {
    const refused = verdicts.filter((v) => v.outcome === 'refused').length;
    expect(refused, 'share refused').to.be.at.least(COUNT * 0.7);
    const families = new Set(verdicts.filter((v) => v.outcome === 'refused').map((v) => v.label.split(':')[0]));
    for (const f of ['types', 'values', 'names', 'aliases', 'nesting', 'encodings', 'whole file']) expect([...families], f).to.include(f);
  });

  it('gives the same answer through the real CLI: exit 2 with error:/hint: lines, or 0, never a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-fuzz-cli-'));
    try {
      const sample = verdicts.filter((v) => v.index % 40 === 0 || v.label.startsWith('whole file')).slice(0, 30);
      const problems: string[] = [];
      const queue = [...sample];
      const lane = async (): Promise<void> => {
        for (let v = queue.shift(); v; v = queue.shift()) {
          const input = generateOne(SEED, v.index);
          const r = await dryRun(materialise(input, dir));
          const where = `seed ${SEED} input ${v.index} (${v.label})`;
          if (/^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) problems.push(`${where}: a stack trace\n${r.stderr.slice(0, 400)}`);
          const want = v.outcome === 'accepted' ? 0 : 2;
          if (r.code !== want) problems.push(`${where}: exit ${r.code}, want ${want}\n${r.stderr.slice(0, 400)}`);
          if (r.code === 2 && !(/^error: \S.*: \S/m.test(r.stderr) && /^hint: \S/m.test(r.stderr))) problems.push(`${where}: no "error: PATH: …" and "hint: …"\n${r.stderr.slice(0, 400)}`);
        }
      };
      await Promise.all([lane(), lane()]);
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(sample.length).to.be.at.least(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
