/**
 * The tc encoders, checked field by field and against what iproute2's tc 6.1
 * sent for the same command (test/unit/shaping-fixtures/tc-messages.json,
 * recorded with capture-tc.mjs).
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TopologyError } from '../../src/errors.js';
import { loadDistribution, tcLibDirs } from '../../src/shaping/distribution.js';
import { encodeCgroupFilter, filterInfo } from '../../src/shaping/filter.js';
import { decodeHtbClass, decodeHtbQdisc, encodeHtbClass, encodeHtbQdisc, htbClassParams } from '../../src/shaping/htb.js';
import { decodeNetem, encodeNetem, netemParams, netemToShaping } from '../../src/shaping/netem.js';
import { attrMap } from '../../src/net/nlattr.js';
import { decodeTbf, encodeTbf, tbfParams } from '../../src/shaping/tbf.js';
import { parseHandle, percentToU32, u32ToPercent } from '../../src/shaping/tcmath.js';

const here = dirname(fileURLToPath(import.meta.url));
// Tests run from dist/test/unit; the fixtures stay in the source tree.
const fixtureFile = [join(here, 'shaping-fixtures/tc-messages.json'), join(here, '../../../test/unit/shaping-fixtures/tc-messages.json')].find(existsSync)!;
interface Captured { command: string; message: string; flags: number; tcm: { handle: number; parent: number; info: number }; kind: string; options: string }
const captured: Captured[] = JSON.parse(readFileSync(fixtureFile, 'utf8')).messages;

function tc(fragment: string): Captured {
  const m = captured.find((c) => c.command.includes(fragment));
  if (!m) throw new Error(`no captured tc message for "${fragment}"`);
  return m;
}
function tcOptions(fragment: string): Buffer {
  return Buffer.from(tc(fragment).options, 'hex');
}

describe('shaping encoders: tbf', () => {
  it('encodes 10 Mbit/s exactly as tc does (parms, burst, rate table)', () => {
    const ours = encodeTbf({ rateBytes: 1_250_000, burstBytes: 5000, limitBytes: 130000 });
    expect(ours.toString('hex')).to.equal(tc('tbf rate 10mbit burst 5000').options);
  });
  it('encodes 1 Mbit/s exactly as tc does', () => {
    expect(encodeTbf({ rateBytes: 125_000, burstBytes: 3028, limitBytes: 15528 }).toString('hex')).to.equal(tc('tbf rate 1mbit').options);
  });
  it('adds TCA_TBF_RATE64 above 2^32 bytes/s (40 Gbit/s) and saturates the 32-bit rate, as tc does', () => {
    const ours = encodeTbf({ rateBytes: 5e9, burstBytes: 20_000_000, limitBytes: 500_000_000 });
    // One deliberate difference: tc 6.1 computes tc_tbf_qopt.buffer from the saturated
    // 32-bit rate (q_tbf.c: tc_calc_xmittime(opt.rate.rate, ...)); netlab uses the real
    // rate. The kernel takes the bucket from TCA_TBF_BURST anyway.
    const theirs = tcOptions('tbf rate 40gbit');
    expect(ours.readUInt32LE(4 + 28)).to.equal(62500); // 20 MB at 5 GB/s = 4 ms
    theirs.writeUInt32LE(62500, 4 + 28);
    expect(ours.toString('hex')).to.equal(theirs.toString('hex'));
    const a = attrMap(ours);
    expect(Number(a.get(4)!.readBigUInt64LE(0))).to.equal(5e9);
    expect(a.get(1)!.readUInt32LE(8)).to.equal(0xffffffff);
  });
  it('encodes 8 Tbit/s, netlab\'s maximum, with its 10-ms bucket clamped to TCA_TBF_BURST\'s 32 bits', () => {
    const p = tbfParams(8e12, 1500);
    expect(p.burstBytes).to.equal(0xffffffff);
    const a = attrMap(encodeTbf(p));
    expect(a.get(6)!.readUInt32LE(0)).to.equal(0xffffffff);
    expect(Number(a.get(4)!.readBigUInt64LE(0))).to.equal(1e12);
  });
  it('refuses a rate above 8 Tbit/s or a burst above 2^32 - 1 bytes instead of overflowing the encoding', () => {
    expect(() => tbfParams(1e24, 1500, undefined, undefined, 'links[0].shaping')).to.throw(TopologyError, "above netlab's maximum");
    expect(() => tbfParams(1e9, 1500, 5 * 2 ** 30)).to.throw(TopologyError, 'burst 5368709120 bytes');
    expect(() => htbClassParams(1e9, 1e20, 1500)).to.throw(TopologyError, "above netlab's maximum");
  });
  it('leaves RATE64 out at 10 Gbit/s, where the rate still fits 32 bits', () => {
    expect(attrMap(encodeTbf(tbfParams(10e9, 1500))).has(4)).to.equal(false);
  });
  it('lays out tc_tbf_qopt field by field: rate spec, limit, buffer ticks', () => {
    const parms = attrMap(encodeTbf({ rateBytes: 1_250_000, burstBytes: 5000, limitBytes: 130000 })).get(1)!;
    expect(parms.length).to.equal(36);
    expect(parms.readUInt8(0)).to.equal(3); // cell_log for tc's 2047-byte table
    expect(parms.readUInt8(1)).to.equal(1); // TC_LINKLAYER_ETHERNET
    expect(parms.readInt16LE(4)).to.equal(-1); // cell_align
    expect(parms.readUInt32LE(8)).to.equal(1_250_000);
    expect(parms.readUInt32LE(24)).to.equal(130000);
    expect(parms.readUInt32LE(28)).to.equal(62500); // 5000 B at 1.25 MB/s = 4 ms = 62500 ticks of 64 ns
  });
  it('makes the default burst at least two frames and at least 10 ms at the rate', () => {
    expect(tbfParams(1e6, 1500).burstBytes).to.equal(3028);
    expect(tbfParams(10e6, 1500).burstBytes).to.equal(12500);
    expect(tbfParams(100e6, 1500).burstBytes).to.equal(125000);
  });
  it('never computes a zero limit at small rates (float arithmetic)', () => {
    const p = tbfParams(8000, 1500);
    expect(p.limitBytes).to.be.greaterThan(p.burstBytes);
    expect(p.limitBytes).to.be.at.least(10 * 1514);
  });
  it('turns a queue limit in packets into bytes of full frames', () => {
    expect(tbfParams(10e6, 1500, undefined, 50).limitBytes).to.equal(50 * 1514);
  });
  it('keeps the bucket at least one full frame even when a smaller burst is asked', () => {
    expect(tbfParams(10e6, 1500, 100).burstBytes).to.equal(1514);
  });
  it('rejects a rate below 8 bit/s with the key path', () => {
    expect(() => tbfParams(4, 1500, undefined, undefined, 'links[0]')).to.throw(TopologyError, /below 8 bit\/s/).with.property('path', 'links[0].rate');
  });
  it('rejects a rate too low for its bucket instead of overflowing the kernel ticks', () => {
    expect(() => tbfParams(80, 1500)).to.throw(TopologyError, /too low/);
  });
  it('decodes what it encodes (burst within a byte)', () => {
    const p = tbfParams(40e9, 1500);
    const d = decodeTbf(encodeTbf(p))!;
    expect(d.rateBytes).to.equal(p.rateBytes);
    expect(d.limitBytes).to.equal(p.limitBytes);
    expect(Math.abs(d.burstBytes - p.burstBytes)).to.be.at.most(1);
  });
});

describe('shaping encoders: htb', () => {
  it('encodes the qdisc (default class 10) exactly as tc does', () => {
    expect(encodeHtbQdisc({ defaultMinor: 0x10 }).toString('hex')).to.equal(tc('htb default 10').options);
  });
  it('encodes a class exactly as tc does (parms, rate and ceil tables)', () => {
    const ours = encodeHtbClass({ rateBytes: 1_250_000, ceilBytes: 1_250_000, burstBytes: 5000, cburstBytes: 5000, quantum: 12500, prio: 3 });
    expect(ours.toString('hex')).to.equal(tc('classid 1:1 htb rate 10mbit').options);
  });
  it('encodes a class with ceil above rate exactly as tc does', () => {
    const ours = encodeHtbClass({ rateBytes: 125_000, ceilBytes: 250_000, burstBytes: 3028, cburstBytes: 3028, quantum: 3028, prio: 0 });
    expect(ours.toString('hex')).to.equal(tc('classid 1:11 htb rate 1mbit ceil 2mbit').options);
  });
  it('adds RATE64 and CEIL64 at 100 Gbit/s exactly as tc does', () => {
    const ours = encodeHtbClass({ rateBytes: 12.5e9, ceilBytes: 12.5e9, burstBytes: 50_000_000, cburstBytes: 50_000_000, quantum: 200000, prio: 3 });
    expect(ours.toString('hex')).to.equal(tc('htb rate 100gbit').options);
  });
  it('sets an explicit quantum between one frame and 200000 bytes', () => {
    expect(htbClassParams(64e3, 64e3, 1500).quantum).to.equal(1514);
    expect(htbClassParams(1e6, 1e6, 1500).quantum).to.equal(12500);
    expect(htbClassParams(10e6, 10e6, 1500).quantum).to.equal(125000);
    expect(htbClassParams(10e9, 10e9, 1500).quantum).to.equal(200000);
  });
  it('rejects a ceiling below the rate and a prio outside 0..7', () => {
    expect(() => htbClassParams(2e6, 1e6, 1500, 3, undefined, 'nodes.r1.classes.bulk')).to.throw(TopologyError, /ceil/)
      .with.property('path', 'nodes.r1.classes.bulk.ceil');
    expect(() => htbClassParams(1e6, 1e6, 1500, 9)).to.throw(TopologyError, /prio 9/);
  });
  it('decodes class and qdisc options', () => {
    const p = htbClassParams(3e6, 5e6, 1500, 1);
    const d = decodeHtbClass(encodeHtbClass(p))!;
    expect([d.rateBytes, d.ceilBytes, d.prio, d.quantum]).to.deep.equal([375000, 625000, 1, p.quantum]);
    expect(decodeHtbQdisc(encodeHtbQdisc({ defaultMinor: 1 }))!.defaultMinor).to.equal(1);
  });
});

describe('shaping encoders: netem', () => {
  const full = { delayMs: 30, jitterMs: 5, delayCorrelationPercent: 25, lossPercent: 0.01, lossCorrelationPercent: 50,
    duplicatePercent: 1, corruptPercent: 0.1, reorderPercent: 25, reorderCorrelationPercent: 50 };

  it('fills tc_netem_qopt as tc does: latency and jitter ticks, limit, loss, gap, duplicate', () => {
    const ours = encodeNetem(netemParams(full, 1000));
    const theirs = tcOptions('netem limit 1000 delay 30ms');
    expect(ours.subarray(0, 24).toString('hex')).to.equal(theirs.subarray(0, 24).toString('hex'));
    expect(ours.readUInt32LE(0)).to.equal(468750); // 30 ms in 64-ns ticks
    expect(ours.readUInt32LE(12)).to.equal(1); // gap 1 with reorder, like tc
  });
  it('sends the same correlation, reorder and corrupt structs as tc', () => {
    const ours = attrMap(encodeNetem(netemParams(full, 1000)).subarray(24));
    const theirs = attrMap(tcOptions('netem limit 1000 delay 30ms').subarray(24));
    for (const t of [1, 3, 4]) expect(ours.get(t)!.toString('hex'), `attribute ${t}`).to.equal(theirs.get(t)!.toString('hex'));
  });
  it('sends the delay and jitter in nanoseconds (LATENCY64, JITTER64)', () => {
    const a = attrMap(encodeNetem(netemParams({ delayMs: 30.5, jitterMs: 0.25 }, 1000)).subarray(24));
    expect(Number(a.get(10)!.readBigInt64LE(0))).to.equal(30_500_000);
    expect(Number(a.get(11)!.readBigInt64LE(0))).to.equal(250_000);
  });
  it('keeps a loss of 0.01 % exactly: 429497 / 2^32, as tc scales it, and reads back 0.01', () => {
    const ours = encodeNetem(netemParams({ lossPercent: 0.01 }, 1000));
    expect(ours.readUInt32LE(8)).to.equal(tcOptions('root handle 1: netem loss 0.01%').readUInt32LE(8));
    expect(ours.readUInt32LE(8)).to.equal(429497);
    expect(netemToShaping(decodeNetem(ours)!).lossPercent).to.equal(0.01);
  });
  it('scales 100 % to 2^32 - 1 and 0 to 0', () => {
    expect(percentToU32(100)).to.equal(0xffffffff);
    expect(percentToU32(0)).to.equal(0);
    expect(u32ToPercent(percentToU32(33.3))).to.equal(33.3);
  });
  it('sends zero correlation, reorder and corrupt structs so that a change really clears them', () => {
    const a = attrMap(encodeNetem(netemParams({ delayMs: 10 }, 1000)).subarray(24));
    for (const t of [1, 3, 4]) expect([...a.get(t)!].every((b) => b === 0), `attribute ${t}`).to.equal(true);
  });
  it('sends the normal distribution table byte for byte as tc does', function () {
    let table: Int16Array | undefined;
    try { table = loadDistribution('normal'); } catch {
      process.stdout.write(`      skipped: no normal.dist in ${tcLibDirs().join(', ')} (iproute2 not installed)\n`);
      this.skip();
    }
    const ours = attrMap(encodeNetem(netemParams({ delayMs: 100, jitterMs: 10, distribution: 'normal' }, 1000, table)).subarray(24));
    const theirs = attrMap(tcOptions('distribution normal').subarray(24));
    expect(ours.get(2)!.equals(theirs.get(2)!)).to.equal(true);
  });
  it('rejects reorder without delay and a distribution without jitter, as tc-netem(8) requires', () => {
    expect(() => netemParams({ reorderPercent: 5 }, 1000, undefined, 'links[1]')).to.throw(TopologyError, /needs a delay/).with.property('path', 'links[1].reorder');
    expect(() => netemParams({ delayMs: 10, distribution: 'pareto' }, 1000)).to.throw(TopologyError, /no jitter/);
  });
  it('rejects percentages outside 0..100', () => {
    expect(() => netemParams({ lossPercent: 101 }, 1000)).to.throw(TopologyError, /outside 0..100/);
  });
  it('decodes every impairment back to the Shaping it came from', () => {
    const back = netemToShaping(decodeNetem(encodeNetem(netemParams(full, 1000)))!);
    expect(back).to.deep.equal(full);
  });
});

describe('shaping encoders: the cgroup filter', () => {
  it('encodes the cls_cgroup filter (empty options, prio 1, protocol all) as tc does', () => {
    const t = tc('cgroup');
    expect(encodeCgroupFilter().toString('hex')).to.equal(t.options);
    expect(filterInfo(1)).to.equal(t.tcm.info);
    expect(t.tcm.parent).to.equal(parseHandle('1:'));
  });
});
