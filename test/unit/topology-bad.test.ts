import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../../src/errors.js';
import { fixtures } from './topology-fixtures.js';
import { loadTopology } from '../../src/lab/load.js';


/** Each bad fixture states the error it must give in its first lines: `# expect-path:` and `# expect-error:`. */
function expectation(text: string): { path: string; fragment: string } {
  const path = /^# expect-path: ?(.*)$/m.exec(text)?.[1];
  const fragment = /^# expect-error: (.+)$/m.exec(text)?.[1];
  if (path === undefined || fragment === undefined) throw new Error('fixture lacks # expect-path / # expect-error');
  return { path: path.trim(), fragment };
}

describe('bad topologies (test/fixtures/bad)', () => {
  const dir = join(fixtures, 'bad');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('holds at least 30 bad topologies', () => {
    expect(files.length).to.be.at.least(30);
  });

  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const { path, fragment } = expectation(text);
    it(`${f}: fails at "${path}" with "${fragment}"`, () => {
      let err: unknown;
      try {
        loadTopology(join(dir, f), { env: {} });
      } catch (e) {
        err = e;
      }
      expect(err, 'loading must fail').to.be.instanceOf(TopologyError);
      const te = err as TopologyError;
      expect(te.exitCode).to.equal(2);
      expect(te.path).to.equal(path);
      expect(te.message).to.contain(fragment);
      expect(te.hint, 'every error says how to fix it').to.not.equal('');
    });
  }
});
