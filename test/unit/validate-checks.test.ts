import { expect } from 'chai';
import type { TestSpec, Topology } from '../../src/topology/types.js';
import { checkOnce } from '../../src/validate/checks.js';
import { CheckError } from '../../src/validate/errors.js';
import type { Observation } from '../../src/validate/types.js';
import { captured, exit, fakeExec, fixtureLab, ok, type Script } from './validate-fake.js';
import { loadTopology } from '../../src/lab/load.js';

/** Loads the fixture lab with one test and runs one try of it against `script`. */
async function check(test: string, script: Script, topology?: Topology): Promise<Observation & { calls: string[] }> {
  const t = topology ?? fixtureLab(`  - ${test}`);
  const exec = fakeExec(script);
  const obs = await checkOnce(t.tests[0]!, { exec, topology: t });
  return { ...obs, calls: exec.calls.map((c) => `${c.node}: ${c.argv.join(' ')}`) };
}

async function checkError(test: string, script: Script): Promise<Error> {
  try {
    await check(test, script);
  } catch (err) {
    return err as Error;
  }
  throw new Error('no error');
}

/** Answers vtysh/birdc/ip commands with the captured outputs of the fixture lab. */
const lab: Script = (node, cmd) => {
  if (cmd === 'vtysh -c show ip route json') return ok(captured(`${node}-route.json`));
  if (cmd === 'vtysh -c show ip ospf neighbor json') return ok(captured(`${node}-ospf.json`));
  if (cmd === 'vtysh -c show bgp neighbors json') return ok(captured(`${node}-bgp.json`));
  if (cmd === 'birdc show protocols') return ok(captured('b1-proto.txt'));
  if (cmd === 'birdc show protocols all') return ok(captured('b1-protoall.txt'));
  if (cmd === 'birdc show ospf neighbors') return ok(captured('b1-ospfn.txt'));
  if (cmd.startsWith('ip -4 -j route show')) return ok(captured(`${node}-iproute.json`));
  return exit(127, '', `${cmd.split(' ')[0]}: not found`);
};

describe('validate: checks', () => {
  describe('route', () => {
    it('passes when the selected route comes from the asked protocol', async () => {
      const o = await check('{ route: { node: r1, prefix: 10.0.0.3/32, protocol: ospf } }', lab);
      expect(o.ok).to.equal(true);
      expect(o.seen).to.equal('10.0.0.3/32 ospf via 10.1.0.1 (r2) eth1');
      expect(o.calls).to.deep.equal(["r1: vtysh -c show ip route json"]);
    });

    it('fails naming the protocol that won and the candidate that lost', async () => {
      const o = await check('{ route: { node: r1, prefix: 10.0.0.2/32, protocol: ospf } }', lab);
      expect(o.ok).to.equal(false);
      expect(o.expected).to.equal('a route to 10.0.0.2/32 from ospf');
      expect(o.seen).to.contain('learnt from bgp, not ospf').and.contain('also offered: 10.0.0.2/32 ospf via 10.1.0.1 (r2) eth1 (not selected)');
    });

    it('fails on a missing prefix and lists the routes that are there', async () => {
      const o = await check('{ route: { node: r1, prefix: 10.0.0.9/32 } }', lab);
      expect(o.seen).to.equal('no route to 10.0.0.9/32');
      expect(o.detail).to.contain("r1's routes").and.contain('10.0.0.3/32 ospf via 10.1.0.1 (r2) eth1');
    });

    it('checks next hops given by node name', async () => {
      expect((await check('{ route: { node: r1, prefix: 10.0.0.3/32, via: r2 } }', lab)).ok).to.equal(true);
      const o = await check('{ route: { node: r1, prefix: 10.0.0.3/32, via: b1 } }', lab);
      expect(o.ok).to.equal(false);
      expect(o.seen).to.contain('no next hop b1');
    });

    it('checks the outgoing interface', async () => {
      const o = await check('{ route: { node: r1, prefix: 10.0.0.3/32, dev: eth2 } }', lab);
      expect(o.seen).to.contain('no next hop on eth2');
    });

    it('reads the kernel table of a node that runs no FRR', async () => {
      const o = await check('{ route: { node: b1, prefix: 10.0.0.1/32, protocol: ospf, via: r2 } }', lab);
      expect(o.calls).to.deep.equal(['b1: ip -4 -j route show table main']);
      expect(o.ok).to.equal(true);
    });

    it('passes expect: absent only when no route is in use', async () => {
      expect((await check('{ route: { node: r1, prefix: 10.0.0.9/32, expect: absent } }', lab)).ok).to.equal(true);
      expect((await check('{ route: { node: r1, prefix: 10.0.0.3/32, expect: absent } }', lab)).ok).to.equal(false);
    });

    it('fails (to be retried) when vtysh does not answer with JSON', async () => {
      const o = await check('{ route: { node: r1, prefix: 10.0.0.3/32 } }', () => ok('% Unknown command: show ip route json\n'));
      expect(o.ok).to.equal(false);
      expect(o.seen).to.contain('did not answer with JSON: % Unknown command');
    });
  });

  describe('reach', () => {
    it('pings the target address with count and per-reply timeout', async () => {
      const o = await check('{ reach: { from: h1, to: b1, count: 2, timeout: 500ms } }', () => ok(captured('ping-ok.txt')));
      expect(o.ok).to.equal(true);
      expect(o.calls).to.deep.equal(['h1: ping -4 -n -c 2 -i 0.2 -W 0.5 10.0.0.3']);
      expect(o.seen).to.equal('2 of 2 replies (0% loss), rtt avg 0.121 ms');
    });

    it('fails without replies and shows the route lookup of the sender', async () => {
      const o = await check('{ reach: { from: h1, to: b1 } }', (_n, cmd) => (cmd.startsWith('ping')
        ? exit(1, 'From 10.1.0.4 icmp_seq=1 Destination Host Unreachable\n\n--- x ---\n3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2040ms\n')
        : ok('10.0.0.3 via 10.1.0.4 dev eth1 src 10.1.0.5 uid 0\n')));
      expect(o.ok).to.equal(false);
      expect(o.expected).to.equal('replies from 10.0.0.3 (b1)');
      expect(o.seen).to.equal('0 of 3 replies (100% loss, 3 ICMP errors): 10.1.0.4 (r1) says Destination Host Unreachable');
      expect(o.detail).to.contain('h1$ ip -4 route get 10.0.0.3').and.contain('via 10.1.0.4 dev eth1');
    });

    it('passes expect: fail when ping cannot even send', async () => {
      const o = await check('{ reach: { from: h1, to: b1, expect: fail } }', () => exit(2, '', 'ping: connect: Network is unreachable\n'));
      expect(o.ok).to.equal(true);
      expect(o.seen).to.equal('no reply: ping: connect: Network is unreachable');
    });

    it('fails expect: fail when a reply comes', async () => {
      expect((await check('{ reach: { from: h1, to: b1, expect: fail } }', () => ok(captured('ping-ok.txt')))).ok).to.equal(false);
    });

    it('is an error, not a pass of expect: fail, when ping is missing', async () => {
      const e = await checkError('{ reach: { from: h1, to: b1, expect: fail } }', () => exit(127, '', 'ping: not found'));
      expect(e).to.be.instanceOf(CheckError);
      expect(e.message).to.equal('ping is not installed in h1');
    });
  });

  describe('ospf_neighbors', () => {
    it('passes with the asked number of Full neighbours', async () => {
      const o = await check('{ ospf_neighbors: { node: r1, count: 1, state: Full } }', lab);
      expect(o.ok).to.equal(true);
      expect(o.seen).to.equal('1 neighbour: 10.0.0.2 (r2) Full/- on eth1');
    });

    it('fails with the neighbours it saw', async () => {
      const o = await check('{ ospf_neighbors: { node: r2, count: 3, state: Full } }', lab);
      expect(o.ok).to.equal(false);
      expect(o.expected).to.equal('3 neighbours Full');
      expect(o.seen).to.equal('2 Full; 2 neighbours: 10.0.0.1 (r1) Full/- on eth1, 10.0.0.3 (b1) Full/- on eth2');
    });

    it('explains a neighbour stuck in Init', async () => {
      const o = await check('{ ospf_neighbors: { node: r1 } }', () => ok(captured('r1-ospf-early.json')));
      expect(o.seen).to.contain('1 not Full');
      expect(o.detail).to.contain('hint: Init');
    });

    it('names the interface without a neighbour and the areas the topology gives both ends', async () => {
      const t = loadTopology({
        text: `name: area
ospf: { area: 0, network: point-to-point }
nodes:
  r1: { kind: frr }
  r2: { kind: frr, ospf: { area: 1 } }
  r3: { kind: frr }
links: [[r1:eth1, r2:eth1], [r1:eth2, r3:eth1]]
tests:
  - { ospf_neighbors: { node: r1, count: 2 } }
`,
      }, { checkFiles: false });
      const o = await check('', () => ok(JSON.stringify({ neighbors: { '10.0.0.3': [{ nbrState: 'Full/-', ifaceName: 'eth2:10.1.0.2' }] } })), t);
      expect(o.ok).to.equal(false);
      expect(o.seen).to.contain('none on eth1 (to r2; the topology puts r1:eth1 in area 0.0.0.0 and r2:eth1 in area 0.0.0.1)');
    });

    it('checks one neighbour by node name', async () => {
      expect((await check('{ ospf_neighbors: { node: r2, neighbor: b1 } }', lab)).ok).to.equal(true);
      const o = await check('{ ospf_neighbors: { node: r1, neighbor: b1 } }', lab);
      expect(o.seen).to.match(/^no neighbour 10\.0\.0\.3 \(b1\)/);
    });

    it('asks BIRD on a bird node', async () => {
      const o = await check('{ ospf_neighbors: { node: b1, count: 1 } }', lab);
      expect(o.calls).to.deep.equal(['b1: birdc show ospf neighbors']);
      expect(o.seen).to.equal('1 neighbour: 10.0.0.2 (r2) Full/PtP on eth1');
    });
  });

  describe('bgp_sessions', () => {
    it('counts Established sessions', async () => {
      expect((await check('{ bgp_sessions: { node: r1, state: Established, count: 1 } }', lab)).ok).to.equal(true);
    });

    it('fails listing every session with its reason', async () => {
      const o = await check('{ bgp_sessions: { node: r1 } }', lab);
      expect(o.ok).to.equal(false);
      expect(o.seen).to.equal('1 not Established; 2 sessions: 10.1.0.1 (r2) AS 65002 Established, 10.9.9.9 AS 65009 Active');
      expect(o.detail).to.contain('10.9.9.9 AS 65009 Active — last reset: Waiting for NHT').and.contain('hint: Active/Connect/Idle');
    });

    it('asks BIRD on a bird node and names the BIRD protocol of each session', async () => {
      expect((await check('{ bgp_sessions: { node: b1, peer: r2 } }', lab)).ok).to.equal(true);
      const o = await check('{ bgp_sessions: { node: b1 } }', lab);
      expect(o.calls).to.deep.equal(['b1: birdc show protocols all']);
      expect(o.seen).to.equal('1 not Established; 2 sessions: 10.1.0.2 (r2) AS 65002 Established, 10.1.0.9 AS 65009 Idle');
      expect(o.detail).to.contain('10.1.0.9 AS 65009 Idle [bgp_nobody]');
    });

    it('finds the session with a peer given by node name', async () => {
      expect((await check('{ bgp_sessions: { node: r1, peer: r2 } }', lab)).ok).to.equal(true);
    });
  });

  describe('bird_protocol', () => {
    it('matches the Info column', async () => {
      const o = await check('{ bird_protocol: { node: b1, protocol: ospf1, state: Running } }', lab);
      expect(o.ok).to.equal(true);
      expect(o.seen).to.equal('ospf1 (OSPF) up Running');
    });

    it('fails while OSPF is Alone', async () => {
      const o = await check('{ bird_protocol: { node: b1, protocol: ospf1, state: Running } }', () => ok(captured('b1-proto-early.txt')));
      expect(o.ok).to.equal(false);
      expect(o.seen).to.equal('ospf1 (OSPF) up Alone');
    });

    it('lists the protocols when the name is wrong', async () => {
      const o = await check('{ bird_protocol: { node: b1, protocol: ospf2 } }', lab);
      expect(o.seen).to.equal('no protocol "ospf2"; b1 has device1, direct1, kernel1, ospf1');
    });

    it('fails (to be retried) while birdc cannot connect', async () => {
      const o = await check('{ bird_protocol: { node: b1, protocol: ospf1 } }', () => exit(1, 'Unable to connect to server control socket (/run/bird/bird.ctl): No such file or directory\n'));
      expect(o.ok).to.equal(false);
      expect(o.seen).to.match(/^birdc: Unable to connect/);
    });
  });

  describe('exec', () => {
    it('passes on the expected exit code and matching stdout', async () => {
      const o = await check('{ exec: { node: h1, cmd: "ip -br link", stdout: "^eth1 +UP" } }', () => ok('lo UNKNOWN\neth1             UP\n'));
      expect(o.ok).to.equal(true);
    });

    it('fails showing the command and its output', async () => {
      const o = await check('{ exec: { node: h1, cmd: "curl -s http://10.0.0.1/", stdout: "hello" } }', () => exit(7, '', 'curl: (7) Failed to connect\n'));
      expect(o.ok).to.equal(false);
      expect(o.seen).to.equal('exit 7, stdout does not match /hello/');
      expect(o.detail).to.contain('h1$ curl -s http://10.0.0.1/').and.contain('curl: (7) Failed to connect');
    });

    it('matches output: against stdout and stderr together', async () => {
      expect((await check('{ exec: { node: h1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$" } }', () => ok('', '1\n'))).ok).to.equal(true);
      const o = await check('{ exec: { node: h1, cmd: "sysctl -n net.ipv4.ip_forward", output: "^1$" } }', () => ok('0\n'));
      expect(o.seen).to.equal('output does not match /^1$/');
    });

    it('passes an expected non-zero exit', async () => {
      expect((await check('{ exec: { node: h1, cmd: "false", exit: 1 } }', () => exit(1))).ok).to.equal(true);
    });

    it('passes the command timeout to the executor', async () => {
      const t = fixtureLab('  - { exec: { node: h1, cmd: "sleep 1", timeout: 2s } }');
      const exec = fakeExec(() => ok());
      await checkOnce(t.tests[0] as TestSpec, { exec, topology: t });
      expect(exec.calls[0]!.opts).to.deep.equal({ timeoutMs: 2000 });
    });
  });
});
