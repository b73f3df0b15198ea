import { expect } from 'chai';
import { NetlabError, TopologyError, UsageError } from '../../src/errors.js';
import { otherEnd, shapingFromFlags } from '../../src/cli/link.js';
import { goneReason, rebuildHint } from '../../src/lab/links.js';
import { checkShaping } from '../../src/topology/shaping.js';
import { loadTopology } from '../../src/lab/load.js';

function caught(fn: () => unknown): NetlabError {
  try { fn(); } catch (e) { return e as NetlabError; }
  throw new Error('expected an error');
}

describe('netlab link set: flags', () => {
  it('refuses --rate above 8tbit as a usage error naming the flag, with the maximum in the hint', () => {
    const err = caught(() => shapingFromFlags({ rate: '999999999999tbit' }));
    expect(err).to.be.instanceOf(UsageError);
    expect(err.exitCode).to.equal(2);
    expect(err.where).to.equal('--rate 999999999999tbit');
    expect(err.hint).to.contain('netlab shapes up to 8tbit').and.contain('leave rate out');
  });
  it('says --rate -5mbit is negative and --rate 1e99bit has an exponent', () => {
    expect(caught(() => shapingFromFlags({ rate: '-5mbit' })).message).to.contain('cannot be negative');
    const err = caught(() => shapingFromFlags({ rate: '1e99bit' }));
    expect(err.message).to.contain('exponent');
    expect(err.hint).to.contain('without an exponent');
  });
  it('hints 0–100% for every percent flag above 100, never "write e.g. 101%"', () => {
    for (const flag of ['loss', 'corrupt', 'duplicate', 'reorder'] as const) {
      for (const v of ['101', '101%']) {
        const err = caught(() => shapingFromFlags({ [flag]: v }));
        expect(err.where, flag).to.equal(`--${flag} ${v}`);
        expect(err.message, `${flag} ${v}`).to.contain('above 100%');
        expect(err.hint, `${flag} ${v}`).to.contain('from 0% to 100%').and.not.contain('101%');
      }
    }
  });
  it('reports a cross-field check at the endpoint as typed, with the flag in the hint', () => {
    const jitter = caught(() => checkShaping({ jitterMs: 5 }, 'r1:eth1', 'flags')) as TopologyError;
    expect(jitter.path).to.equal('r1:eth1');
    expect(jitter.message).to.contain('jitter needs a delay');
    expect(jitter.hint).to.contain('--delay 20ms').and.not.contain('delay:');
    expect(caught(() => checkShaping({ reorderPercent: 5 }, 'r1:eth1', 'flags')).hint).to.contain('--delay 20ms');
    expect(caught(() => checkShaping({ burstBytes: 9000 }, 'r1:eth1', 'flags')).hint).to.contain('--rate 10mbit');
  });
  it('keeps YAML keys in the hint for a topology file', () => {
    expect(caught(() => checkShaping({ jitterMs: 5 }, ['links', 0, 'shaping'])).hint).to.contain('delay: 20ms, jitter: 5ms');
  });
});

describe('netlab link set --both', () => {
  const t = loadTopology({ text: 'name: fa-both\nnodes: [a, b, c, d]\nlinks:\n  - [a:eth1, b:eth1]\n  - [a:eth2, host:fa-h1]\n  - [b:eth2, c:eth1, d:eth1]\n' }, { env: {} });
  it('finds the node at the other end of a point-to-point link', () => {
    expect(otherEnd(t, 'a:eth1')).to.equal('b:eth1');
  });
  it('says a host link\'s other end is in the host and shaped from the topology', () => {
    const err = caught(() => otherEnd(t, 'a:eth2'));
    expect(err.message).to.contain('host link').and.contain('fa-h1');
    expect(err.hint).to.contain('leave out --both').and.contain('host:fa-h1').and.not.contain('LAN');
  });
  it('tells a LAN port to set each end on its own', () => {
    expect(caught(() => otherEnd(t, 'b:eth2')).hint).to.contain('each end of the LAN');
  });
});

describe('netlab link on a gone interface', () => {
  const t = loadTopology({ text: 'name: fc-gone\nnodes: [a, b]\nlinks:\n  - [a:eth1, b:eth1]\n  - [a:eth2, host:fc-h1]\n' }, { env: {} });
  const ifs = t.nodes.find((n) => n.name === 'a')!.interfaces;
  it('says the peer node is dead when it is not running, and deleted by hand otherwise', () => {
    expect(goneReason(ifs[0]!, (n) => n !== 'b')).to.contain('its peer node b is dead');
    expect(goneReason(ifs[0]!, () => true)).to.contain('deleted by hand');
    expect(goneReason(ifs[1]!, () => false)).to.contain('deleted by hand');
  });
  it('names the real topology file (from the State file when the topology has none), never a placeholder', () => {
    expect(rebuildHint(t, 'fc-gone', '/labs/my lab.yaml')).to.contain("netlab up --reconfigure '/labs/my lab.yaml'").and.contain('netlab down fc-gone');
    expect(rebuildHint({ ...t, file: '/labs/x.yaml' }, 'fc-gone')).to.contain('netlab up --reconfigure /labs/x.yaml');
    expect(rebuildHint(t, 'fc-gone')).to.contain('netlab down fc-gone').and.not.contain('FILE');
  });
});
