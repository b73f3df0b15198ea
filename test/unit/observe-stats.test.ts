import { expect } from 'chai';
import { bytes, formatStats } from '../../src/cli/stats.js';
import { memoryV1, memoryV2, parseBlkio, parseIoStat, parseKeyValues, parseProcStatus, procCpuTicks } from '../../src/observe/cgroup-read.js';
import { describeOomKill, oomKillsOf, parseOomRecords } from '../../src/observe/oom.js';
import { statsBetween, type LabSample } from '../../src/observe/stats.js';

describe('stats: reading cgroup files', () => {
  it('reads cpu.stat, memory.stat and memory.events as key/value lines', () => {
    const m = parseKeyValues('usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 0\n');
    expect(m.get('usage_usec')).to.equal(1234);
    expect(parseKeyValues('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n').get('oom_kill')).to.equal(2);
  });
  it('takes anon, file and kernel from a v2 memory.stat, summing the parts on kernels without "kernel"', () => {
    const withKernel = memoryV2(parseKeyValues('anon 100\nfile 200\nkernel 50\nslab 40\n'), 400, 'max\n');
    expect(withKernel).to.deep.equal({ anonBytes: 100, fileBytes: 200, kernelBytes: 50, totalBytes: 400, source: 'cgroup' });
    const parts = memoryV2(parseKeyValues('anon 1\nfile 2\nkernel_stack 3\npagetables 4\npercpu 5\nsock 6\nslab 7\n'), 30, '268435456\n');
    expect(parts.kernelBytes).to.equal(25);
    expect(parts.limitBytes).to.equal(268435456);
  });
  it('takes total_rss, total_cache and kmem from a v1 memory cgroup, and no limit from v1\'s "unlimited"', () => {
    const m = memoryV1(parseKeyValues('cache 1\nrss 2\ntotal_cache 10\ntotal_rss 20\n'), 40, 5, '9223372036854771712\n');
    expect(m).to.deep.equal({ anonBytes: 20, fileBytes: 10, kernelBytes: 5, totalBytes: 40, source: 'cgroup' });
  });
  it('sums block I/O over devices: v2 io.stat and v1 blkio (Total lines left out)', () => {
    expect(parseIoStat('254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n8:0 rbytes=1 wbytes=2 rios=3 wios=4\n'))
      .to.deep.equal({ readBytes: 4097, writeBytes: 2, readOps: 4, writeOps: 4 });
    expect(parseBlkio('254:0 Read 4096\n254:0 Write 512\n254:0 Sync 0\n254:0 Total 4608\nTotal 4608\n')).to.deep.equal({ read: 4096, write: 512 });
  });
  it('reads resident memory and CPU ticks of a process from /proc', () => {
    expect(parseProcStatus('Name:\tzebra\nRssAnon:\t    2048 kB\nRssFile:\t    1024 kB\nRssShmem:\t       4 kB\n')).to.deep.equal({ anon: 2097152, file: 1052672 });
    expect(procCpuTicks('42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 12345 1000 10')).to.equal(10);
  });
});

describe('stats: OOM kills from the kernel log', () => {
  const log = [
    '6,100,5000000,-;eth1: link up',
    '4,101,7000000,-;zebra invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
    '6,102,7000100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/netlab/tri/r3,task_memcg=/netlab/tri/r3,task=zebra,pid=4242,uid=0',
    '6,103,8000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/netlab/other/r3,task_memcg=/netlab/other/r3,task=bgpd,pid=1,uid=0',
    '6,104,9000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/netlab/tri/h1,task_memcg=/netlab/tri/h1/class-bulk,task=iperf3,pid=77,uid=0',
  ].join('\n');
  it('finds the kills of one lab\'s nodes, with process, PID and time, and none of another lab', () => {
    const kills = oomKillsOf(parseOomRecords(log), 'tri', Date.UTC(2026, 0, 1, 12, 0, 0));
    expect(kills).to.deep.equal([
      { node: 'r3', process: 'zebra', pid: 4242, at: '2026-01-01T12:00:07.000Z' },
      { node: 'h1', process: 'iperf3', pid: 77, at: '2026-01-01T12:00:09.000Z' },
    ]);
  });
  it('says it as status prints it: "zebra killed by the OOM killer at HH:MM:SS"', () => {
    const at = new Date(2026, 0, 1, 12, 1, 7);
    expect(describeOomKill({ node: 'r3', process: 'zebra', pid: 1, at: at.toISOString() })).to.equal('zebra killed by the OOM killer at 12:01:07');
  });
});

describe('stats: rates from two samples', () => {
  const counters = (cpuUsec: number, frozen = false) => ({
    cpuUsec, cpuSource: 'cgroup' as const, memory: { anonBytes: 1, fileBytes: 2, kernelBytes: 3, totalBytes: 6, source: 'cgroup' as const },
    pids: { current: 5, max: 1024 }, io: { readBytes: 0, writeBytes: 4096, readOps: 0, writeOps: 1 }, oomKills: 0, frozen,
  });
  const iface = (rxBytes: number, rxPackets: number, qdiscDropped = 0) => ({ name: 'eth1', rxBytes, txBytes: 0, rxPackets, txPackets: 0, rxDropped: 0, txDropped: 0, qdiscDropped });
  const a: LabSample = { lab: 'tri', atMs: 1000, nodes: [
    { node: 'r1', kind: 'frr', state: 'running', counters: counters(1_000_000), interfaces: [iface(1000, 10)] },
    { node: 'r2', kind: 'frr', state: 'running', counters: counters(0), interfaces: [] },
  ] };
  const b: LabSample = { lab: 'tri', atMs: 3000, nodes: [
    { node: 'r1', kind: 'frr', state: 'running', counters: counters(1_500_000, true), interfaces: [iface(5000, 50, 4)] },
    { node: 'r2', kind: 'frr', state: 'dead', interfaces: [] },
  ] };
  it('gives CPU % of one CPU, bytes/packets/drops per second, and paused and dead nodes as such', () => {
    const s = statsBetween(a, b);
    expect(s.intervalMs).to.equal(2000);
    const r1 = s.nodes[0]!;
    expect(r1.state).to.equal('paused');
    expect(r1.cpuPercent).to.be.closeTo(25, 1e-9);
    expect(r1.interfaces[0]).to.include({ rxBytesPerS: 2000, rxPacketsPerS: 20, dropsPerS: 2 });
    expect(r1.io).to.include({ writeBytesPerS: 0, writeBytes: 4096 });
    expect(s.nodes[1]).to.include({ state: 'dead' });
  });
  it('has no CPU % and zero rates from a single sample, and prints "-" for what it lacks', () => {
    const s = statsBetween(undefined, a);
    expect(s.nodes[0]!.cpuPercent).to.equal(undefined);
    expect(s.nodes[0]!.interfaces[0]!.rxBytesPerS).to.equal(0);
    const text = formatStats(statsBetween(a, b));
    expect(text).to.match(/^r1 +frr +paused +25\.0%/m).and.match(/^r2 +frr +dead/m).and.match(/eth1 +rx +2\.0KiB\/s +20\.0 pkt\/s/);
  });
  it('writes sizes in binary units', () => {
    expect([bytes(undefined), bytes(512), bytes(1536), bytes(10 * 1024 ** 2)]).to.deep.equal(['-', '512B', '1.5KiB', '10.0MiB']);
  });
});
