/**
 * The scoped leak check (test/helpers/leakcheck.ts): another lab on the
 * machine no longer fails a suite, and a suite's own leak still does.
 */
import { expect } from 'chai';
import { journalIfaces, nftOwnHash, parseSnapshot, scopedLeaks, type HostContext } from '../helpers/leakcheck.js';

/** A leakcheck snapshot from its sections. */
function snap(s: Partial<Record<'links' | 'addrs' | 'routes4' | 'routes6' | 'rules' | 'netns' | 'mounts' | 'cgroups' | 'foreign-ns' | 'nft' | 'iptables', string[]>>): string {
  const order = ['links', 'addrs', 'routes4', 'routes6', 'rules', 'netns', 'mounts', 'cgroups', 'foreign-ns', 'nft', 'iptables'] as const;
  return order.map((k) => `## ${k}\n${(s[k] ?? (k === 'nft' || k === 'iptables' ? ['d41d8cd98f00'] : [])).join('\n')}`).join('\n') + '\n';
}

const base = {
  links: ['eth0', 'lo'],
  addrs: ['eth0 inet 192.0.2.2/24'],
  cgroups: ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/memory/netlab'],
  'foreign-ns': ['netlab-init other/r1 [pid:[4026532301] net:[4026532304]]'],
};
const quiet: HostContext = { foreignIfaces: [], nftOwn: 'a' };
const ctx = { before: quiet, after: quiet };
const scope = { labs: ['t-life-'] };

describe('leakcheck scoped to a suite\'s labs', () => {
  it('reads leakcheck\'s sections', () => {
    const p = parseSnapshot(snap(base));
    expect(p.get('links')).to.deep.equal(['eth0', 'lo']);
    expect(p.get('netns')).to.deep.equal([]);
    expect(p.get('nft')).to.deep.equal(['d41d8cd98f00']);
  });

  it('forgives what another lab did meanwhile: its namespaces, cgroups, processes, mounts and host interfaces', () => {
    const after = snap({
      ...base,
      links: [...base.links, 'nlmgmt-other'],
      addrs: [...base.addrs, 'nlmgmt-other inet 192.168.130.1/24'],
      routes4: ['192.168.130.0/24 dev nlmgmt-other proto kernel scope link src 192.168.130.1 '],
      netns: ['other.r1', 'other.r2'],
      mounts: ['/run/netlab/other/net_cls cgroup'],
      cgroups: [...base.cgroups, '/sys/fs/cgroup/memory/netlab/other', '/sys/fs/cgroup/memory/netlab/other/r1', '/sys/fs/cgroup/memory/process_api/0e08bce2132a1c5acfeb2df8e816b9d6'],
      'foreign-ns': [...base['foreign-ns'], '/usr/lib/frr/zebra -d [pid:[4026532301] net:[4026532304]]', 'netlab-init other/r2 [pid:[4026532400] net:[4026532401]]'],
    });
    const withIfaces = { before: quiet, after: { ...quiet, foreignIfaces: ['nlmgmt-other'] } };
    expect(scopedLeaks(snap(base), after, scope, withIfaces)).to.deep.equal([]);
  });

  it('still catches the suite\'s own leaks: namespace, cgroup, node process, mount', () => {
    const after = snap({
      ...base,
      netns: ['t-life-a.n1'],
      mounts: ['/tmp/netlab-run-x/t-life-a/net_cls cgroup'],
      cgroups: [...base.cgroups, '/sys/fs/cgroup/memory/netlab/t-life-a'],
      'foreign-ns': [...base['foreign-ns'], 'netlab-init t-life-a/n1 [pid:[4026532500] net:[4026532501]]'],
    });
    expect(scopedLeaks(snap(base), after, scope, ctx)).to.deep.equal([
      'netns: +t-life-a.n1',
      'mounts: +/tmp/netlab-run-x/t-life-a/net_cls cgroup',
      'cgroups: +/sys/fs/cgroup/memory/netlab/t-life-a',
      'foreign-ns: +netlab-init t-life-a/n1 [pid:[4026532500] net:[4026532501]]',
    ]);
  });

  it('still catches what no lab owns: a veth in the host, an unshare left running, a rule, a removed address', () => {
    const after = snap({
      ...base,
      links: [...base.links, 'veth9'],
      addrs: [],
      rules: ['100: from all lookup 100'],
      'foreign-ns': [...base['foreign-ns'], 'sleep 3600 [pid:[4026531836] net:[4026532999]]'],
    });
    expect(scopedLeaks(snap(base), after, scope, ctx)).to.deep.equal([
      'links: +veth9',
      'addrs: -eth0 inet 192.0.2.2/24',
      'rules: +100: from all lookup 100',
      'foreign-ns: +sleep 3600 [pid:[4026531836] net:[4026532999]]',
    ]);
  });

  it('catches an nftables or iptables change unless only other labs\' tables changed', () => {
    const after = snap({ ...base, nft: ['0123456789ab'], iptables: ['ba9876543210'] });
    const ownChanged = { before: quiet, after: { ...quiet, nftOwn: 'b' } };
    expect(scopedLeaks(snap(base), after, scope, ownChanged)).to.deep.equal(['nft: -d41d8cd98f00', 'nft: +0123456789ab', 'iptables: -d41d8cd98f00', 'iptables: +ba9876543210']);
    expect(scopedLeaks(snap(base), after, scope, ctx), 'only other labs\' tables changed').to.deep.equal(['iptables: -d41d8cd98f00', 'iptables: +ba9876543210']);
  });

  it('without a scope compares the whole host, as leakcheck does, but for the per-command cgroups of the machine', () => {
    const after = snap({ ...base, netns: ['other.r1'], cgroups: [...base.cgroups, '/sys/fs/cgroup/memory/process_api/3ba9915ae41d5005d4606498d31f3299'] });
    expect(scopedLeaks(snap(base), after, undefined, ctx)).to.deep.equal(['netns: +other.r1']);
  });

  it('hashes the nftables ruleset without other labs\' netlab_ tables', () => {
    const mine = 'table inet filter {\n\tchain input {\n\t}\n}\n';
    const other = 'table ip netlab_other {\n\tchain postrouting {\n\t\tmasquerade\n\t}\n}\n';
    const own = 'table ip netlab_t-life-a {\n\tchain postrouting {\n\t}\n}\n';
    expect(nftOwnHash(mine + other, scope)).to.equal(nftOwnHash(mine, scope));
    expect(nftOwnHash(mine + own, scope)).to.not.equal(nftOwnHash(mine, scope));
  });

  it('reads host interface names from a host-object journal, skipping a torn line', () => {
    expect(journalIfaces('{"kind":"link","name":"nlmgmt1","ifindex":5}\n{"kind":"nftTable","name":"netlab_x"}\n{"kind":"li')).to.deep.equal(['nlmgmt1']);
  });
});
