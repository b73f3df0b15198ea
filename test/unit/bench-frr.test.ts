import { expect } from 'chai';
import { frrTable, mininetInput, parseFrrArgs, type FrrResult } from '../../bench/frr-bench.js';
import { frrLab, unsupported } from '../../bench/frr-topo.js';
import { loadTopology } from '../../src/lab/load.js';

describe('bench: FRR router labs', () => {
  it('sizes the grid, ring and Clos from the asked router count', () => {
    expect(frrLab('grid', 'ospf', 1024)).to.include({ routers: 1024, links: 2 * 32 * 31, shape: '32×32 grid' });
    expect(frrLab('ring', 'ospf', 400)).to.include({ routers: 400, links: 400 });
    const c = frrLab('clos', 'ebgp', 1024);
    expect(c.shape).to.equal('clos: 32 pods × (2 + 29), 4 spines');
    expect(c.routers).to.equal(4 + 32 * 31);
    expect(c.links).to.equal(32 * (2 * 2 + 29 * 2));
  });

  it('numbers a Clos as RFC 7938 does: one AS for the spines, one per pod\'s tier 2, one per ToR', () => {
    const t = loadTopology({ text: frrLab('clos', 'ebgp', 100).yaml }, { env: {} });
    const as = (n: string): number => t.nodes.find((x) => x.name === n)!.bgp!.as;
    expect(as('s0')).to.equal(as('s3'));
    expect(as('p0a0')).to.equal(as('p0a1')).and.not.equal(as('p1a0'));
    expect(as('p0t0')).not.to.equal(as('p0t1'));
    expect(t.nodes.every((n) => n.ospf === undefined || n.ospf === null)).to.equal(true);
  });

  it('puts both ends of every link in one OSPF area, over more than two areas', () => {
    for (const topo of ['grid', 'clos'] as const) {
      const t = loadTopology({ text: frrLab(topo, 'ospf-areas', 100).yaml }, { env: {} });
      const areaOf = (node: string, iface: string): string => {
        const n = t.nodes.find((x) => x.name === node)!;
        return String(n.ospf!.interfaces[iface]?.area ?? n.ospf!.area);
      };
      const areas = new Set<string>();
      for (const l of t.links) {
        const [a, b] = l.endpoints;
        expect(areaOf(a!.node, a!.iface), `${a!.node}:${a!.iface}`).to.equal(areaOf(b!.node, b!.iface));
        areas.add(areaOf(a!.node, a!.iface));
      }
      expect(areas.size, topo).to.be.greaterThan(2);
    }
  });

  it('refuses the pairs it does not build', () => {
    expect(unsupported('ring', 'ospf-areas')).to.be.a('string');
    expect(unsupported('grid', 'ebgp')).to.be.a('string');
    expect(() => frrLab('grid', 'ebgp', 100)).to.throw(/Clos only/);
  });

  it('gives the Mininet peer netlab\'s own addresses and per-daemon configs', () => {
    const t = loadTopology({ text: frrLab('grid', 'ospf', 9).yaml }, { env: {} });
    const j = JSON.parse(mininetInput(t, 60)) as { routers: { name: string; lo: string; ifaces: string[][]; daemons: Record<string, string> }[]; links: string[][] };
    expect(j.routers).to.have.length(9);
    const r = j.routers.find((x) => x.name === 'r1-1')!;
    expect(Object.keys(r.daemons)).to.deep.equal(['zebra', 'ospfd']);
    expect(r.daemons.ospfd).to.contain(' ip ospf hello-interval 1');
    expect(r.ifaces.map((i) => i[0]).sort()).to.deep.equal(['e2', 'n0', 's2', 'w0']);
    expect(j.links).to.deep.include(['r0-0', 'e1', 'r0-1', 'w0']);
  });

  it('reads its flags and names a bad one', () => {
    expect(parseFrrArgs(['--frr', '--sizes', '100,400', '--topologies=clos', '--protocols', 'ebgp'])).to.include({ mininetMax: 100, timeoutS: 600 })
      .and.deep.include({ sizes: [100, 400], topologies: ['clos'], protocols: ['ebgp'] });
    expect(() => parseFrrArgs(['--topologies', 'torus'])).to.throw(/--topologies: "torus"/);
  });

  it('prints the table with Mininet ÷ netlab ratios', () => {
    const lab = { topo: 'grid' as const, protocol: 'ospf' as const, asked: 100, routers: 100, links: 180, shape: '10×10 grid' };
    const base: FrrResult = { tool: 'netlab', lab, builtMs: 1000, startedMs: 11_000, convergedMs: 12_000, cpuS: 20, pssKiBPerRouter: 10 * 1024, pssKiBByDaemon: { zebra: 6144, ospfd: 4096 }, memDropKiBPerRouter: 12 * 1024, downMs: 500, load1: 1 };
    const out = frrTable([base, { ...base, tool: 'mininet', convergedMs: 48_000, cpuS: 60, pssKiBPerRouter: 12.8 * 1024 }]);
    expect(out).to.contain('| from start to every router having every loopback | 12.0 s | 48.0 s | 4.0× |');
    expect(out).to.contain('| host CPU until converged | 20 CPU-s | 60 CPU-s | 3.0× |');
    expect(out).to.contain('10.0 MiB (zebra 6.0, ospfd 4.0)');
  });
});
