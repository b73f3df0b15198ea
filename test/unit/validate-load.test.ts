import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import type { BgpSessionsTest, ExecTest, OspfNeighborsTest, ReachTest, RouteTest, TestSpec } from '../../src/topology/types.js';
import { loadTopology } from '../../src/lab/load.js';

const LAB = `name: t
ospf: { area: 0 }
nodes:
  r1: { kind: frr }
  r2: { kind: frr }
  r3: { kind: frr }
  s1: { kind: frr, bgp: { as: 65000 } }
  b1: { kind: bird, ospf: false }
  h1: { gateway: r1 }
  h2: { gateway: r3 }
links:
  - [r1:eth1, r2:eth1]
  - [r2:eth2, r3:eth1]
  - [r1:eth2, h1:eth1]
  - [r3:eth2, h2:eth1]
  - [r3:eth3, b1:eth1]
  - [s1:eth1, r1:eth3]
`;

function load(tests: string, extra = ''): TestSpec[] {
  return loadTopology({ text: `${LAB}${extra}tests:\n${tests}\n`, file: '/lab/t.yaml' }, { checkFiles: false }).tests;
}

function loadError(tests: string): TopologyError {
  try {
    load(tests);
  } catch (err) {
    if (err instanceof TopologyError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('validate: tests in the topology', () => {
  it('reads the daemons engineer\'s route shape with name, protocol and wait', () => {
    const [t] = load('  - { name: r1 sees r3 loopback, route: { node: r1, prefix: 10.0.0.3/32, protocol: ospf }, wait: 30s }') as [RouteTest];
    expect(t).to.include({ kind: 'route', name: 'r1 sees r3 loopback', node: 'r1', prefix: '10.0.0.3/32', protocol: 'ospf', waitMs: 30000, expect: 'present' });
  });

  it('reads reach from a node to a node and names it "h1 reaches h2"', () => {
    const [t] = load('  - { reach: { from: h1, to: h2 } }') as [ReachTest];
    expect(t).to.include({ kind: 'reach', name: 'h1 reaches h2', from: 'h1', to: 'h2', toNode: 'h2', family: 4, count: 3, timeoutMs: 1000, expect: 'success', waitMs: 0 });
  });

  it('pings a host at its first interface address and a router at its loopback', () => {
    const [host, router] = load('  - { reach: { from: h1, to: h2 } }\n  - { reach: { from: h1, to: r3 } }') as [ReachTest, ReachTest];
    expect(host.address).to.equal('10.1.0.7');
    expect(router.address).to.equal('10.0.0.3');
  });

  it('pings node:iface at that interface\'s address, and an address as given', () => {
    const [a, b] = load('  - { reach: { from: h1, to: "r2:eth2" } }\n  - { reach: { from: h1, to: 10.1.0.1 } }') as [ReachTest, ReachTest];
    expect(a).to.include({ address: '10.1.0.2', toNode: 'r2' });
    expect(b).to.include({ address: '10.1.0.1', toNode: 'r2', name: 'h1 reaches 10.1.0.1' });
  });

  it('names a firewall test "cannot reach" when it expects failure', () => {
    const [t] = load('  - { reach: { from: h1, to: h2, expect: fail, count: 1, timeout: 500ms } }') as [ReachTest];
    expect(t).to.include({ name: 'h1 cannot reach h2', expect: 'fail', count: 1, timeoutMs: 500 });
  });

  it('reads ospf_neighbors and bgp_sessions in the daemons engineer\'s shapes', () => {
    const [o, b] = load('  - { ospf_neighbors: { node: r1, count: 2, state: Full } }\n  - { bgp_sessions: { node: s1, state: Established, count: 4 } }') as [OspfNeighborsTest, BgpSessionsTest];
    expect(o).to.include({ kind: 'ospf_neighbors', node: 'r1', daemon: 'frr', count: 2, state: 'Full', name: 'r1 has 2 OSPF neighbours Full' });
    expect(b).to.include({ kind: 'bgp_sessions', node: 's1', daemon: 'frr', count: 4, state: 'Established', name: 's1 has 4 BGP sessions Established' });
  });

  it('resolves an OSPF neighbour given by node name to its router id', () => {
    const [o] = load('  - { ospf_neighbors: { node: r1, neighbor: r2 } }') as [OspfNeighborsTest];
    expect(o.neighbor).to.deep.equal({ written: 'r2', routerId: '10.0.0.2', node: 'r2' });
    expect(o.count).to.equal(undefined);
  });

  it('resolves a next hop given by node name to every address of that node', () => {
    const [t] = load('  - { route: { node: h1, prefix: default, via: r1 } }') as [RouteTest];
    expect(t.prefix).to.equal('0.0.0.0/0');
    expect(t.via[0]!.addresses).to.include.members(['10.1.0.4', '10.0.0.1']);
    expect(t.name).to.equal('h1 has a route to default via r1');
  });

  it('turns a cmd string into /bin/sh -c and keeps an argv list as it is', () => {
    const [a, b] = load('  - { exec: { node: h1, cmd: "ip -br addr | grep eth1", stdout: "UP" } }\n  - { exec: { node: h1, cmd: [cat, /etc/hostname], exit: 0 } }') as [ExecTest, ExecTest];
    expect(a.argv).to.deep.equal(['/bin/sh', '-c', 'ip -br addr | grep eth1']);
    expect(a).to.include({ exit: 0, stdout: 'UP', timeoutMs: 10000 });
    expect(b.argv).to.deep.equal(['cat', '/etc/hostname']);
    expect(b.name).to.equal('h1 runs cat /etc/hostname');
  });

  it('makes clashing names unique with the test\'s position', () => {
    const tests = load('  - { reach: { from: h1, to: h2 } }\n  - { reach: { from: h1, to: h2, count: 5 } }');
    expect(tests.map((t) => t.name)).to.deep.equal(['h1 reaches h2 (tests[0])', 'h1 reaches h2 (tests[1])']);
  });

  it('rejects an undefined node with the path, the line and a suggestion', () => {
    const e = loadError('  - { reach: { from: h1, to: h2 } }\n  - { reach: { from: h1, to: h2 } }\n  - { reach: { from: h9, to: h2 } }');
    expect(e.path).to.equal('tests[2].reach.from');
    expect(e.message).to.match(/^node "h9" is not defined; did you mean "h1"\? \(t\.yaml:\d+\)$/);
  });

  it('rejects a test with two kinds', () => {
    const e = loadError('  - { reach: { from: h1, to: h2 }, exec: { node: h1, cmd: "true" } }');
    expect(e.path).to.equal('tests[0]');
    expect(e.message).to.contain('both reach and exec');
  });

  it('rejects a test with no kind', () => {
    expect(loadError('  - { name: nothing }').message).to.contain('needs one of reach, route, exec');
  });

  it('rejects ospf_neighbors on a node that runs no routing daemon', () => {
    const e = loadError('  - { ospf_neighbors: { node: h1 } }');
    expect(e.path).to.equal('tests[0].ospf_neighbors.node');
    expect(e.message).to.contain('kind linux');
  });

  it('rejects bird_protocol on an FRR node', () => {
    expect(loadError('  - { bird_protocol: { node: r1, protocol: ospf1 } }').path).to.equal('tests[0].bird_protocol.node');
  });

  it('rejects an unknown state with a suggestion', () => {
    const e = loadError('  - { bgp_sessions: { node: s1, state: established2 } }');
    expect(e.message).to.contain('did you mean "Established"');
  });

  it('rejects a regular expression that does not compile', () => {
    expect(loadError('  - { exec: { node: h1, cmd: ls, stdout: "a(b" } }').path).to.equal('tests[0].exec.stdout');
  });

  it('rejects a wait without a unit', () => {
    const e = loadError('  - { wait: 30, reach: { from: h1, to: h2 } }');
    expect(e.path).to.equal('tests[0].wait');
    expect(e.hint).to.contain('30s');
  });

  it('rejects an unknown key with a suggestion', () => {
    expect(loadError('  - { reach: { from: h1, too: h2 } }').message).to.contain('did you mean "to"');
  });

  it('rejects an interface the node does not have', () => {
    const e = loadError('  - { route: { node: r1, prefix: 10.0.0.3/32, dev: eth9 } }');
    expect(e.path).to.equal('tests[0].route.dev');
    expect(e.hint).to.contain('eth1');
  });

  it('rejects a next hop of the other family', () => {
    expect(loadError('  - { route: { node: r1, prefix: 10.0.0.3/32, via: "2001:db8::1" } }').message).to.contain('IPv6 but the prefix is IPv4');
  });

  it('rejects a node with no address of the asked family as a reach target', () => {
    expect(loadError('  - { reach: { from: h1, to: h2, family: 6 } }').message).to.contain('no IPv6 address');
  });

  describe('tests: FILE', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-vtests-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name); };
    const loadWith = (testsText: string): ReturnType<typeof loadTopology> => {
      write('tests.yaml', testsText);
      const topo = write('lab.yaml', `${LAB}tests: tests.yaml\n`);
      return loadTopology(topo);
    };

    it('reads a list of tests from a file next to the topology', () => {
      const t = loadWith('- { reach: { from: h1, to: h2 } }\n- { ospf_neighbors: { node: r1 } }\n');
      expect(t.testsFile).to.equal(join(dir, 'tests.yaml'));
      expect(t.tests.map((x) => x.name)).to.deep.equal(['h1 reaches h2', 'r1 has all OSPF neighbours Full']);
    });

    it('reads a mapping with tests: as well', () => {
      expect(loadWith('tests:\n  - { reach: { from: h1, to: h2 } }\n').tests).to.have.length(1);
    });

    it('names the tests file and its line in an error', () => {
      try {
        loadWith('- { reach: { from: h1, to: h2 } }\n- { reach: { from: h1, to: h9 } }\n');
        expect.fail('no error');
      } catch (err) {
        expect(err).to.be.instanceOf(TopologyError);
        expect((err as TopologyError).path).to.equal('tests[1].reach.to');
        expect((err as TopologyError).message).to.contain('(tests.yaml:2)');
      }
    });

    it('names the tests file when it is missing', () => {
      const topo = write('lab2.yaml', `${LAB}tests: nothere.yaml\n`);
      expect(() => loadTopology(topo)).to.throw(TopologyError, /nothere\.yaml: no such file/);
    });
  });
});
