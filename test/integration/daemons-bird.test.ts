/**
 * BIRD nodes in real labs (Lab.up), with FRR neighbours: start, readiness,
 * health, save, the rejection paths, and OSPF between the two implementations.
 */
import { expect } from 'chai';
import { bird } from '../../src/daemons/bird.js';
import { poll } from '../../src/daemons/poll.js';
import { NetlabError } from '../../src/errors.js';
import { Lab } from '../../src/lab/lab.js';
import { leakcheckAround } from '../helpers/kernel.js';
import { exampleTopology } from '../helpers/lab.js';
import { ctxOf, needDaemons } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

const needBirdAndFrr = (ctx: Mocha.Context): void => needDaemons(ctx, true);

/** Waits until BIRD on `node` lists `count` OSPF neighbours in state Full. */
async function waitBirdFull(lab: Lab, node: string, count: number): Promise<string> {
  return poll(`${node} OSPF neighbours`, 30_000, async () => {
    const r = await lab.exec(node, ['birdc', 'show', 'ospf', 'neighbors']);
    const full = (r.stdout.match(/\bFull\//g) ?? []).length;
    return full === count ? { done: true, value: r.stdout } : { done: false, seen: `${full} Full` };
  });
}

describe('BIRD nodes (real labs)', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });

  describe('the bird-frr-ospf lab (BIRD config from a file)', function () {
    let lab: Lab;
    before(async function () {
      needBirdAndFrr(this);
      lab = await Lab.up(exampleTopology('bird-frr-ospf'));
    });
    after(async () => { await lab?.down(); });

    it('answers birdc in the node without options', async () => {
      const r = await lab.exec('b1', ['birdc', 'show', 'status']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('Daemon is up and running').and.contain('Router ID is 10.0.0.3');
    });

    it('forms full OSPF adjacencies with both FRR routers', async () => {
      const out = await waitBirdFull(lab, 'b1', 2);
      expect(out).to.match(/^10\.0\.0\.1\s/m).and.match(/^10\.0\.0\.2\s/m);
    });

    it('exchanges loopbacks: FRR learns BIRD\'s over OSPF, BIRD puts FRR\'s into the kernel', async () => {
      await poll('routes', 30_000, async () => {
        const a = await lab.exec('r1', ['ip', '-j', 'route', 'show', '10.0.0.3']);
        const b = await lab.exec('b1', ['ip', '-j', 'route', 'show', '10.0.0.2']);
        const ok = a.stdout.includes('"protocol":"ospf"') && b.stdout.includes('"protocol":"bird"');
        return ok ? { done: true, value: undefined } : { done: false, seen: `${a.stdout} ${b.stdout}` };
      });
    });

    it('saves the bird.conf it runs', async () => {
      const saved = await bird.save!(ctxOf(lab, 'b1'));
      expect(saved['bird.conf']).to.contain('router id 10.0.0.3;').and.contain('protocol ospf v2 ospf4');
    });

    it('reports bird running, and not running once killed', async () => {
      expect((await bird.health!(ctxOf(lab, 'b1')))[0]).to.include({ daemon: 'bird', running: true });
      await lab.exec('b1', ['/bin/sh', '-c', 'kill -9 $(cat /run/bird/bird.pid)']);
      const h = await poll('bird gone', 5000, async () => {
        const x = await bird.health!(ctxOf(lab, 'b1'));
        return x[0]!.running ? { done: false, seen: 'running' } : { done: true, value: x[0]! };
      });
      expect(h.detail).to.match(/exited/);
    });

    it('fails ready() at once when bird is gone', async () => {
      const t0 = Date.now();
      const err = await bird.ready(ctxOf(lab, 'b1'), 30_000).then(() => undefined, (e: unknown) => e);
      expect(Date.now() - t0).to.be.lessThan(5000);
      expect(err).to.be.instanceOf(NetlabError).with.property('where', 'node b1');
      expect((err as Error).message).to.match(/^bird exited/);
    });
  });

  describe('a generated BIRD config next to generated FRR', function () {
    const t = loadTopology({ text: 'name: t-dmn-gen\nospf: { area: 0 }\nnodes: { r1: { kind: frr }, b1: { kind: bird } }\nlinks:\n  - [r1:eth1, b1:eth1]\n' }, { env: {} });
    let lab: Lab;
    before(async function () {
      needBirdAndFrr(this);
      lab = await Lab.up(t);
    });
    after(async () => { await lab?.down(); });

    it('forms a full adjacency and installs the FRR router\'s loopback', async () => {
      await waitBirdFull(lab, 'b1', 1);
      await poll('b1 route', 20_000, async () => {
        const r = await lab.exec('b1', ['ip', '-j', 'route', 'show', '10.0.0.1']);
        return r.stdout.includes('"protocol":"bird"') ? { done: true, value: undefined } : { done: false, seen: r.stdout };
      });
    });

    it('keeps its own subnets out of the kernel table (they are connected routes already)', async () => {
      const r = await lab.exec('b1', ['ip', '-j', 'route', 'show', 'proto', 'bird']);
      const dsts = (JSON.parse(r.stdout) as { dst: string }[]).map((x) => x.dst);
      expect(dsts).not.to.include('10.1.0.0/31');
      expect(dsts).not.to.include('10.0.0.2');
    });
  });

  describe('a config BIRD rejects', function () {
    const text = 'router id 10.0.0.1;\nprotocol ospf v2 {\n  area 0 { interfce "eth*"; };\n}\n';
    const t = loadTopology({ text: `name: t-dmn-badb\nnodes: { b1: { kind: bird, config: { text: ${JSON.stringify(text)} } } }\nlinks: []\n` }, { env: {} });
    before(function () { needBirdAndFrr(this); });

    it('stops netlab up before building anything, with bird\'s own message, its line and the node name', async () => {
      const err = await Lab.up(t).then(async (lab) => { await lab.down(); }, (e: unknown) => e);
      expect(err).to.be.instanceOf(NetlabError);
      expect((err as NetlabError).where).to.match(/^node (t-dmn-bad(b|log)\/)?b1$/);
      expect((err as NetlabError).message).to.contain('BIRD rejects its inline config text').and.match(/bird\.conf:3:\d+ syntax error/);
      expect(Lab.running()).not.to.include('t-dmn-badb');
    });

    it('fails netlab up with bird\'s message when the bird user cannot open the log file its config names', async () => {
        const bad = loadTopology({ text: 'name: t-dmn-badlog\nnodes: { b1: { kind: bird, config: { text: "log \\"/root/bird.log\\" all;\\nprotocol device {}\\n" } } }\nlinks: []\n' }, { env: {} });
      const err = await Lab.up(bad).then(async (lab) => { await lab.down(); }, (e: unknown) => e);
      expect(err).to.be.instanceOf(NetlabError);
      expect((err as NetlabError).where).to.match(/^node (t-dmn-bad(b|log)\/)?b1$/);
      expect((err as NetlabError).message).to.contain('BIRD did not start').and.contain("Unable to open log file '/root/bird.log'");
      expect(Lab.running()).not.to.include('t-dmn-badlog');
    });
  });
});
