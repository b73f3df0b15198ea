/**
 * A 10×10 grid of FRR routers (OSPF, generated configs): the scale test of
 * issue 20 that fits in `npm test`. Every router must end up with a route to
 * every other router's loopback, and the host must be left as it was.
 */
import { expect } from 'chai';
import { frrLab } from '../../bench/frr-topo.js';
import { poll } from '../../src/daemons/poll.js';
import { Lab } from '../../src/lab/lab.js';
import { leakcheckAround } from '../helpers/kernel.js';
import { needDaemons } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

describe('FRR at scale (real labs)', function () {
  leakcheckAround({ labs: ['t-frr-'], runDir: true });

  describe('a 10×10 grid of FRR routers', function () {
    this.timeout(600_000);
    const t = loadTopology({ text: frrLab('grid', 'ospf', 100).yaml.replace(/^name: .*$/m, 'name: t-frr-grid') }, { env: {} });
    const loopbacks = t.nodes.map((n) => n.loopback.ipv4!.split('/')[0]!);
    let lab: Lab | undefined;

    before(async function () {
      needDaemons(this);
      lab = await Lab.up(t);
    });
    after(async () => { await lab?.down(); });

    it('converges: every router has an OSPF route to each of the other 99 loopbacks', async () => {
      for (const node of t.nodes) {
        const mine = node.loopback.ipv4!.split('/')[0]!;
        await poll(`${node.name} has every loopback`, 240_000, async () => {
          const r = await lab!.exec(node.name, ['ip', '-j', 'route', 'show', 'proto', 'ospf']);
          const have = new Set((JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst));
          const missing = loopbacks.filter((l) => l !== mine && !have.has(l));
          return missing.length === 0 ? { done: true, value: undefined } : { done: false, seen: `missing ${missing.length}: ${missing.slice(0, 5).join(', ')}` };
        });
      }
    });

    it('runs only zebra and ospfd in each router', async () => {
      const r = await lab!.exec('r5-5', ['/bin/sh', '-c', 'ls /run/frr/*.pid']);
      expect(r.stdout.trim().split('\n').map((p) => p.replace(/^.*\//, '')).sort()).to.deep.equal(['ospfd.pid', 'zebra.pid']);
    });
  });
});
