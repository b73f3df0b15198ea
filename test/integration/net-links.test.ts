/**
 * Links, addresses and routes on a real kernel, in throw-away namespaces:
 * a line of three nodes with static routes, and a LAN of four hosts behind a
 * router through a bridge in a segment namespace.
 */
import { expect } from 'chai';
import { requireRoot } from '../helpers/kernel.js';
import { createBridge } from '../../src/net/bridge.js';
import { configureNetns } from '../../src/net/iface.js';
import { Rtnl } from '../../src/net/rtnl.js';
import { defaultSysctls, writeSysctls } from '../../src/net/sysctl.js';
import { createVeths, type VethEnd, type VethPair } from '../../src/net/veth.js';
import { describeWithLeakcheck, inNetns, ipJson, ping, startNetns, stopNetns, waitUp, type TestNetns } from './net-ns.js';

type Link = { ifname: string; mtu: number; address: string; flags: string[] };
type Addr = { ifname: string; addr_info: Array<{ local: string; tentative?: boolean; dadfailed?: boolean }> };

const end = (n: TestNetns, iface: string, mac?: string, mtu = 1500): VethEnd => ({ netnsFd: n.fd, node: n.name, iface, mac, mtu });
const linkOf = (n: TestNetns, iface: string): Link => ipJson<Link[]>(n, ['link', 'show', 'dev', iface])[0];

describeWithLeakcheck('net: a line of three nodes with static routes', function () {
  let ns: TestNetns[] = [];
  let r1: TestNetns, r2: TestNetns, r3: TestNetns;
  let host: Rtnl | undefined;
  const progress: string[] = [];
  let pairs: VethPair[] = [];

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['r1', 'r2', 'r3']);
    [r1, r2, r3] = ns;
    writeSysctls(r1.fd, defaultSysctls('host'), 'r1');
    writeSysctls(r2.fd, defaultSysctls('router'), 'r2');
    writeSysctls(r3.fd, defaultSysctls('host'), 'r3');
    host = Rtnl.open();
    pairs = [
      { a: end(r1, 'eth1', '02:00:00:00:01:01', 1400), b: end(r2, 'eth1', '02:00:00:00:02:01', 1400) },
      { a: end(r2, 'eth2', '02:00:00:00:02:02', 1400), b: end(r3, 'eth1', '02:00:00:00:03:01', 1400) },
    ];
    await createVeths(host, pairs, { onProgress: (d, t) => progress.push(`${d}/${t}`) });
    // r1 and r3 first, while the far ends are still down (no carrier): routes must still go in.
    const cfg = async (n: TestNetns, c: Parameters<typeof configureNetns>[1]): Promise<void> => {
      const s = Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` });
      try { await configureNetns(s, c, n.name); } finally { s.close(); }
    };
    await cfg(r1, {
      up: ['eth1'],
      addresses: [{ iface: 'eth1', cidr: '10.0.12.1/24' }, { iface: 'eth1', cidr: '2001:db8:12::1/64' }, { iface: 'lo', cidr: '10.255.0.1/32' }],
      routes: [{ prefix: '0.0.0.0/0', via: ['10.0.12.2'] }, { prefix: '::/0', via: ['2001:db8:12::2'] }],
    });
    await cfg(r3, {
      up: ['eth1'],
      addresses: [{ iface: 'eth1', cidr: '10.0.23.3/24' }, { iface: 'eth1', cidr: '2001:db8:23::3/64' }, { iface: 'lo', cidr: '10.255.0.3/32' }],
      routes: [{ prefix: '0.0.0.0/0', via: ['10.0.23.2'] }, { prefix: '::/0', via: ['2001:db8:23::2'] }],
    });
    await cfg(r2, {
      up: ['eth1', 'eth2'],
      addresses: [
        { iface: 'eth1', cidr: '10.0.12.2/24' }, { iface: 'eth1', cidr: '2001:db8:12::2/64' },
        { iface: 'eth2', cidr: '10.0.23.2/24' }, { iface: 'eth2', cidr: '2001:db8:23::2/64' },
      ],
      routes: [
        { prefix: '10.255.0.1/32', via: ['10.0.12.1'] },
        { prefix: '10.255.0.3/32', via: ['10.0.23.3'], dev: 'eth2', metric: 10 },
        { prefix: '10.99.0.0/24', via: ['10.0.12.1', '10.0.23.3'] },
        { prefix: '2001:db8:99::/48', via: ['2001:db8:12::1', '2001:db8:23::3'] },
      ],
    });
    await Promise.all([waitUp(r1, ['eth1']), waitUp(r2, ['eth1', 'eth2']), waitUp(r3, ['eth1'])]);
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('pings end to end over IPv4 right after configuration, loopback to loopback', () => {
    expect(ping(r1, '10.0.23.3')).to.equal(true);
    expect(inNetns(r1, ['ping', '-n', '-q', '-c1', '-W1', '-I', '10.255.0.1', '10.255.0.3']).status).to.equal(0);
  });

  it('pings end to end over IPv6 at once, with no address left tentative', () => {
    for (const n of ns) {
      const tentative = ipJson<Addr[]>(n, ['-6', 'addr']).flatMap((a) => a.addr_info.filter((i) => i.tentative || i.dadfailed).map((i) => `${n.name}:${a.ifname}:${i.local}`));
      expect(tentative, 'tentative addresses').to.deep.equal([]);
    }
    expect(ping(r1, '2001:db8:23::3')).to.equal(true);
    expect(ping(r3, '2001:db8:12::1')).to.equal(true);
  });

  it('gives both ends of every veth the same MTU', () => {
    for (const p of pairs) {
      const a = linkOf(ns.find((n) => n.name === p.a.node)!, p.a.iface);
      const b = linkOf(ns.find((n) => n.name === p.b.node)!, p.b.iface);
      expect([a.mtu, b.mtu], `${p.a.node}:${p.a.iface} / ${p.b.node}:${p.b.iface}`).to.deep.equal([1400, 1400]);
    }
  });

  it('applies the MACs as given', () => {
    for (const p of pairs) {
      for (const e of [p.a, p.b]) expect(linkOf(ns.find((n) => n.name === e.node)!, e.iface).address).to.equal(e.mac);
    }
  });

  it('names each end as given, inside its own namespace only', () => {
    expect(ipJson<Link[]>(r2, ['link']).map((l) => l.ifname).sort()).to.deep.equal(['eth1', 'eth2', 'lo']);
    expect(inNetns(r1, ['ip', 'link', 'show', 'eth2']).status).to.not.equal(0);
  });

  it('reports progress once per pair', () => {
    expect(progress).to.deep.equal(['1/2', '2/2']);
  });

  it('installs a static route with the given device and metric', () => {
    const [r] = ipJson<Array<{ dev: string; metric?: number; protocol: string }>>(r2, ['route', 'show', '10.255.0.3/32']);
    expect(r).to.include({ dev: 'eth2', metric: 10, protocol: 'static' });
  });

  it('installs an ECMP route with both next hops, IPv4 and IPv6', () => {
    const [v4] = ipJson<Array<{ nexthops?: Array<{ gateway: string }> }>>(r2, ['route', 'show', '10.99.0.0/24']);
    expect(v4.nexthops?.map((h) => h.gateway).sort()).to.deep.equal(['10.0.12.1', '10.0.23.3']);
    const [v6] = ipJson<Array<{ nexthops?: Array<{ gateway: string }> }>>(r2, ['-6', 'route', 'show', '2001:db8:99::/48']);
    expect(v6.nexthops?.map((h) => h.gateway).sort()).to.deep.equal(['2001:db8:12::1', '2001:db8:23::3']);
  });
});

describeWithLeakcheck('net: a LAN of four hosts behind a router', function () {
  let ns: TestNetns[] = [];
  let seg: TestNetns, r: TestNetns, far: TestNetns;
  let hosts: TestNetns[] = [];
  let host: Rtnl | undefined;

  before(async function () {
    requireRoot(this);
    ns = await startNetns(['seg', 'r', 'far', 'h1', 'h2', 'h3', 'h4']);
    [seg, r, far, ...hosts] = ns;
    writeSysctls(seg.fd, defaultSysctls('segment'), 'segment lan1');
    writeSysctls(r.fd, defaultSysctls('router'), 'r');
    for (const n of [far, ...hosts]) writeSysctls(n.fd, defaultSysctls('host'), n.name);
    host = Rtnl.open();
    await createVeths(host, [
      { a: end(r, 'eth1'), b: end(seg, 'r') },
      { a: end(r, 'eth2'), b: end(far, 'eth0') },
      ...hosts.map((h) => ({ a: end(h, 'eth0'), b: end(seg, h.name) })),
    ]);
    const segSock = Rtnl.open({ netnsFd: seg.fd, label: 'segment lan1' });
    try {
      await createBridge(segSock, { name: 'lan1', mtu: 1500, ports: ['r', ...hosts.map((h) => h.name)] }, 'segment lan1');
    } finally { segSock.close(); }
    const cfg = async (n: TestNetns, c: Parameters<typeof configureNetns>[1]): Promise<void> => {
      const s = Rtnl.open({ netnsFd: n.fd, label: `node ${n.name}` });
      try { await configureNetns(s, c, n.name); } finally { s.close(); }
    };
    await Promise.all([
      cfg(r, {
        up: ['eth1', 'eth2'],
        addresses: [{ iface: 'eth1', cidr: '10.0.1.254/24' }, { iface: 'eth1', cidr: '2001:db8:1::254/64' },
          { iface: 'eth2', cidr: '10.0.2.1/24' }, { iface: 'eth2', cidr: '2001:db8:2::1/64' }],
        routes: [],
      }),
      cfg(far, {
        up: ['eth0'],
        addresses: [{ iface: 'eth0', cidr: '10.0.2.2/24' }, { iface: 'eth0', cidr: '2001:db8:2::2/64' }],
        routes: [{ prefix: '0.0.0.0/0', via: ['10.0.2.1'] }, { prefix: '::/0', via: ['2001:db8:2::1'] }],
      }),
      ...hosts.map((h, i) => cfg(h, {
        up: ['eth0'],
        addresses: [{ iface: 'eth0', cidr: `10.0.1.${11 + i}/24` }, { iface: 'eth0', cidr: `2001:db8:1::${11 + i}/64` }],
        routes: [{ prefix: '0.0.0.0/0', via: ['10.0.1.254'] }, { prefix: '::/0', via: ['2001:db8:1::254'] }],
      })),
    ]);
    await Promise.all([waitUp(seg, ['lan1', 'r', ...hosts.map((h) => h.name)]), waitUp(r, ['eth1', 'eth2']), waitUp(far, ['eth0']),
      ...hosts.map((h) => waitUp(h, ['eth0']))]);
  });
  after(async () => {
    host?.close();
    await stopNetns(ns);
  });

  it('lets every host reach the far side through the router, IPv4 and IPv6, at once', () => {
    const failed = hosts.flatMap((h) => [
      ping(h, '10.0.2.2') ? '' : `${h.name} v4`,
      ping(h, '2001:db8:2::2') ? '' : `${h.name} v6`,
    ]).filter(Boolean);
    expect(failed).to.deep.equal([]);
  });

  it('lets hosts on the LAN reach each other through the bridge', () => {
    expect(ping(hosts[0], '10.0.1.14')).to.equal(true);
    expect(ping(hosts[3], '2001:db8:1::11')).to.equal(true);
  });

  it('runs the bridge with STP and multicast snooping off and every port forwarding', () => {
    const [br] = ipJson<Array<{ linkinfo: { info_data: { stp_state: number; mcast_snooping: number } } }>>(seg, ['-d', 'link', 'show', 'lan1']);
    expect(br.linkinfo.info_data).to.include({ stp_state: 0, mcast_snooping: 0 });
    const ports = JSON.parse(inNetns(seg, ['bridge', '-j', 'link']).out) as Array<{ ifname: string; state: string; master: string }>;
    expect(ports.map((p) => `${p.ifname}:${p.master}:${p.state}`).sort())
      .to.deep.equal(['h1:lan1:forwarding', 'h2:lan1:forwarding', 'h3:lan1:forwarding', 'h4:lan1:forwarding', 'r:lan1:forwarding']);
  });

  it('keeps IPv6 off in the segment namespace (no lab traffic from the bridge itself)', () => {
    expect(ipJson<Addr[]>(seg, ['-6', 'addr']).flatMap((a) => a.addr_info)).to.deep.equal([]);
  });
});
