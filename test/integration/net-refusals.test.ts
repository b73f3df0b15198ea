/**
 * Kernel refusals: a clear KernelError naming the endpoint, and no half-made
 * wiring left behind. Plus the sysctl facts netlab relies on.
 */
import { expect } from 'chai';
import { KernelError, TopologyError } from '../../src/errors.js';
import { requireRoot, skip } from '../helpers/kernel.js';
import { configureNetns, listLinks, waitOperUp } from '../../src/net/iface.js';
import { IFLA, IFLA_INFO, linkBody } from '../../src/net/messages.js';
import { attr, nested, strz } from '../../src/net/nlattr.js';
import { NLM_F, RTM, Rtnl } from '../../src/net/rtnl.js';
import { defaultSysctls, readSysctl, writeSysctls } from '../../src/net/sysctl.js';
import { createVeths, type VethEnd, type VethPair } from '../../src/net/veth.js';
import { describeWithLeakcheck, startNetns, stopNetns, type TestNetns } from './net-ns.js';

const end = (n: TestNetns, iface: string, mtu = 1500): VethEnd => ({ netnsFd: n.fd, node: n.name, iface, mtu });

describeWithLeakcheck('net: a refused veth', function () {
  let ns: TestNetns[] = [];
  let x: TestNetns, y: TestNetns;
  let host: Rtnl | undefined;
  const names = async (n: TestNetns): Promise<string[]> => {
    const s = Rtnl.open({ netnsFd: n.fd });
    try { return [...(await listLinks(s)).keys()].sort(); } finally { s.close(); }
  };

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['x', 'y']);
    [x, y] = ns;
    host = Rtnl.open();
    await createVeths(host, [{ a: end(x, 'eth9'), b: end(y, 'eth9') }]); // already there before the failing call
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('throws a KernelError naming the endpoints when a name exists, and removes the pairs of that call', async () => {
    const pairs: VethPair[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => ({ a: end(x, `eth${i}`), b: end(y, i === 3 ? 'eth9' : `eth${i}`) }));
    const err = await createVeths(host!, pairs).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(KernelError);
    const k = err as KernelError;
    expect(k.object).to.equal('veth x:eth3 <-> y:eth9');
    expect(k.code).to.equal('EEXIST');
    expect(k.hint).to.contain('eth9');
    expect(await names(x)).to.deep.equal(['eth9', 'lo']);
    expect(await names(y)).to.deep.equal(['eth9', 'lo']);
  });

  it('waits for carrier: times out naming the interface while the peer is down, then sees it up', async () => {
    await createVeths(host!, [{ a: end(x, 'eth5'), b: end(y, 'eth5') }]);
    const sx = Rtnl.open({ netnsFd: x.fd, label: 'node x' });
    const sy = Rtnl.open({ netnsFd: y.fd, label: 'node y' });
    try {
      await configureNetns(sx, { up: [], addresses: [], routes: [] }, 'x'); // lo up
      const err = await waitOperUp(sx, ['lo', 'eth5'], 'x', 200).then(() => undefined, (e: unknown) => e) as KernelError;
      expect(err).to.be.instanceOf(KernelError);
      expect(err.object).to.equal('x:eth5');
      expect(err.code).to.equal('ETIMEDOUT');
      await configureNetns(sy, { up: ['eth5'], addresses: [], routes: [] }, 'y');
      await waitOperUp(sx, ['lo', 'eth5'], 'x', 5000);
      await sx.request(RTM.DELLINK, linkBody({}, [attr(IFLA.IFNAME, strz('eth5'))]), { object: 'x:eth5' });
    } finally { sx.close(); sy.close(); }
  });

  it('refuses a pair with different MTUs before creating anything', async () => {
    const err = await createVeths(host!, [
      { a: end(x, 'eth1'), b: end(y, 'eth1') },
      { a: end(x, 'eth2', 1500), b: end(y, 'eth2', 9000) },
    ]).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(TopologyError);
    expect(await names(x)).to.deep.equal(['eth9', 'lo']);
  });

  it('names the missing module when the kernel lacks a link kind', async function () {
    // "dummy" is missing on the development kernel; where it exists, remove it again.
    const s = Rtnl.open({ netnsFd: x.fd, label: 'node x' });
    try {
      const body = linkBody({}, [attr(IFLA.IFNAME, strz('probe0')), nested(IFLA.LINKINFO, [attr(IFLA_INFO.KIND, strz('dummy'))])]);
      const err = await s.request(RTM.NEWLINK, body, { object: 'x:probe0', flags: NLM_F.CREATE | NLM_F.EXCL, features: { EOPNOTSUPP: 'dummy (CONFIG_DUMMY)' } })
        .then(() => undefined, (e: unknown) => e);
      if (!err) {
        await s.request(RTM.DELLINK, linkBody({}, [attr(IFLA.IFNAME, strz('probe0'))]), { object: 'x:probe0' });
        skip(this, 'this kernel has the dummy link kind, so there is no refusal to check');
      }
      expect((err as KernelError).headline).to.equal('x:probe0: RTM_NEWLINK: the kernel has no dummy (CONFIG_DUMMY) (EOPNOTSUPP)');
      expect((err as KernelError).hint).to.contain('modprobe dummy');
    } finally { s.close(); }
  });

  it('names the node and interface when an address goes on a missing interface', async () => {
    const s = Rtnl.open({ netnsFd: x.fd, label: 'node x' });
    try {
      const err = await configureNetns(s, { up: [], addresses: [{ iface: 'eth7', cidr: '10.0.0.1/24' }], routes: [] }, 'x')
        .then(() => undefined, (e: unknown) => e) as KernelError;
      expect(err.object).to.equal('x:eth7');
      expect(err.hint).to.contain('eth9');
    } finally { s.close(); }
  });

  it('says the next hop is not connected when a gateway is off-link', async () => {
    const s = Rtnl.open({ netnsFd: x.fd, label: 'node x' });
    try {
      const err = await configureNetns(s, { up: [], addresses: [], routes: [{ prefix: '10.9.0.0/16', via: ['192.0.2.1'] }] }, 'x')
        .then(() => undefined, (e: unknown) => e) as KernelError;
      expect(err).to.be.instanceOf(KernelError);
      expect(err.object).to.equal('route 10.9.0.0/16 via 192.0.2.1 on x');
      expect(err.hint).to.contain('not in a subnet connected to x');
    } finally { s.close(); }
  });
});

describeWithLeakcheck('net: sysctls in a node', function () {
  let ns: TestNetns[] = [];
  let n: TestNetns, control: TestNetns;
  let host: Rtnl | undefined;

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['n', 'control']);
    [n, control] = ns;
    host = Rtnl.open();
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('makes interfaces created after a conf.default write inherit it (rp_filter, accept_dad)', async () => {
    // 2 (loose) is not the kernel's default, so inheritance is visible.
    writeSysctls(n.fd, { 'net.ipv4.conf.default.rp_filter': '2', 'net.ipv6.conf.default.accept_dad': '0' }, 'n');
    await createVeths(host!, [{ a: end(n, 'eth1'), b: end(control, 'eth1') }]);
    expect(readSysctl(n.fd, 'net.ipv4.conf.eth1.rp_filter', 'n')).to.equal('2');
    expect(readSysctl(n.fd, 'net.ipv6.conf.eth1.accept_dad', 'n')).to.equal('0');
    // the control namespace had no write: its end keeps the kernel's defaults
    expect(readSysctl(control.fd, 'net.ipv6.conf.eth1.accept_dad', 'control')).to.equal('1');
  });

  it('changes only the node\'s namespace, not the host\'s', () => {
    const before = readSysctl(control.fd, 'net.ipv4.conf.default.rp_filter', 'control');
    writeSysctls(n.fd, { 'net.ipv4.conf.default.rp_filter': before === '1' ? '2' : '1' }, 'n');
    expect(readSysctl(control.fd, 'net.ipv4.conf.default.rp_filter', 'control')).to.equal(before);
  });

  it('writes netlab\'s router defaults', () => {
    writeSysctls(n.fd, defaultSysctls('router'), 'n');
    expect(readSysctl(n.fd, 'net.ipv4.ip_forward', 'n')).to.equal('1');
    expect(readSysctl(n.fd, 'net.ipv6.conf.all.forwarding', 'n')).to.equal('1');
    expect(readSysctl(n.fd, 'net.ipv4.conf.all.rp_filter', 'n')).to.equal('0');
  });

  it('refuses a key outside net.* before writing anything', () => {
    expect(() => writeSysctls(n.fd, { 'net.ipv4.ip_forward': '0', 'kernel.panic': '1' }, 'n')).to.throw(TopologyError);
    expect(readSysctl(n.fd, 'net.ipv4.ip_forward', 'n')).to.equal('1');
  });

  it('gives a KernelError naming the sysctl and node for an unknown key', () => {
    let err: unknown;
    try { writeSysctls(n.fd, { 'net.ipv4.no_such_thing': '1' }, 'n'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(KernelError);
    expect((err as KernelError).object).to.equal('sysctl net.ipv4.no_such_thing on n');
    expect((err as KernelError).code).to.equal('ENOENT');
  });
});
