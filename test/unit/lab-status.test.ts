import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStatus } from '../../src/cli/status.js';
import type { UsageError } from '../../src/errors.js';
import { newState, StateStore } from '../../src/lab/state.js';
import { allLabStatuses, interfaceState, labStatusOrProblem } from '../../src/lab/status.js';
import { tempRunDir } from '../helpers/run-dir.js';

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

describe('status: one broken lab never hides the others', () => {
  const runDir = tempRunDir('status');
  let root = '';
  beforeEach(() => { root = runDir(); });

  /** A lab of no nodes as `up` leaves it: State file and topology.json. */
  function healthy(lab: string): void {
    const store = new StateStore({ ...newState(lab, undefined), phase: 'running' });
    store.flush();
    writeFileSync(join(root, lab, 'topology.json'), JSON.stringify({ name: lab, nodes: [], links: [] }));
  }

  it('lists every healthy lab and marks a damaged State file, a stale one without topology.json, and a link', async () => {
    healthy('alpha');
    healthy('omega');
    mkdirSync(join(root, 'damaged'));
    writeFileSync(join(root, 'damaged', 'state.json'), '{ torn');
    new StateStore(newState('stale', undefined)).flush(); // what the up‖down race once left
    symlinkSync(tmpdir(), join(root, 'linked'));
    mkdirSync(join(root, 'no.lab'));
    writeFileSync(join(root, 'no.lab', 'state.json'), '{}');
    const all = await allLabStatuses();
    expect(all.map((s) => s.lab)).to.deep.equal(['alpha', 'damaged', 'linked', 'omega', 'stale']);
    expect(all.filter((s) => s.problem === undefined).map((s) => s.lab)).to.deep.equal(['alpha', 'omega']);
    expect(all.find((s) => s.lab === 'damaged')!.problem).to.match(/State file is damaged/);
    expect(all.find((s) => s.lab === 'stale')!.problem).to.match(/no readable topology\.json/);
    expect(all.find((s) => s.lab === 'linked')!.problem).to.match(/symbolic link/);
    expect(formatStatus(all.find((s) => s.lab === 'stale')!)).to.match(/^lab stale — broken: .*\n {2}netlab down stale removes what is left of it\n$/);
  });

  it('still refuses a lab that is not there at all (exit 2)', async () => {
    try {
      await labStatusOrProblem('nothere');
      expect.fail('no error');
    } catch (err) {
      expect((err as UsageError).exitCode).to.equal(2);
      expect((err as UsageError).message).to.equal('is not running');
    }
  });
});
