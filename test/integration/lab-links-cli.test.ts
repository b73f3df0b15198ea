/**
 * `netlab link set|show` on a running lab, as a fresh user meets them: a rate
 * beyond what the kernel can take, a cross-field mistake on the command line,
 * --both on a host link, and `link show` after a node died.
 */
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/core/node.js';
import { Lab } from '../../src/lab/lab.js';
import { readState } from '../../src/lab/state.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { netlab, until } from '../helpers/lab.js';
import { scratchDir } from '../helpers/scratch.js';
import { loadTopology } from '../../src/lab/load.js';

const LAB = 't-links';
const TOPO = `name: ${LAB}\nnodes: [a, b, c]\nlinks:\n  - [a:eth1, b:eth1]\n  - [b:eth2, c:eth1]\n  - [a:eth2, host:fc-h1]\n`;

describe('netlab link set/show on a running lab (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround({ labs: ['t-links'], runDir: true });
  before(function () { requireRoot(this); });
  // A nested suite, so that its `after` takes the lab down before leakcheck's `after` compares.
  describe(`lab ${LAB}: a–b–c and a host link`, () => {
    let lab: Lab | undefined;
    // From a file, so that hints can name it (a lab started from text has none).
    const dir = scratchDir('links-');
    const file = join(dir, 'links.yaml');
    before(async () => { writeFileSync(file, TOPO); lab = await Lab.up(loadTopology(file, { env: {} })); });
    after(async () => { try { await lab?.down(); } finally { rmSync(dir, { recursive: true, force: true }); } });

    it('shapes at 8tbit, the documented maximum, and the kernel keeps it', () => {
      const set = netlab(['link', 'set', 'a:eth1', '--rate', '8tbit', '--lab', LAB]);
      expect(set.code, set.stderr).to.equal(0);
      expect(netlab(['link', 'show', 'a:eth1', '--lab', LAB]).stdout).to.match(/tbf rate (8Tbit|8000Gbit) burst/);
    });

    it('refuses a rate above 8tbit with exit 2 and a hint, and leaves the link as it was', () => {
      for (const rate of ['999999999999tbit', '99999999tbit']) {
        const r = netlab(['link', 'set', 'a:eth1', '--rate', rate, '--lab', LAB]);
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.contain(`error: --rate ${rate}:`).and.contain('netlab shapes up to 8tbit').and.not.contain('RangeError');
      }
      expect(netlab(['link', 'show', 'a:eth1', '--lab', LAB]).stdout).to.match(/tbf rate (8Tbit|8000Gbit) burst/);
    });

    it('reports --jitter without a delay at the endpoint, with the flag to add', () => {
      const r = netlab(['link', 'set', 'a:eth1', '--jitter', '5ms', '--lab', LAB]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('error: a:eth1: jitter needs a delay').and.contain('--delay 20ms').and.not.contain('["');
    });

    it('explains that --both cannot change the host end of a host link', () => {
      const r = netlab(['link', 'set', 'a:eth2', '--both', '--rate', '1mbit', '--lab', LAB]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('host link').and.contain('host:fc-h1').and.not.contain('LAN');
    });

    it('lists every interface after a node died, the vanished ones as gone, and exits 1 like status', async () => {
      const rec = readState(LAB).state!.nodes.c!;
      process.kill(rec.pid, 'SIGKILL');
      await until(() => !isAlive(rec), 5000, 'c to die');
      // The kernel removes a dead namespace's veths (and so their peer ends) from a work queue, soon after.
      let show = netlab(['link', 'show', '--lab', LAB]);
      await until(() => /b:eth2\s+gone/.test((show = netlab(['link', 'show', '--lab', LAB])).stdout), 20_000, 'b:eth2 to vanish');
      expect(show.code, show.stderr).to.equal(1);
      expect(show.stdout).to.match(/a:eth1\s+up/);
      expect(show.stdout).to.match(/b:eth2\s+gone[^\n]*\n\s+its peer node c is dead/);
      expect(show.stdout).to.match(/c:eth1\s+gone[^\n]*\n\s+its node c is not running/);
      const json = JSON.parse(netlab(['link', 'show', '--json', '--lab', LAB]).stdout) as { endpoint: string; gone?: string }[];
      expect(json.map((r) => r.endpoint)).to.have.members(['a:eth1', 'a:eth2', 'b:eth1', 'b:eth2', 'c:eth1']);
      const one = netlab(['link', 'show', 'b:eth2', '--lab', LAB]);
      expect(one.code).to.equal(2);
      expect(one.stderr).to.contain('b:eth2: is gone: its peer node c is dead');
    });

    it('says set, down and up on an interface whose peer node died that the peer is dead, with the real topology file to rebuild', () => {
      // Runs after the test above killed c, so b:eth2 is gone with it.
      for (const args of [['set', 'b:eth2', '--rate', '1mbit'], ['down', 'b:eth2'], ['up', 'b:eth2']]) {
        const r = netlab(['link', ...args, '--lab', LAB]);
        expect(r.code, `${args[0]}: ${r.stderr}`).to.equal(2);
        expect(r.stderr, args[0]).to.contain('error: b:eth2: is gone: its peer node c is dead')
          .and.contain(`netlab up --reconfigure ${file}`).and.contain(`netlab down ${LAB}`)
          .and.not.contain('FILE').and.not.contain('deleted by hand');
      }
    });
  });
});
