import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { EXEC_RUNNER, parseExecRun } from '../../src/lab/steps-run.js';

/** Runs the runner with the host's /bin/sh, as a node's shell would. */
function run(mode: 'stop' | 'warn', lines: string[]): { stdout: string; stderr: string; code: number } {
  const r = spawnSync('/bin/sh', ['-c', EXEC_RUNNER, mode, ...lines], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 1 };
}

describe('exec lines in one shell (EXEC_RUNNER, parseExecRun)', () => {
  it('gives every line its own output and exit code', () => {
    const r = run('warn', ['echo one', 'echo two >&2; exit 3', 'printf "no newline"']);
    expect(parseExecRun(r.stdout, r.stderr, r.code)).to.deep.equal([
      { index: 0, code: 0, stdout: 'one\n', stderr: '' },
      { index: 1, code: 3, stdout: '', stderr: 'two\n' },
      { index: 2, code: 0, stdout: 'no newline', stderr: '' },
    ]);
  });

  it('stops at the first failing line unless told to go on', () => {
    const r = run('stop', ['true', 'false', 'echo never']);
    const res = parseExecRun(r.stdout, r.stderr, r.code);
    expect(res.map((x) => [x.index, x.code])).to.deep.equal([[0, 0], [1, 1]]);
  });

  it('runs each line in a shell of its own: no variable or directory carries over, stdin is empty', () => {
    const r = run('warn', ['X=1; cd /tmp', 'echo "[$X]" "$(pwd)"; cat']);
    const res = parseExecRun(r.stdout, r.stderr, r.code);
    expect(res[1]!.stdout).to.equal(`[] ${execFileSync('/bin/sh', ['-c', 'pwd'], { encoding: 'utf8' }).trim()}\n`);
  });

  it('passes a line with quotes, $ and ; through untouched', () => {
    const line = `printf '%s|' "a b" '$HOME' ";"`;
    const r = run('stop', [line]);
    expect(parseExecRun(r.stdout, r.stderr, r.code)[0]!.stdout).to.equal('a b|$HOME|;|');
  });

  it('gives a line whose end mark is missing the runner\'s own exit code', () => {
    // The line kills the runner (its parent) before the end mark is written.
    const r = run('stop', ['echo partial; kill -9 $PPID']);
    const res = parseExecRun(r.stdout, r.stderr, r.code);
    expect(res).to.have.length(1);
    expect(res[0]!.stdout).to.equal('partial\n');
    expect(res[0]!.code).to.not.equal(0);
  });
});
