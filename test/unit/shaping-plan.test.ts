import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { planClasses } from '../../src/shaping/classes.js';
import { decodeHtbClass, decodeHtbQdisc } from '../../src/shaping/htb.js';
import { mergeShaping } from '../../src/shaping/merge.js';
import { describeShaping } from '../../src/topology/shaping.js';
import { decodeNetem } from '../../src/shaping/netem.js';
import { planShaping, shapingLayout, tbfShrinkFlush, type QdiscOp } from '../../src/shaping/plan.js';
import { decodeTree, type TcObject } from '../../src/shaping/read.js';
import { decodeTbf, encodeTbf, tbfParams } from '../../src/shaping/tbf.js';
import { TC_H_ROOT, formatHandle } from '../../src/shaping/tcmath.js';

const shape = (ops: QdiscOp[]): string[] => ops.map((o) => `${o.object} ${o.kind} ${formatHandle(o.handle)} parent ${formatHandle(o.parent)}`);

/** What the kernel would dump for planned ops (a class under the qdisc root reports parent TC_H_ROOT). */
function asDumped(ops: QdiscOp[]): { qdiscs: TcObject[]; classes: TcObject[] } {
  const zero = { sentBytes: 0, sentPackets: 0, dropped: 0, overlimits: 0, requeues: 0, backlogBytes: 0, backlogPackets: 0 };
  const obj = (o: QdiscOp): TcObject => ({ object: o.object as 'qdisc' | 'class', kind: o.kind, handle: o.handle,
    parent: o.object === 'class' && o.parent === 0x10000 ? TC_H_ROOT : o.parent, options: o.options, counters: zero });
  return { qdiscs: ops.filter((o) => o.object === 'qdisc').map(obj), classes: ops.filter((o) => o.object === 'class').map(obj) };
}

describe('shaping plan: layouts', () => {
  it('plans nothing for an empty shaping, so the default qdisc stays', () => {
    expect(planShaping({}, 1500)).to.deep.equal([]);
  });
  it('treats rate 0 and loss 0 as nothing asked', () => {
    expect(planShaping({ rateBps: 0, lossPercent: 0, delayMs: 0 }, 1500)).to.deep.equal([]);
  });
  it('uses a root tbf when only a rate is set', () => {
    const ops = planShaping({ rateBps: 10e6 }, 1500);
    expect(shape(ops)).to.deep.equal(['qdisc tbf 1: parent root']);
    expect(decodeTbf(ops[0]!.options)!.rateBytes).to.equal(1_250_000);
  });
  it('uses a root netem when only impairments are set', () => {
    const ops = planShaping({ lossPercent: 1 }, 1500);
    expect(shape(ops)).to.deep.equal(['qdisc netem 1: parent root']);
    expect(decodeNetem(ops[0]!.options)!.limitPackets).to.equal(1000);
  });
  it('uses an htb class with netem below it for rate plus impairment (Mininet\'s layout), a GSO-cutting tbf between them', () => {
    const ops = planShaping({ rateBps: 2e6, delayMs: 30 }, 1500);
    expect(shape(ops)).to.deep.equal(['qdisc htb 1: parent root', 'class htb 1:1 parent 1:', 'qdisc tbf 101: parent 1:1', 'qdisc netem 201: parent 101:1']);
    expect(decodeTbf(ops[2]!.options)!.rateBytes).to.equal(250_000);
    expect(decodeHtbQdisc(ops[0]!.options)!.defaultMinor).to.equal(1);
    const c = decodeHtbClass(ops[1]!.options)!;
    expect([c.rateBytes, c.ceilBytes]).to.deep.equal([250_000, 250_000]);
  });
  it('sizes netem under a rate for its delay line plus 100 ms of queue', () => {
    const ops = planShaping({ rateBps: 10e6, delayMs: 100 }, 1500);
    // 200 ms at 1.25 MB/s = 250000 bytes = 166 frames of 1514 → 166 (ceil of 165.1)
    expect(decodeNetem(ops[3]!.options)!.limitPackets).to.equal(166);
  });
  it('honours an explicit queue limit in packets for netem', () => {
    expect(decodeNetem(planShaping({ delayMs: 5, limitPackets: 50 }, 1500)[0]!.options)!.limitPackets).to.equal(50);
  });
  it('names the layout without encoding', () => {
    expect(shapingLayout({ rateBps: 1e6 })).to.equal('tbf');
    expect(shapingLayout({ delayMs: 1 })).to.equal('netem');
    expect(shapingLayout({ rateBps: 1e6, lossPercent: 1 })).to.equal('htb+netem');
    expect(shapingLayout({}, true)).to.equal('htb');
  });
  it('rejects a queue limit that is not a positive number, with the key path', () => {
    expect(() => planShaping({ rateBps: 1e6, limitPackets: 0 }, 1500, { where: 'links[4]' })).to.throw(TopologyError).with.property('path', 'links[4].limit');
  });
  it('needs the table for a non-uniform distribution', () => {
    expect(() => planShaping({ delayMs: 10, jitterMs: 2, distribution: 'normal' }, 1500)).to.throw(/needs its table/);
    expect(() => planShaping({ delayMs: 10, jitterMs: 2, distribution: 'normal' }, 1500, { distTable: Int16Array.from([0, 1]) })).not.to.throw();
  });
});

describe('shaping plan: a tbf changed in place to a smaller bucket', () => {
  const tbfAt = (rateBps: number, burst?: number): QdiscOp => planShaping({ rateBps, burstBytes: burst }, 1500)[0]!;
  /** The bucket as the kernel dumps it back: ticks only, no TCA_TBF_BURST. */
  const dumpedBurst = (rateBps: number, burst?: number): number => {
    const p = tbfParams(rateBps, 1500, burst);
    const opts = encodeTbf(p);
    // Keep TCA_TBF_PARMS (type 1) and drop the rest, as a dump would carry no TCA_TBF_BURST.
    const len = opts.readUInt16LE(0);
    return decodeTbf(opts.subarray(0, (len + 3) & ~3))!.burstBytes;
  };

  it('grafts a fresh bfifo with the new limit under the tbf when the bucket shrinks (10 → 2 Mbit/s: 12500 → 3028 bytes)', () => {
    const change = tbfAt(2e6);
    const flush = tbfShrinkFlush(change, dumpedBurst(10e6), false)!;
    expect(shape([flush])).to.deep.equal(['qdisc bfifo 0: parent 1:1']);
    expect(flush.options.readUInt32LE(0)).to.equal(decodeTbf(change.options)!.limitBytes);
  });
  it('leaves the queue alone when the bucket stays or grows, also when the dump reads it a few bytes short', () => {
    expect(dumpedBurst(100e6, 3028)).to.be.below(3028);
    expect(tbfShrinkFlush(tbfAt(100e6, 3028), dumpedBurst(100e6, 3028), false)).to.equal(undefined);
    expect(tbfShrinkFlush(tbfAt(10e6), dumpedBurst(2e6), false)).to.equal(undefined);
    expect(tbfShrinkFlush(tbfAt(10e6, 20000), dumpedBurst(3e6, 20000), false)).to.equal(undefined);
  });
  it('leaves it to the netem that the plan re-creates under the tbf (that drops the queue already)', () => {
    expect(tbfShrinkFlush(tbfAt(2e6), dumpedBurst(10e6), true)).to.equal(undefined);
  });
  it('reads the exact burst from netlab\'s own options (TCA_TBF_BURST), not the tick-rounded one', () => {
    expect(decodeTbf(encodeTbf(tbfParams(1e9, 1500, 12345)))!.burstBytes).to.equal(12345);
    expect(dumpedBurst(1e9, 12345)).to.be.within(12345 - 125, 12344);
  });
});

describe('shaping plan: node classes', () => {
  const classes = planClasses({ interactive: { rateBps: 2e6, prio: 0 }, bulk: { rateBps: 1e6 } });

  it('places classes by sorted name from minor 0x11', () => {
    expect(classes.map((c) => [c.name, formatHandle(c.classid)])).to.deep.equal([['bulk', '1:11'], ['interactive', '1:12']]);
    expect(classes[0]!.classid).to.equal(0x00010011);
  });
  it('builds root, link class, default class 1:10 and one class per node class, each with a tbf at its ceiling', () => {
    const ops = planShaping({ rateBps: 10e6 }, 1500, { classes });
    expect(shape(ops)).to.deep.equal([
      'qdisc htb 1: parent root', 'class htb 1:1 parent 1:',
      'class htb 1:10 parent 1:1', 'qdisc tbf 110: parent 1:10',
      'class htb 1:11 parent 1:1', 'qdisc tbf 111: parent 1:11',
      'class htb 1:12 parent 1:1', 'qdisc tbf 112: parent 1:12',
    ]);
    expect(ops.filter((o) => o.kind === 'tbf').map((o) => decodeTbf(o.options)!.rateBytes * 8)).to.deep.equal([10e6, 1e6, 2e6]);
    expect(decodeHtbQdisc(ops[0]!.options)!.defaultMinor).to.equal(0x10);
  });
  it('gives unclassified traffic the link rate minus the classes, borrowing up to the link', () => {
    const ops = planShaping({ rateBps: 10e6 }, 1500, { classes });
    const def = decodeHtbClass(ops[2]!.options)!;
    expect([def.rateBytes * 8, def.ceilBytes * 8]).to.deep.equal([7e6, 10e6]);
    const bulk = decodeHtbClass(ops[4]!.options)!;
    expect([bulk.rateBytes * 8, bulk.ceilBytes * 8, bulk.prio]).to.deep.equal([1e6, 1e6, 3]);
    expect(decodeHtbClass(ops[6]!.options)!.prio).to.equal(0);
  });
  it('caps a class at the link rate', () => {
    const ops = planShaping({ rateBps: 1.5e6 }, 1500, { classes });
    const inter = decodeHtbClass(ops.find((o) => o.what.includes('interactive'))!.options)!;
    expect(decodeTbf(ops.find((o) => o.what === 'qdisc tbf 112:')!.options)!.rateBytes * 8).to.equal(1.5e6);
    expect([inter.rateBytes * 8, inter.ceilBytes * 8]).to.deep.equal([1.5e6, 1.5e6]);
  });
  it('leaves unclassified traffic unlimited (100 Gbit/s, no tbf) when the link has no rate', () => {
    const ops = planShaping({}, 1500, { classes });
    expect(decodeHtbClass(ops[1]!.options)!.rateBytes).to.equal(12.5e9);
    expect(shape(ops).filter((x) => x.includes('1:10'))).to.deep.equal(['class htb 1:10 parent 1:1']);
  });
  it('puts a netem leaf under every class when the link is impaired', () => {
    const ops = planShaping({ rateBps: 10e6, lossPercent: 2 }, 1500, { classes });
    expect(shape(ops).filter((s) => s.includes('netem'))).to.deep.equal([
      'qdisc netem 210: parent 110:1', 'qdisc netem 211: parent 111:1', 'qdisc netem 212: parent 112:1']);
  });
  it('adds the cls_cgroup filter on the root when asked', () => {
    const ops = planShaping({}, 1500, { classes, clsCgroup: true });
    expect(shape(ops).at(-1)).to.equal('filter cgroup 0:1 parent 1:');
  });
  it('rejects a class name unfit for a cgroup directory, a ceiling below the rate, and a bad prio', () => {
    expect(() => planClasses({ 'a/b': { rateBps: 1e6 } })).to.throw(TopologyError).with.property('path', 'classes.a/b');
    expect(() => planClasses({ bulk: { rateBps: 2e6, ceilBps: 1e6 } })).to.throw(TopologyError, /ceil/);
    expect(() => planClasses({ bulk: { rateBps: 2e6, prio: 8 } })).to.throw(TopologyError, /prio 8/);
  });
});

describe('shaping read: decoding what the kernel reports', () => {
  it('reads back a tbf shaping', () => {
    const { qdiscs, classes } = asDumped(planShaping({ rateBps: 10e6, burstBytes: 20000 }, 1500));
    const st = decodeTree(qdiscs, classes);
    expect(st.layout).to.equal('tbf');
    expect(st.shaping).to.deep.equal({ rateBps: 10e6, burstBytes: 20000 });
    expect(st.limitBytes).to.be.greaterThan(20000);
  });
  it('reads back rate and impairments from the htb+netem layout', () => {
    const want = { rateBps: 2e6, delayMs: 30, jitterMs: 5, lossPercent: 0.01 };
    const st = decodeTree(...Object.values(asDumped(planShaping(want, 1500))) as [TcObject[], TcObject[]]);
    expect(st.layout).to.equal('htb+netem');
    expect(st.shaping).to.include(want);
  });
  it('reads back node classes and an unlimited link as no rate', () => {
    const classes = planClasses({ bulk: { rateBps: 1e6 } });
    const st = decodeTree(...Object.values(asDumped(planShaping({}, 1500, { classes }))) as [TcObject[], TcObject[]]);
    expect(st.layout).to.equal('htb');
    expect(st.shaping.rateBps).to.equal(undefined);
    expect(st.classes.map((c) => [c.classid, c.rateBps])).to.deep.equal([['1:11', 1e6]]);
    expect(st.defaultClass!.classid).to.equal('1:10');
  });
  it('reports nothing installed for a kernel default root (handle 0)', () => {
    const zero = { sentBytes: 5, sentPackets: 1, dropped: 0, overlimits: 0, requeues: 0, backlogBytes: 0, backlogPackets: 0 };
    const st = decodeTree([{ object: 'qdisc', kind: 'noqueue', handle: 0, parent: TC_H_ROOT, counters: zero }], []);
    expect([st.layout, st.rootKind]).to.deep.equal(['none', 'noqueue']);
  });
  it('reports a root qdisc netlab did not build as foreign', () => {
    const zero = { sentBytes: 0, sentPackets: 0, dropped: 0, overlimits: 0, requeues: 0, backlogBytes: 0, backlogPackets: 0 };
    const st = decodeTree([{ object: 'qdisc', kind: 'fq_codel', handle: 0x80010000, parent: TC_H_ROOT, counters: zero }], []);
    expect([st.layout, st.rootKind]).to.deep.equal(['foreign', 'fq_codel']);
  });
});

describe('shaping merge: netlab link set', () => {
  it('replaces given values and keeps the others', () => {
    expect(mergeShaping({ rateBps: 10e6, delayMs: 20 }, { rateBps: 2e6 })).to.deep.equal({ rateBps: 2e6, delayMs: 20 });
  });
  it('removes a value set to 0, with what depends on it', () => {
    expect(mergeShaping({ lossPercent: 1, lossCorrelationPercent: 25, delayMs: 5 }, { lossPercent: 0 })).to.deep.equal({ delayMs: 5 });
    expect(mergeShaping({ rateBps: 1e6, burstBytes: 9000 }, { rateBps: 0 })).to.deep.equal({});
  });
  it('starts from nothing on reset', () => {
    expect(mergeShaping({ rateBps: 1e6, lossPercent: 3 }, { delayMs: 7 }, true)).to.deep.equal({ delayMs: 7 });
  });
});

describe('shaping format: in words, as tc writes it', () => {
  it('describes rate, delay with jitter and correlation, and a fractional loss', () => {
    expect(describeShaping({ rateBps: 10e6, delayMs: 30, jitterMs: 5, delayCorrelationPercent: 25, lossPercent: 0.01 }))
      .to.equal('rate 10Mbit delay 30ms 5ms 25% loss 0.01%');
  });
  it('says none for an empty shaping', () => {
    expect(describeShaping({})).to.equal('none');
    expect(describeShaping({ rateBps: 8e12 })).to.equal('rate 8Tbit');
  });
  it('writes odd rates without rounding them away', () => {
    expect(describeShaping({ rateBps: 1.5e6 })).to.equal('rate 1.5Mbit');
    expect(describeShaping({ rateBps: 64e3 })).to.equal('rate 64Kbit');
  });
});
