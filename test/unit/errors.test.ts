import { expect } from 'chai';
import { KernelError, TopologyError, errnoName, shellWord } from '../../src/errors.js';

describe('errors', () => {
  it('names an errno by its symbol', () => {
    expect(errnoName(17)).to.equal('EEXIST');
    expect(errnoName(-17)).to.equal('EEXIST');
  });
  it('gives a topology error exit code 2 and a path-first headline', () => {
    const e = new TopologyError('links[3].endpoints[1]', 'interface name "x" is 16 bytes; Linux allows 15', 'use eth3');
    expect(e.exitCode).to.equal(2);
    expect(e.headline).to.equal('links[3].endpoints[1]: interface name "x" is 16 bytes; Linux allows 15');
  });
  it('names the missing kernel feature and the module to load', () => {
    const e = new KernelError('qdisc netem on r1:eth1', 'RTM_NEWQDISC', 2, 'sch_netem (CONFIG_NET_SCH_NETEM)');
    expect(e.headline).to.contain('qdisc netem on r1:eth1').and.contain('no sch_netem');
    expect(e.hint).to.contain('modprobe sch_netem');
  });
});

describe('shellWord', () => {
  it('leaves safe words alone and single-quotes the rest so a shell reads them back', () => {
    expect(shellWord('/labs/tri.yaml')).to.equal('/labs/tri.yaml');
    expect(shellWord("/tmp/sp ace/t'x.yaml")).to.equal("'/tmp/sp ace/t'\\''x.yaml'");
    expect(shellWord('ping -c1 h2')).to.equal("'ping -c1 h2'");
  });
});
