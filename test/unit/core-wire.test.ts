import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSpecs, parseLaunchLine, WIRE_KEYS, type WireSpec } from '../../src/core/launch-wire.js';
import { formatNodeIndex, parseNodeIndex } from '../../src/core/index-file.js';
import { enterArgs } from '../../src/core/enter.js';
import { launcherEnv, toWire } from '../../src/core/node.js';
import { repoRoot } from '../helpers/kernel.js';

const spec: WireSpec = {
  lab: 'l1', name: 'r1', runDir: '/run/netlab/l1/nodes/r1', lowerDirs: ['/'], hostsFile: '/run/netlab/l1/hosts',
  binds: [{ source: '/srv/data', target: '/data', readonly: true }], cgroupDirs: ['/sys/fs/cgroup/netlab/l1/r1'],
};

describe('core launcher wire format', () => {
  it('encodes a node as NUL-terminated key=value fields ending in an empty field', () => {
    const text = encodeSpecs([spec]).toString('utf8');
    expect(text).to.equal('lab=l1\0name=r1\0run=/run/netlab/l1/nodes/r1\0hosts=/run/netlab/l1/hosts\0lower=/\0'
      + 'cg=/sys/fs/cgroup/netlab/l1/r1\0bind=ro\x1f/srv/data\x1f/data\0\0');
  });
  it('encodes user namespace maps as INSIDE HOST COUNT', () => {
    const text = encodeSpecs([{ ...spec, uidMap: [{ inside: 0, host: 100000, count: 65536 }], gidMap: [{ inside: 0, host: 100000, count: 65536 }] }]).toString();
    expect(text).to.contain('uidmap=0 100000 65536\0gidmap=0 100000 65536\0');
  });
  it('refuses a path holding a NUL or newline instead of corrupting the stream', () => {
    expect(() => encodeSpecs([{ ...spec, runDir: '/run/a\nb' }])).to.throw(TypeError, /control character/);
    expect(() => encodeSpecs([{ ...spec, binds: [{ source: '/a\0', target: '/b', readonly: false }] }])).to.throw(TypeError);
  });
  it('parses a ready node: index, host pid and start time', () => {
    expect(parseLaunchLine('ok\t3\t4242\t987654')).to.deep.equal({ kind: 'ok', idx: 3, pid: 4242, startTime: 987654 });
  });
  it('parses a failed step with its errno and object, tabs in the object kept', () => {
    expect(parseLaunchLine('err\t1\t2\tmount overlay\t/a\tb')).to.deep.equal({ kind: 'err', idx: 1, errno: 2, step: 'mount overlay', object: '/a\tb' });
  });
  it('fills the lower dir with the host root when none is given', () => {
    expect(toWire({ ...spec, lowerDirs: [], binds: [] }).lowerDirs).to.deep.equal(['/']);
  });
  it('uses the wire keys the native parser reads, every one of them (native/spec.c)', () => {
    const c = readFileSync(join(repoRoot, 'native/spec.c'), 'utf8');
    const body = c.slice(c.indexOf('static int field('), c.indexOf('static int check('));
    const native = [...body.matchAll(/strcmp\(f, "([a-z]+)"\)/g)].map((m) => m[1]).sort();
    expect(native.length).to.be.greaterThan(10);
    expect(Object.values(WIRE_KEYS).sort()).to.deep.equal(native);
  });
  it('encodes every field of a node that has them all, each under its wire key', () => {
    const full: Required<WireSpec> = {
      ...spec, hostsFile: '/h', consoleLog: '/c', stopGraceMs: 100, layers: ['/l'], seccomp: false, upperBytes: 8192,
      deviceRules: ['c 1:3 rwm'], uidMap: [{ inside: 0, host: 1, count: 2 }], gidMap: [{ inside: 0, host: 3, count: 4 }],
    };
    const keys = new Set(encodeSpecs([full]).toString().split('\0').filter(Boolean).map((f) => f.slice(0, f.indexOf('='))));
    expect([...keys].sort()).to.deep.equal(Object.values(WIRE_KEYS).sort());
  });
  it('passes a node\'s fields to the launcher unchanged, and its user namespace as maps', () => {
    const userns = { uidMap: [{ inside: 0, host: 100000, count: 65536 }], gidMap: [{ inside: 0, host: 200000, count: 65536 }] };
    const node = { ...spec, layers: ['/l'], consoleLog: '/c', stopGraceMs: 5, seccomp: false, upperBytes: 1, deviceRules: ['a *:* rwm'] };
    expect(toWire({ ...node, userns })).to.deep.equal({ ...node, ...userns });
    expect(toWire(node)).to.deep.equal(node);
  });
});

describe('core node index (nodes.tsv)', () => {
  it('writes name, pid and start time per line, sorted by name', () => {
    expect(formatNodeIndex([{ name: 'r2', pid: 20, startTime: 2 }, { name: 'r1', pid: 10, startTime: 1 }])).to.equal('r1\t10\t1\nr2\t20\t2\n');
  });
  it('reads back what it writes and skips malformed lines', () => {
    expect(parseNodeIndex('r1\t10\t1\n# comment\nbroken\nr2\tx\t3\n')).to.deep.equal([{ name: 'r1', pid: 10, startTime: 1 }]);
  });
});

describe('core enter arguments', () => {
  it('passes pid, start time, lab and node, then the command after --', () => {
    expect(enterArgs({ lab: 'l', name: 'r1', pid: 5, startTime: 9 }, ['ip', 'route'])).to.deep.equal(
      ['--pid', '5', '--lab', 'l', '--node', 'r1', '--starttime', '9', '--', 'ip', 'route']);
  });
  it('passes env, cwd, class and terminal options', () => {
    const a = enterArgs({ lab: 'l', name: 'r1', pid: 5 }, ['sh'], { env: { A: '1' }, cwd: '/tmp', cls: 'bulk', tty: true });
    expect(a.slice(6)).to.deep.equal(['--class', 'bulk', '--cwd', '/tmp', '--env', 'A=1', '-t', '--', 'sh']);
  });
  it('refuses an environment name holding "="', () => {
    expect(() => enterArgs({ lab: 'l', name: 'r', pid: 1 }, ['x'], { env: { 'A=B': '1' } })).to.throw(TypeError);
  });
});

describe('core launcher environment', () => {
  it('gives the launcher (and so every node\'s PID 1) a PATH and nothing of the caller\'s environment', () => {
    expect(launcherEnv({ HOME: '/root', SSH_AUTH_SOCK: '/tmp/agent', AWS_SECRET_ACCESS_KEY: 'x', PATH: '/home/u/bin' }))
      .to.deep.equal({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' });
  });
  it('passes NETLAB_INIT_TRACE through', () => {
    expect(launcherEnv({ NETLAB_INIT_TRACE: '1' }).NETLAB_INIT_TRACE).to.equal('1');
  });
});
