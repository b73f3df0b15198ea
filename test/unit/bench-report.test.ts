import { expect } from 'chai';
import { checkLinks, sampleNodes, type Measurement, type Step } from '../../bench/measure.js';
import { ring } from '../../bench/topo-gen.js';
import { leakOfOurs } from '../../bench/host.js';
import { combine, fmtMs, growth, phaseTable, sizeTable, speedup } from '../../bench/report.js';
import { parseArgs, targets } from '../../bench/run.js';
import { parseProgress } from '../../bench/tool-netlab.js';

const step = (wallMs: number, phases: [string, number][] = []): Step => ({
  wallMs, cpuMs: wallMs / 2, hostCpuMs: wallMs, maxRssKiB: 100_000, phases: phases.map(([name, ms]) => ({ name, ms })),
});
const meas = (tool: Measurement['tool'], n: number, up: number, down: number, extra: Partial<Measurement> = {}): Measurement => ({
  tool, topo: 'ring', variant: '', asked: n, nodes: n, links: n, up: step(up), down: step(down),
  settledMs: 100, memPerNodeKiB: 1000, load1: 0.5, ...extra,
});

describe('bench report', () => {
  it('reads phase times from netlab\'s plain progress lines, in ms and s', () => {
    const stderr = 'nodes      1000/1000  812 ms\nlinks      1000/1000  1.23 s\nsome other line\naddresses   10/1000  5 ms\n';
    expect(parseProgress(stderr)).to.deep.equal([{ name: 'nodes', ms: 812 }, { name: 'links', ms: 1230 }]);
  });

  it('reads phase times from terminal progress with colours and a tick', () => {
    expect(parseProgress('\r\x1b[K\x1b[32m✓\x1b[39m nodes      10/10\x1b[2m  12 ms\x1b[22m\n')).to.deep.equal([{ name: 'nodes', ms: 12 }]);
  });

  it('gives netlab\'s speed-up as the other tool\'s time over netlab\'s', () => {
    expect(speedup(step(1000), step(12000))).to.equal(12);
    expect(speedup(null, step(1))).to.equal(null);
  });

  it('prints one row per tool with the speed-up of netlab over the others', () => {
    const t = sizeTable([meas('netlab', 500, 1000, 500), meas('mininet', 500, 12000, 15000), meas('floor', 500, 800, 400)]);
    expect(t).to.include('### ring, N = 500');
    expect(t).to.match(/\| mininet \| 12\.00 s \| 15\.00 s \|.*\| 12× \/ 30× \|/);
    expect(t).to.match(/\| floor \|.*\| 0\.8× \/ 0\.8× \|/);
  });

  it('shows a failed tool with its error instead of numbers', () => {
    const t = sizeTable([meas('netlab', 10, 1, 1), meas('mininet', 10, 0, 0, { up: null, down: null, error: 'up: boom' })]);
    expect(t).to.include('| mininet | failed: up: boom |');
  });

  it('folds repeated runs into their medians', () => {
    const [m] = combine([meas('netlab', 100, 300, 100), meas('netlab', 100, 100, 300), meas('netlab', 100, 200, 200)]);
    expect(m!.up!.wallMs).to.equal(200);
    expect(m!.down!.wallMs).to.equal(200);
  });

  it('puts the time outside netlab\'s phases in a column of its own', () => {
    const m = meas('netlab', 100, 1000, 500, { up: step(1000, [['nodes', 600], ['links', 300]]), down: step(500, [['stop', 400]]) });
    const t = phaseTable([m]);
    expect(t).to.include('up: nodes | up: links | up: outside phases');
    expect(t).to.include('| 100 | 1.00 s | 600 ms | 300 ms | 100 ms | 500 ms | 400 ms | 100 ms |');
  });

  it('fits a linear series and does not call it super-linear', () => {
    const g = growth([100, 500, 1000, 2000].map((n) => ({ n, ms: 200 + 2 * n })))!;
    expect(g.perNodeMs).to.be.closeTo(2, 1e-9);
    expect(g.fixedMs).to.be.closeTo(200, 1e-6);
    expect(g.superLinear).to.equal(false);
  });

  it('flags a quadratic series as super-linear', () => {
    const g = growth([100, 500, 1000, 2000].map((n) => ({ n, ms: 200 + n + n * n / 1000 })))!;
    expect(g.superLinear).to.equal(true);
    expect(g.marginal[2]!.exponent).to.be.greaterThan(1.2);
  });

  it('judges the issue\'s targets from the 1,000- and 500-node rings', () => {
    const lines = targets([meas('netlab', 1000, 2500, 2000), meas('netlab', 500, 1000, 1000), meas('mininet', 500, 12000, 9000)]);
    expect(lines[0]).to.match(/up ≤ 3 s: 2\.50 s — met/);
    expect(lines[1]).to.match(/down ≤ 1\.5 s: 2\.00 s — \*\*missed\*\*/);
    expect(lines[2]).to.match(/0\.98 MiB — met/);
    expect(lines[3]).to.match(/up 12\.0× .* met; down 9\.0× .* \*\*missed\*\*/);
  });

  it('parses the flags and refuses unknown ones', () => {
    const o = parseArgs(['--sizes', '500,100', '--tools=netlab,floor', '--repeat', '3', '--topologies', 'grid']);
    expect(o.sizes).to.deep.equal([100, 500]);
    expect(o.tools).to.deep.equal(['netlab', 'floor']);
    expect(o.repeat).to.equal(3);
    expect(o.topologies).to.deep.equal(['grid']);
    expect(() => parseArgs(['--tools', 'docker'])).to.throw(/docker/);
    expect(() => parseArgs(['--fast'])).to.throw(/unknown flag --fast/);
  });

  it('accepts a namespace whose links are all up with carrier', () => {
    const out = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n' +
      '2: eth1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n' +
      '5: eth2@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n';
    expect(checkLinks('n1', out, 2)).to.equal(null);
  });

  it('names the interfaces that are down or lack carrier, and a wrong count', () => {
    const out = '2: eth1@if3: <BROADCAST,MULTICAST,UP> mtu 1500 state UNKNOWN\n3: eth2@if6: <BROADCAST,MULTICAST> mtu 1500 state DOWN\n';
    expect(checkLinks('n1', out, 2)).to.equal('n1: eth1, eth2 not up (no UP or LOWER_UP)');
    expect(checkLinks('n1', out, 3)).to.match(/2 interfaces, expected 3/);
  });

  it('spot-checks the first, middle and last node with their interface counts', () => {
    expect(sampleNodes(ring(10))).to.deep.equal([{ node: 'n1', index: 0, ifaces: 2 }, { node: 'n6', index: 5, ifaces: 2 }, { node: 'n10', index: 9, ifaces: 2 }]);
  });

  it('ignores the session runner\'s cgroups in a leakcheck difference but keeps a lab\'s', () => {
    const head = 'leakcheck: host state differs from the snapshot (- before, + now):\n';
    expect(leakOfOurs(`${head}+/sys/fs/cgroup/memory/process_api/6951527e5aa7\n`)).to.equal(null);
    expect(leakOfOurs(`${head}+/sys/fs/cgroup/memory/process_api/69\n+nlbench-n1\n`)).to.match(/\+nlbench-n1$/);
  });

  it('formats durations as the CLI does', () => {
    expect([fmtMs(12.3), fmtMs(1234.5), fmtMs(null)]).to.deep.equal(['12 ms', '1.23 s', '—']);
  });
});
