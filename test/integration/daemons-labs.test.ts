/**
 * Every example lab in topologies/, brought up by netlab itself (Lab.up: the
 * container core, the applier, the kinds), passes the `tests:` it ships under
 * the real test runner (src/validate, what `netlab validate` runs); `status`
 * shows every daemon running; `down` leaves nothing behind (leakcheck).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { runTests } from '../../src/validate/index.js';
import type { TestResult } from '../../src/validate/types.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { netlab, testLabName } from '../helpers/lab.js';
import { loadTopology } from '../../src/lab/load.js';

const dir = join(repoRoot, 'topologies');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
/** Whether the user's own save of the demo lab was there before (the tests must not make or remove it). */
const existsBefore = existsSync(join(dir, 'ospf-triangle.saved'));

describe('example labs under netlab up: converge, pass their tests, leave nothing', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });

  for (const file of files) {
    const t = loadTopology(join(dir, file), { env: {} });
    describe(file, function () {
      let lab: Lab | undefined;
      let upMs = 0;
      let results: TestResult[] = [];
      before(async function () {
        requireRoot(this);
        if (t.nodes.some((n) => n.kind === 'frr') && !existsSync('/usr/lib/frr/watchfrr')) skip(this, 'FRR is not installed (apt install frr)');
        if (t.nodes.some((n) => n.kind === 'bird') && !existsSync('/usr/sbin/bird')) skip(this, 'BIRD is not installed (apt install bird2)');
        const t0 = Date.now();
        lab = await Lab.up(join(dir, file), { name: testLabName(file) });
        upMs = Date.now() - t0;
        const report = await runTests({ exec: (node, argv, opts) => lab!.exec(node, argv, opts), topology: lab.topology });
        results = report.results; // in the order of tests:
      });
      after(async () => { await lab?.down(); });

      it('comes up in a few seconds', () => {
        expect(upMs).to.be.lessThan(15_000);
      });
      t.tests.forEach((test, i) => {
        it(String(test.name), () => {
          const r = results[i];
          expect(r, 'the runner reported no result').not.to.equal(undefined);
          expect(r!.status, `${r!.test.name}: expected ${r!.expected}; seen ${r!.seen}\n${r!.detail}`).to.equal('pass');
        });
      });
      it('reports every daemon running in status', async () => {
        const s = await lab!.status();
        const dead = s.nodes.flatMap((n) => n.daemons.filter((d) => !d.running).map((d) => `${n.name}/${d.daemon}`));
        expect(dead).to.deep.equal([]);
      });
      if (file === 'ospf-triangle.yaml') {
        it('saves the routers\' configs (netlab save) into <lab>.saved for a lab run under --name; a file for -o is refused (exit 2)', () => {
          const out = join(dir, `${lab!.name}.saved`);
          try {
            const r = netlab(['save', lab!.name]);
            expect(r.code, r.stderr).to.equal(0);
            expect(readFileSync(join(out, 'r1', 'frr.conf'), 'utf8')).to.match(/^router ospf$/m);
            expect(existsSync(join(dir, 'ospf-triangle.saved')), 'the user\'s own save folder').to.equal(existsBefore);
            const bad = netlab(['save', lab!.name, '-o', '/etc/passwd']);
            expect(bad.code).to.equal(2);
            expect(bad.stderr).to.match(/error: -o: cannot write \/etc\/passwd\/r\d\/frr\.conf: ENOTDIR/).and.not.contain('    at ');
          } finally {
            rmSync(out, { recursive: true, force: true });
          }
        });
      }
    });
  }
});
