/**
 * A lab with user namespaces: root inside a node is an unprivileged uid range
 * on the host. Root, real kernel; leakcheck around the suite.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { defaultUserns } from '../../src/core/node.js';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { startTestLab, type TestLab } from './core-lab.js';

describe('core: user namespaces (userns: true)', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('a node in its own user namespace', function () {
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = await startTestLab(['u1'], { specs: (s) => ({ ...s, userns: true }) });
    });
    after(async function () {
      if (t) await t.destroy();
    });

    it('runs PID 1 as the first uid of the range on the host', function () {
      const host = defaultUserns().uidMap[0]!.host;
      expect(readFileSync(`/proc/${t.nodes.get('u1')!.pid}/status`, 'utf8')).to.match(new RegExp(`^Uid:\\s+${host}\\s`, 'm'));
    });

    it('is root inside, with the node\'s hostname', async function () {
      expect((await t.exec('u1', ['sh', '-c', 'id -u; hostname'])).stdout).to.equal('0\nu1\n');
    });

    it('lets the node\'s root write /etc, /run and /tmp and configure its own network', async function () {
      const r = await t.exec('u1', ['sh', '-c', 'echo x > /etc/probe && echo y > /run/probe && echo z > /tmp/probe && ip addr add 10.9.9.9/32 dev lo && echo 1 > /proc/sys/net/ipv4/ip_forward && echo ok']);
      expect(r.stdout).to.equal('ok\n', r.stderr);
    });

    it('keeps the host\'s root-only files closed to the node\'s root', async function () {
      const r = await t.exec('u1', ['cat', '/etc/shadow']);
      expect(r.code).not.to.equal(0);
      expect(r.stderr).to.match(/Permission denied/);
    });

    it('cannot undo the read-only /proc/sys it was given', async function () {
      const r = await t.exec('u1', ['sh', '-c', 'mount -o remount,rw /proc/sys 2>&1; echo 1 > /proc/sys/vm/overcommit_memory']);
      expect(r.code).not.to.equal(0);
    });
  });
});
