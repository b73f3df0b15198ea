import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST, SEGMENTS, type Action, type Plan } from '../../src/graph/actions.js';
import { describeAction, formatPlan } from '../../src/graph/plan-text.js';
import { ALL_SPF_ROUTERS, LEARNED_NEIGHBOURS_MAX, plan, planNeighbours } from '../../src/graph/plan.js';
import { describeRoute, parseRouteString } from '../../src/topology/routes.js';
import { describeShaping } from '../../src/topology/shaping.js';
import type { RouteSpec } from '../../src/topology/types.js';
import { fixtures } from './topology-fixtures.js';
import { loadTopology } from '../../src/lab/load.js';
import { kindCatalog } from '../../src/lab/load.js';

const good = (name: string): Plan => plan(loadTopology(join(fixtures, 'good', `${name}.yaml`), { env: {} }), kindCatalog());
const ops = (p: Plan, phase: string): Action[] => p.phases.find((x) => x.name === phase)?.actions ?? [];

describe('plan', () => {
  it('gives the point-to-point peers of a lab that would overflow the host\'s neighbour table permanent entries, and a small lab none', () => {
    const ring = (n: number, v6: boolean): string => ['name: big', ...(v6 ? ['addressing: { ipv6: 2001:db8::/48 }'] : []), 'nodes:',
      ...Array.from({ length: n }, (_, i) => `  n${i}: {}`), 'links:',
      ...Array.from({ length: n }, (_, i) => `  - [n${i}:eth1, n${(i + 1) % n}:eth2]`), '  - [n0:eth3, host:nlt0]'].join('\n');
    const small = plan(loadTopology({ text: ring(LEARNED_NEIGHBOURS_MAX / 2, false) }, { env: {} }), kindCatalog());
    expect(ops(small, 'addresses').filter((a) => a.op === 'neigh')).to.deep.equal([]);
    const t = loadTopology({ text: ring(LEARNED_NEIGHBOURS_MAX / 2 + 1, false) }, { env: {} });
    const neigh = ops(plan(t, kindCatalog()), 'addresses').filter((a) => a.op === 'neigh');
    expect(neigh).to.have.length(LEARNED_NEIGHBOURS_MAX + 2); // both ends of every node-to-node link; not the host link
    const n1 = t.nodes.find((n) => n.name === 'n1')!;
    const n0eth1 = t.nodes.find((n) => n.name === 'n0')!.interfaces.find((i) => i.name === 'eth1')!;
    expect(neigh).to.deep.include({ op: 'neigh', node: 'n1', iface: 'eth2', ip: n0eth1.ipv4!.split('/')[0], mac: n0eth1.mac });
    expect(neigh.every((a) => a.op === 'neigh' && a.ip.includes('.'))).to.equal(true);
    expect(n1.interfaces.find((i) => i.name === 'eth2')!.mac).to.not.equal(n0eth1.mac);
    // the entries come after every address of the phase
    const phase = ops(plan(t, kindCatalog()), 'addresses');
    expect(phase.findIndex((a) => a.op === 'neigh')).to.be.greaterThan(phase.map((a) => a.op).lastIndexOf('addr'));
    const v6 = planNeighbours(loadTopology({ text: ring(LEARNED_NEIGHBOURS_MAX / 2 + 1, true) }, { env: {} }));
    expect(v6.filter((a) => a.ip.includes(':'))).to.have.length(LEARNED_NEIGHBOURS_MAX + 2);
    expect(describeAction(neigh[0]!)).to.match(/^neigh n\d+ eth\d \S+ lladdr [0-9a-f:]{17} permanent$/);
  });

  it('counts the AllSPFRouters entry of every OSPF interface, and writes it permanent with the peers\' in a large lab', () => {
    // 171 links: 342 peer entries alone stay learned; with OSPF on every node, 342 group entries more pass the limit.
    const n = 171;
    const ring = (ospf: boolean): string => ['name: big', 'nodes:', ...Array.from({ length: n }, (_, i) => `  n${i}: ${ospf ? '{ kind: frr, ospf: { area: 0 } }' : '{}'}`), 'links:',
      ...Array.from({ length: n }, (_, i) => `  - [n${i}:eth1, n${(i + 1) % n}:eth2]`)].join('\n');
    expect(2 * n).to.be.at.most(LEARNED_NEIGHBOURS_MAX);
    expect(planNeighbours(loadTopology({ text: ring(false) }, { env: {} }))).to.deep.equal([]);
    const neigh = planNeighbours(loadTopology({ text: ring(true) }, { env: {} }));
    expect(neigh).to.have.length(4 * n);
    const group = neigh.filter((a) => a.ip === ALL_SPF_ROUTERS.ipv4.ip);
    expect(group).to.have.length(2 * n);
    expect(group).to.deep.include({ op: 'neigh', node: 'n1', iface: 'eth2', ip: '224.0.0.5', mac: '01:00:5e:00:00:05' });
    expect(new Set(group.map((a) => `${a.node}:${a.iface}`)).size).to.equal(2 * n);
  });

  it('runs phases in order and leaves empty ones out', () => {
    expect(good('triangle').phases.map((p) => p.name)).to.deep.equal(['nodes', 'sysctls', 'links', 'bridges', 'addresses', 'shaping', 'daemons', 'exec']);
    expect(good('features').phases.map((p) => p.name)).to.include.members(['routes', 'link-state']);
  });

  it('runs the exec lines of nodes that start nothing themselves alongside the daemons, the others after them, level by level', () => {
    const t = loadTopology({ text: [
      'name: x',
      'nodes:',
      '  r1: { kind: frr, ospf: { area: 0 }, exec: ["echo r1"] }',
      '  h1: { exec: ["ip route add 10.9.0.0/16 via 10.1.0.1"] }',
      '  h2: { exec: ["echo h2"], startup: [] }',
      '  h3: { exec: ["echo h3"], healthcheck: { test: "true" } }',
      '  h4: { exec: ["echo h4"], after: [r1] }',
      'links: [[r1:eth1, h1:eth1], [r1:eth2, h2:eth1], [r1:eth3, h3:eth1], [r1:eth4, h4:eth1]]',
    ].join('\n') }, { env: {} });
    const p = plan(t, kindCatalog());
    const run = p.phases.filter((x) => ['daemons', 'healthcheck', 'exec'].includes(x.name))
      .map((x) => `${x.name}${x.level !== undefined ? `@${x.level}` : ''}${x.alongside ? '+' : ''}: ${x.actions.map((a) => (a as { node: string }).node).join(' ')}`);
    expect(run).to.deep.equal(['daemons@0: r1', 'exec@0+: h1 h2', 'healthcheck@0: h3', 'exec@0: r1 h3', 'exec@1: h4']);
    expect(formatPlan(p)).to.match(/phase \d+\/\d+ exec \(start level 0\) \(alongside daemons\): 2 exec/);
  });

  it('starts every node, and the segment namespace only when there is a LAN', () => {
    expect(ops(good('triangle'), 'nodes').map((a) => a.op)).to.deep.equal(['node.start', 'node.start', 'node.start', 'node.start', 'segment.ns']);
    expect(ops(good('ospf'), 'nodes').some((a) => a.op === 'segment.ns')).to.equal(false);
  });

  it('writes sysctls before links: forwarding on routers, rp_filter off, DAD off with IPv6, user values last', () => {
    const p = good('triangle');
    expect(p.phases.findIndex((x) => x.name === 'sysctls')).to.be.below(p.phases.findIndex((x) => x.name === 'links'));
    const r1 = ops(p, 'sysctls').find((a) => a.op === 'sysctl' && a.node === 'r1') as Extract<Action, { op: 'sysctl' }>;
    expect(r1.values).to.include({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv6.conf.default.accept_dad': '0' });
    const h1 = ops(p, 'sysctls').find((a) => a.op === 'sysctl' && a.node === 'h1') as Extract<Action, { op: 'sysctl' }>;
    expect(h1.values).to.not.have.property('net.ipv4.ip_forward');
    const f = ops(good('features'), 'sysctls').find((a) => a.op === 'sysctl' && a.node === 'r1') as Extract<Action, { op: 'sysctl' }>;
    expect(Object.keys(f.values).at(-1)).to.equal('net.ipv4.conf.all.log_martians');
  });

  it('makes one veth per p2p link and one per LAN member, the LAN end on the segment bridge', () => {
    const veths = ops(good('triangle'), 'links').filter((a) => a.op === 'veth') as Extract<Action, { op: 'veth' }>[];
    expect(veths).to.have.length(6);
    const lan = veths.filter((v) => v.link === 2);
    expect(lan.map((v) => v.b)).to.deep.include({ node: SEGMENTS, iface: 's2e2', mac: lan[2]!.b.mac, mtu: 1500 });
    expect(ops(good('triangle'), 'bridges')).to.deep.equal([{ op: 'bridge', ns: SEGMENTS, name: 'lan2', ports: ['s2e0', 's2e1', 's2e2'], mtu: 1500, stp: false }]);
  });

  it('brings every node\'s link ends up before any address, also in a lab with no addresses at all', () => {
    const p = plan(loadTopology({ text: 'name: bare\naddressing: false\nnodes: [a, b, c]\nlinks: [[a:eth1, b:eth1], [b:eth2, c:eth1]]\n' }, { env: {} }), kindCatalog());
    expect(ops(p, 'addresses')).to.deep.equal([
      { op: 'ifup', node: 'a', ifaces: ['eth1'] }, { op: 'ifup', node: 'b', ifaces: ['eth1', 'eth2'] }, { op: 'ifup', node: 'c', ifaces: ['eth1'] }]);
    const addresses = ops(good('triangle'), 'addresses');
    const firstAddr = addresses.findIndex((a) => a.op === 'addr');
    expect(firstAddr).to.be.greaterThan(0);
    expect(addresses.slice(firstAddr).some((a) => a.op === 'ifup')).to.equal(false);
  });

  it('plans a host link with its host-side address', () => {
    const p = good('host-link');
    expect(ops(p, 'links').find((a) => a.op === 'host.link')).to.deep.include({ link: 1 });
    expect(ops(p, 'addresses')).to.deep.include({ op: 'addr', node: HOST, iface: 'nl-uplink', cidr: '10.1.0.3/31' });
  });

  it('makes each host bridge that host links join once, with the largest MTU of its links, before the links, and joins the ports after the bridges', () => {
    const t = loadTopology({ text: [
      'name: hb', 'nodes: { a: {}, b: {}, c: {} }', 'links:',
      '  - endpoints: [a:eth1, { node: host, iface: nlu-a, bridge: br-a }]',
      '  - endpoints: [b:eth1, { node: host, iface: nlu-b, bridge: br-b }]',
      '    mtu: 9000',
      '  - endpoints: [c:eth1, { node: host, iface: nlu-c, bridge: br-a }]',
      '    mtu: 4000',
      '',
    ].join('\n') }, { env: {} });
    const p = plan(t, kindCatalog());
    expect(ops(p, 'links').map((a) => (a.op === 'host.bridge' ? `${a.name}:${a.mtu}` : a.op))).to.deep.equal(
      ['br-b:9000', 'br-a:4000', 'host.link', 'host.link', 'host.link']);
    expect(ops(p, 'bridges')).to.deep.equal([
      { op: 'host.port', link: 0, iface: 'nlu-a', bridge: 'br-a' }, { op: 'host.port', link: 1, iface: 'nlu-b', bridge: 'br-b' },
      { op: 'host.port', link: 2, iface: 'nlu-c', bridge: 'br-a' }]);
  });

  it('adds loopbacks, default routes from gateways, qdiscs, link state and daemons', () => {
    const p = good('features');
    expect(ops(p, 'addresses')).to.deep.include({ op: 'addr', node: 'r1', iface: 'lo', cidr: '10.255.0.1/32' });
    expect(ops(p, 'routes')).to.deep.include({ op: 'route', node: 'h1', route: { prefix: '0.0.0.0/0', via: ['192.168.7.1'] } });
    expect(ops(p, 'shaping').filter((a) => a.op === 'qdisc')).to.have.length(2);
    expect(ops(p, 'link-state')).to.deep.equal([
      { op: 'link.state', node: 'r1', iface: 'eth2', up: false }, { op: 'link.state', node: 'h1', iface: 'eth1', up: false }]);
    expect(ops(p, 'daemons').map((a) => (a as { node: string }).node)).to.deep.equal(['r1', 'r2']);
  });

  it('prints one line per action grouped by phase, and summarises big phases', () => {
    const text = formatPlan(good('triangle'), { limit: 3 });
    expect(text).to.match(/^plan for lab triangle: 4 node\(s\), 4 link\(s\) \(1 LAN\)/);
    expect(text).to.contain('phase 3/8 links: 6 veth');
    expect(text).to.contain('  veth r1:eth1 <-> r2:eth1 mtu 1500 (link 0)');
    expect(text).to.contain('… and 3 more (--verbose lists all)');
    expect(formatPlan(good('triangle'), { verbose: true })).to.not.contain('more (--verbose');
  });

  it('writes qdiscs in the words of netlab link show and routes in the words the topology takes', () => {
    const text = formatPlan(good('features'), { verbose: true });
    expect(text).to.contain('  qdisc r1 eth2 rate 5Mbit delay 10ms 2ms distribution normal\n');
    expect(text).to.contain(`  qdisc r1 eth2 ${describeShaping({ rateBps: 5e6, delayMs: 10, jitterMs: 2, distribution: 'normal' })}\n`);
    expect(text).to.contain('  route r2 10.99.0.0/16 via 10.1.0.0\n');
  });

  it('describes a route so that it reads back as the same route (several next hops, dev, metric)', () => {
    const r = parseRouteString('10.2.0.0/16 via 10.1.0.1 via 10.1.0.3 dev eth1 metric 20');
    expect(describeRoute(r as RouteSpec)).to.equal('10.2.0.0/16 via 10.1.0.1 via 10.1.0.3 dev eth1 metric 20');
    expect(parseRouteString(describeRoute(r as RouteSpec))).to.deep.equal(r);
    expect(describeRoute({ prefix: '::/0', dev: 'eth2' })).to.equal('::/0 dev eth2');
  });
});

describe('netlab graph (CLI)', () => {
  const main = join(fixtures, '../../dist/src/cli/main.js');
  it('prints DOT for a good topology and exits 0', () => {
    const r = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml')], { encoding: 'utf8' });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^graph "triangle" \{/);
  });
  it('writes -o into a folder it makes, refuses an extension it cannot render, and a file in the way (exit 2, no stack trace)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-graph-'));
    try {
      const env = { ...process.env, NO_COLOR: '1' };
      const svg = join(dir, 'new', 'tri.svg');
      expect(spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '-o', svg], { encoding: 'utf8', env }).status).to.equal(0);
      expect(readFileSync(svg, 'utf8')).to.match(/^<svg/);
      const png = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '-o', join(dir, 'tri.png')], { encoding: 'utf8', env });
      expect(png.status).to.equal(2);
      expect(png.stderr).to.contain('error: -o: cannot tell the format from ".png"').and.contain('dot -Tpng');
      expect(existsSync(join(dir, 'tri.png'))).to.equal(false);
      const blocked = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '-o', join(svg, 'x.svg')], { encoding: 'utf8', env });
      expect(blocked.status).to.equal(2);
      expect(blocked.stderr).to.match(/error: -o: cannot write .*x\.svg: (ENOTDIR|EEXIST)/).and.not.contain('    at ');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('writes to standard output for -o -, and makes no file named "-"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-graph-'));
    try {
      const r = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '-o', '-', '--format', 'mermaid'], { encoding: 'utf8', cwd: dir });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^flowchart LR/);
      expect(existsSync(join(dir, '-'))).to.equal(false);
      const dot = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '-o', '-'], { encoding: 'utf8', cwd: dir });
      expect(dot.stdout).to.match(/^graph "triangle" \{/);
      expect(existsSync(join(dir, '-'))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('takes --format in any case: SVG, Html, DOT', () => {
    for (const [format, start] of [['SVG', /^<svg/], ['Html', /^<!DOCTYPE html>/i], ['DOT', /^graph "triangle"/]] as const) {
      const r = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'good/triangle.yaml'), '--format', format], { encoding: 'utf8' });
      expect(r.status, `${format}: ${r.stderr}`).to.equal(0);
      expect(r.stdout, format).to.match(start);
    }
  });
  it('exits 2 with the error path for a bad topology, without a stack trace', () => {
    const r = spawnSync(process.execPath, [main, 'graph', join(fixtures, 'bad/ifname-too-long.yaml')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('error: links[0][1]: interface name "eth-really-long-1" is 17 bytes');
    expect(r.stderr).to.not.contain('    at ');
  });
});
