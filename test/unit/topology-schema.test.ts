import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { schemaJson, topologySchema } from '../../src/topology/schema-def.js';
import { checkIfname, checkLabName, checkNodeName } from '../../src/topology/names.js';
import { Validator } from '../../src/topology/validate.js';
import { fixtures } from './topology-fixtures.js';

const repo = join(fixtures, '../..');

describe('topology schema', () => {
  it('is committed exactly as the loader uses it (schema/topology.schema.json)', () => {
    const committed = readFileSync(join(repo, 'schema/topology.schema.json'), 'utf8');
    expect(committed, 'run: npm run build && node dist/src/topology/write-schema.js').to.equal(schemaJson());
  });

  it('refuses a schema keyword the validator does not implement', () => {
    expect(() => new Validator({ type: 'object', patternProperties: {} })).to.throw('not supported');
  });

  it('refuses a format without a check', () => {
    expect(() => new Validator({ type: 'string', format: 'no-such-format' })).to.throw('has no check');
  });

  it('agrees with the node-name and lab-name checks on what a name may be', () => {
    const props = topologySchema.properties as Record<string, { pattern: string; anyOf: { propertyNames?: { pattern: string } }[] }>;
    const node = new RegExp(props.nodes.anyOf[0]!.propertyNames!.pattern);
    const lab = new RegExp(props.name.pattern);
    for (const name of ['r1', 'R-1', 'a_b', 'x', '1r', '-r', 'r.1', 'r 1', 'r:1', 'é', '2-linux-nodes']) {
      expect(node.test(name), name).to.equal(checkNodeName(name) === undefined);
      expect(lab.test(name), name).to.equal(checkLabName(name) === undefined);
    }
  });

  it('agrees with the interface-name check on characters', () => {
    const re = /^[^/:\s]{1,15}$/;
    for (const name of ['eth1', 'e/1', 'e:1', 'e 1', 'a-very-long-name1', 'swp1.100']) {
      expect(re.test(name), name).to.equal(checkIfname(name) === undefined);
    }
  });

  it('suggests the closest key for an unknown one', () => {
    const v = new Validator(topologySchema);
    try {
      v.validate({ nodes: { r1: {} }, adressing: false });
      expect.fail('must throw');
    } catch (e) {
      expect(e).to.be.instanceOf(TopologyError);
      expect((e as TopologyError).message).to.contain('did you mean "addressing"');
    }
  });

  it('lists the accepted types when no alternative fits', () => {
    const v = new Validator(topologySchema);
    expect(() => v.validate({ nodes: { r1: {} }, links: [42] })).to.throw(TopologyError, 'must be a list or a mapping (key: value), not 42');
  });
});
