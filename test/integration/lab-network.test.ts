/**
 * Links and addressing in whole labs (issue 4), through the library API: a
 * routed line plus a LAN, IPv4 and IPv6 usable the moment `up` returns, equal
 * MTUs on both ends, stable MACs, asymmetric routing, two labs with the same
 * names side by side, and a kernel refusal rolled back.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { KernelError } from '../../src/errors.js';
import type { Topology } from '../../src/topology/types.js';
import { leakcheckAround, repoRoot, requireRoot } from '../helpers/kernel.js';
import { residue } from '../helpers/lab.js';
import { loadTopology, loadTopologyFile } from '../../src/lab/load.js';
import { LEARNED_NEIGHBOURS_MAX } from '../../src/graph/plan.js';

const fixture = (name: string): string => join(repoRoot, 'test/fixtures/labs', name);

/** Every address (loopbacks and interfaces, both families) of a lab, without prefix length. */
function addressesOf(t: Topology): string[] {
  return t.nodes.flatMap((n) => [n.loopback.ipv4, n.loopback.ipv6, ...n.interfaces.flatMap((i) => [i.ipv4, i.ipv6])])
    .filter((a): a is string => Boolean(a)).map((a) => a.split('/')[0]);
}

/** Pings every address from `node` in one shell; returns the addresses that did not answer. */
async function unreachableFrom(lab: Lab, node: string, addrs: string[]): Promise<string[]> {
  const script = `for a in ${addrs.join(' ')}; do ping -n -c1 -W2 -q "$a" >/dev/null 2>&1 || echo "$a"; done`;
  const r = await lab.exec(node, ['/bin/sh', '-c', script]);
  return r.stdout.split('\n').filter(Boolean);
}

interface IpLink { ifname: string; mtu: number; address: string }
async function links(lab: Lab, node: string): Promise<IpLink[]> {
  const r = await lab.exec(node, ['ip', '-j', 'link', 'show']);
  return JSON.parse(r.stdout) as IpLink[];
}

describe('lab networking (real kernel)', function () {
  this.timeout(180_000);
  leakcheckAround({ labs: ['t-net-'], runDir: true });
  const opened: Lab[] = [];
  before(function () { requireRoot(this); });
  afterEach(async () => {
    for (const lab of opened.splice(0)) await lab.down().catch(() => undefined);
  });

  it('answers every address, IPv4 and IPv6, from every node right after up', async () => {
    const lab = await Lab.up(fixture('line-lan.yaml'), { load: { env: { LAB: 't-net-line' } } });
    opened.push(lab);
    const addrs = addressesOf(lab.topology);
    expect(addrs.filter((a) => a.includes(':')).length).to.be.greaterThan(10);
    const failures: string[] = [];
    for (const n of lab.topology.nodes) {
      for (const a of await unreachableFrom(lab, n.name, addrs)) failures.push(`${n.name} -> ${a}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('gives both ends of every link the link\'s MTU and the MACs of the plan, the same on every up', async () => {
    const macs: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const lab = await Lab.up(fixture('line-lan.yaml'), { load: { env: { LAB: 't-net-line' } } });
      opened.push(lab);
      const seen: string[] = [];
      for (const n of lab.topology.nodes) {
        const live = new Map((await links(lab, n.name)).map((l) => [l.ifname, l]));
        for (const i of n.interfaces) {
          const l = live.get(i.name);
          expect(l, `${n.name}:${i.name}`).to.not.equal(undefined);
          expect(l!.mtu, `${n.name}:${i.name} MTU`).to.equal(lab.topology.links[i.link].mtu);
          expect(l!.address, `${n.name}:${i.name} MAC`).to.equal(i.mac);
          seen.push(`${n.name}:${i.name}=${l!.address}`);
        }
      }
      expect(lab.topology.links[1].mtu).to.equal(9000);
      macs.push(seen.sort());
      await lab.down();
      opened.pop();
    }
    expect(macs[1]).to.deep.equal(macs[0]);
  });

  it('routes asymmetrically: a request over one link, the reply over the other', async () => {
    const lab = await Lab.up(fixture('asym.yaml'), { load: { env: { LAB: 't-net-asym' } } });
    opened.push(lab);
    expect(await unreachableFrom(lab, 'h1', ['10.1.0.7'])).to.deep.equal([]);
    // The request entered r2 on eth1, the reply left it on eth2.
    const r2 = JSON.parse((await lab.exec('r2', ['ip', '-j', '-s', 'link', 'show'])).stdout) as { ifname: string; stats64: { rx: { packets: number }; tx: { packets: number } } }[];
    const by = new Map(r2.map((l) => [l.ifname, l.stats64]));
    expect(by.get('eth1')!.rx.packets).to.be.greaterThan(0);
    expect(by.get('eth2')!.tx.packets).to.be.greaterThan(0);
  });

  it('drops the asymmetric reply path when strict rp_filter is asked for (the check above can fail)', async () => {
    const lab = await Lab.up(fixture('asym.yaml'), { load: { env: { LAB: 't-net-asym', RPF: '1' } } });
    opened.push(lab);
    expect(await unreachableFrom(lab, 'h1', ['10.1.0.7'])).to.deep.equal(['10.1.0.7']);
  });

  it('runs two labs with the same node and segment names side by side, each seeing only itself', async () => {
    const a = await Lab.up(fixture('line-lan.yaml'), { load: { env: { LAB: 't-net-sideA' } } });
    opened.push(a);
    const b = await Lab.up(fixture('line-lan.yaml'), { load: { env: { LAB: 't-net-sideB' } } });
    opened.push(b);
    for (const lab of [a, b]) {
      expect(await unreachableFrom(lab, 'h1', addressesOf(lab.topology))).to.deep.equal([]);
      const names = (await links(lab, 'c')).map((l) => l.ifname).sort();
      expect(names).to.deep.equal(['eth1', 'eth2', 'lo']);
    }
    expect(a.topology.nodes.map((n) => n.name)).to.deep.equal(b.topology.nodes.map((n) => n.name));
  });

  it('gives the point-to-point peers of a lab too big for the host\'s neighbour table permanent entries, and a small lab learned ones', async () => {
    // LEARNED_NEIGHBOURS_MAX / 2 + 1 links: one more entry pair than a lab may leave to ARP.
    const ring = (name: string, n: number): Topology => loadTopology({ text: [`name: ${name}`, 'nodes:', ...Array.from({ length: n }, (_, i) => `  n${i}: {}`), 'links:',
      ...Array.from({ length: n }, (_, i) => `  - [n${i}:eth1, n${(i + 1) % n}:eth2]`)].join('\n') }, { env: {} });
    const neighOf = async (lab: Lab, node: string, iface: string): Promise<{ dst: string; lladdr?: string; state: string[] }[]> =>
      JSON.parse((await lab.exec(node, ['ip', '-j', 'neigh', 'show', 'dev', iface])).stdout || '[]') as { dst: string; lladdr?: string; state: string[] }[];
    const big = await Lab.up(ring('t-net-neigh', LEARNED_NEIGHBOURS_MAX / 2 + 1));
    opened.push(big);
    const n0eth1 = big.topology.nodes.find((n) => n.name === 'n0')!.interfaces.find((i) => i.name === 'eth1')!;
    const peer = n0eth1.ipv4!.split('/')[0]!;
    expect(await neighOf(big, 'n1', 'eth2')).to.deep.equal([{ dst: peer, lladdr: n0eth1.mac, state: ['PERMANENT'] }]);
    expect((await big.exec('n1', ['ping', '-n', '-c1', '-W2', peer])).code).to.equal(0);
    await big.down();
    opened.splice(opened.indexOf(big), 1);
    const small = await Lab.up(ring('t-net-neigh-small', 3));
    opened.push(small);
    const smallPeer = small.topology.nodes.find((n) => n.name === 'n0')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!.split('/')[0]!;
    expect(await neighOf(small, 'n1', 'eth2')).to.deep.equal([]);
    expect((await small.exec('n1', ['ping', '-n', '-c1', '-W2', smallPeer])).code).to.equal(0);
    const learned = await neighOf(small, 'n1', 'eth2');
    expect(learned.map((e) => e.dst)).to.deep.equal([smallPeer]);
    expect(learned[0]!.state).to.not.include('PERMANENT');
  });

  it('writes OSPF\'s AllSPFRouters entry permanent on every OSPF interface of a large lab, and FRR\'s hellos go out through it', async function () {
    this.timeout(120_000);
    // 129 routers in a ring: 258 peer entries and 258 group entries, more than a lab may leave to the kernel.
    const n = 129;
    expect(4 * n).to.be.greaterThan(LEARNED_NEIGHBOURS_MAX);
    const lab = await Lab.up(loadTopology({ text: ['name: t-net-spf', 'defaults: { kind: frr }', 'ospf: { area: 0 }', 'nodes:', ...Array.from({ length: n }, (_, i) => `  n${i}: {}`), 'links:',
      ...Array.from({ length: n }, (_, i) => `  - [n${i}:eth1, n${(i + 1) % n}:eth2]`)].join('\n') }, { env: {} }));
    opened.push(lab);
    const group = async (): Promise<{ dst: string; lladdr?: string; state: string[] }[]> =>
      (JSON.parse((await lab.exec('n1', ['ip', '-j', 'neigh', 'show', 'nud', 'all', 'dev', 'eth2'])).stdout || '[]') as { dst: string; lladdr?: string; state: string[] }[])
        .filter((e) => e.dst === '224.0.0.5');
    expect(await group()).to.deep.equal([{ dst: '224.0.0.5', lladdr: '01:00:5e:00:00:05', state: ['PERMANENT'] }]);
    // Hellos went out through the group's entries: n1 hears both of its neighbours (hello 10 s in a lab this size).
    const heard = async (): Promise<number> => {
      const r = await lab.exec('n1', ['vtysh', '-c', 'show ip ospf neighbor json']);
      const j = JSON.parse(r.stdout || '{}') as { neighbors?: Record<string, unknown[]> };
      return Object.keys(j.neighbors ?? {}).length;
    };
    const end = Date.now() + 60_000;
    while (await heard() < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 1000));
    expect(await heard()).to.equal(2);
    expect(await group()).to.deep.equal([{ dst: '224.0.0.5', lladdr: '01:00:5e:00:00:05', state: ['PERMANENT'] }]);
  });

  it('brings both ends of every link up, with carrier, in a lab with no addresses at all', async () => {
    const lab = await Lab.up(loadTopology({ text: 'name: t-net-bare\naddressing: false\nnodes: [a, b, c]\nlinks: [[a:eth1, b:eth1], [b:eth2, c:eth1], [c:eth2, a:eth2]]\n' }, { env: {} }));
    opened.push(lab);
    for (const node of ['a', 'b', 'c']) {
      const r = await lab.exec(node, ['ip', '-j', 'link', 'show']);
      const states = (JSON.parse(r.stdout) as { ifname: string; operstate: string }[]).filter((l) => l.ifname !== 'lo').map((l) => `${node}:${l.ifname} ${l.operstate}`);
      expect(states).to.deep.equal([`${node}:eth1 UP`, `${node}:eth2 UP`]);
    }
  });

  it('names the endpoint in a kernel refusal and rolls the half-made lab back', async () => {
    // IPv6 switched off by the user on new interfaces: the kernel refuses their IPv6 addresses.
    const t = loadTopologyFile(fixture('line-lan.yaml'), { env: { LAB: 't-net-refuse' } });
    for (const n of t.nodes) n.sysctls['net.ipv6.conf.default.disable_ipv6'] = '1';
    let caught: unknown;
    try {
      opened.push(await Lab.up(t));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(KernelError);
    const e = caught as KernelError;
    expect(e.headline).to.match(/address 2001:db8:[0-9a-f:]+\/(64|128) on [a-z0-9]+:(eth\d|lo)/);
    expect(residue('t-net-refuse')).to.deep.equal([]);
  });
});
