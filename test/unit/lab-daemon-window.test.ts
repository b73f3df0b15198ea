import { expect } from 'chai';
import { daemonTimeoutMs, daemonWindow, READY_TIMEOUT_MS } from '../../src/lab/steps-run.js';

describe('lab: how many routers start at once, and how long each may take', () => {
  it('starts one node\'s daemons more than there are cores, at least 2', () => {
    expect(daemonWindow(1)).to.equal(2);
    expect(daemonWindow(2)).to.equal(3);
    expect(daemonWindow(16)).to.equal(17);
  });

  it('gives a start 60 s on a quiet host and 0.1 s more for every router already running', () => {
    expect(daemonTimeoutMs(0)).to.equal(READY_TIMEOUT_MS).and.equal(60_000);
    expect(daemonTimeoutMs(400)).to.equal(100_000);
    expect(daemonTimeoutMs(1023)).to.equal(162_300);
  });
});
