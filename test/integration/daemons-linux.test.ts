/**
 * kind linux: `cmd` runs in the background with its output on the node
 * console; start() returns at once. Scratch nodes (daemons-harness.ts).
 */
import { expect } from 'chai';
import { linux } from '../../src/daemons/linux.js';
import { frr } from '../../src/daemons/frr.js';
import { poll } from '../../src/daemons/poll.js';
import { loadTopology } from '../../src/topology/index.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { ScratchLab } from './daemons-harness.js';

describe('linux nodes (scratch nodes on the real kernel)', function () {
  leakcheckAround();

  describe('cmd in the background', function () {
    const t = loadTopology({ text: `
  name: cmds
  nodes:
    h1: { cmd: "echo hello from $WHO; exec sleep 300", env: { WHO: h1 } }
    r1: { kind: frr, cmd: "echo router cmd runs after FRR: $(vtysh -c 'show daemons')" }
  links:
    - [h1:eth1, r1:eth1]
  ` }, { env: {} });
    const lab = new ScratchLab(t);
    before(async function () {
      requireRoot(this);
      await lab.build();
    });
    after(() => lab.destroy());

    it('returns from start() while cmd keeps running', async () => {
      const t0 = Date.now();
      await linux.start(lab.ctx('h1'));
      expect(Date.now() - t0).to.be.lessThan(2000);
      const r = await lab.exec('h1', ['pgrep', '-x', 'sleep', '-a']);
      expect(r.stdout).to.contain('sleep 300');
    });

    it('writes cmd\'s output, with the node\'s env, to the node console', async () => {
      await poll('console', 5000, async () => (lab.console('h1').includes('hello from h1') ? { done: true, value: undefined } : { done: false, seen: lab.console('h1') }));
    });

    it('runs a router\'s cmd after its daemons are up', async () => {
      await frr.start(lab.ctx('r1'));
      await poll('console', 5000, async () => (/router cmd runs after FRR: .*zebra/.test(lab.console('r1')) ? { done: true, value: undefined } : { done: false, seen: lab.console('r1') }));
    });
  });
});
