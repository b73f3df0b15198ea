/**
 * docs/testing.md's mocha + chai example, run by `npm test` on a real lab.
 * The lines between the "docs/testing.md example" markers are the doc's code
 * block, verbatim once de-indented (test/unit/validate-docs.test.ts checks
 * it); the rest is this repository's harness: root, and leakcheck around.
 */
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
// docs/testing.md example: begin
import { expect } from 'chai';
import { Lab } from 'netlab';
// docs/testing.md example: end

describe('docs/testing.md: the mocha example', function () {
  leakcheckAround({ labs: ['test-lan-static'], runDir: true }); // the doc's own name for the lab
  before(function () { requireRoot(this); });

  // docs/testing.md example: begin
  describe('the lan-static lab', function () {
    this.timeout(60_000); // up takes a few seconds; convergence may take more

    let lab: Lab;
    before(async () => {
      lab = await Lab.up('topologies/lan-static.yaml', { name: 'test-lan-static' });
    });
    after(async () => {
      await lab?.down();
    });

    it('lets h1 reach the server through the router', async () => {
      // srv is 10.1.0.1: the first point-to-point link gets 10.1.0.0/31
      const ping = await lab.waitFor(async () => {
        const r = await lab.exec('h1', ['ping', '-c1', '-W1', '10.1.0.1']);
        return r.code === 0 && r;
      }, { timeoutMs: 10_000, what: 'h1 to reach srv' });
      expect(ping.stdout).to.contain('1 received');
    });

    it('has a router that forwards', async () => {
      const r = await lab.exec('gw', ['sysctl', '-n', 'net.ipv4.ip_forward']);
      expect(r.stdout.trim()).to.equal('1');
    });

    it('gives h1 a default route via the router', async () => {
      const r = await lab.exec('h1', ['ip', '-j', 'route', 'show', 'default']);
      const routes = JSON.parse(r.stdout) as { gateway?: string }[];
      expect(routes.map((x) => x.gateway)).to.deep.equal(['172.16.0.1']);
    });
  });
  // docs/testing.md example: end
});
