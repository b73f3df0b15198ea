import { expect } from 'chai';
import { frrRoutes } from '../../src/daemons/frr-routes.js';
import type { ExecOptions, ExecResult } from '../../src/daemons/kind.js';
import { getKind, kindNames } from '../../src/daemons/registry.js';
import { kernelRoutes, routeTableOf } from '../../src/daemons/route-table.js';
import type { NodeQuery } from '../../src/daemons/routing-state.js';
import { CheckError } from '../../src/validate/errors.js';
import { checkOnce } from '../../src/validate/checks.js';
import { captured, exit, fakeExec, fixtureLab, ok } from './validate-fake.js';

/** A query that answers `answer` and records the argv and options it was asked. */
function query(answer: ExecResult): NodeQuery & { asked: { argv: string[]; opts?: ExecOptions | undefined }[] } {
  const asked: { argv: string[]; opts?: ExecOptions | undefined }[] = [];
  const fn: NodeQuery = async (argv, opts) => { asked.push({ argv, opts }); return answer; };
  return Object.assign(fn, { asked });
}

describe('daemons: where route: tests read a node\'s routes (Kind.routes)', () => {
  it('reads FRR nodes through zebra\'s RIB and every other kind through the kernel\'s main table', () => {
    expect(routeTableOf(getKind('frr'))).to.equal(frrRoutes);
    for (const name of kindNames().filter((n) => n !== 'frr')) expect(routeTableOf(getKind(name)), name).to.equal(kernelRoutes);
    expect(routeTableOf(undefined)).to.equal(kernelRoutes);
  });

  it('asks vtysh for the IPv4 or IPv6 RIB and names the command as a user would type it', async () => {
    const q = query(ok(captured('r1-route.json')));
    const r = await frrRoutes.read(q, 'r1', 4);
    expect(r.source).to.equal("vtysh -c 'show ip route json'");
    expect('value' in r && r.value.filter((e) => e.prefix === '10.0.0.2/32').map((e) => [e.protocol, e.selected])).to.deep.equal([['ospf', false], ['bgp', true]]);
    const q6 = query(ok('{}'));
    expect((await frrRoutes.read(q6, 'r1', 6)).source).to.equal("vtysh -c 'show ipv6 route json'");
    expect(q.asked.map((a) => a.argv)).to.deep.equal([['vtysh', '-c', 'show ip route json']]);
    expect(q6.asked.map((a) => a.argv)).to.deep.equal([['vtysh', '-c', 'show ipv6 route json']]);
    expect(q.asked[0]!.opts?.timeoutMs).to.equal(10_000);
  });

  it('asks ip for the kernel\'s main table of the family', async () => {
    const q = query(ok(captured('b1-iproute.json')));
    const r = await kernelRoutes.read(q, 'b1', 4);
    expect(r.source).to.equal('ip -4 -j route show table main');
    expect(q.asked.map((a) => a.argv)).to.deep.equal([['ip', '-4', '-j', 'route', 'show', 'table', 'main']]);
    expect('value' in r && r.value.some((e) => e.protocol === 'bird')).to.equal(true);
    const q6 = query(ok('[]'));
    expect(await kernelRoutes.read(q6, 'b1', 6)).to.deep.equal({ source: 'ip -6 -j route show table main', value: [] });
  });

  it('reports a missing tool as missing, a failing one and one that does not answer JSON as problems', async () => {
    expect(await frrRoutes.read(query(exit(127, '', 'vtysh: not found')), 'r1', 4))
      .to.deep.equal({ source: "vtysh -c 'show ip route json'", problem: 'vtysh is not installed in r1', missing: true });
    expect(await kernelRoutes.read(query(exit(1, '', 'Error: ipv4: FIB table does not exist.\nmore')), 'b1', 4))
      .to.deep.equal({ source: 'ip -4 -j route show table main', problem: 'ip exited with 1: Error: ipv4: FIB table does not exist.' });
    expect(await frrRoutes.read(query(ok('zebra is not running\n')), 'r1', 4))
      .to.deep.equal({ source: "vtysh -c 'show ip route json'", problem: 'vtysh did not answer with JSON: zebra is not running' });
  });

  it('counts a zebra "kernel" route as static only in FRR\'s table, and BIRD\'s and OSPFv3 routes in both', () => {
    for (const table of [frrRoutes, kernelRoutes]) {
      expect(table.protocolMatches('ospf', 'ospf6')).to.equal(true);
      expect(table.protocolMatches('bgp', 'bird')).to.equal(true);
      expect(table.protocolMatches('static', 'bird')).to.equal(true);
      expect(table.protocolMatches('bgp', 'ospf')).to.equal(false);
    }
    expect(frrRoutes.protocolMatches('static', 'kernel')).to.equal(true);
    expect(kernelRoutes.protocolMatches('static', 'kernel')).to.equal(false);
  });

  it('makes a route: test on a node whose table tool is missing an error, not a failure to retry', async () => {
    const t = fixtureLab('  - { route: { node: r1, prefix: 10.0.0.3/32 } }');
    const exec = fakeExec(() => exit(127, '', 'vtysh: not found'));
    let err: unknown;
    try { await checkOnce(t.tests[0]!, { exec, topology: t }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(CheckError);
    expect((err as Error).message).to.equal('vtysh is not installed in r1');
  });
});
