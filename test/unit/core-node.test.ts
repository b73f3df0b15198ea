import { expect } from 'chai';
import { isAlive, readProcStat } from '../../src/core/node.js';

describe('core node liveness', () => {
  it('reads this process\'s start time and state from /proc', () => {
    const st = readProcStat(process.pid)!;
    expect(st.state).to.match(/^[RS]$/);
    expect(st.startTime).to.be.greaterThan(0);
  });
  it('calls a process alive only with its own start time (a reused pid is not the node)', () => {
    const st = readProcStat(process.pid)!;
    expect(isAlive({ pid: process.pid, startTime: st.startTime })).to.equal(true);
    expect(isAlive({ pid: process.pid, startTime: st.startTime + 1 })).to.equal(false);
  });
  it('calls a pid that does not exist dead', () => {
    expect(isAlive({ pid: 4_000_000, startTime: 1 })).to.equal(false);
  });
});
