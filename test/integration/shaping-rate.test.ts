/**
 * Shaped rates as iperf3 measures them across a veth pair. The rate is the
 * receiver's TCP goodput over the steady seconds (see shaping-lab.ts); it sits
 * about 4.4 % under the link rate at MTU 1500 because tc counts Ethernet frames
 * (1514 bytes) and iperf3 counts payload (1448). The 10, 1 and 100 Mbit/s
 * bounds are the issue's; where it gives none (the asymmetric pair) the bounds
 * are 5 % around the goodput (tcpGoodputMbps). A run outside them is repeated
 * once (shaping-lab.ts measureWithin).
 */
import { expect } from 'chai';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { applyShaping } from '../../src/shaping/apply.js';
import { readShaping } from '../../src/shaping/read.js';
import { around, iperf, makeBed, measureWithin, tcJson, tcpGoodputMbps, type Bed } from './shaping-lab.js';

describe('shaping: rates measured with iperf3', function () {
  leakcheckAround({ labs: [] });

  describe('on a veth pair', function () {
    let bed: Bed;
    before(async function () {
      requireRoot(this);
      bed = await makeBed(['nlsh-ra', 'nlsh-rb']);
      await bed.iperfServer(bed.b, 5201);
    });
    after(async function () { await bed?.close(); });
    afterEach(async function () {
      if (!bed) return;
      await applyShaping(bed.a.rtnl, bed.a.ifindex, {}, 'a');
      await applyShaping(bed.b.rtnl, bed.b.ifindex, {}, 'b');
    });

    it('shapes a link to 10 Mbit/s: iperf3 measures 9.5 to 10.5 Mbit/s', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a');
      const r = await measureWithin('10 Mbit/s', 9.5, 10.5, () => iperf(bed.a, bed.b.addr, 5201, 6));
      expect(r.mbps).to.be.within(9.5, 10.5);
    });

    it('shapes a link to 1 Mbit/s: iperf3 measures within 5 %', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 1e6 }, 'a');
      const r = await measureWithin('1 Mbit/s', 0.95, 1.05, () => iperf(bed.a, bed.b.addr, 5201, 7));
      expect(r.mbps).to.be.within(0.95, 1.05);
    });

    it('shapes a link to 100 Mbit/s: iperf3 measures within 5 %', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 100e6 }, 'a');
      const r = await measureWithin('100 Mbit/s', 95, 105, () => iperf(bed.a, bed.b.addr, 5201, 6));
      expect(r.mbps).to.be.within(95, 105);
    });

    it('shapes each endpoint\'s egress on its own: 5 Mbit/s one way, 20 Mbit/s the other, measured per direction', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 5e6 }, 'a');
      await applyShaping(bed.b.rtnl, bed.b.ifindex, { rateBps: 20e6 }, 'b');
      // The issue gives no bounds here: within 5 % of each rate's TCP goodput.
      const abIn = around(tcpGoodputMbps(5e6), 0.05);
      const baIn = around(tcpGoodputMbps(20e6), 0.05);
      const ab = await measureWithin('a→b at 5 Mbit/s', ...abIn, () => iperf(bed.a, bed.b.addr, 5201, 6));
      const ba = await measureWithin('b→a at 20 Mbit/s', ...baIn, () => iperf(bed.a, bed.b.addr, 5201, 6, { reverse: true }));
      expect(ab.mbps).to.be.within(...abIn);
      expect(ba.mbps).to.be.within(...baIn);
    });

    it('changes a running link from 10 to 2 Mbit/s in place, without restarting the transfer', async function () {
      await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 10e6 }, 'a');
      const start = (await readShaping(bed.a.rtnl, bed.a.ifindex)).counters.sentBytes;
      const run = iperf(bed.a, bed.b.addr, 5201, 10, { skip: 0 });
      // The change comes once 4.5 s of the transfer have passed at 10 Mbit/s, as
      // the qdisc's own byte counter tells (polled, not slept: a slow start of
      // iperf3 on a busy host must not move it).
      let sentBefore = start;
      for (const deadline = Date.now() + 30_000; sentBefore - start < 4.5 * 10e6 / 8; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > deadline) throw new Error(`4.5 s of traffic at 10 Mbit/s did not pass within 30 s (sent ${sentBefore - start} bytes)`);
        sentBefore = (await readShaping(bed.a.rtnl, bed.a.ifindex)).counters.sentBytes;
      }
      const res = await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 2e6 }, 'a');
      const after = await readShaping(bed.a.rtnl, bed.a.ifindex);
      const r = await run;
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
      const before10 = mean(r.intervals.slice(2, 4)); // seconds 2-4: steady, before the change at 4.5 s
      const after2 = mean(r.intervals.slice(7, 10)); // seconds 7-10: the 10-Mbit/s queue has drained
      process.stdout.write(`      measured live change: ${before10.toFixed(3)} Mbit/s before, ${after2.toFixed(3)} Mbit/s after [${r.intervals.map((v) => v.toFixed(2)).join(' ')}]\n`);
      expect(res.action).to.equal('changed');
      expect(after.counters.sentBytes, 'counters kept: the qdisc was changed, not replaced').to.be.at.least(sentBefore);
      expect(after.shaping.rateBps).to.equal(2e6);
      // The bucket shrank (12500 → 3028 bytes): packets queued under the old one
      // would never leave, so a fresh queue hangs under the tbf (plan.ts tbfShrinkFlush).
      const qdiscs = tcJson(bed.a, 'qdisc') as { kind: string; parent?: string }[];
      expect(qdiscs.map((q) => `${q.kind} ${q.parent ?? 'root'}`)).to.include('bfifo 1:1');
      expect(r.intervals.length, 'the transfer ran its 10 s to the end').to.be.at.least(10);
      // A later change is still made in place: the fresh queue counts as part of the tbf.
      expect((await applyShaping(bed.a.rtnl, bed.a.ifindex, { rateBps: 3e6 }, 'a')).action).to.equal('changed');
      // Means of two and three single seconds, against 5 % around each rate's goodput.
      expect(before10).to.be.within(...around(tcpGoodputMbps(10e6), 0.05));
      expect(after2).to.be.within(...around(tcpGoodputMbps(2e6), 0.05));
    });
  });
});
