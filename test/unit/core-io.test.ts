import { expect } from 'chai';
import { blkioThrottle, ioMax, parseCgroupLayout, planLabCgroups, type CgroupOp } from '../../src/core/cgroups.js';
import { splitDev } from '../../src/core/io-device.js';
import type { NetlabError } from '../../src/errors.js';
import { loadTopology } from '../../src/lab/load.js';

const hybrid = parseCgroupLayout({
  rootIsCgroup2: false,
  mountinfo: ['31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw', '38 31 0:35 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio',
    '39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids', '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'].join('\n'),
  subtreeControl: '', ignoreUnder: '/run/netlab',
});
const v2 = parseCgroupLayout({ rootIsCgroup2: true, mountinfo: '', subtreeControl: 'io memory pids', ignoreUnder: '/run/netlab' });
const writes = (ops: CgroupOp[]): Record<string, string> => Object.fromEntries(ops.flatMap((o) => (o.op === 'write' ? [[o.path, o.value]] : [])));

describe('resources.io: block I/O limits', () => {
  it('reads read/write bytes per second and IOPS from the topology, and refuses an io: that limits nothing', () => {
    const t = loadTopology({ text: 'name: io\nnodes:\n  a: { resources: { io: { read_bps: 10M, write_iops: 100 } } }\n' }, { env: {} });
    expect(t.nodes[0]!.resources.io).to.deep.equal({ readBytesPerS: 10 * 1024 ** 2, writeIops: 100 });
    let err: NetlabError | undefined;
    try { loadTopology({ text: 'name: io\nnodes:\n  a: { resources: { io: { device: /dev/vda } } }\n' }, { env: {} }); } catch (e) { err = e as NetlabError; }
    expect(err?.headline).to.match(/^nodes\.a\.resources\.io: sets no limit/);
  });
  it('writes v2 io.max with the given limits only, and enables the io controller for the lab', () => {
    expect(ioMax('254:0', { readBytesPerS: 1048576, writeIops: 50 })).to.equal('254:0 rbps=1048576 wiops=50');
    const w = writes(planLabCgroups(v2, 'l', [{ name: 'a', resources: { io: { readBytesPerS: 1024 } }, ioDevice: '254:0' }]));
    expect(w['/sys/fs/cgroup/netlab/l/a/io.max']).to.equal('254:0 rbps=1024');
    expect(w['/sys/fs/cgroup/netlab/l/cgroup.subtree_control']).to.contain('+io');
  });
  it('gives a node with io: its own v1 blkio cgroup with blkio.throttle.* files', () => {
    expect(blkioThrottle('/d', '8:0', { writeBytesPerS: 5, readIops: 7 })).to.deep.equal([
      { op: 'write', path: '/d/blkio.throttle.write_bps_device', value: '8:0 5' }, { op: 'write', path: '/d/blkio.throttle.read_iops_device', value: '8:0 7' }]);
    const ops = planLabCgroups(hybrid, 'l', [{ name: 'a', resources: { io: { readBytesPerS: 1024 } }, ioDevice: '254:0' }, { name: 'b', resources: {} }]);
    expect(writes(ops)['/sys/fs/cgroup/blkio/netlab/l/a/blkio.throttle.read_bps_device']).to.equal('254:0 1024');
    expect(ops.some((o) => o.op === 'mkdir' && o.path === '/sys/fs/cgroup/blkio/netlab/l/b')).to.equal(false);
  });
  it('splits a dev_t into major and minor as the kernel packs it', () => {
    expect(splitDev(0xfe00)).to.deep.equal({ major: 254, minor: 0 });
    expect(splitDev(0x801)).to.deep.equal({ major: 8, minor: 1 });
    expect(splitDev(0x10300)).to.deep.equal({ major: 259, minor: 0 });
    expect(splitDev(0x10082c)).to.deep.equal({ major: 8, minor: 300 });
  });
});
