import { expect } from 'chai';
import { join } from 'node:path';
import { hostsFile } from '../../src/lab/steps-nodes.js';
import { vethIfindexes } from '../../src/lab/steps-net.js';
import { repoRoot } from '../helpers/kernel.js';
import { loadTopologyFile } from '../../src/lab/load.js';

describe('lab files', () => {
  it('names routers by their loopback and hosts by their first interface address in /etc/hosts', () => {
    const t = loadTopologyFile(join(repoRoot, 'topologies/ospf-triangle.yaml'));
    const hosts = hostsFile(t);
    expect(hosts).to.match(/^127\.0\.0\.1\tlocalhost$/m);
    expect(hosts).to.match(/^10\.0\.0\.1\tr1$/m);
    const h2 = t.nodes.find((n) => n.name === 'h2')!;
    expect(hosts).to.contain(`${h2.interfaces[0].ipv4!.split('/')[0]}\th2\n`);
  });

  it('gives the two ends of every veth pair different ifindexes, the same on every up', () => {
    const seen = new Set<number>();
    for (let k = 0; k < 5000; k++) {
      const [a, b] = vethIfindexes(k);
      expect(a).to.not.equal(b);
      expect(seen.has(a) || seen.has(b)).to.equal(false);
      seen.add(a); seen.add(b);
    }
    expect(vethIfindexes(0)).to.deep.equal([2, 3]);
  });
});
