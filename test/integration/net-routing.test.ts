/**
 * Routing behaviours that depend on netlab's sysctls and namespacing:
 * an asymmetric path (works with rp_filter off, fails with it on), and two labs
 * with the same node, interface and segment names side by side.
 */
import { expect } from 'chai';
import { requireRoot } from '../helpers/kernel.js';
import { createBridge } from '../../src/net/bridge.js';
import { configureNetns, type NetnsConfig } from '../../src/net/iface.js';
import { Rtnl } from '../../src/net/rtnl.js';
import { defaultSysctls, writeSysctls } from '../../src/net/sysctl.js';
import { createVeths, type VethEnd } from '../../src/net/veth.js';
import { describeWithLeakcheck, inNetns, neighMac, ping, startNetns, stopNetns, waitUp, type TestNetns } from './net-ns.js';

const end = (n: TestNetns, iface: string, mac?: string): VethEnd => ({ netnsFd: n.fd, node: n.name, iface, mac, mtu: 1500 });

async function cfg(n: TestNetns, c: NetnsConfig): Promise<void> {
  const s = Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` });
  try { await configureNetns(s, c, n.name); } finally { s.close(); }
}

describeWithLeakcheck('net: an asymmetric path', function () {
  // a (loopback 10.0.9.1) has two links to r. a sends via eth1; r routes the
  // reply to 10.0.9.1 via a's eth2. The request enters r on eth1 although r's
  // route back to its source points at eth2, and the reply enters a on eth2
  // although a's route to b is via eth1: strict reverse-path filtering drops both.
  let ns: TestNetns[] = [];
  let a: TestNetns, r: TestNetns, b: TestNetns;
  let host: Rtnl | undefined;
  const pingB = (): boolean => inNetns(a, ['ping', '-n', '-q', '-c1', '-W1', '-I', '10.0.9.1', '10.0.3.2']).status === 0;

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['a', 'r', 'b']);
    [a, r, b] = ns;
    writeSysctls(a.fd, defaultSysctls('host'), 'a');
    writeSysctls(r.fd, defaultSysctls('router'), 'r');
    writeSysctls(b.fd, defaultSysctls('host'), 'b');
    host = Rtnl.open();
    await createVeths(host, [
      { a: end(a, 'eth1'), b: end(r, 'eth1') },
      { a: end(a, 'eth2'), b: end(r, 'eth2') },
      { a: end(r, 'eth3'), b: end(b, 'eth1') },
    ]);
    await cfg(a, {
      up: ['eth1', 'eth2'],
      addresses: [{ iface: 'eth1', cidr: '10.0.1.1/24' }, { iface: 'eth2', cidr: '10.0.2.1/24' }, { iface: 'lo', cidr: '10.0.9.1/32' }],
      routes: [{ prefix: '10.0.3.0/24', via: ['10.0.1.254'] }],
    });
    await cfg(r, {
      up: ['eth1', 'eth2', 'eth3'],
      addresses: [{ iface: 'eth1', cidr: '10.0.1.254/24' }, { iface: 'eth2', cidr: '10.0.2.254/24' }, { iface: 'eth3', cidr: '10.0.3.254/24' }],
      routes: [{ prefix: '10.0.9.1/32', via: ['10.0.2.1'] }],
    });
    await cfg(b, { up: ['eth1'], addresses: [{ iface: 'eth1', cidr: '10.0.3.2/24' }], routes: [{ prefix: '0.0.0.0/0', via: ['10.0.3.254'] }] });
    await Promise.all([waitUp(a, ['eth1', 'eth2']), waitUp(r, ['eth1', 'eth2', 'eth3']), waitUp(b, ['eth1'])]);
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('delivers the reply over the other path with netlab\'s rp_filter settings', () => {
    expect(pingB()).to.equal(true);
  });

  it('drops it when strict reverse-path filtering is switched on (the test can fail)', () => {
    for (const n of [a, r]) writeSysctls(n.fd, { 'net.ipv4.conf.all.rp_filter': '1' }, n.name);
    try {
      expect(pingB()).to.equal(false);
    } finally {
      for (const n of [a, r]) writeSysctls(n.fd, { 'net.ipv4.conf.all.rp_filter': '0' }, n.name);
    }
    expect(pingB()).to.equal(true);
  });
});

describeWithLeakcheck('net: two labs with the same names', function () {
  // Each lab: r1:eth1 and r2:eth1 on a segment bridge "lan1", addresses 10.0.0.1/2.
  let ns: TestNetns[] = [];
  let host: Rtnl | undefined;
  const labs: Record<'A' | 'B', { r1: TestNetns; r2: TestNetns; seg: TestNetns; macR2: string }> = {} as never;

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['A.r1', 'A.r2', 'A.seg', 'B.r1', 'B.r2', 'B.seg']);
    host = Rtnl.open();
    for (const [i, lab] of (['A', 'B'] as const).entries()) {
      const [r1, r2, seg] = ns.slice(i * 3, i * 3 + 3);
      const macR2 = `02:0${i}:00:00:00:02`;
      labs[lab] = { r1, r2, seg, macR2 };
      writeSysctls(seg.fd, defaultSysctls('segment'), `${lab} segment`);
      for (const n of [r1, r2]) writeSysctls(n.fd, defaultSysctls('host'), n.name);
      await createVeths(host, [
        { a: end(r1, 'eth1', `02:0${i}:00:00:00:01`), b: end(seg, 'r1') },
        { a: end(r2, 'eth1', macR2), b: end(seg, 'r2') },
      ]);
      const s = Rtnl.open({ netnsFd: seg.fd, label: `${lab} segment` });
      try { await createBridge(s, { name: 'lan1', mtu: 1500, ports: ['r1', 'r2'] }, `segment lan1 of ${lab}`); } finally { s.close(); }
      await cfg(r1, { up: ['eth1'], addresses: [{ iface: 'eth1', cidr: '10.0.0.1/24' }], routes: [] });
      await cfg(r2, { up: ['eth1'], addresses: [{ iface: 'eth1', cidr: '10.0.0.2/24' }], routes: [] });
      await Promise.all([waitUp(seg, ['lan1', 'r1', 'r2']), waitUp(r1, ['eth1']), waitUp(r2, ['eth1'])]);
    }
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('reaches its own r2 from each lab\'s r1, never the other lab\'s', () => {
    for (const lab of ['A', 'B'] as const) {
      const { r1, macR2 } = labs[lab];
      expect(ping(r1, '10.0.0.2'), `lab ${lab}`).to.equal(true);
      expect(neighMac(r1, 'eth1', '10.0.0.2'), `lab ${lab}`).to.equal(macR2);
    }
  });

  it('keeps each segment bridge\'s forwarding table to its own lab\'s MACs', () => {
    for (const [lab, other] of [['A', 'B'], ['B', 'A']] as const) {
      const fdb = inNetns(labs[lab].seg, ['bridge', 'fdb', 'show', 'br', 'lan1']).out;
      expect(fdb).to.contain(labs[lab].macR2);
      expect(fdb).to.not.contain(labs[other].macR2);
    }
  });
});
