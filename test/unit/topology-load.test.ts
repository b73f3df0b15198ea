import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { findInterface, findNode, kindCatalog as catalogOf, kindNames, type Topology } from '../../src/topology/index.js';
import { kindCatalog } from '../../src/daemons/registry.js';
import { macFor, macPrefix } from '../../src/topology/mac.js';
import { checkLabName } from '../../src/topology/names.js';
import { saveDir } from '../../src/lab/save.js';
import { fixtures } from './topology-fixtures.js';
import { loadTopology } from '../../src/lab/load.js';

const good = (name: string): Topology => loadTopology(join(fixtures, 'good', `${name}.yaml`), { env: {} });
const text = (yaml: string, env: Record<string, string> = {}): Topology => loadTopology({ text: yaml }, { env, checkFiles: false });
const fails = (yaml: string, env: Record<string, string> = {}): TopologyError => {
  try { text(yaml, env); } catch (e) { if (e instanceof TopologyError) return e; throw e; }
  throw new Error('expected a TopologyError');
};

describe('topology loading', () => {
  for (const f of readdirSync(join(fixtures, 'good')).filter((x) => x.endsWith('.yaml'))) {
    it(`loads the good example ${f}`, () => {
      const t = loadTopology(join(fixtures, 'good', f), { env: {} });
      expect(t.nodes.length).to.be.greaterThan(0);
    });
  }

  it('accepts containerlab\'s endpoints form unchanged', () => {
    const t = text('name: c\nnodes: { r1: {}, r2: {} }\nlinks:\n  - endpoints: ["r1:eth1","r2:eth1"]\n');
    expect(t.links[0]!.endpoints).to.deep.equal([{ node: 'r1', iface: 'eth1' }, { node: 'r2', iface: 'eth1' }]);
    expect(t.links[0]!.kind).to.equal('p2p');
  });

  it('runs a file under another lab name with the name option (netlab up --name), with MACs of that name', () => {
    const own = good('triangle');
    const copy = loadTopology(join(fixtures, 'good', 'triangle.yaml'), { env: {}, name: 't-triangle' });
    expect(copy.name).to.equal('t-triangle');
    expect(copy.nodes.map((n) => n.name)).to.deep.equal(own.nodes.map((n) => n.name));
    expect(copy.nodes[0]!.interfaces[0]!.mac).to.not.equal(own.nodes[0]!.interfaces[0]!.mac);
    expect(copy.renamed).to.equal(true);
    expect(own.renamed).to.equal(undefined);
    expect(loadTopology(join(fixtures, 'good', 'triangle.yaml'), { env: {}, name: own.name }).renamed, '--name of its own name').to.equal(undefined);
  });

  it('saves a lab run under another name into <lab>.saved next to the file, else <file>.saved', () => {
    expect(saveDir('triangle', '/labs/triangle.yaml')).to.equal('/labs/triangle.saved');
    expect(saveDir('t-triangle', '/labs/triangle.yaml', '/cwd', true)).to.equal('/labs/t-triangle.saved');
    expect(saveDir('fromtext', undefined, '/cwd')).to.equal('/cwd/fromtext.saved');
  });

  it('hints at quoting a ${VAR} inside { } when YAML reads its braces as its own', () => {
    const e = fails('name: f\nnodes: { r1: { env: { A: ${NOPE} } } }\n');
    expect(e.message).to.match(/^YAML syntax error/);
    expect(e.hint).to.equal('inside { } or [ ], quote a value that holds ${…}: A: "${VAR}"');
    expect(fails('name: f\nnodes: { r1: { env: { A: "${NOPE}" } } }\n').message).to.match(/NOPE\} is not set/);
  });

  it('suggests a valid name for a bad one, never another bad one', () => {
    for (const [bad, good] of [['../../etc', 'etc'], ['_abc', 'abc'], ['a.b', 'a-b'], ['a b', 'a-b'], ['...', 'triangle']]) {
      const p = checkLabName(bad);
      expect(p!.hint, bad).to.match(new RegExp(`e\\.g\\. ${good}\\)?$`));
      expect(checkLabName(good), good).to.equal(undefined);
    }
  });

  it('names the file in a YAML syntax error', () => {
    let err: unknown;
    try { loadTopology(join(fixtures, 'bad', 'yaml-syntax.yaml'), { env: {} }); } catch (e) { err = e; }
    expect((err as TopologyError).message).to.match(/YAML syntax error: .* \(yaml-syntax\.yaml\)$/);
  });

  it('refuses a bad name option, naming --name', () => {
    let err: unknown;
    try { loadTopology(join(fixtures, 'good', 'triangle.yaml'), { env: {}, name: 'no/slash' }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).path).to.equal('--name');
    expect((err as TopologyError).message).to.contain('lab name');
  });

  it('gives nodes 1-based ids in declaration order, also in the list form', () => {
    const t = text('name: ids\nnodes: [c, a, b]\n');
    expect(t.nodes.map((n) => [n.name, n.id])).to.deep.equal([['c', 1], ['a', 2], ['b', 3]]);
  });

  it('layers settings node → group → kind → defaults, merging mappings key by key', () => {
    const t = text(`name: layers
defaults: { env: { A: d, B: d, C: d, D: d }, exec: [from-defaults] }
kinds: { frr: { env: { B: k, C: k, D: k } } }
groups: { core: { kind: frr, env: { C: g, D: g } } }
nodes:
  r1: { group: core, env: { D: n } }
  h1: {}
`);
    const r1 = findNode(t, 'r1')!;
    expect(r1.kind).to.equal('frr');
    expect(r1.env).to.deep.equal({ A: 'd', B: 'k', C: 'g', D: 'n' });
    expect(r1.exec).to.deep.equal(['from-defaults']);
    expect(findNode(t, 'h1')!.env).to.deep.equal({ A: 'd', B: 'd', C: 'd', D: 'd' });
    expect(r1.raw.env).to.deep.equal({ A: 'd', B: 'k', C: 'g', D: 'n' });
  });

  it('puts group members listed under groups: into the group', () => {
    const t = text('name: g\ngroups: { hosts: { members: [h1], resources: { pids: 64 } } }\nnodes: [h1, h2]\n');
    expect(findNode(t, 'h1')!.group).to.equal('hosts');
    expect(findNode(t, 'h1')!.resources.pids).to.equal(64);
    expect(t.groups.hosts!.members).to.deep.equal(['h1']);
  });

  it('expands ${VAR:-default}, makes whole numeric values numbers, and keeps $$ as $', () => {
    const t = text('name: ${LAB:-envlab}\nmtu: ${MTU:-9000}\nnodes:\n  r1: { exec: ["echo $${HOME} $PATH"], env: { X: "${X}" } }\n', { X: 'x1' });
    expect(t.name).to.equal('envlab');
    expect(t.mtu).to.equal(9000);
    expect(t.nodes[0]!.exec).to.deep.equal(['echo ${HOME} $PATH']);
    expect(t.nodes[0]!.env.X).to.equal('x1');
  });

  it('reports an unset variable with its path', () => {
    const e = fails('name: v\nnodes:\n  r1: { cmd: "${NOPE}" }\n');
    expect(e.path).to.equal('nodes.r1.cmd');
    expect(e.message).to.contain('${NOPE} is not set');
  });

  it('ends a message with the line of the offending key', () => {
    const e = fails('name: l\nnodes:\n  r1: {}\n  r2: {}\nlinks:\n  - [r1:eth1, r9:eth1]\n');
    expect(e.message).to.match(/\(line 6\)$/);
  });

  it('names the lab after its file when name: is absent', () => {
    const t = loadTopology({ text: 'nodes: { r1: {} }\n', file: '/tmp/my-lab.yaml' }, { env: {} });
    expect(t.name).to.equal('my-lab');
    expect(t.dir).to.equal('/tmp');
  });

  describe('addressing', () => {
    it('assigns loopbacks by node order and /31s by link order from the default pools', () => {
      const t = good('ospf');
      expect(t.nodes.map((n) => n.loopback.ipv4)).to.deep.equal(['10.0.0.1/32', '10.0.0.2/32', '10.0.0.3/32', '10.0.0.4/32']);
      expect(t.links.map((l) => l.prefix4)).to.deep.equal(['10.1.0.0/31', '10.1.0.2/31', '10.1.0.4/31', '10.1.0.6/31']);
      expect(findInterface(t, 'r1', 'eth1')!.ipv4).to.equal('10.1.0.0/31');
      expect(findInterface(t, 'r2', 'eth1')!.ipv4).to.equal('10.1.0.1/31');
    });

    it('gives a LAN a /24 and its members addresses in endpoint order', () => {
      const t = good('lan');
      expect(t.links[0]!.prefix4).to.equal('172.16.0.0/24');
      expect(t.nodes.map((n) => n.interfaces[0]!.ipv4)).to.deep.equal(['172.16.0.1/24', '172.16.0.2/24', '172.16.0.3/24', '172.16.0.4/24']);
    });

    it('assigns IPv6 only from a given pool: a /64 per link, ::1 and ::2', () => {
      const t = good('triangle');
      expect(t.links.map((l) => l.prefix6)).to.deep.equal(['2001:db8::/64', '2001:db8:0:1::/64', '2001:db8:0:2::/64', '2001:db8:0:3::/64']);
      expect(findInterface(t, 'r3', 'eth1')!.ipv6).to.equal('2001:db8:0:1::2/64');
      expect(good('ospf').nodes.every((n) => n.interfaces.every((i) => i.ipv6 === undefined))).to.equal(true);
    });

    it('lets explicit addresses win and skips them in the pools', () => {
      const t = text(`name: x
addressing: { p2p: 10.1.0.0/29 }
nodes: { a: { addresses: { ipv4: 10.0.0.1 } }, b: {}, c: {} }
links:
  - endpoints: [a:eth1, b:eth1]
    prefix: 10.1.0.0/31
  - [b:eth2, c:eth1]
  - endpoints: [{ node: c, iface: eth2, ipv4: 192.168.9.9/24 }, a:eth2]
`);
      expect(findNode(t, 'a')!.loopback.ipv4).to.equal('10.0.0.1/32');
      expect(findNode(t, 'b')!.loopback.ipv4).to.equal('10.0.0.2/32');
      expect(t.links[0]!.prefix4).to.equal('10.1.0.0/31');
      expect(t.links[1]!.prefix4).to.equal('10.1.0.2/31');
      expect(t.links[2]!.prefix4).to.equal('192.168.9.0/24');
      expect(findInterface(t, 'a', 'eth2')!.ipv4).to.equal('192.168.9.1/24');
    });

    it('assigns nothing from pools with addressing: false', () => {
      const t = text('name: off\naddressing: false\nnodes: { a: {}, b: {} }\nlinks: [[a:eth1, b:eth1]]\n');
      expect(t.addressing.enabled).to.equal(false);
      expect(t.nodes[0]!.loopback).to.deep.equal({});
      expect(t.nodes[0]!.interfaces[0]!.ipv4).to.equal(undefined);
    });

    it('says how many blocks were needed and how many the pool has', () => {
      const e = fails('name: p\naddressing: { lan: { pool: 172.16.0.0/23, prefix: 24 } }\nnodes: [a, b, c]\nlinks:\n  - [a:e1, b:e1, c:e1]\n  - [a:e2, b:e2, c:e2]\n  - [a:e3, b:e3, c:e3]\n');
      expect(e.path).to.equal('addressing.lan');
      expect(e.message).to.contain('needs 3 /24 blocks').and.contain('has 2 available');
    });

    it('shares one subnet across links joined by a switch node, and gives the switch no address', () => {
      const t = good('features');
      expect(findInterface(t, 'r2', 'eth2')!.ipv4).to.equal('172.16.0.1/24');
      expect(findInterface(t, 'h2', 'eth1')!.ipv4).to.equal('172.16.0.2/24');
      expect(findInterface(t, 'sw', 'p1')!.ipv4).to.equal(undefined);
      expect(findInterface(t, 'sw', 'p1')!.master).to.equal('br0');
      expect(findNode(t, 'sw')!.loopback).to.deep.equal({});
    });
  });

  describe('links and interfaces', () => {
    it('makes 3+ endpoints a LAN with a named segment and generated ports', () => {
      const t = good('triangle');
      const lan = t.links[2]!;
      expect(lan.kind).to.equal('lan');
      expect(lan.segment).to.equal('lan2');
      expect(lan.ports!.map((p) => p.iface)).to.deep.equal(['s2e0', 's2e1', 's2e2']);
      expect(findInterface(t, 'h1', 'eth1')!.segment).to.equal('lan2');
    });

    it('makes host:IFNAME a host link with the host end addressed', () => {
      const t = good('host-link');
      const l = t.links[1]!;
      expect(l.kind).to.equal('host');
      expect(l.host).to.include({ iface: 'nl-uplink', ipv4: '10.1.0.3/31' });
      expect(findInterface(t, 'r1', 'eth9')!.peer).to.deep.equal({ node: 'host', iface: 'nl-uplink' });
    });

    it('shapes both directions from the link, with per-endpoint values winning', () => {
      const t = good('features');
      expect(findInterface(t, 'r1', 'eth2')!.shaping).to.deep.equal({ delayMs: 10, jitterMs: 2, distribution: 'normal', rateBps: 5_000_000 });
      expect(findInterface(t, 'h1', 'eth1')!.shaping).to.deep.equal({ delayMs: 10, jitterMs: 2, distribution: 'normal' });
    });

    it('keeps loss percentages exactly as written', () => {
      const t = text('name: s\nnodes: [a, b]\nlinks:\n  - endpoints: [a:e1, b:e1]\n    shaping: { loss: 0.01% }\n');
      expect(t.nodes[0]!.interfaces[0]!.shaping!.lossPercent).to.equal(0.01);
    });

    it('uses the link MTU, else the lab MTU, else 1500', () => {
      expect(findInterface(good('triangle'), 'r3', 'eth1')!.mtu).to.equal(9000);
      expect(findInterface(good('triangle'), 'r1', 'eth1')!.mtu).to.equal(1500);
      expect(findInterface(good('features'), 'r1', 'eth1')!.mtu).to.equal(1400);
    });

    it('marks interfaces of a state: down link as down', () => {
      expect(findInterface(good('features'), 'h1', 'eth1')!.state).to.equal('down');
    });
  });

  describe('MAC addresses', () => {
    it('are locally administered unicast and unique for 70,000 interfaces', () => {
      const prefix = macPrefix('lab');
      expect(prefix[0]! & 0b11).to.equal(0b10);
      const seen = new Set<string>();
      for (let i = 1; i <= 70_000; i++) seen.add(macFor(prefix, i));
      expect(seen.size).to.equal(70_000);
    });

    it('are deterministic and differ between labs', () => {
      const a = good('triangle'), b = good('triangle');
      expect(a.nodes[0]!.interfaces[0]!.mac).to.equal(b.nodes[0]!.interfaces[0]!.mac);
      expect(macFor(macPrefix('one'), 1)).to.not.equal(macFor(macPrefix('two'), 1));
    });

    it('stay unique with explicit ones mixed in, and a clash is an error naming both', () => {
      const e = fails('name: m\nnodes: [a, b, c]\nlinks:\n  - endpoints: [{ node: a, iface: e1, mac: "02:00:00:00:00:01" }, b:e1]\n  - endpoints: [{ node: c, iface: e1, mac: "02:00:00:00:00:01" }, b:e2]\n');
      expect(e.path).to.equal('links[1].endpoints[0]');
      expect(e.message).to.contain('also used by links[0].endpoints[0]');
    });
  });

  describe('node fields', () => {
    it('resolves resources, classes, sysctls, binds and configs', () => {
      const t = text(`name: f
nodes:
  r1:
    kind: frr
    config: { text: "hostname r1" }
    resources: { memory: 256M, cpus: 0.5, pids: 512, cpuset: "0-1" }
    classes: { bulk: { rate: 1mbit, ceil: 2mbit, prio: 1 } }
    sysctls: { net.ipv4.tcp_ecn: 1, net.ipv6.conf.all.forwarding: true }
    binds: ["/tmp:/data:ro", { source: /etc, target: /host-etc }]
`);
      const r1 = t.nodes[0]!;
      expect(r1.config).to.deep.equal({ text: 'hostname r1' });
      expect(r1.resources).to.deep.equal({ memoryBytes: 256 * 1024 * 1024, cpus: 0.5, pids: 512, cpuset: '0-1' });
      expect(r1.classes.bulk).to.deep.equal({ rateBps: 1_000_000, ceilBps: 2_000_000, prio: 1 });
      expect(r1.sysctls).to.deep.equal({ 'net.ipv4.tcp_ecn': '1', 'net.ipv6.conf.all.forwarding': '1' });
      expect(r1.binds).to.deep.equal([{ source: '/tmp', target: '/data', readonly: true }, { source: '/etc', target: '/host-etc', readonly: false }]);
      expect(r1.forwarding).to.equal(true);
    });

    it('makes a config path absolute, relative to the topology file', () => {
      expect(findNode(good('triangle'), 'r2')!.config!.path).to.equal(join(fixtures, 'good', 'r2', 'frr.conf'));
    });

    it('resolves a gateway given as a neighbour\'s name to its address', () => {
      expect(findNode(good('host-link'), 'h1')!.gateway).to.deep.equal({ ipv4: '10.1.0.0' });
      expect(findNode(good('ospf'), 'h1')!.gateway).to.deep.equal({ ipv4: '10.1.0.6' });
    });

    it('parses static routes in the string form', () => {
      expect(findNode(good('features'), 'r2')!.routes).to.deep.equal([{ prefix: '10.99.0.0/16', via: ['10.1.0.0'] }]);
    });

    it('accepts a kind of the catalog it is given, and leaves netlab\'s own catalog as it was', () => {
      const kinds = catalogOf([...kindCatalog().values(), { name: 'testkind', router: true, daemon: true, switch: false, shape: 'router' as const, color: '#000000', summary: 'test', tests: {} }]);
      const yaml = 'name: k\nnodes: { r1: { kind: testkind } }\n';
      expect(loadTopology({ text: yaml }, { env: {}, checkFiles: false, kinds }).nodes[0]!.kind).to.equal('testkind');
      expect(kindNames(kindCatalog())).to.not.include('testkind');
      expect(() => text(yaml)).to.throw(TopologyError);
    });
  });

  describe('routing blocks', () => {
    it('turns lab-level ospf: on for every router, merged with the node\'s block', () => {
      const t = good('ospf');
      expect(findNode(t, 'r1')!.ospf).to.deep.include({ area: '0.0.0.0', cost: 10, network: 'point-to-point', routerId: '10.0.0.1' });
      expect(findNode(t, 'r3')!.ospf!.interfaces).to.deep.equal({ eth2: { passive: true } });
      expect(findNode(t, 'h1')!.ospf).to.equal(undefined);
    });

    it('fills a BGP neighbour\'s AS from the neighbour node', () => {
      const r1 = findNode(good('bgp'), 'r1')!;
      expect(r1.bgp).to.deep.include({ as: 65001, redistribute: ['connected'], routerId: '10.0.0.1' });
      expect(r1.bgp!.neighbors).to.deep.equal([{ node: 'r2', as: 65002, options: {} }]);
    });
  });

  describe('management network', () => {
    it('gives each node an address (network + 1 + id) and a host-side name of at most 15 bytes', () => {
      const t = good('features');
      expect(t.mgmt).to.deep.include({ network: '192.168.200.0/24', gateway: '192.168.200.1/24', iface: 'eth0' });
      expect(t.nodes.map((n) => n.mgmt!.ipv4)).to.deep.equal(['192.168.200.2/24', '192.168.200.3/24', '192.168.200.4/24', '192.168.200.5/24', '192.168.200.6/24']);
      for (const n of t.nodes) expect(n.mgmt!.hostIface.length).to.be.at.most(15);
    });

    it('keeps a node\'s own address (nodes.X.mgmt), and gives a node whose address it took the lowest free one', () => {
      const t = text('name: m\nmgmt: true\nnodes:\n  a: {}\n  b: { mgmt: { ipv4: 192.168.121.2 } }\n  c: { mgmt: { ipv4: 192.168.121.101 } }\n  d: {}\n');
      // a (id 1) would be .2, which b took: a gets the lowest address no node has (.3, b's by id, which b does not use; d keeps .5)
      expect(t.nodes.map((n) => `${n.name} ${n.mgmt!.ipv4}`)).to.deep.equal(['a 192.168.121.3/24', 'b 192.168.121.2/24', 'c 192.168.121.101/24', 'd 192.168.121.5/24']);
      const six = text('name: m\nmgmt: { ipv6: 2001:db8:121::/64 }\nnodes:\n  a: { mgmt: { ipv6: 2001:db8:121::a } }\n  b: {}\n');
      expect(six.nodes.map((n) => n.mgmt!.ipv6)).to.deep.equal(['2001:db8:121::a/64', '2001:db8:121::3/64']);
    });

    it('refuses a node\'s own address outside the network, the host bridge\'s, another node\'s, or without a management network', () => {
      const refused = (yaml: string): TopologyError => {
        try { text(yaml); } catch (err) { return err as TopologyError; }
        throw new Error(`accepted: ${yaml}`);
      };
      const outside = refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv4: 10.0.0.1 } }\n');
      expect([outside.path, outside.exitCode]).to.deep.equal(['nodes.a.mgmt.ipv4', 2]);
      expect(outside.message).to.contain('not a host address of the management network 192.168.121.0/24');
      expect(refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv4: 192.168.121.1 } }\n').message).to.contain('the host bridge\'s address');
      expect(refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv4: 192.168.121.255 } }\n').message).to.contain('not a host address');
      const twice = refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv4: 192.168.121.9 } }\n  b: { mgmt: { ipv4: 192.168.121.9 } }\n');
      expect([twice.path, twice.message]).to.deep.equal(['nodes.b.mgmt.ipv4', twice.message]);
      expect(twice.message).to.contain('also node a\'s management address');
      const none = refused('name: m\nnodes:\n  a: { mgmt: { ipv4: 192.168.121.9 } }\n');
      expect([none.path, none.hint]).to.deep.equal(['nodes.a.mgmt', 'add mgmt: true (or mgmt: { network: … }) at the top of the file']);
      expect(refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv6: 2001:db8::9 } }\n').message).to.contain('has no IPv6 network');
      expect(refused('name: m\nmgmt: true\nnodes:\n  a: { mgmt: { ipv4: 2001:db8::9 } }\n').path).to.equal('nodes.a.mgmt.ipv4');
      expect(refused('name: m\nmgmt: true\ndefaults: { mgmt: { ipv4: 192.168.121.9 } }\nnodes: [a]\n').path).to.match(/^defaults/);
    });
  });

  describe('at scale', () => {
    it('keeps ids, MACs and addresses unique in a 5,000-node ring', () => {
      const n = 5000;
      const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
      const links = nodes.map((x, i) => `  - [${x}:eth1, ${nodes[(i + 1) % n]}:eth2]`);
      const t = text(`name: ring\nnodes: [${nodes.join(', ')}]\nlinks:\n${links.join('\n')}\n`);
      const ifaces = t.nodes.flatMap((x) => x.interfaces);
      expect(ifaces.length).to.equal(2 * n);
      expect(new Set(ifaces.map((i) => i.mac)).size).to.equal(2 * n);
      expect(new Set(ifaces.map((i) => i.ipv4)).size).to.equal(2 * n);
      expect(new Set(t.nodes.map((x) => x.loopback.ipv4)).size).to.equal(n);
      expect(t.nodes[n - 1]!.id).to.equal(n);
    });
  });
});
