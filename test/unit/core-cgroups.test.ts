import { expect } from 'chai';
import { rmdirSync } from 'node:fs';
import {
  applyCgroupOps, cpuQuotaUs, DEFAULT_PIDS_MAX, nodeCgroupDirs, parseCgroupLayout, planLabCgroups,
  type CgroupLayout, type CgroupOp,
} from '../../src/core/cgroups.js';
import { KernelError, NetlabError } from '../../src/errors.js';

// mountinfo lines as the kernel writes them (proc(5)); only cgroup mounts matter.
const V1_LINES = [
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
];
const HEAD = ['27 1 254:0 / / rw,relatime - ext4 /dev/vda rw', '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755'];
const UNIFIED = '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw';
const cpusetRoot = { cpus: '0-1', mems: '0' };

const v1: CgroupLayout = parseCgroupLayout({ rootIsCgroup2: false, mountinfo: [...HEAD, ...V1_LINES].join('\n'), subtreeControl: '', cpusetRoot, ignoreUnder: '/run/netlab' });
const hybrid: CgroupLayout = parseCgroupLayout({ rootIsCgroup2: false, mountinfo: [...HEAD, ...V1_LINES, UNIFIED].join('\n'), subtreeControl: '', cpusetRoot, ignoreUnder: '/run/netlab' });
const v2: CgroupLayout = parseCgroupLayout({
  rootIsCgroup2: true, mountinfo: '25 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate',
  subtreeControl: 'cpuset cpu io memory pids\n', ignoreUnder: '/run/netlab',
});

function writes(ops: CgroupOp[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of ops) if (o.op === 'write') out[o.path] = o.value;
  return out;
}
function mkdirs(ops: CgroupOp[]): string[] {
  return ops.filter((o) => o.op === 'mkdir').map((o) => o.path);
}

describe('core cgroups: layout detection', () => {
  it('calls a host pure v2 when /sys/fs/cgroup is cgroup2, with the controllers its root delegates', () => {
    expect(v2.mode).to.equal('v2');
    expect(v2.unified).to.equal('/sys/fs/cgroup');
    expect(v2.unifiedControllers).to.deep.equal(['cpuset', 'cpu', 'io', 'memory', 'pids']);
    expect(v2.v1).to.deep.equal([]);
  });
  it('calls a host hybrid when v1 controllers sit next to a cgroup2 mount', () => {
    expect(hybrid.mode).to.equal('hybrid');
    expect(hybrid.unified).to.equal('/sys/fs/cgroup/unified');
    expect(hybrid.v1.map((h) => h.mount)).to.include('/sys/fs/cgroup/pids');
  });
  it('calls a host v1 without any cgroup2 mount', () => {
    expect(v1.mode).to.equal('v1');
    expect(v1.unified).to.equal(undefined);
  });
  it('reads co-mounted and named hierarchies, leaving mount options out', () => {
    expect(v1.v1.find((h) => h.mount.endsWith('cpu,cpuacct'))!.controllers).to.deep.equal(['cpu', 'cpuacct']);
    expect(v1.v1.find((h) => h.mount.endsWith('systemd'))!.controllers).to.deep.equal(['name=systemd']);
  });
  it('ignores cgroup mounts under the run directory (netlab\'s private net_cls mounts)', () => {
    const l = parseCgroupLayout({ rootIsCgroup2: false, mountinfo: [...HEAD, '50 27 0:40 / /run/netlab/lab1/net_cls rw - cgroup netlab_net_cls rw,net_cls', ...V1_LINES].join('\n'), subtreeControl: '', cpusetRoot, ignoreUnder: '/run/netlab' });
    expect(l.v1.some((h) => h.controllers.includes('net_cls'))).to.equal(false);
  });
});

describe('core cgroups: plan for pure v2', () => {
  const ops = planLabCgroups(v2, 'lab1', [
    { name: 'r1', resources: { cpus: 0.5, memoryBytes: 256 * 1024 * 1024, cpuset: '1' } },
    { name: 'r2', resources: {} },
  ]);
  const w = writes(ops);
  it('creates netlab (tolerating it), the lab and one cgroup per node', () => {
    expect(mkdirs(ops)).to.deep.equal(['/sys/fs/cgroup/netlab', '/sys/fs/cgroup/netlab/lab1', '/sys/fs/cgroup/netlab/lab1/r1', '/sys/fs/cgroup/netlab/lab1/r2']);
    expect(ops[0]).to.deep.include({ op: 'mkdir', exist: 'ok' });
    expect(ops.find((o) => o.op === 'mkdir' && o.path.endsWith('/lab1'))).to.deep.include({ exist: 'fail' });
  });
  it('enables the needed controllers for the children of netlab and of the lab', () => {
    expect(w['/sys/fs/cgroup/netlab/cgroup.subtree_control']).to.equal('+pids +memory +cpu +cpuset');
    expect(w['/sys/fs/cgroup/netlab/lab1/cgroup.subtree_control']).to.equal('+pids +memory +cpu +cpuset');
  });
  it('writes cpu 0.5 as cpu.max "50000 100000"', () => {
    expect(w['/sys/fs/cgroup/netlab/lab1/r1/cpu.max']).to.equal('50000 100000');
  });
  it('writes memory 256M as memory.max in bytes', () => {
    expect(w['/sys/fs/cgroup/netlab/lab1/r1/memory.max']).to.equal('268435456');
  });
  it('writes cpuset.cpus as given', () => {
    expect(w['/sys/fs/cgroup/netlab/lab1/r1/cpuset.cpus']).to.equal('1');
  });
  it('gives every node the default pids.max', () => {
    expect(w['/sys/fs/cgroup/netlab/lab1/r2/pids.max']).to.equal(String(DEFAULT_PIDS_MAX));
    expect(Object.keys(w).filter((k) => k.includes('/r2/'))).to.deep.equal(['/sys/fs/cgroup/netlab/lab1/r2/pids.max']);
  });
  it('writes a pids resource over the default', () => {
    const p = writes(planLabCgroups(v2, 'l', [{ name: 'n', resources: { pids: 64 } }]));
    expect(p['/sys/fs/cgroup/netlab/l/n/pids.max']).to.equal('64');
  });
  it('enables pids, and memory to meter every node, when no node asks for more', () => {
    expect(writes(planLabCgroups(v2, 'l', [{ name: 'n', resources: {} }]))['/sys/fs/cgroup/netlab/cgroup.subtree_control']).to.equal('+pids +memory');
    const bare = { ...v2, unifiedControllers: ['pids'] };
    expect(writes(planLabCgroups(bare, 'l', [{ name: 'n', resources: {} }]))['/sys/fs/cgroup/netlab/cgroup.subtree_control']).to.equal('+pids');
  });
  it('refuses a memory limit when the root does not delegate the memory controller, naming the node', () => {
    const bare = { ...v2, unifiedControllers: ['pids'] };
    expect(() => planLabCgroups(bare, 'l', [{ name: 'r9', resources: { memoryBytes: 1e8 } }])).to.throw(NetlabError).with.property('headline').that.matches(/node r9: .*memory/);
  });
  it('lists the node\'s cgroup2 dir for it to join', () => {
    expect(nodeCgroupDirs(v2, 'lab1', 'r1')).to.deep.equal(['/sys/fs/cgroup/netlab/lab1/r1']);
  });
});

describe('core cgroups: plan for hybrid', () => {
  const ops = planLabCgroups(hybrid, 'lab1', [
    { name: 'r1', resources: { memoryBytes: 1 << 28, cpus: 0.5 } },
    { name: 'r2', resources: {} },
  ]);
  const dirs = mkdirs(ops);
  const w = writes(ops);
  it('creates node cgroups in the unified tree (for cgroup.kill) without controllers', () => {
    expect(dirs).to.include.members(['/sys/fs/cgroup/unified/netlab/lab1/r1', '/sys/fs/cgroup/unified/netlab/lab1/r2']);
    expect(Object.keys(w).some((k) => k.startsWith('/sys/fs/cgroup/unified'))).to.equal(false);
  });
  it('creates a lab cgroup in every v1 hierarchy', () => {
    for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'freezer', 'pids', 'systemd']) expect(dirs).to.include(`/sys/fs/cgroup/${h}/netlab/lab1`);
  });
  it('gives every node its own pids cgroup with the default limit', () => {
    expect(w['/sys/fs/cgroup/pids/netlab/lab1/r2/pids.max']).to.equal(String(DEFAULT_PIDS_MAX));
  });
  it('creates a memory cgroup for every node (its meter), a cpu one only for the node that asks', () => {
    expect(dirs).to.include('/sys/fs/cgroup/memory/netlab/lab1/r1');
    expect(dirs).to.include('/sys/fs/cgroup/memory/netlab/lab1/r2');
    expect(w['/sys/fs/cgroup/memory/netlab/lab1/r2/memory.limit_in_bytes']).to.equal(undefined);
    expect(dirs).not.to.include('/sys/fs/cgroup/cpu,cpuacct/netlab/lab1/r2');
    expect(w['/sys/fs/cgroup/memory/netlab/lab1/r1/memory.limit_in_bytes']).to.equal('268435456');
  });
  it('writes cpu 0.5 as cfs_quota_us 50000 with cfs_period_us 100000', () => {
    expect(w['/sys/fs/cgroup/cpu,cpuacct/netlab/lab1/r1/cpu.cfs_period_us']).to.equal('100000');
    expect(w['/sys/fs/cgroup/cpu,cpuacct/netlab/lab1/r1/cpu.cfs_quota_us']).to.equal('50000');
  });
  it('copies cpuset.cpus and cpuset.mems from the root into netlab and the lab before any task joins', () => {
    const i = ops.findIndex((o) => o.op === 'mkdir' && o.path === '/sys/fs/cgroup/cpuset/netlab/lab1');
    expect(ops[i + 1]).to.deep.equal({ op: 'write', path: '/sys/fs/cgroup/cpuset/netlab/lab1/cpuset.cpus', value: '0-1' });
    expect(ops[i + 2]).to.deep.equal({ op: 'write', path: '/sys/fs/cgroup/cpuset/netlab/lab1/cpuset.mems', value: '0' });
    expect(w['/sys/fs/cgroup/cpuset/netlab/cpuset.mems']).to.equal('0');
  });
  it('lists the lab\'s cgroup where the node has none of its own, given its resources', () => {
    const d = nodeCgroupDirs(hybrid, 'lab1', 'r2', {});
    expect(d).to.include('/sys/fs/cgroup/freezer/netlab/lab1').and.include('/sys/fs/cgroup/pids/netlab/lab1/r2').and.include('/sys/fs/cgroup/memory/netlab/lab1/r2');
    expect(d).not.to.include('/sys/fs/cgroup/cpuset/netlab/lab1/r2');
  });
  it('lists one dir per hierarchy for a node to join, the unified one first', () => {
    const d = nodeCgroupDirs(hybrid, 'lab1', 'r2');
    expect(d[0]).to.equal('/sys/fs/cgroup/unified/netlab/lab1/r2');
    expect(d).to.have.length(1 + hybrid.v1.length);
    expect(d).to.include('/sys/fs/cgroup/pids/netlab/lab1/r2');
  });
});

describe('core cgroups: plan for pure v1', () => {
  const ops = planLabCgroups(v1, 'lab1', [{ name: 'r1', resources: { cpus: 1.5, cpuset: '0', memoryBytes: 5e8 } }]);
  const w = writes(ops);
  it('has no cgroup2 directories', () => {
    expect(mkdirs(ops).some((d) => d.includes('unified'))).to.equal(false);
  });
  it('writes cfs_quota_us 150000 for 1.5 CPUs', () => {
    expect(w['/sys/fs/cgroup/cpu,cpuacct/netlab/lab1/r1/cpu.cfs_quota_us']).to.equal('150000');
  });
  it('writes the node\'s cpuset.cpus and the root\'s cpuset.mems', () => {
    expect(w['/sys/fs/cgroup/cpuset/netlab/lab1/r1/cpuset.cpus']).to.equal('0');
    expect(w['/sys/fs/cgroup/cpuset/netlab/lab1/r1/cpuset.mems']).to.equal('0');
  });
  it('keeps a freezer cgroup for the lab (teardown freezes it)', () => {
    expect(mkdirs(ops)).to.include('/sys/fs/cgroup/freezer/netlab/lab1');
  });
  it('writes memory.limit_in_bytes in bytes', () => {
    expect(w['/sys/fs/cgroup/memory/netlab/lab1/r1/memory.limit_in_bytes']).to.equal('500000000');
  });
});

describe('core cgroups: values and errors', () => {
  it('never writes a quota below the kernel\'s 1 ms minimum', () => {
    expect(cpuQuotaUs(0.001)).to.equal(1000);
  });
  it('names the cgroup and says what to do when a lab cgroup exists already', () => {
    const dir = `/tmp/netlab-unit-${process.pid}`;
    applyCgroupOps([{ op: 'mkdir', path: dir, exist: 'ok' }]);
    try {
      expect(() => applyCgroupOps([{ op: 'mkdir', path: dir, exist: 'fail' }])).to.throw(KernelError).that.satisfies(
        (e: KernelError) => e.headline.includes(dir) && e.code === 'EEXIST' && e.hint.includes('netlab down'));
    } finally {
      rmdirSync(dir);
    }
  });
});
