import { expect } from 'chai';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { NetlabError } from '../../src/errors.js';
import { join } from 'node:path';
import { labDir, netnsLink, stateFile } from '../../src/lab/paths.js';
import { PhaseProgress, type ProgressEvent } from '../../src/lab/progress.js';
import { newState, readHostJournal, readState, StateStore } from '../../src/lab/state.js';
import { tempRunDir } from '../helpers/run-dir.js';

describe('lab state', () => {
  const runDir = tempRunDir('state');
  let root = '';
  beforeEach(() => { root = runDir(); });

  it('puts a lab under the run root and names its netns <lab>.<node>', () => {
    expect(labDir('tri')).to.equal(join(root, 'tri'));
    expect(stateFile('tri')).to.equal(join(root, 'tri', 'state.json'));
    expect(netnsLink('tri', 'r1')).to.equal('/run/netns/tri.r1');
  });

  it('reads back what was flushed, and nothing before the flush', () => {
    const store = new StateStore(newState('tri', '/x/tri.yaml'));
    store.update((s) => { s.nodes.r1 = { pid: 10, startTime: 5, kind: 'frr' }; });
    expect(readState('tri').state).to.equal(undefined);
    store.flush();
    expect(readState('tri').state?.nodes.r1).to.deep.equal({ pid: 10, startTime: 5, kind: 'frr' });
  });

  it('journals host objects at once, before any flush, and merges them when reading', () => {
    const store = new StateStore(newState('tri', undefined));
    store.flush();
    store.recordHost({ kind: 'link', name: 'nlmgmt', ifindex: 1 << 25, linkKind: 'bridge' });
    const { state } = readState('tri');
    expect(state?.hostObjects).to.deep.equal([{ kind: 'link', name: 'nlmgmt', ifindex: 1 << 25, linkKind: 'bridge' }]);
  });

  it('keeps the journal when the State file is damaged, and skips a torn last line', () => {
    const store = new StateStore(newState('tri', undefined));
    store.recordHost({ kind: 'link', name: 'a', ifindex: 99, linkKind: 'veth' });
    appendFileSync(join(labDir('tri'), 'host-objects.jsonl'), '{"kind":"li');
    writeFileSync(stateFile('tri'), '{not json');
    const r = readState('tri');
    expect(r.state).to.equal(undefined);
    expect(r.damaged).to.be.a('string');
    expect(readHostJournal('tri')).to.deep.equal([{ kind: 'link', name: 'a', ifindex: 99, linkKind: 'veth' }]);
  });

  it('never brings back a run folder removed under it (a down during up): exit 1, nothing written', () => {
    const store = new StateStore(newState('tri', undefined));
    store.flush();
    rmSync(labDir('tri'), { recursive: true });
    store.update((s) => { s.phase = 'running'; });
    expect(() => store.flush()).to.throw(NetlabError).that.satisfies((e: NetlabError) => e.exitCode === 1 && /removed while/.test(e.message));
    expect(() => store.recordHost({ kind: 'link', name: 'a', ifindex: 99, linkKind: 'veth' })).to.throw(NetlabError).with.property('exitCode', 1);
    expect(existsSync(labDir('tri'))).to.equal(false);
  });
});

describe('progress', () => {
  it('reports the start and the end of a phase, and its duration', () => {
    const seen: ProgressEvent[] = [];
    const p = new PhaseProgress('links', 3, (e) => seen.push(e), 1e9);
    p.step(); p.step();
    const ms = p.end();
    expect(seen[0]).to.include({ phase: 'links', done: 0, total: 3 });
    expect(seen.at(-1)).to.include({ done: 3, total: 3 });
    expect(ms).to.be.at.least(0);
    expect(seen).to.have.length(2); // the 1e9 ms interval hides the middle steps
  });
});
