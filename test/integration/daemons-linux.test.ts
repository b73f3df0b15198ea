/**
 * kind linux (and every kind): `cmd` runs in the background with its output
 * in the node's console log, and `netlab up` does not wait for it. Real labs.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { poll } from '../../src/daemons/poll.js';
import { Lab } from '../../src/lab/lab.js';
import { nodeDir } from '../../src/lab/paths.js';
import { leakcheckAround } from '../helpers/kernel.js';
import { needDaemons } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

describe('linux nodes (real labs)', function () {
  leakcheckAround({ labs: ['t-dmn-'], runDir: true });

  describe('cmd in the background', function () {
    const t = loadTopology({ text: `
name: t-dmn-cmds
nodes:
  h1: { cmd: "echo hello from $WHO; exec sleep 300", env: { WHO: h1 } }
  r1: { kind: frr, cmd: "echo router cmd runs after FRR: $(vtysh -c 'show daemons')" }
links:
  - [h1:eth1, r1:eth1]
` }, { env: {} });
    let lab: Lab;
    const consoleOf = (node: string): string => {
      try { return readFileSync(join(nodeDir(lab.name, node), 'console.log'), 'utf8'); } catch { return ''; }
    };
    before(async function () {
      needDaemons(this);
      lab = await Lab.up(t);
    });
    after(async () => { await lab?.down(); });

    it('does not hold netlab up while cmd keeps running', async () => {
      expect(lab.report!.ms).to.be.lessThan(5000);
      const r = await lab.exec('h1', ['pgrep', '-a', '-x', 'sleep']);
      expect(r.stdout).to.contain('sleep 300');
    });

    it('writes cmd\'s output, with the node\'s env, to the node\'s console log', async () => {
      await poll('console', 5000, async () => (consoleOf('h1').includes('hello from h1') ? { done: true, value: undefined } : { done: false, seen: consoleOf('h1') }));
    });

    it('runs a router\'s cmd after its daemons are up', async () => {
      await poll('console', 5000, async () => (/router cmd runs after FRR: .*zebra/.test(consoleOf('r1')) ? { done: true, value: undefined } : { done: false, seen: consoleOf('r1') }));
    });
  });
});
