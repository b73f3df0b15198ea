/**
 * The live view's counter reader (src/observe/link-counters.ts) on this
 * process's own /proc entries: no lab, no root. A large lab's nodes are
 * verified in turn, but a node whose PID is gone is dead at the next reading.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readProcStat } from '../../src/core/node.js';
import { loadTopology } from '../../src/lab/load.js';
import type { State } from '../../src/lab/state.js';
import { LinkCounterReader, VERIFY_ALL_UP_TO } from '../../src/observe/link-counters.js';

/** A PID that ran and exited (its /proc entry is gone). */
function exitedPid(): number {
  return spawnSync('true').pid!;
}

function lab(n: number): { t: ReturnType<typeof loadTopology>; state: State } {
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const links = names.slice(1).map((x, i) => `  - [n${i + 1}:eth${i === 0 ? 1 : 2}, ${x}:eth1]`);
  const t = loadTopology({ text: `name: t-lc\naddressing: false\nnodes:\n${names.map((x) => `  ${x}: {}`).join('\n')}\nlinks:\n${links.join('\n')}\n` });
  const me = { pid: process.pid, startTime: readProcStat(process.pid)!.startTime, kind: 'linux' };
  const state = { nodes: Object.fromEntries(names.map((x) => [x, { ...me }])) } as unknown as State;
  return { t, state };
}

describe('live counters reader', function () {
  it('reports a node whose PID 1 exited as not running at the next reading, on a large lab too', async function () {
    const { t, state } = lab(VERIFY_ALL_UP_TO * 3);
    const r = new LinkCounterReader(t, state);
    expect(Object.values((await r.read()).running).every(Boolean)).to.equal(true);
    state.nodes.n7!.pid = exitedPid();
    expect((await r.read()).running.n7).to.equal(false);
    expect((await r.read()).running.n8).to.equal(true);
  });

  it('finds a PID the kernel gave to another process within as many readings as the lab has hundreds of nodes', async function () {
    const { t, state } = lab(VERIFY_ALL_UP_TO * 3);
    const r = new LinkCounterReader(t, state);
    await r.read();
    state.nodes.n5!.startTime += 1; // same PID, another start time: not that node any more
    const seen: boolean[] = [];
    for (let i = 0; i < 3; i++) seen.push((await r.read()).running.n5!);
    expect(seen).to.include(false);
  });

  it('verifies every node at every reading on a small lab', async function () {
    const { t, state } = lab(5);
    const r = new LinkCounterReader(t, state);
    await r.read();
    state.nodes.n3!.startTime += 1;
    expect((await r.read()).running.n3).to.equal(false);
  });
});
