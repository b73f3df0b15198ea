/**
 * Files a lab puts into a node before it starts, through the one copy in
 * native/copy-tree.c: seed files (<runDir>/upper, e.g. a daemon's config),
 * merged into the node's upper layer with their owners, and layer folders
 * (`layers:`, a Kathará device folder), owned by the node's root. Both keep
 * modes (set-user-ID and sticky bits too) and symlinks as they are, and
 * leave FIFOs out. Root and a real kernel; leakcheck around the suite.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { startTestLab, type TestLab } from './core-lab.js';

/** A tree under `root`/`top` (made as root; conf owned by 123:456) with every kind of entry the copy handles, and a FIFO it leaves out. */
function makeTree(root: string, top: string): void {
  const d = join(root, top);
  mkdirSync(join(d, 'etc', 'app'), { recursive: true });
  mkdirSync(join(d, 'shared'));
  mkdirSync(join(d, 'bin'));
  writeFileSync(join(d, 'etc', 'app', 'conf'), 'conf\n');
  writeFileSync(join(d, 'bin', 'tool'), '#!/bin/sh\n');
  chownSync(join(d, 'etc', 'app', 'conf'), 123, 456);
  chmodSync(join(d, 'etc', 'app', 'conf'), 0o640);
  chmodSync(join(d, 'etc', 'app'), 0o750);
  chmodSync(join(d, 'bin', 'tool'), 0o4755);
  chmodSync(join(d, 'shared'), 0o1777);
  symlinkSync('etc/app/conf', join(d, 'rel'));
  symlinkSync('/etc/hostname', join(d, 'abs'));
  expect(spawnSync('mkfifo', [join(d, 'fifo')]).status).to.equal(0);
}

/** What the node sees of the tree at /srv/`top`: mode, owner and type per entry, symlink targets, whether the FIFO is there. */
async function look(t: TestLab, node: string, top: string): Promise<string> {
  const r = await t.exec(node, ['sh', '-c', `cd /srv/${top} && stat -c '%n %a %u:%g %F' etc/app etc/app/conf bin/tool shared && readlink rel abs && cat rel && test ! -e fifo && echo no fifo`]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout;
}

describe('core: files copied into a node (seed files and layer folders)', function () {
  leakcheckAround({ labs: ['t-core'] });
  let src = '';
  before(function () {
    if (process.getuid?.() !== 0) return;
    src = mkdtempSync(join(tmpdir(), 'netlab-files-'));
    makeTree(join(src, 'layer'), 'srv/layer');
  });
  after(() => { if (src) rmSync(src, { recursive: true, force: true }); });

  for (const userns of [false, true]) {
    describe(userns ? 'a node in its own user namespace' : 'a node of host root', function () {
      let t: TestLab;
      before(async function () {
        requireRoot(this);
        t = await startTestLab(['f1'], {
          userns,
          specs: (s) => {
            makeTree(join(s.runDir, 'upper'), 'srv/seed');
            return { ...s, layers: [join(src, 'layer')] };
          },
        });
      });
      after(async function () {
        if (t) await t.destroy();
      });

      it('copies seed files with their modes, owners and symlinks, and leaves FIFOs out', async function () {
        expect(await look(t, 'f1', 'seed')).to.equal([
          'etc/app 750 0:0 directory', 'etc/app/conf 640 123:456 regular file', 'bin/tool 4755 0:0 regular file', 'shared 1777 0:0 directory',
          'etc/app/conf', '/etc/hostname', 'conf', 'no fifo', ''].join('\n'));
      });

      it('merges seed folders with the node\'s own: /etc/hostname stays', async function () {
        expect((await t.exec('f1', ['cat', '/etc/hostname'])).stdout).to.equal('f1\n');
      });

      it('copies a layer folder owned by the node\'s root, with its modes (set-user-ID too) and symlinks, and leaves FIFOs out', async function () {
        expect(await look(t, 'f1', 'layer')).to.equal([
          'etc/app 750 0:0 directory', 'etc/app/conf 640 0:0 regular file', 'bin/tool 4755 0:0 regular file', 'shared 1777 0:0 directory',
          'etc/app/conf', '/etc/hostname', 'conf', 'no fifo', ''].join('\n'));
      });
    });
  }
});
