/**
 * A lab with user namespaces: root inside a node is an unprivileged uid range
 * on the host. Root, real kernel; leakcheck around the suite.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdRecord } from '../../src/core/ids.js';
import { kernelAtLeast, leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { startTestLab, type TestLab } from './core-lab.js';

describe('core: user namespaces (userns: true)', function () {
  leakcheckAround({ labs: ['t-core'] });
  describe('a node in its own user namespace', function () {
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = await startTestLab(['u1'], { userns: true });
    });
    after(async function () {
      if (t) await t.destroy();
    });

    it('runs PID 1 as the first uid of the range on the host', function () {
      const host = parseIdRecord(readFileSync(join(t.labDir, 'ids'), 'utf8'))!.uid;
      expect(readFileSync(`/proc/${t.nodes.get('u1')!.pid}/status`, 'utf8')).to.match(new RegExp(`^Uid:\\s+${host}\\s`, 'm'));
    });

    it('is root inside, with the node\'s hostname', async function () {
      expect((await t.exec('u1', ['sh', '-c', 'id -u; hostname'])).stdout).to.equal('0\nu1\n');
    });

    it('lets the node\'s root write /etc, /run and /tmp and configure its own network', async function () {
      const r = await t.exec('u1', ['sh', '-c', 'echo x > /etc/probe && echo y > /run/probe && echo z > /tmp/probe && ip addr add 10.9.9.9/32 dev lo && echo 1 > /proc/sys/net/ipv4/ip_forward && echo ok']);
      expect(r.stdout).to.equal('ok\n', r.stderr);
    });

    it('shows the host\'s files owned by the node\'s own root (idmapped lower layer), and keeps its writes to itself', async function () {
      if (!kernelAtLeast(5, 19)) skip(this, 'overlayfs takes idmapped lower layers from Linux 5.19 on');
      const r = await t.exec('u1', ['sh', '-c', 'stat -c %u:%g /etc/passwd && echo probe >> /etc/passwd && tail -n 1 /etc/passwd']);
      expect(r.stdout).to.equal('0:0\nprobe\n', r.stderr);
      expect(readFileSync('/etc/passwd', 'utf8')).not.to.contain('probe');
    });

    it('cannot undo the read-only /proc/sys it was given', async function () {
      const r = await t.exec('u1', ['sh', '-c', 'mount -o remount,rw /proc/sys 2>&1; echo 1 > /proc/sys/vm/overcommit_memory']);
      expect(r.code).not.to.equal(0);
    });
  });
});
