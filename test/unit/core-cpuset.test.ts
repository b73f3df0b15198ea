import { expect } from 'chai';
import { checkCpusets, cpuListProblem, cpusOutside, formatCpuList, hostCpus, MAX_CPU, parseCpuList } from '../../src/core/cpuset.js';
import type { CgroupLayout } from '../../src/core/cgroups.js';
import { TopologyError } from '../../src/errors.js';

const v1: CgroupLayout = { mode: 'hybrid', unifiedControllers: [], v1: [{ mount: '/sys/fs/cgroup/cpuset', controllers: ['cpuset'] }], cpusetRoot: { cpus: '0-1', mems: '0' } };
const node = (name: string, cpuset?: string): { name: string; resources: { cpuset?: string } } => ({ name, resources: cpuset === undefined ? {} : { cpuset } });

describe('cpusets (pure)', () => {
  it('parses and formats cpuset(7) CPU lists', () => {
    expect(parseCpuList('0-2,5,7-8\n')).to.deep.equal([0, 1, 2, 5, 7, 8]);
    expect(formatCpuList([8, 0, 1, 2, 5, 7])).to.equal('0-2,5,7-8');
    expect(cpusOutside('0-99', [0, 1])).to.have.length(98);
  });

  it('refuses, without counting them out, CPU numbers Linux cannot have and ranges that run backwards', () => {
    expect(cpuListProblem('0-1,4')).to.equal(undefined);
    expect(cpuListProblem(String(MAX_CPU))).to.equal(undefined);
    expect(cpuListProblem('9007199254740993')).to.match(/beyond the 8192 CPUs/);
    expect(cpuListProblem('0-100000000')).to.match(/CPU 100000000 is beyond/);
    expect(cpuListProblem('1-0')).to.equal('the range 1-0 runs backwards');
    expect(cpuListProblem('0,,1')).to.match(/is not a CPU number/);
    const t0 = Date.now();
    expect(() => parseCpuList('0-99999999999999999999')).to.throw(/beyond/);
    expect(Date.now() - t0).to.be.lessThan(50);
  });

  it('takes the CPUs netlab may use from the v1 cpuset root', () => {
    expect(hostCpus(v1)).to.equal('0-1');
  });

  it('refuses a cpuset naming CPUs the host lacks, naming the node key and the CPUs there are', () => {
    const err = (() => { try { checkCpusets({ nodes: [node('a', '0'), node('b', '0-99')] }, v1, '0-1'); } catch (e) { return e; } return undefined; })();
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).exitCode).to.equal(2);
    expect((err as TopologyError).path).to.equal('nodes.b.resources.cpuset');
    expect((err as TopologyError).message).to.contain('CPUs 2-99').and.contain('CPUs 0-1 only');
    expect((err as TopologyError).hint).to.contain('0-1');
  });

  it('accepts cpusets inside the host CPUs and nodes without one', () => {
    expect(() => checkCpusets({ nodes: [node('a', '0-1'), node('b', '1'), node('c')] }, v1, '0-1')).to.not.throw();
  });
});
