import { expect } from 'chai';
import { TopologyError } from '../../src/errors.js';
import { formatPlan } from '../../src/graph/plan-text.js';
import { plan } from '../../src/graph/plan.js';
import { PRIORITY_TABLE, priorityRuleset } from '../../src/shaping/priority.js';
import { NFT_TABLE } from '../../src/shaping/classify.js';
import type { Topology } from '../../src/topology/index.js';
import { kindCatalog, loadTopology } from '../../src/lab/load.js';
import { formatPriority, parsePriority } from '../../src/topology/priority.js';

const load = (yaml: string): Topology => loadTopology({ text: yaml }, { env: {}, checkFiles: false });
const refused = (yaml: string): TopologyError => {
  try { load(yaml); } catch (e) { if (e instanceof TopologyError) return e; throw e; }
  throw new Error('loaded');
};

describe('node priority (priority:, what net_prio gives a cgroup)', () => {
  it('takes a number or a tc handle and gives the u32 skb->priority', () => {
    expect(parsePriority(6, 'p')).to.equal(6);
    expect(parsePriority('7', 'p')).to.equal(7);
    expect(parsePriority('1:2', 'p')).to.equal(0x00010002);
    expect(parsePriority('ffff:ffff', 'p')).to.equal(0xffffffff);
    expect(parsePriority(4294967295, 'p')).to.equal(0xffffffff);
    expect(formatPriority(6)).to.equal('6');
    expect(formatPriority(0x00010002)).to.equal('1:2');
    expect(formatPriority(0x00ab0010)).to.equal('ab:10');
  });

  it('refuses what is no priority, naming the key and the two forms', () => {
    for (const bad of [-1, 1.5, 4294967296, '1:', ':2', '1:2:3', 'high', '10000:1']) {
      expect(() => parsePriority(bad, 'nodes.r1.priority'), String(bad)).to.throw(TopologyError, /neither a whole number from 0 to 4294967295 nor a tc handle/);
    }
  });

  it('loads priority: on a node, from defaults and groups, and leaves 0 as none', () => {
    const t = load('name: p\ndefaults: { priority: 1:2 }\nnodes: { a: { priority: 6 }, b: {}, c: { priority: 0 } }\nlinks: [[a:eth1, b:eth1], [b:eth2, c:eth1]]\n');
    expect(t.nodes.find((n) => n.name === 'a')!.priority).to.equal(6);
    expect(t.nodes.find((n) => n.name === 'b')!.priority).to.equal(0x00010002);
    expect(t.nodes.find((n) => n.name === 'c')!.priority).to.equal(undefined);
  });

  it('refuses a bad priority at load with the node\'s path and a hint', () => {
    const e = refused('name: p\nnodes: { a: { priority: 1:2:3 }, b: {} }\nlinks: [[a:eth1, b:eth1]]\n');
    expect(e.path).to.equal('nodes.a.priority');
    expect(e.message).to.match(/priority "1:2:3"/);
    expect(e.hint).to.match(/priority: 6/);
    expect(refused('name: p\nnodes: { a: { priority: -3 }, b: {} }\nlinks: [[a:eth1, b:eth1]]\n').path).to.equal('nodes.a.priority');
  });

  it('plans one priority action per node that has one, in the shaping phase, shown by up --dry-run', () => {
    const p = plan(load('name: p\nnodes: { a: { priority: 6 }, b: { priority: 1:2 }, c: {} }\nlinks: [[a:eth1, b:eth1], [b:eth2, c:eth1]]\n'), kindCatalog());
    const shaping = p.phases.find((ph) => ph.name === 'shaping')!;
    expect(shaping.actions).to.deep.equal([{ op: 'priority', node: 'a', priority: 6 }, { op: 'priority', node: 'b', priority: 0x00010002 }]);
    const text = formatPlan(p);
    expect(text).to.contain('priority a 6');
    expect(text).to.contain('priority b 1:2');
  });

  it('sets the priority of the node\'s own packets that have none, after the classes\' chain, in one nft transaction', () => {
    const lines = priorityRuleset(6).split('\n');
    expect(lines.slice(0, 3)).to.deep.equal([`table inet ${PRIORITY_TABLE}`, `delete table inet ${PRIORITY_TABLE}`, `table inet ${PRIORITY_TABLE} {`]);
    expect(priorityRuleset(6)).to.contain('    type filter hook output priority 10; policy accept;\n');
    expect(priorityRuleset(6)).to.contain('    meta priority none meta priority set 0:6\n');
    expect(priorityRuleset(0x00010002)).to.contain('meta priority set 1:2\n');
    expect(PRIORITY_TABLE).to.not.equal(NFT_TABLE);
    expect(priorityRuleset(0)).to.equal(`table inet ${PRIORITY_TABLE}\ndelete table inet ${PRIORITY_TABLE}\n`);
  });
});
