/**
 * Node traffic classes end to end: two iperf3 flows leave the same namespace
 * over a 10 Mbit/s link, one in class `bulk` (1 Mbit/s), one unclassified;
 * each is measured at its receiver. Run once per classification path this
 * host offers: net_cls + nft (the default here), net_cls + iptables (the
 * fallback), cgroup v2 + nft socket match (what pure-v2 hosts use; this hybrid
 * host has a v2 tree too).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, readText, requireRoot, skip } from '../helpers/kernel.js';
import { readHostCgroups } from '../../src/shaping/cgroups.js';
import { applyClasses, classCgroupProcs, removeClasses, type ClassesRecord } from '../../src/shaping/classes.js';
import { readShaping } from '../../src/shaping/read.js';
import { applyShaping } from '../../src/shaping/apply.js';
import { around, iperf, makeBed, tcpGoodputMbps, type Bed, type Rate } from './shaping-lab.js';

const LINK = 10e6;
const lab = `shtest${process.pid}`;

/** Both flows at once; the bulk one joins its class before it opens a socket. */
async function twoFlows(bed: Bed, record: ClassesRecord): Promise<{ bulk: Rate; other: Rate }> {
  const procs = classCgroupProcs(record, 'n1', 'bulk');
  const [bulk, other] = await Promise.all([
    iperf(bed.a, bed.b.addr, 5201, 7, { procs }),
    iperf(bed.a, bed.b.addr, 5202, 7),
  ]);
  return { bulk, other };
}

describe('shaping: node classes (net_cls / cgroup v2 classification)', function () {
  leakcheckAround({ labs: [] });

  for (const variant of [
    { name: 'net_cls and nft meta cgroup', prefer: 'net_cls' as const, rules: ['nft' as const], classifier: 'nft' },
    { name: 'net_cls and the iptables cgroup match (fallback)', prefer: 'net_cls' as const, rules: ['iptables' as const], classifier: 'iptables' },
    { name: 'cgroup v2 and nft socket cgroupv2', prefer: 'cgroup2' as const, rules: ['nft' as const], classifier: 'nft' },
  ]) {
    describe(`with ${variant.name}`, function () {
      let bed: Bed;
      let runDir = '';
      let record: ClassesRecord | undefined;

      before(async function () {
        requireRoot(this);
        const host = readHostCgroups();
        if (variant.prefer === 'cgroup2' && !host.cgroup2Mount) skip(this, 'this host has no cgroup2 hierarchy mounted');
        if (variant.prefer === 'net_cls' && !host.netClsMount && !host.netClsAvailable) skip(this, 'this kernel has no net_cls (CONFIG_CGROUP_NET_CLASSID)');
        runDir = mkdtempSync(join(tmpdir(), 'netlab-shaping-'));
        bed = await makeBed(['nlsh-ca', 'nlsh-cb'], ['10.80.0.1', '10.80.0.2']);
        await bed.iperfServer(bed.b, 5201);
        await bed.iperfServer(bed.b, 5202);
        record = await applyClasses({
          lab, runDir, prefer: variant.prefer, ruleClassifiers: variant.rules,
          nodes: [{ node: 'n1', netnsPath: bed.a.netnsPath, rtnl: bed.a.rtnl, classes: { bulk: { rateBps: 1e6 } },
            interfaces: [{ ifindex: bed.a.ifindex, label: 'n1:nlsh-ca', shaping: { rateBps: LINK } }] }],
        });
      });
      after(async function () {
        if (record) await removeClasses(record, bed ? new Map([['n1', bed.a.rtnl]]) : undefined);
        await bed?.close();
        if (runDir) rmSync(runDir, { recursive: true, force: true });
      });

      it('records which hierarchy and classifier it uses', function () {
        const h = record!.hierarchy;
        expect(h.mode).to.equal(variant.prefer);
        expect(record!.nodes[0]!.classifier).to.equal(variant.classifier);
        if (h.mode === 'net_cls' && h.mountedByNetlab) expect(h.root).to.equal(join(runDir, 'net_cls'));
        const dir = record!.nodes[0]!.cgroups.bulk!;
        expect(dir.endsWith(`netlab/${lab}/n1/class-bulk`)).to.equal(true);
        if (h.mode === 'net_cls') expect(readText(join(dir, 'net_cls.classid'))).to.equal(String(0x00010011));
      });

      it('installs the classification rule in the node\'s namespace', function () {
        const text = variant.classifier === 'nft'
          ? bed.a.sh('nft', ['list', 'table', 'inet', 'netlab_classes']).stdout
          : bed.a.sh('iptables', ['-w', '-t', 'mangle', '-S', 'NETLAB_CLASSES']).stdout;
        expect(text).to.match(variant.classifier === 'iptables' ? /CLASSIFY --set-class 0?001:0?011/ : /meta priority set 1:11/);
      });

      it('gives the bulk flow its class rate (1 Mbit/s) and the unclassified flow the rest of the link (9 Mbit/s), each within 5 % of that rate\'s TCP goodput', async function () {
        // The rates are what tc counts (Ethernet frames); iperf3 measures payload,
        // 4.4 % less (tcpGoodputMbps). Bounding 8.61 Mbit/s of goodput by 9 Mbit/s
        // - 5 % left 0.7 % of room, and a CI run at 8.52 failed on that alone.
        const bulkIn = around(tcpGoodputMbps(1e6), 0.05);
        const otherIn = around(tcpGoodputMbps(LINK - 1e6), 0.05);
        const show = (r: Rate): string => `${r.mbps.toFixed(3)} Mbit/s [${r.intervals.map((v) => v.toFixed(2)).join(' ')}]`;
        const ok = (f: { bulk: Rate; other: Rate }): boolean =>
          f.bulk.mbps >= bulkIn[0] && f.bulk.mbps <= bulkIn[1] && f.other.mbps >= otherIn[0] && f.other.mbps <= otherIn[1];
        let flows = await twoFlows(bed, record!);
        process.stdout.write(`      measured bulk ${show(flows.bulk)}, unclassified ${show(flows.other)}\n`);
        if (!ok(flows)) {
          // Once more, whatever the cause (the bounds never move): a wrong
          // classification misses both runs, a stall of the host one.
          process.stdout.write(`      outside bulk ${bulkIn.join('..')} / unclassified ${otherIn.join('..')}${flows.bulk.starved || flows.other.starved ? ' on a CPU-starved run' : ''}; measuring once more\n`);
          flows = await twoFlows(bed, record!);
          process.stdout.write(`      measured bulk ${show(flows.bulk)}, unclassified ${show(flows.other)} (retry)\n`);
        }
        expect(flows.bulk.mbps, 'bulk').to.be.within(...bulkIn);
        expect(flows.other.mbps, 'unclassified').to.be.within(...otherIn);
        const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
        expect(st.classes[0]!.counters.sentPackets, 'packets through class 1:11').to.be.greaterThan(100);
      });

      it('removes rules, classes, cgroups and its mount, and leaves the link rate', async function () {
        const r = record!;
        record = undefined;
        await removeClasses(r, new Map([['n1', bed.a.rtnl]]));
        const st = await readShaping(bed.a.rtnl, bed.a.ifindex);
        expect([st.layout, st.shaping.rateBps]).to.deep.equal(['tbf', LINK]);
        expect(bed.a.sh('nft', ['list', 'table', 'inet', 'netlab_classes']).status).not.to.equal(0);
        expect(readText(join(r.nodes[0]!.cgroups.bulk!, 'cgroup.procs'))).to.equal('');
        if (r.hierarchy.mountedByNetlab) expect(readText('/proc/self/mountinfo')).not.to.contain(` ${r.hierarchy.root} `);
        await applyShaping(bed.a.rtnl, bed.a.ifindex, {}, 'n1:nlsh-ca');
      });
    });
  }
});
