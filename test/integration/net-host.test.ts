/**
 * The opt-in host objects: a host link and a management network with NAT.
 * leakcheck around the suite proves that exactly what was recorded is removed
 * (links, addresses, routes and the nftables ruleset of the host compare equal).
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { closeNetns } from '../../src/core/netns.js';
import { requireRoot } from '../helpers/kernel.js';
import { createHostLink } from '../../src/net/host-link.js';
import { openHostNetns, removeHostObjects, type HostObject } from '../../src/net/host-objects.js';
import { createMgmtNetwork, mgmtNodeConfig, type MgmtAttachment, type MgmtNetworkSpec } from '../../src/net/mgmt-network.js';
import { configureNetns, listLinks, type NetnsConfig } from '../../src/net/iface.js';
import { natTableHandle } from '../../src/net/nft.js';
import { Rtnl } from '../../src/net/rtnl.js';
import { defaultSysctls, writeSysctls } from '../../src/net/sysctl.js';
import { describeWithLeakcheck, ping, startNetns, stopNetns, waitUp, type TestNetns } from './net-ns.js';

async function cfg(n: TestNetns, c: NetnsConfig): Promise<void> {
  const s = Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` });
  try { await configureNetns(s, c, n.name); } finally { s.close(); }
}
const ipForward = (): string => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();

describeWithLeakcheck('net: host link and management network', function () {
  let ns: TestNetns[] = [];
  let outside: TestNetns, n1: TestNetns, n2: TestNetns;
  let host: Rtnl | undefined;
  let hostFd = -1;
  const recorded: HostObject[] = [];
  let created: HostObject[] = [];
  const forwardBefore = ipForward();
  const spec: MgmtNetworkSpec = { lab: 'nltest', bridge: 'nltest-mg', gateway: '172.31.250.1/24', mtu: 1500, nat: true };
  let atts: MgmtAttachment[] = [];

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['outside', 'n1', 'n2']);
    [outside, n1, n2] = ns;
    for (const n of ns) writeSysctls(n.fd, defaultSysctls('host'), n.name);
    host = Rtnl.open();
    hostFd = openHostNetns();
    // "outside": a namespace behind a host link, with no route back to the mgmt subnet,
    // so a node reaches it only through the host's masquerade.
    created.push(...await createHostLink(host, hostFd, {
      hostIface: 'nltest-h0', hostAddresses: ['198.51.100.1/24'],
      node: { netnsFd: outside.fd, node: 'outside', iface: 'eth0', mtu: 1500 },
    }, (o) => recorded.push(o)));
    await cfg(outside, { up: ['eth0'], addresses: [{ iface: 'eth0', cidr: '198.51.100.2/24' }], routes: [] });
    atts = [n1, n2].map((n, i) => ({ node: n.name, netnsFd: n.fd, iface: 'mgmt0', hostIface: `nltest-m${i + 1}`, addresses: [`172.31.250.${11 + i}/24`] }));
    created.push(...await createMgmtNetwork(host, hostFd, spec, atts, (o) => recorded.push(o)));
    await cfg(n1, mgmtNodeConfig(spec, atts[0], true));
    await cfg(n2, mgmtNodeConfig(spec, atts[1], false));
    await Promise.all([waitUp(outside, ['eth0']), waitUp(n1, ['mgmt0']), waitUp(n2, ['mgmt0'])]);
  });
  after(async () => {
    if (host) await removeHostObjects(host, recorded); // idempotent: also after the removal test
    host?.close();
    if (hostFd >= 0) closeNetns(hostFd);
    await stopNetns(ns);
  });

  it('records every host object as it is made, and returns the same list', () => {
    expect(recorded).to.deep.equal(created);
    const links = recorded.filter((o) => o.kind === 'link').map((o) => o.kind === 'link' && `${o.name}:${o.linkKind}`);
    expect(links).to.deep.equal(['nltest-h0:veth', 'nltest-mg:bridge', 'nltest-m1:veth', 'nltest-m2:veth']);
    expect(recorded.some((o) => o.kind === 'nftTable' && o.name === 'netlab_nltest')).to.equal(true);
  });

  it('creates host interfaces with the recorded ifindexes and names', async () => {
    const links = await listLinks(host!);
    for (const o of recorded) if (o.kind === 'link') expect(links.get(o.name)?.ifindex, o.name).to.equal(o.ifindex);
  });

  it('reaches the host over the host link', () => {
    expect(ping(outside, '198.51.100.1')).to.equal(true);
  });

  it('puts every node on the management bridge, reachable from the host and from each other', () => {
    expect(ping(n1, '172.31.250.1')).to.equal(true);
    expect(ping(n2, '172.31.250.11')).to.equal(true);
  });

  it('masquerades a node\'s traffic out of the host (NAT) through the lab\'s own nftables table', () => {
    expect(natTableHandle('netlab_nltest')).to.be.a('number');
    expect(ipForward()).to.equal('1');
    expect(ping(n1, '198.51.100.2')).to.equal(true);
  });

  it('refuses a host name that already exists and touches nothing', async () => {
    const before = await listLinks(host!);
    const err = await createHostLink(host!, hostFd, { hostIface: 'lo', node: { netnsFd: n2.fd, node: 'n2', iface: 'eth9', mtu: 1500 } }, () => {
      throw new Error('nothing may be recorded');
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).headline).to.contain('already has interface(s) named lo');
    expect([...(await listLinks(host!)).values()]).to.deep.equal([...before.values()]);
  });

  it('leaves alone a recorded ifindex that now has another name', async () => {
    const lo = (await listLinks(host!)).get('lo')!;
    const [r] = await removeHostObjects(host!, [{ kind: 'link', name: 'nltest-gone', ifindex: lo.ifindex, linkKind: 'veth' }]);
    expect(r.outcome).to.match(/^left alone/);
    expect((await listLinks(host!)).get('lo')?.ifindex).to.equal(lo.ifindex);
  });

  it('removes exactly the recorded objects, and a second removal finds them gone', async () => {
    const first = await removeHostObjects(host!, recorded);
    expect(first.map((r) => r.outcome).every((o) => o === 'removed')).to.equal(true);
    const links = await listLinks(host!);
    expect([...links.keys()].filter((n) => n.startsWith('nltest'))).to.deep.equal([]);
    expect(natTableHandle('netlab_nltest')).to.equal(undefined);
    expect(ipForward()).to.equal(forwardBefore);
    const second = await removeHostObjects(host!, recorded.filter((o) => o.kind !== 'sysctl'));
    expect(second.map((r) => r.outcome)).to.deep.equal(second.map(() => 'gone'));
  });
});
