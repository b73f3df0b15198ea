import { expect } from 'chai';
import { interfaceState } from '../../src/lab/status.js';

describe('status: interface state (pure)', () => {
  it('shows what the topology asks while both nodes of the link run', () => {
    expect(interfaceState('up', false, true, true)).to.deep.equal({ state: 'up' });
    expect(interfaceState('down', false, true, true)).to.deep.equal({ state: 'down' });
  });

  it('shows a link end whose peer node is dead as down, with the reason', () => {
    expect(interfaceState('up', false, true, false)).to.deep.equal({ state: 'down', reason: 'peer dead' });
  });

  it('shows every interface of a dead node as down, with the reason', () => {
    expect(interfaceState('up', false, false, true)).to.deep.equal({ state: 'down', reason: 'node dead' });
  });

  it('keeps host and LAN ends (no peer node) as asked', () => {
    expect(interfaceState('up', false, true, undefined)).to.deep.equal({ state: 'up' });
  });

  it('says unknown while the lab\'s up was interrupted', () => {
    expect(interfaceState('up', true, false, false)).to.deep.equal({ state: 'unknown' });
  });
});
