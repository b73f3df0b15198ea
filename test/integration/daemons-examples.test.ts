/**
 * Every example lab in topologies/ converges and passes the `tests:` it
 * ships. Until the container core and the applier are on main, the labs run
 * on scratch nodes (daemons-harness.ts), which build p2p links only; a lab
 * with a switch or a LAN waits for the real applier.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTopology } from '../../src/topology/index.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { ScratchLab } from './daemons-harness.js';
import { runLabTest } from './daemons-labtests.js';

const dir = join(repoRoot, 'topologies');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('example labs converge and pass their tests (scratch nodes on the real kernel)', function () {
  leakcheckAround();

  for (const file of files) {
    const t = loadTopology(join(dir, file), { env: {} });
    describe(file, function () {
      const lab = new ScratchLab(t);
      before(async function () {
        requireRoot(this);
        if (t.nodes.some((n) => n.kind === 'frr') && !existsSync('/usr/lib/frr/watchfrr')) skip(this, 'FRR is not installed (apt install frr)');
        if (t.nodes.some((n) => n.kind === 'bird') && !existsSync('/usr/sbin/bird')) skip(this, 'BIRD is not installed (apt install bird2)');
        if (t.links.some((l) => l.kind !== 'p2p') || t.nodes.some((n) => n.kind === 'bridge')) {
          skip(this, 'the scratch harness builds point-to-point links only; this lab runs once src/lab is on main');
        }
        await lab.build();
        await lab.startAll();
      });
      after(() => lab.destroy());

      for (const test of t.tests) {
        it(String(test.name ?? JSON.stringify(test)), () => runLabTest(t, (node, argv) => lab.exec(node, argv), test as unknown as Parameters<typeof runLabTest>[2]));
      }
    });
  }
});
