import { expect } from 'chai';
import { shellExitCode } from '../../src/cli/exec.js';

describe('netlab exec / shell run through Node.js: exit codes', () => {
  it('passes the command\'s own exit status through', () => {
    expect(shellExitCode(0, null)).to.equal(0);
    expect(shellExitCode(3, null)).to.equal(3);
  });

  it('gives 128 + the signal number for a killed child, as a shell does (SIGHUP 129, SIGINT 130, SIGKILL 137, SIGTERM 143)', () => {
    expect(shellExitCode(null, 'SIGHUP')).to.equal(129);
    expect(shellExitCode(null, 'SIGINT')).to.equal(130);
    expect(shellExitCode(null, 'SIGKILL')).to.equal(137);
    expect(shellExitCode(null, 'SIGTERM')).to.equal(143);
  });

  it('gives 1 when the helper could not run at all (no status, no signal)', () => {
    expect(shellExitCode(null, null)).to.equal(1);
  });
});
