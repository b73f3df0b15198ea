import { expect } from 'chai';
import { DEFAULT_DEVICE_RULES, devMajorMinor, labDeviceRules, nodeDevices, parseDeviceEntry, type DeviceStat } from '../../src/core/devices.js';
import { DEFAULT_LAB_MEMORY_PERCENT, labMemoryBytes, parseMeminfo } from '../../src/core/limits.js';
import { nodeCgroupDirs, nodesWithOwnDevicesCgroup, planLabCgroups, parseCgroupLayout, type CgroupOp } from '../../src/core/cgroups.js';
import { encodeSpecs } from '../../src/core/launch-wire.js';
import { checkCapacity, formatBytes, labMemoryNeed } from '../../src/lab/capacity.js';
import { getKind } from '../../src/daemons/registry.js';
import { NetlabError, TopologyError } from '../../src/errors.js';
import { loadTopology } from '../../src/lab/load.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A fake host filesystem: path → [type, rdev] or a symlink target. */
function fakeFs(entries: Record<string, ['c' | 'b' | 'f', number] | string>): DeviceStat {
  return {
    realpath: (p) => {
      const e = entries[p];
      if (e === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return typeof e === 'string' ? e : p;
    },
    stat: (p) => {
      const e = entries[p] as ['c' | 'b' | 'f', number];
      return { isCharacterDevice: () => e[0] === 'c', isBlockDevice: () => e[0] === 'b', rdev: e[1] };
    },
  };
}

describe('core devices: the allow-list', () => {
  it('reads a host path, with rw as the default access', () => {
    expect(parseDeviceEntry('/dev/kvm')).to.deep.equal({ path: '/dev/kvm', access: 'rw' });
    expect(parseDeviceEntry('/dev/kvm:rwm')).to.deep.equal({ path: '/dev/kvm', access: 'rwm' });
  });
  it('reads a rule in devices.allow syntax, wildcards included', () => {
    expect(parseDeviceEntry('c 10:232 rwm')).to.deep.equal({ rule: 'c 10:232 rwm' });
    expect(parseDeviceEntry('b 8:* r')).to.deep.equal({ rule: 'b 8:* r' });
    expect(parseDeviceEntry('a *:* rwm')).to.deep.equal({ rule: 'a *:* rwm' });
  });
  it('refuses malformed entries with a hint', () => {
    for (const bad of ['c 10 rwm', 'x 1:3 r', 'c 1:3 rx', 'c 1:3 rr', 'c 1:3', 'kvm', '/dev/kvm:x', '/dev/../etc/shadow', 'a 1:3 rwm', 'c 1048576:0 r']) {
      const r = parseDeviceEntry(bad);
      expect(r, bad).to.have.property('what');
      expect((r as { hint: string }).hint, bad).to.not.equal('');
    }
  });
  it('splits a dev_t as glibc does (12-bit major, 20-bit minor)', () => {
    expect(devMajorMinor(259)).to.deep.equal({ major: 1, minor: 3 });
    expect(devMajorMinor(65024)).to.deep.equal({ major: 254, minor: 0 });
    // makedev(259, 300000): minor's high bits above bit 20 of dev_t
    const big = (300000 & 0xff) | ((259 & 0xfff) << 8) | ((300000 & ~0xff) << 12);
    expect(devMajorMinor(big)).to.deep.equal({ major: 259, minor: 300000 });
  });
  it('starts every node from the default list: its /dev, ptys and tun', () => {
    expect(nodeDevices(undefined, 'x').rules).to.deep.equal([...DEFAULT_DEVICE_RULES]);
    expect(DEFAULT_DEVICE_RULES).to.include.members(['c 1:3 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm']);
  });
  it('resolves a host path to its type and numbers and binds it at the same path', () => {
    const fs = fakeFs({ '/dev/kvm': ['c', (10 << 8) | 232], '/dev/vdb': ['b', (254 << 8) | 16] });
    const r = nodeDevices([{ path: '/dev/kvm', access: 'rw' }, { path: '/dev/vdb', access: 'r' }, { rule: 'c 10:229 rwm' }], 'nodes.v.resources.devices', fs);
    expect(r.rules.slice(DEFAULT_DEVICE_RULES.length)).to.deep.equal(['c 10:232 rw', 'b 254:16 r', 'c 10:229 rwm']);
    expect(r.binds).to.deep.equal([
      { source: '/dev/kvm', target: '/dev/kvm', readonly: false }, { source: '/dev/vdb', target: '/dev/vdb', readonly: false },
    ]);
  });
  it('follows a symlink to the device and binds the device itself', () => {
    const fs = fakeFs({ '/dev/disk/by-id/x': '/dev/vdb', '/dev/vdb': ['b', (254 << 8) | 16] });
    expect(nodeDevices([{ path: '/dev/disk/by-id/x', access: 'r' }], 'w', fs).binds[0]).to.deep.equal({ source: '/dev/vdb', target: '/dev/disk/by-id/x', readonly: false });
  });
  it('names the entry when a path is missing or not a device', () => {
    const fs = fakeFs({ '/etc/passwd': ['f', 0] });
    expect(() => nodeDevices([{ path: '/dev/kvm', access: 'rw' }], 'nodes.v.resources.devices', fs))
      .to.throw(TopologyError, /does not exist on this host/).with.property('path', 'nodes.v.resources.devices[0]');
    expect(() => nodeDevices([{ rule: 'c 1:1 r' }, { path: '/etc/passwd', access: 'rw' }], 'nodes.v.resources.devices', fs))
      .to.throw(TopologyError, /is not a device node/).with.property('path', 'nodes.v.resources.devices[1]');
  });
  it('gives the lab the union of its nodes\' lists, in first-seen order', () => {
    expect(labDeviceRules([['a', 'b'], ['b', 'c'], ['a']])).to.deep.equal(['a', 'b', 'c']);
  });
});

describe('core limits: upper layer and lab memory', () => {
  const meminfo = 'MemTotal:       24683520 kB\nMemFree:        22000000 kB\nMemAvailable:   23506944 kB\n';
  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(parseMeminfo(meminfo)).to.deep.equal({ totalBytes: 24683520 * 1024, availableBytes: 23506944 * 1024 });
  });
  it('limits a lab to 90 % of the host\'s memory by default, in whole pages', () => {
    const host = { totalBytes: 10 * GiB, availableBytes: 8 * GiB };
    expect(DEFAULT_LAB_MEMORY_PERCENT).to.equal(90);
    expect(labMemoryBytes(undefined, host)).to.equal(Math.floor(9 * GiB / 4096) * 4096);
    expect(labMemoryBytes({ memoryPercent: 50 }, host)).to.equal(5 * GiB);
    expect(labMemoryBytes({ memoryBytes: 3 * GiB + 5 }, host)).to.equal(3 * GiB);
  });
});

const writes = (ops: CgroupOp[]): [string, string][] => ops.filter((o): o is Extract<CgroupOp, { op: 'write' }> => o.op === 'write').map((o) => [o.path, o.value]);
const HEAD = ['31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755'];
const hybrid = parseCgroupLayout({
  rootIsCgroup2: false, subtreeControl: '', ignoreUnder: '/run/netlab',
  mountinfo: [...HEAD, '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory', '36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices',
    '39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids', '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'].join('\n'),
});
const v2 = parseCgroupLayout({ rootIsCgroup2: true, mountinfo: '', subtreeControl: 'cpu memory pids', ignoreUnder: '/run/netlab' });

describe('core cgroups: devices and the lab\'s memory', () => {
  it('denies every device to the lab\'s v1 devices cgroup, then allows each rule, before the node cgroups exist', () => {
    const ops = planLabCgroups(hybrid, 'l1', [{ name: 'a', resources: {} }, { name: 'b', resources: {} }]);
    const dev = '/sys/fs/cgroup/devices/netlab/l1';
    const w = writes(ops).filter(([p]) => p.startsWith(`${dev}/`));
    expect(w[0]).to.deep.equal([`${dev}/devices.deny`, 'a']);
    expect(w.slice(1).map(([, v]) => v)).to.deep.equal([...DEFAULT_DEVICE_RULES]);
    const firstNode = ops.findIndex((o) => o.op === 'mkdir' && o.path === `${dev}/a`);
    expect(firstNode).to.be.greaterThan(ops.findIndex((o) => o.op === 'write' && o.path === `${dev}/devices.allow`));
  });
  it('gives a node without a user namespace its own v1 devices cgroup below the lab\'s, the root of its cgroup namespace', () => {
    const ops = planLabCgroups(hybrid, 'l1', [{ name: 'a', resources: {} }, { name: 'b', resources: {}, userns: false }]);
    expect(ops).to.deep.include({ op: 'mkdir', path: '/sys/fs/cgroup/devices/netlab/l1/a', exist: 'fail' });
    expect(ops).to.deep.include({ op: 'mkdir', path: '/sys/fs/cgroup/devices/netlab/l1/b', exist: 'fail' });
    expect(nodeCgroupDirs(hybrid, 'l1', 'b', {}, true)).to.include('/sys/fs/cgroup/devices/netlab/l1/b');
  });
  it('keeps user-namespaced nodes with the lab\'s list in the lab\'s v1 devices cgroup (they cannot write devices.allow), and still gives them pids and memory cgroups', () => {
    const nodes = [{ name: 'a', resources: {}, userns: true }, { name: 'b', resources: {}, userns: true }];
    expect([...nodesWithOwnDevicesCgroup(nodes)]).to.deep.equal([]);
    const mkdirs = planLabCgroups(hybrid, 'l1', nodes).filter((o) => o.op === 'mkdir').map((o) => o.path);
    expect(mkdirs.filter((p) => p.startsWith('/sys/fs/cgroup/devices/netlab/l1/'))).to.deep.equal([]);
    expect(mkdirs).to.include.members(['/sys/fs/cgroup/devices/netlab/l1', '/sys/fs/cgroup/pids/netlab/l1/a', '/sys/fs/cgroup/memory/netlab/l1/b', '/sys/fs/cgroup/unified/netlab/l1/a']);
    // The launcher then joins the lab's devices cgroup once for all of them.
    expect(nodeCgroupDirs(hybrid, 'l1', 'a', {}, false)).to.deep.equal(['/sys/fs/cgroup/unified/netlab/l1/a', '/sys/fs/cgroup/memory/netlab/l1/a', '/sys/fs/cgroup/devices/netlab/l1', '/sys/fs/cgroup/pids/netlab/l1/a']);
  });
  it('gives a user-namespaced node with a narrower list than the lab\'s a devices cgroup of its own', () => {
    const kvm = [...DEFAULT_DEVICE_RULES, 'c 10:232 rw'];
    expect([...nodesWithOwnDevicesCgroup([{ name: 'vm', resources: {}, devices: kvm, userns: true }, { name: 'h', resources: {}, userns: true }])]).to.deep.equal(['h']);
  });
  it('allows the lab the union and narrows each node to its own list', () => {
    const kvm = [...DEFAULT_DEVICE_RULES, 'c 10:232 rw'];
    const ops = planLabCgroups(hybrid, 'l1', [{ name: 'vm', resources: {}, devices: kvm }, { name: 'h', resources: {} }]);
    const w = writes(ops);
    expect(w.filter(([p]) => p === '/sys/fs/cgroup/devices/netlab/l1/devices.allow').map(([, v]) => v)).to.deep.equal(kvm);
    expect(w.filter(([p]) => p.startsWith('/sys/fs/cgroup/devices/netlab/l1/vm/'))).to.deep.equal([]);
    expect(w.filter(([p]) => p.startsWith('/sys/fs/cgroup/devices/netlab/l1/h/')).map(([, v]) => v)).to.deep.equal(['a', ...DEFAULT_DEVICE_RULES]);
  });
  it('limits the lab\'s memory: memory.limit_in_bytes on v1, memory.max on v2 with memory enabled for the labs', () => {
    expect(writes(planLabCgroups(hybrid, 'l1', [{ name: 'a', resources: {} }], { memoryBytes: 8 * GiB })))
      .to.deep.include(['/sys/fs/cgroup/memory/netlab/l1/memory.limit_in_bytes', String(8 * GiB)]);
    const w = writes(planLabCgroups(v2, 'l1', [{ name: 'a', resources: {} }], { memoryBytes: 8 * GiB }));
    expect(w).to.deep.include(['/sys/fs/cgroup/netlab/l1/memory.max', String(8 * GiB)]);
    expect(w).to.deep.include(['/sys/fs/cgroup/netlab/cgroup.subtree_control', '+pids +memory']);
    // memory always: it is every node's meter (netlab stats)
    expect(w).to.deep.include(['/sys/fs/cgroup/netlab/l1/cgroup.subtree_control', '+pids +memory']);
  });
  it('skips the default lab limit on a v2 host without the memory controller, and refuses one the user asked for', () => {
    const noMem = parseCgroupLayout({ rootIsCgroup2: true, mountinfo: '', subtreeControl: 'pids', ignoreUnder: '/run/netlab' });
    expect(writes(planLabCgroups(noMem, 'l1', [{ name: 'a', resources: {} }], { memoryBytes: GiB })).some(([p]) => p.endsWith('memory.max'))).to.equal(false);
    expect(() => planLabCgroups(noMem, 'l1', [{ name: 'a', resources: {} }], { memoryBytes: GiB, memoryAsked: true })).to.throw(NetlabError, /memory cgroup controller/);
  });
});

describe('core launcher wire: confinement fields', () => {
  const spec = { lab: 'l', name: 'n', runDir: '/r', lowerDirs: ['/'], binds: [], cgroupDirs: [] };
  it('sends seccomp only when unconfined, the upper size in bytes and the device rules joined by commas', () => {
    expect(encodeSpecs([spec]).toString()).to.not.contain('seccomp=');
    const text = encodeSpecs([{ ...spec, seccomp: false, upperBytes: 16 * MiB, deviceRules: ['c 1:3 rwm', 'c 136:* rwm'] }]).toString();
    expect(text).to.contain('seccomp=unconfined\0upper=16777216\0devices=c 1:3 rwm,c 136:* rwm\0');
  });
});

describe('lab capacity: does a lab fit this host?', () => {
  const routers = (n: number, extra = ''): ReturnType<typeof loadTopology> => loadTopology({
    text: `name: big\n${extra}defaults: { kind: frr }\nnodes:\n${Array.from({ length: n }, (_, i) => `  r${i}: {}`).join('\n')}\n  h1: { kind: linux }\n`,
  }, { env: {} });
  it('adds up each kind\'s measured memory', () => {
    const need = labMemoryNeed(routers(3));
    expect(need.byKind.map((k) => [k.kind, k.count])).to.deep.equal([['frr', 3], ['linux', 1]]);
    expect(need.bytes).to.equal(3 * getKind('frr').facts.memoryBytes + getKind('linux').facts.memoryBytes);
  });
  it('refuses a lab that needs more than MemAvailable, with both numbers and --force in the hint', () => {
    const t = routers(1024);
    const err = (() => { try { checkCapacity(t, { totalBytes: 16 * GiB, availableBytes: 9 * GiB }); } catch (e) { return e as NetlabError; } return undefined; })();
    expect(err).to.be.instanceOf(NetlabError);
    expect(err!.exitCode).to.equal(1);
    expect(err!.message).to.match(/^1,024 FRR routers and 1 linux node need about \d+ GiB of memory; this host has 9 GiB available$/);
    expect(err!.hint).to.contain('--force');
  });
  it('refuses a lab that needs more than its memory limit, naming limits.memory', () => {
    expect(() => checkCapacity(routers(10, 'limits: { memory: 64M }\n'), { totalBytes: 16 * GiB, availableBytes: 9 * GiB }))
      .to.throw(NetlabError, /the lab's memory limit is 64 MiB/).with.property('where', 'limits.memory');
  });
  it('lets --force start it anyway, and a lab that fits start', () => {
    expect(checkCapacity(routers(1024), { totalBytes: 16 * GiB, availableBytes: GiB }, { force: true }).byKind[0]!.count).to.equal(1024);
    expect(checkCapacity(routers(3), { totalBytes: 16 * GiB, availableBytes: 9 * GiB }).bytes).to.be.greaterThan(0);
  });
  it('prints sizes with two significant digits in binary units', () => {
    expect(formatBytes(13.4 * GiB)).to.equal('13 GiB');
    expect(formatBytes(1.52 * MiB)).to.equal('1.5 MiB');
    expect(formatBytes(512)).to.equal('512 B');
  });
});

describe('topology: limits, resources.upper/devices, security', () => {
  const load = (text: string): ReturnType<typeof loadTopology> => loadTopology({ text }, { env: {} });
  it('reads limits.memory as a size or as a share of the host', () => {
    expect(load('name: l\nlimits: { memory: 8G }\nnodes: { a: {} }\n').limits).to.deep.equal({ memoryBytes: 8 * GiB });
    expect(load('name: l\nlimits: { memory: 50% }\nnodes: { a: {} }\n').limits).to.deep.equal({ memoryPercent: 50 });
    expect(load('name: l\nnodes: { a: {} }\n').limits).to.equal(undefined);
  });
  it('refuses a lab memory limit below 16M, or of 0%', () => {
    expect(() => load('name: l\nlimits: { memory: 1M }\nnodes: { a: {} }\n')).to.throw(TopologyError, /below 16M/).with.property('path', 'limits.memory');
    expect(() => load('name: l\nlimits: { memory: 0% }\nnodes: { a: {} }\n')).to.throw(TopologyError, /0%/);
  });
  it('reads resources.upper and resources.devices, also from defaults', () => {
    const t = load('name: l\ndefaults: { resources: { upper: 1G } }\nnodes: { a: { resources: { devices: [/dev/kvm, "c 10:229 rwm"] } } }\n');
    expect(t.nodes[0]!.resources.upperBytes).to.equal(GiB);
    expect(t.nodes[0]!.resources.devices).to.deep.equal([{ path: '/dev/kvm', access: 'rw' }, { rule: 'c 10:229 rwm' }]);
  });
  it('refuses a bad device entry and an upper layer below 1M at their key paths', () => {
    expect(() => load('name: l\nnodes: { a: { resources: { devices: ["c 10 rwm"] } } }\n')).to.throw(TopologyError).with.property('path', 'nodes.a.resources.devices[0]');
    expect(() => load('name: l\nnodes: { a: { resources: { upper: 4k } } }\n')).to.throw(TopologyError, /below 1M/);
  });
  it('reads security.seccomp and refuses other values', () => {
    expect(load('name: l\nnodes: { a: { security: { seccomp: unconfined } }, b: {} }\n').nodes.map((n) => n.security)).to.deep.equal([{ seccomp: 'unconfined' }, undefined]);
    expect(() => load('name: l\nnodes: { a: { security: { seccomp: off } } }\n')).to.throw(TopologyError).with.property('path', 'nodes.a.security.seccomp');
  });
});
