import { expect } from 'chai';
import { Command } from 'commander';
import { commandsFor } from '../../src/cli/commands.js';
import { Shaping as ShapingSchema } from '../../src/topology/schema/source.js';
import { parseShapingChange, SHAPING_CHANGE_KEYS } from '../../src/topology/shaping-change.js';
import { UsageError } from '../../src/errors.js';

describe('topology: a shaping change as typed (one list of keys)', () => {
  it('takes only keys the topology\'s shaping: has', () => {
    expect(SHAPING_CHANGE_KEYS).to.deep.equal(['rate', 'burst', 'limit', 'delay', 'jitter', 'loss', 'corrupt', 'duplicate', 'reorder']);
    const schemaKeys = Object.keys(ShapingSchema.properties);
    expect(SHAPING_CHANGE_KEYS.filter((k) => !schemaKeys.includes(k))).to.deep.equal([]);
  });

  it('gives `netlab link set` one flag per key, and only --lab, --reset and --both besides', async () => {
    const program = new Command('netlab');
    for (const register of await commandsFor('link')) register(program);
    const set = program.commands.find((c) => c.name() === 'link')!.commands.find((c) => c.name() === 'set')!;
    const flags = set.options.map((o) => o.long!.slice(2)).sort();
    expect(flags).to.deep.equal([...SHAPING_CHANGE_KEYS, 'lab', 'reset', 'both'].sort());
  });

  it('reads every key into its Shaping field, and 0 with any unit as 0', () => {
    expect(parseShapingChange({ rate: '2mbit', burst: '32kb', limit: '100', delay: '20ms', jitter: '5ms', loss: '1%', corrupt: '0.1%', duplicate: '2%', reorder: '0%' })).to.deep.equal({
      rateBps: 2_000_000, burstBytes: 32_768, limitPackets: 100, delayMs: 20, jitterMs: 5, lossPercent: 1, corruptPercent: 0.1, duplicatePercent: 2, reorderPercent: 0,
    });
    expect(parseShapingChange({ rate: '0kbit' })).to.deep.equal({ rateBps: 0 });
  });

  it('names the flag of a bad value, with the reason', () => {
    expect(() => parseShapingChange({ limit: '1.5' })).to.throw(UsageError, 'a queue limit is a whole number of packets').with.property('where', '--limit 1.5');
  });
});
