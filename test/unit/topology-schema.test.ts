import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { FORMATS } from '../../src/topology/format-checks.js';
import { checkIfname, checkLabName, checkNodeName } from '../../src/topology/names.js';
import { checkTopology, topologyJsonSchema } from '../../src/topology/schema/check.js';
import { formatNames, topologyJsonSchema as fromSource } from '../../src/topology/schema/emit.js';
import type { DelayDistribution, OspfNetworkType, ReachTest, RouteProtocol, RouteTest } from '../../src/topology/types.js';
import { fixtures } from './topology-fixtures.js';

const repo = join(fixtures, '../..');

describe('topology schema', () => {
  it('is committed exactly as the source defines it (schema/topology.schema.json)', () => {
    const committed = readFileSync(join(repo, 'schema/topology.schema.json'), 'utf8');
    expect(committed, 'run: npm run schema').to.equal(`${JSON.stringify(fromSource(), null, 2)}\n`);
  });

  it('gives the resolved lab\'s value lists (route protocols, expect:, OSPF network types, delay distributions) as the format has them', () => {
    // Derived from the source (types.ts): each line below fails to compile when a type widens to string or loses a value.
    const all = {
      protocol: ['ospf', 'bgp', 'static', 'connected', 'kernel'] satisfies RouteProtocol[],
      routeExpect: ['present', 'absent'] satisfies RouteTest['expect'][],
      reachExpect: ['success', 'fail'] satisfies ReachTest['expect'][],
      network: ['point-to-point', 'broadcast'] satisfies OspfNetworkType[],
      distribution: ['uniform', 'normal', 'pareto', 'paretonormal'] satisfies DelayDistribution[],
    };
    // @ts-expect-error a value the format does not have
    const notAProtocol: RouteProtocol = 'rip';
    // @ts-expect-error a value the format does not have
    const notADistribution: DelayDistribution = 'gaussian';
    expect([notAProtocol, notADistribution]).to.deep.equal(['rip', 'gaussian']);
    // …and the lists above are all the values editors are offered.
    type Props = Record<string, { enum?: string[]; properties?: Props }>;
    const defs = (fromSource() as { definitions: Record<string, { properties: Props }> }).definitions;
    const test = defs.test!.properties;
    expect([test.route!.properties!.protocol!.enum, test.route!.properties!.expect!.enum, test.reach!.properties!.expect!.enum,
      defs.ospf!.properties.network!.enum, defs.shaping!.properties.distribution!.enum])
      .to.deep.equal([all.protocol, all.routeExpect, all.reachExpect, all.network, all.distribution]);
  });

  it('is the schema the loader was built with', () => {
    expect(topologyJsonSchema()).to.deep.equal(fromSource());
  });

  it('has a check in src/topology/format-checks.ts for every format it uses', () => {
    const missing = formatNames(fromSource()).filter((f) => !(f in FORMATS));
    expect(missing).to.deep.equal([]);
  });

  it('agrees with the node-name and lab-name checks on what a name may be', () => {
    const props = topologyJsonSchema().properties as Record<string, { pattern: string; anyOf: { propertyNames?: { pattern: string } }[] }>;
    const node = new RegExp(props.nodes.anyOf[0]!.propertyNames!.pattern);
    const lab = new RegExp(props.name.pattern);
    for (const name of ['r1', 'R-1', 'a_b', 'x', '1r', '-r', 'r.1', 'r 1', 'r:1', 'é', '2-linux-nodes']) {
      expect(node.test(name), name).to.equal(checkNodeName(name) === undefined);
      expect(lab.test(name), name).to.equal(checkLabName(name) === undefined);
    }
  });

  it('agrees with the interface-name check on characters', () => {
    let pattern = '';
    JSON.stringify(topologyJsonSchema(), (k, v: { pattern?: string }) => { if (k === 'iface' && v.pattern) pattern = v.pattern; return v; });
    const re = new RegExp(pattern);
    for (const name of ['eth1', 'e/1', 'e:1', 'e 1', 'a-very-long-name1', 'swp1.100', 'eth%d', 'eth1\0x', 'e\t1']) {
      expect(re.test(name), name).to.equal(checkIfname(name) === undefined);
    }
  });

  it('suggests the closest key for an unknown one', () => {
    try {
      checkTopology({ nodes: { r1: {} }, adressing: false });
      expect.fail('must throw');
    } catch (e) {
      expect(e).to.be.instanceOf(TopologyError);
      expect((e as TopologyError).message).to.contain('did you mean "addressing"');
    }
  });

  it('lists the accepted types when no alternative fits', () => {
    expect(() => checkTopology({ nodes: { r1: {} }, links: [42] })).to.throw(TopologyError, 'must be a list or a mapping (key: value), not 42');
  });
});
