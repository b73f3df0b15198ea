/**
 * Containment, the kernel-filter and limits half (docs/nodes.md, "What a node
 * may not do" and "Limits"): the default seccomp filter, the devices
 * allow-list (cgroup v1 devices files and the cgroup v2 BPF program), the
 * size cap of a node's upper layer, the open-files limit, the lab's memory
 * limit and the capacity check of `up`. Every probe runs inside real nodes, in
 * a user-namespaced node and in a `userns: false` node; what this kernel
 * cannot show is skipped with the reason printed. Root, real kernel.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups } from '../../src/core/cgroups.js';
import { DEFAULT_UPPER_BYTES } from '../../src/core/limits.js';
import { Lab } from '../../src/lab/lab.js';
import { leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';
import { netlab, residue } from '../helpers/lab.js';
import { loadTopology } from '../../src/lab/load.js';

const EPERM = 1;
const ENXIO = 6;

/** x86_64 numbers of the calls the default filter refuses (arch/x86/entry/syscalls/syscall_64.tbl). */
const REFUSED_X64: Record<string, number> = {
  keyctl: 250, add_key: 248, request_key: 249, bpf: 321, perf_event_open: 298, kexec_load: 246,
  open_by_handle_at: 304, finit_module: 313, userfaultfd: 323, io_uring_setup: 425, clock_settime: 227, swapoff: 168,
};

/** errno of syscall NR(0, 0, 0, 0, 0) in `node`, 0 when it succeeded (perl is in every Debian root: perl-base is essential). */
async function syscallErrno(lab: Lab, node: string, nr: number): Promise<number> {
  const r = await lab.exec(node, ['perl', '-e', `my $r = syscall(${nr}, 0, 0, 0, 0, 0); print $r == -1 ? $!+0 : 0`]);
  expect(r.code, r.stderr).to.equal(0);
  return Number(r.stdout);
}

/** errno of open(path, mode) in `node` ('<' read, '+<' read-write), 0 when it opened. */
async function openErrno(lab: Lab, node: string, path: string, mode = '<'): Promise<number> {
  const r = await lab.exec(node, ['perl', '-e', `open(my $f, '${mode}', $ARGV[0]) ? print 0 : print $!+0`, path]);
  expect(r.code, r.stderr).to.equal(0);
  return Number(r.stdout);
}

/** Size of a node's root filesystem: an overlay reports its upper layer's, the node's tmpfs (statfs(2)). */
async function upperBytes(lab: Lab, node: string): Promise<number> {
  const r = await lab.exec(node, ['stat', '-f', '-c', '%b %S', '/']);
  const [blocks, size] = r.stdout.trim().split(' ').map(Number) as [number, number];
  return blocks * size;
}

/** [soft, hard] of a row of a /proc/PID/limits text (proc(5)). */
function limitOf(limits: string, row: string): [number, number] {
  const m = new RegExp(`^${row}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(limits);
  return [Number(m?.[1]), Number(m?.[2])];
}

/** This process's limits: the launcher, its child, starts from them. */
const hostLimits = (): string => readFileSync('/proc/self/limits', 'utf8');

/** The first block device of this host (/sys/block), or undefined. */
function hostBlockDevice(): string | undefined {
  try { return readdirSync('/sys/block').find((d) => !d.startsWith('ram') && !d.startsWith('zram')); } catch { return undefined; }
}

/** A char device node on the host with `major:minor`, mode 0666, in a fresh folder (numbers 240-254: "local/experimental use", no driver). */
function makeDeviceNode(dir: string, name: string, major: number, minor: number): string {
  const path = join(dir, name);
  const r = spawnSync('mknod', ['-m', '0666', path, 'c', String(major), String(minor)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mknod ${path}: ${r.stderr}`);
  return path;
}

describe('containment: seccomp, devices and limits (real labs)', function () {
  leakcheckAround();
  let devDir = '';
  before(function () {
    requireRoot(this);
    devDir = mkdtempSync(join(tmpdir(), 'netlab-dev-'));
  });
  after(function () {
    if (devDir) rmSync(devDir, { recursive: true, force: true });
  });

  for (const v of [{ label: 'a user-namespaced node', userns: true, lab: 't-cl-userns' }, { label: 'a userns: false node', userns: false, lab: 't-cl-root' }]) {
    describe(`in ${v.label}`, function () {
      let lab: Lab;
      let allowed = '';
      before(async function () {
        requireRoot(this);
        allowed = makeDeviceNode(devDir, `allowed-${v.lab}`, 240, 0);
        const t = loadTopology({ text: `
name: ${v.lab}
userns: ${v.userns}
nodes:
  n1: {}
  free: { security: { seccomp: unconfined } }
  dev: { resources: { devices: ["${allowed}:r"] } }
  nodev: { binds: ["${allowed}:${allowed}"] }
  small: { resources: { upper: 16M } }
` }, { env: {} });
        lab = await Lab.up(t);
      });
      after(async () => { await lab?.down(); });

      for (const [name, nr] of Object.entries(REFUSED_X64)) {
        it(`refuses ${name} with EPERM`, async function () {
          if (process.arch !== 'x64') skip(this, `the probe uses x86_64 syscall numbers; this is ${process.arch}`);
          expect(await syscallErrno(lab, 'n1', nr)).to.equal(EPERM);
        });
      }

      it('refuses kexec_load even where the kernel has no kexec (the filter answers before ENOSYS)', async function () {
        if (process.arch !== 'x64') skip(this, `x86_64 syscall numbers; this is ${process.arch}`);
        expect(await syscallErrno(lab, 'n1', REFUSED_X64.kexec_load!)).to.equal(EPERM);
        expect(await syscallErrno(lab, 'free', REFUSED_X64.kexec_load!)).to.not.equal(EPERM);
      });

      it('gives every command started in a node the node\'s seccomp filter, and none in an unconfined node', async function () {
        const filtered = await lab.exec('n1', ['sh', '-c', 'grep ^Seccomp: /proc/self/status; grep ^Seccomp: /proc/1/status']);
        expect(filtered.stdout).to.equal('Seccomp:\t2\nSeccomp:\t2\n');
        const free = await lab.exec('free', ['sh', '-c', 'grep ^Seccomp: /proc/self/status']);
        expect(free.stdout).to.not.contain('\t2');
        if (process.arch === 'x64') expect(await syscallErrno(lab, 'free', REFUSED_X64.keyctl!)).to.not.equal(EPERM);
      });

      it('opens the devices a node gets: null, zero, full, random, urandom, tty, net/tun, ptmx', async function () {
        for (const d of ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/net/tun', '/dev/ptmx']) {
          expect(await openErrno(lab, 'n1', d, '+<'), d).to.equal(0);
        }
        // no controlling terminal under exec: ENXIO from the tty driver, past the devices check
        expect(await openErrno(lab, 'n1', '/dev/tty', '+<')).to.be.oneOf([0, ENXIO]);
      });

      it('refuses mknod of a host disk', async function () {
        const r = await lab.exec('n1', ['sh', '-c', 'mknod /tmp/disk b 7 0']);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.match(/Operation not permitted/);
      });

      it('keeps a devtmpfs mount away from the host\'s disks', async function () {
        const disk = hostBlockDevice();
        if (!disk) skip(this, 'this host has no block device to probe');
        const r = await lab.exec('n1', ['sh', '-c', `mkdir -p /tmp/m && mount -t devtmpfs none /tmp/m || exit 3; perl -e 'open(my $f, "<", $ARGV[0]) ? print 0 : print $!+0' /tmp/m/${disk}`]);
        if (v.userns) {
          expect(r.code, 'a user namespace may not mount devtmpfs').to.equal(3);
        } else {
          expect(r.code, r.stderr).to.equal(0);
          expect(Number(r.stdout), `open /dev/${disk} through the node's devtmpfs`).to.equal(EPERM);
        }
      });

      it('lets a node open the host device its resources.devices names, with the access given', async function () {
        expect(await openErrno(lab, 'dev', allowed, '<'), 'read: past the devices check, no driver').to.equal(ENXIO);
        expect(await openErrno(lab, 'dev', allowed, '+<'), 'write was not given').to.equal(EPERM);
      });

      it('refuses that device to a node of the same lab that did not ask for it', async function () {
        expect(await openErrno(lab, 'nodev', allowed, '<')).to.equal(EPERM);
      });

      it('caps a node\'s upper layer at 256 MiB: writing past it fails with ENOSPC', async function () {
        expect(await upperBytes(lab, 'n1')).to.equal(DEFAULT_UPPER_BYTES);
        const r = await lab.exec('n1', ['sh', '-c', 'dd if=/dev/zero of=/tmp/big bs=1M count=300; rm -f /tmp/big']);
        expect(r.stderr).to.match(/No space left on device/);
      });

      it('sizes the upper layer as resources.upper says', async function () {
        expect(await upperBytes(lab, 'small')).to.equal(16 * 1024 * 1024);
      });

      it('gives a node\'s commands an open-files limit of 1024 (hard: 524288, or the host\'s if lower)', async function () {
        const limits = (await lab.exec('n1', ['cat', '/proc/self/limits'])).stdout;
        expect(limitOf(limits, 'Max open files')).to.deep.equal([1024, Math.min(524288, limitOf(hostLimits(), 'Max open files')[1])]);
      });

      it('gives it a quarter of the host\'s pending signals and message queue bytes (per-user counts)', async function () {
        const limits = (await lab.exec('n1', ['cat', '/proc/self/limits'])).stdout;
        for (const row of ['Max pending signals', 'Max msgqueue size']) {
          const quarter = Math.floor(limitOf(hostLimits(), row)[0] / 4);
          expect(limitOf(limits, row), row).to.deep.equal([quarter, quarter]);
        }
      });
    });
  }

  describe('the devices allow-list, seen from the host', function () {
    let lab: Lab;
    let outside = '';
    const cgroups = detectCgroups();
    before(async function () {
      requireRoot(this);
      outside = makeDeviceNode(devDir, 'outside', 241, 0);
      lab = await Lab.up(loadTopology({ text: 'name: t-cl-dev\nnodes: { n1: {} }\n' }, { env: {} }));
    });
    after(async () => { await lab?.down(); });

    /** errno of opening `outside` from a host shell that first writes itself into `procs`. */
    const openFrom = (procs: string): number => {
      const r = spawnSync('sh', ['-c', `echo $$ > "$1" && exec perl -e 'open(my $f, "<", $ARGV[0]) ? print 0 : print $!+0' "$2"`, 'sh', procs, outside], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      return Number(r.stdout);
    };

    it('attaches a BPF devices program to the lab\'s cgroup2 directory (cgroup v2)', function () {
      if (!cgroups.unified) skip(this, 'this host has no cgroup2 tree (pure cgroup v1)');
      expect(openFrom(`${cgroups.unified}/cgroup.procs`), 'outside the lab: no driver').to.equal(ENXIO);
      const probe = join(cgroups.unified!, 'netlab', 't-cl-dev', 'probe');
      mkdirSync(probe);
      try {
        expect(openFrom(join(probe, 'cgroup.procs')), 'in the lab\'s cgroup2 tree only').to.equal(EPERM);
      } finally {
        rmdirSync(probe);
      }
    });

    it('writes the allow-list to the lab\'s devices cgroup (cgroup v1)', function () {
      const h = cgroups.v1.find((x) => x.controllers.includes('devices'));
      if (!h) skip(this, 'this host has no cgroup v1 devices controller');
      const list = readFileSync(join(h!.mount, 'netlab', 't-cl-dev', 'devices.list'), 'utf8');
      expect(list).to.contain('c 1:3 rwm').and.contain('c 136:* rwm').and.not.contain('a *:*');
      expect(openFrom(join(h!.mount, 'netlab', 't-cl-dev', 'tasks')), 'in the lab\'s v1 devices cgroup only').to.equal(EPERM);
    });
  });

  describe('the lab\'s memory limit', function () {
    let lab: Lab;
    before(async function () {
      requireRoot(this);
      lab = await Lab.up(loadTopology({ text: 'name: t-cl-mem\nlimits: { memory: 128M }\nnodes: { n1: {} }\n' }, { env: {} }));
    });
    after(async () => { await lab?.down(); });

    it('sets the lab\'s memory cgroup to limits.memory', function () {
      const cg = detectCgroups();
      const v1 = cg.v1.find((h) => h.controllers.includes('memory'));
      const file = v1 ? join(v1.mount, 'netlab', 't-cl-mem', 'memory.limit_in_bytes') : join(cg.unified!, 'netlab', 't-cl-mem', 'memory.max');
      if (!existsSync(file)) skip(this, 'this host does not delegate the memory controller');
      expect(readFileSync(file, 'utf8').trim()).to.equal(String(128 * 1024 * 1024));
    });

    it('kills a process that grows past it, inside the lab, and the node lives on', async function () {
      const r = await lab.exec('n1', ['perl', '-e', '$x = "a" x (400 * 1024 * 1024); print length $x']);
      expect(r.code).to.equal(137);
      expect((await lab.exec('n1', ['true'])).code).to.equal(0);
    });
  });

  describe('the capacity check of up', function () {
    it('refuses a lab that needs more than its memory limit, with both numbers, and builds nothing', function () {
      const dir = mkdtempSync(join(tmpdir(), 'netlab-cap-'));
      try {
        const nodes = Array.from({ length: 40 }, (_, i) => `  n${i}: {}`).join('\n');
        const file = join(dir, 'cap.yaml');
        writeFileSync(file, `name: t-cl-cap\nlimits: { memory: 16M }\nnodes:\n${nodes}\n`);
        const r = netlab(['up', file]);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr).to.match(/error: limits\.memory: 40 linux nodes need about [\d.]+ MiB of memory; the lab's memory limit is 16 MiB/);
        expect(r.stderr).to.match(/hint: .*--force/);
        expect(residue('t-cl-cap')).to.deep.equal([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
