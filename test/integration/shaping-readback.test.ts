/**
 * What the kernel holds after applyShaping, as `tc -s -d` shows it and as
 * readShaping decodes it; removal; the missing-netem error; the probe.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { KernelError } from '../../src/errors.js';
import { kernelHasQdisc, leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { applyShaping } from '../../src/shaping/apply.js';
import { planClasses } from '../../src/shaping/classes.js';
import { probeQdiscSupport } from '../../src/shaping/probe.js';
import { readShaping } from '../../src/shaping/read.js';
import { makeBed, tcJson, type Bed, type Side } from './shaping-lab.js';

/** Parses `tc -s -d class show` text (tc 6.1 prints htb classes as text even with -j). */
function tcClasses(side: Side): Record<string, { rateBps: number; ceilBps: number; burst: string; cburst: string; prio?: number; parent: string; leaf?: string; sentPackets: number }> {
  const r = side.sh('tc', ['-s', '-d', 'class', 'show', 'dev', side.ifname]);
  const out: ReturnType<typeof tcClasses> = {};
  const unit: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9 };
  const rate = (s: string): number => { const m = /^([\d.]+)([KMG]?)bit$/.exec(s)!; return Number(m[1]) * unit[m[2]!]!; };
  for (const block of r.stdout.split(/\n(?=class )/)) {
    const m = /^class htb (\S+) (?:parent (\S+)|root)(?: leaf (\S+))?(?: prio (\d+))?.* rate (\S+) ceil (\S+).* burst (\S+) .*cburst (\S+)/s.exec(block);
    if (!m) continue;
    out[m[1]!] = { parent: m[2] ?? 'root', leaf: m[3], prio: m[4] === undefined ? undefined : Number(m[4]), rateBps: rate(m[5]!), ceilBps: rate(m[6]!),
      burst: m[7]!, cburst: m[8]!, sentPackets: Number(/Sent \d+ bytes (\d+) pkt/.exec(block)?.[1] ?? 0) };
  }
  return out;
}

describe('shaping: read back what the kernel holds', function () {
  leakcheckAround({ labs: [] });

  describe('on a veth pair', function () {
    let bed: Bed;
    before(async function () {
      requireRoot(this);
      bed = await makeBed(['nlsh-ka', 'nlsh-kb'], ['10.78.0.1', '10.78.0.2']);
    });
    after(async function () { await bed?.close(); });
    afterEach(async function () { if (bed) await applyShaping(bed.a.rtnl, bed.a.ifindex, {}, 'a', { classes: [] }); });

    it('installs tbf with the requested rate, burst and queue, as tc -s -d qdisc show reads it', async function () {
      const res = await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'nlsh-ka');
      expect(res).to.deep.equal({ layout: 'tbf', action: 'rebuilt' });
      const [q] = tcJson(bed.a, 'qdisc') as { kind: string; handle: string; root: boolean; options: { rate: number; burst: string; lat: number } }[];
      expect([q!.kind, q!.handle, q!.root]).to.deep.equal(['tbf', '1:', true]);
      expect(q!.options.rate).to.equal(1_250_000); // bytes/s
      expect(q!.options.burst).to.equal('12500b/1'); // 10 ms at 10 Mbit/s (tcmath.ts defaultBurstBytes)
      expect(q!.options.lat).to.be.closeTo(100_000, 2); // µs: a 100-ms queue
    });

    it('installs tbf with an explicit burst and a queue limit in packets', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 3e6, burstBytes: 20000, limitPackets: 50 }, 'a');
      const [q] = tcJson(bed.a, 'qdisc') as { options: { rate: number; burst: string; lat: number } }[];
      expect(q!.options.rate).to.equal(375_000);
      // The kernel keeps the bucket as time (64-ns ticks), so tc may print it a byte short.
      expect(Number(/^(\d+)b/.exec(q!.options.burst)![1])).to.be.closeTo(20000, 1);
      // tc prints lat = limit/rate − burst/rate: (50·1514 − 20000) B at 375000 B/s
      expect(q!.options.lat).to.be.closeTo(((50 * 1514 - 20000) / 375_000) * 1e6, 2);
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect(st.shaping).to.deep.equal({ rateBps: 3e6, burstBytes: 20000 });
      expect(st.limitBytes).to.equal(50 * 1514);
    });

    it('installs node classes as htb classes with the requested rates, ceilings and priorities (tc -s -d class show)', async function () {
      const classes = planClasses({ bulk: { rateBps: 1e6 }, interactive: { rateBps: 2e6, ceilBps: 4e6, prio: 0 } });
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a', { classes });
      const c = tcClasses(bed.a);
      expect(c['1:1']).to.include({ parent: 'root', rateBps: 10e6, ceilBps: 10e6, burst: '12500b/1' });
      expect(c['1:10']).to.include({ parent: '1:1', leaf: '110:', rateBps: 7e6, ceilBps: 10e6, prio: 3 });
      expect(c['1:11']).to.include({ parent: '1:1', leaf: '111:', rateBps: 1e6, ceilBps: 1e6, prio: 3, burst: '3028b/1' });
      expect(c['1:12']).to.include({ parent: '1:1', leaf: '112:', rateBps: 2e6, ceilBps: 4e6, prio: 0 });
      const q = tcJson(bed.a, 'qdisc') as { kind: string; handle: string; options: { default?: string; limit?: number } }[];
      expect(q.find((x) => x.handle === '1:')!.options.default).to.equal('0x10');
      expect(q.find((x) => x.handle === '111:')).to.deep.include({ kind: 'tbf', parent: '1:11' });
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect(st.classes.map((x) => [x.classid, x.rateBps, x.ceilBps, x.prio])).to.deep.equal([['1:11', 1e6, 1e6, 3], ['1:12', 2e6, 4e6, 0]]);
    });

    it('counts what the interface sent, as tc -s does', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 50e6 }, 'a');
      expect(bed.a.sh('ping', ['-c', '5', '-i', '0.2', '-q', bed.b.addr]).status).to.equal(0);
      // The namespace may send a packet of its own (IPv6 neighbour discovery)
      // between two reads: read tc before and after ours, and retry until
      // nothing was sent in between, so the comparison is exact.
      for (let attempt = 1; ; attempt++) {
        const [before] = tcJson(bed.a, 'qdisc') as { bytes: number; packets: number }[];
        const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
        const [after] = tcJson(bed.a, 'qdisc') as { bytes: number; packets: number }[];
        if (before!.packets !== after!.packets && attempt < 5) continue;
        expect(st.counters.sentPackets).to.be.at.least(5);
        expect(st.counters.sentPackets).to.equal(after!.packets);
        expect(st.counters.sentBytes).to.equal(after!.bytes);
        break;
      }
    });

    it('changes the rate in place: same qdisc, counters kept', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 50e6 }, 'a');
      bed.a.sh('ping', ['-c', '3', '-i', '0.2', '-q', bed.b.addr]);
      const sent = (await readShaping(bed.a.rtnl, bed.a.ifindex)).counters.sentPackets;
      const res = await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 20e6 }, 'a');
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect(res.action).to.equal('changed');
      expect(st.shaping.rateBps).to.equal(20e6);
      expect(st.counters.sentPackets).to.be.at.least(sent);
    });

    it('really removes the rate when it is set to 0: the default qdisc comes back', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a');
      const res = await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 0 }, 'a');
      expect(res).to.deep.equal({ layout: 'none', action: 'removed' });
      const [q] = tcJson(bed.a, 'qdisc') as { kind: string; handle: string }[];
      expect([q!.kind, q!.handle]).to.deep.equal(['noqueue', '0:']);
      expect((await readShaping(bed.a.rtnl, bed.a.ifindex)).layout).to.equal('none');
    });

    it('removes node classes and keeps the link rate when classes: [] is passed', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a', { classes: planClasses({ bulk: { rateBps: 1e6 } }) });
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a', { classes: [] });
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect([st.layout, st.shaping.rateBps, st.classes.length]).to.deep.equal(['tbf', 10e6, 0]);
    });

    it('keeps node classes across a rate change when classes are not passed (netlab link set)', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a', { classes: planClasses({ bulk: { rateBps: 1e6 } }) });
      const res = await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 8e6 }, 'a');
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect(res.action).to.equal('changed');
      expect([st.shaping.rateBps, st.classes.map((c) => c.classid)]).to.deep.equal([8e6, ['1:11']]);
      expect(st.defaultClass!.rateBps).to.equal(7e6);
    });

    it('replaces a root qdisc someone else put there', async function () {
      expect(bed.a.sh('tc', ['qdisc', 'add', 'dev', bed.a.ifname, 'root', 'handle', '5:', 'pfifo', 'limit', '10']).status).to.equal(0);
      expect((await readShaping(bed.a.rtnl, bed.a.ifindex)).layout).to.equal('foreign');
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a');
      expect((await readShaping(bed.a.rtnl, bed.a.ifindex)).layout).to.equal('tbf');
    });

    it('refuses an impairment with one KernelError naming the interface and sch_netem, and leaves the link as it was', async function () {
      if (kernelHasQdisc('netem')) skip(this, 'this kernel has sch_netem, so its absence cannot be shown here');
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a');
      let err: unknown;
      try {
        await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6, delayMs: 30 }, 'r1:eth1');
      } catch (e) { err = e; }
      expect(err).to.be.instanceOf(KernelError);
      const k = err as KernelError;
      expect(k.headline).to.equal('qdisc netem on r1:eth1: RTM_NEWQDISC: the kernel has no sch_netem (CONFIG_NET_SCH_NETEM) (ENOENT)');
      expect(k.hint).to.contain('modprobe sch_netem');
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect([st.layout, st.shaping.rateBps]).to.deep.equal(['tbf', 10e6]);
    });

    it('installs delay, jitter, loss, corrupt, duplicate and reorder in netem, and a loss of 0 removes the loss', async function () {
      if (!kernelHasQdisc('netem')) skip(this, 'this kernel has no sch_netem (CONFIG_NET_SCH_NETEM)');
      const want = { delayMs: 30, jitterMs: 5, delayCorrelationPercent: 25, lossPercent: 0.01, corruptPercent: 0.1, duplicatePercent: 1, reorderPercent: 25, reorderCorrelationPercent: 50 };
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6, ...want }, 'a');
      const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
      expect(st.layout).to.equal('htb+netem');
      expect(st.shaping).to.include(want);
      const text = bed.a.sh('tc', ['qdisc', 'show', 'dev', bed.a.ifname]).stdout;
      expect(text).to.match(/netem 201: parent 101:1 .*delay 30ms\s+5ms 25%.*loss 0\.01%/);
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6, ...want, lossPercent: 0 }, 'a');
      expect((await readShaping(bed.a.rtnl, bed.a.ifindex)).shaping.lossPercent).to.equal(undefined);
      expect(bed.a.sh('tc', ['qdisc', 'show', 'dev', bed.a.ifname]).stdout).not.to.contain('loss');
    });

    it('sends a jitter distribution table that netem accepts', async function () {
      if (!kernelHasQdisc('netem')) skip(this, 'this kernel has no sch_netem (CONFIG_NET_SCH_NETEM)');
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { delayMs: 50, jitterMs: 10, distribution: 'pareto' }, 'a');
      expect((await readShaping(bed.a.rtnl, bed.a.ifindex)).shaping).to.include({ delayMs: 50, jitterMs: 10 });
    });
  });

  describe('the support probe', function () {
    it('reports tbf, htb and netem as tc finds them on this kernel', async function () {
      requireRoot(this);
      const s = await probeQdiscSupport();
      expect(s.error).to.equal('');
      // tc needs parameters for tbf, so ask tc with some.
      const tbf = spawnSync('unshare', ['--net', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '10k', 'limit', '10k']).status === 0;
      expect({ tbf: s.tbf, htb: s.htb, netem: s.netem }).to.deep.equal({ tbf, htb: kernelHasQdisc('htb'), netem: kernelHasQdisc('netem') });
    });
  });
});
