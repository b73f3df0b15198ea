import { expect } from 'chai';
import { KernelError, TopologyError } from '../../src/errors.js';
import { chooseHierarchy, cgroup2Match, classCgroupDir, parseHostCgroups, type ClassHierarchy } from '../../src/shaping/cgroups.js';
import { classCgroupProcs, planClasses, type ClassesRecord } from '../../src/shaping/classes.js';
import { iptablesRemoveRules, iptablesRules, nftCgroup2Path, nftRemoveRuleset, nftRuleset } from '../../src/shaping/classify.js';

const classes = planClasses({ bulk: { rateBps: 1e6 }, interactive: { rateBps: 2e6, prio: 0 } });

describe('shaping classes: classification rules', () => {
  it('matches the net_cls classid with nft meta cgroup and sets the htb class as priority', () => {
    const text = nftRuleset(classes, { mode: 'net_cls' });
    expect(text).to.contain('type filter hook output priority 0; policy accept;');
    expect(text).to.contain('    meta cgroup 65553 meta priority set 1:11\n');
    expect(text).to.contain('    meta cgroup 65554 meta priority set 1:12\n');
  });
  it('replaces the table in one nft transaction (declare, delete, create)', () => {
    const lines = nftRuleset(classes, { mode: 'net_cls' }).split('\n');
    expect(lines.slice(0, 3)).to.deep.equal(['table inet netlab_classes', 'delete table inet netlab_classes', 'table inet netlab_classes {']);
    expect(nftRemoveRuleset()).to.equal('table inet netlab_classes\ndelete table inet netlab_classes\n');
  });
  it('matches the class cgroup by cgroup v2 path and level on pure v2', () => {
    const text = nftRuleset(classes, { mode: 'cgroup2', paths: {
      bulk: { path: 'netlab/lab1/r1/class-bulk', nftPath: 'netlab/lab1/r1/class-bulk', level: 4 },
      interactive: { path: 'netlab/lab1/r1/class-interactive', nftPath: 'netlab/lab1/r1/class-interactive', level: 4 },
    } });
    expect(text).to.contain('    socket cgroupv2 level 4 "netlab/lab1/r1/class-bulk" meta priority set 1:11\n');
  });
  it('writes the hybrid unified tree path relative to /sys/fs/cgroup for nft, level counted from the v2 root', () => {
    const h: ClassHierarchy = { mode: 'cgroup2', root: '/sys/fs/cgroup/unified', mountedByNetlab: false };
    const dir = classCgroupDir(h, 'lab1', 'r1', 'bulk');
    expect(dir).to.equal('/sys/fs/cgroup/unified/netlab/lab1/r1/class-bulk');
    expect(cgroup2Match(h, dir)).to.deep.equal({ path: 'netlab/lab1/r1/class-bulk', level: 4 });
    expect(nftCgroup2Path(dir)).to.equal('unified/netlab/lab1/r1/class-bulk');
    expect(nftCgroup2Path('/mnt/cg2/netlab/x')).to.equal(undefined);
  });
  it('refuses a cgroup path with a quote rather than writing a broken nft rule', () => {
    expect(() => nftRuleset(classes.slice(0, 1), { mode: 'cgroup2', paths: { bulk: { path: 'a"b', nftPath: 'a"b', level: 1 } } })).to.throw(/quote/);
  });
  it('builds the iptables fallback: own mangle chain, hooked into OUTPUT, one CLASSIFY rule per class', () => {
    const r = iptablesRules(classes, { mode: 'net_cls' });
    expect(r[0]).to.deep.equal(['-w', '-t', 'mangle', '-N', 'NETLAB_CLASSES']);
    expect(r[1]).to.deep.equal(['-w', '-t', 'mangle', '-A', 'OUTPUT', '-j', 'NETLAB_CLASSES']);
    expect(r[2]).to.deep.equal(['-w', '-t', 'mangle', '-A', 'NETLAB_CLASSES', '-m', 'cgroup', '--cgroup', '65553', '-j', 'CLASSIFY', '--set-class', '1:11']);
    expect(iptablesRemoveRules().map((a) => a[3])).to.deep.equal(['-D', '-F', '-X']);
  });
  it('matches by --path in the iptables fallback on cgroup v2', () => {
    const r = iptablesRules(classes.slice(0, 1), { mode: 'cgroup2', paths: { bulk: { path: 'netlab/l/r1/class-bulk', nftPath: '', level: 4 } } });
    expect(r[2]).to.include.members(['--path', 'netlab/l/r1/class-bulk']);
  });
});

describe('shaping classes: which cgroup hierarchy', () => {
  const hybridMounts = [
    '30 25 0:26 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw',
    '31 25 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:6 - cgroup cgroup rw,cpu',
  ].join('\n');
  const procCgroups = '#subsys_name\thierarchy\tnum_cgroups\tenabled\nnet_cls\t0\t1\t1\n';

  it('reads cgroup2 and net_cls mounts and whether net_cls is compiled in', () => {
    const h = parseHostCgroups(hybridMounts + '\n40 25 0:40 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio', procCgroups);
    expect(h).to.deep.equal({ cgroup2Mount: '/sys/fs/cgroup/unified', netClsMount: '/sys/fs/cgroup/net_cls,net_prio', netClsAvailable: true });
  });
  it('does not reuse another lab\'s net_cls mount (it goes away with that lab)', () => {
    const h = parseHostCgroups(hybridMounts + '\n41 25 0:41 / /run/netlab/other/net_cls rw - cgroup netlab_net_cls rw,net_cls', procCgroups);
    expect(h.netClsMount).to.equal(undefined);
    expect(chooseHierarchy(h, '/run/netlab/l/net_cls', 'net_cls')).to.deep.equal({ mode: 'net_cls', root: '/run/netlab/l/net_cls', mountedByNetlab: true });
  });
  it('uses a net_cls hierarchy that is already mounted on a host without cgroup v2', () => {
    const h = chooseHierarchy({ netClsMount: '/sys/fs/cgroup/net_cls', netClsAvailable: true }, '/run/netlab/l/net_cls');
    expect(h).to.deep.equal({ mode: 'net_cls', root: '/sys/fs/cgroup/net_cls', mountedByNetlab: false });
  });
  it('uses a hybrid host\'s unified tree rather than mounting a net_cls hierarchy (no release_agent of netlab\'s making)', () => {
    const h = chooseHierarchy(parseHostCgroups(hybridMounts, procCgroups), '/run/netlab/l/net_cls');
    expect(h).to.deep.equal({ mode: 'cgroup2', root: '/sys/fs/cgroup/unified', mountedByNetlab: false });
  });
  it('uses cgroup v2 over a net_cls hierarchy the host mounted, unless told net_cls', () => {
    const host = { netClsMount: '/sys/fs/cgroup/net_cls', cgroup2Mount: '/sys/fs/cgroup/unified', netClsAvailable: true };
    expect(chooseHierarchy(host, '/x').mode).to.equal('cgroup2');
    expect(chooseHierarchy(host, '/x', 'net_cls')).to.deep.equal({ mode: 'net_cls', root: '/sys/fs/cgroup/net_cls', mountedByNetlab: false });
  });
  it('uses cgroup v2 on a pure v2 host, without mounting net_cls', () => {
    const h = chooseHierarchy({ cgroup2Mount: '/sys/fs/cgroup', netClsAvailable: true }, '/run/netlab/l/net_cls');
    expect(h).to.deep.equal({ mode: 'cgroup2', root: '/sys/fs/cgroup', mountedByNetlab: false });
  });
  it('falls back to the unified tree when net_cls is not compiled in', () => {
    expect(chooseHierarchy({ cgroup2Mount: '/sys/fs/cgroup/unified', netClsAvailable: false }, '/x').mode).to.equal('cgroup2');
  });
  it('fails with a KernelError naming net_cls when there is neither', () => {
    expect(() => chooseHierarchy({ netClsAvailable: false }, '/x')).to.throw(KernelError, /net_cls/);
  });
});

describe('shaping classes: netlab exec --class', () => {
  const record: ClassesRecord = {
    lab: 'l', hierarchy: { mode: 'net_cls', root: '/run/netlab/l/net_cls', mountedByNetlab: true },
    nodes: [{ node: 'r1', netnsPath: '/proc/1/ns/net', classifier: 'nft', classes, interfaces: [], createdDirs: [],
      cgroups: { bulk: '/run/netlab/l/net_cls/netlab/l/r1/class-bulk' } }],
  };
  it('names the cgroup.procs file a process joins for its class', () => {
    expect(classCgroupProcs(record, 'r1', 'bulk')).to.deep.equal(['/run/netlab/l/net_cls/netlab/l/r1/class-bulk/cgroup.procs']);
  });
  it('lists the node\'s classes when an unknown class is asked', () => {
    expect(() => classCgroupProcs(record, 'r1', 'video')).to.throw(TopologyError, /no class "video"/).with.property('hint').that.contains('bulk');
  });
});
