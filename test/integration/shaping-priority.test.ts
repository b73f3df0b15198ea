/**
 * A node's `priority:` reaches the qdiscs of its links: the packets its
 * processes send carry it as skb->priority, which a prio qdisc turns into a
 * band and htb into a class. This kernel has htb but no sch_prio, so the prio
 * case runs where the kernel has it and says why it skips here; the htb case
 * proves the same path (the priority, set in the node's namespace, seen by
 * the qdisc on its interface) with per-class counters.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { Lab } from '../../src/lab/lab.js';
import { loadTopology } from '../../src/lab/load.js';
import { kernelHasQdisc, leakcheckAround, requireRoot, skip } from '../helpers/kernel.js';

const LAB = 't-prio';

/** A command in a node's network namespace only (from the host, as tc and nft see it). */
function inNode(node: string, cmd: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', `${LAB}.${node}`, ...cmd], { encoding: 'utf8' });
  expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).to.equal(0);
  return r.stdout;
}

/** Packets sent through each class of the root qdisc of `iface`, by classid (`1:20` → count), from `tc -s class show`. */
function classPackets(node: string, iface: string): Map<string, number> {
  const out = new Map<string, number>();
  // "class htb 1:20 root prio 0 rate …\n Sent 1960 bytes 20 pkt (dropped 0, …)": htb classes have no JSON form in every tc.
  for (const m of inNode(node, ['tc', '-s', 'class', 'show', 'dev', iface]).matchAll(/^class \S+ ([0-9a-f]+:[0-9a-f]+)[^\n]*\n\s*Sent \d+ bytes (\d+) pkt/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('node priority reaches the qdiscs of its links (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround({ labs: ['t-'], runDir: true });
  before(function () {
    requireRoot(this);
    if (spawnSync('nft', ['--version']).status !== 0) skip(this, 'nft is not installed (apt install nftables): priority: needs it');
  });
  // A nested suite, so that its `after` takes the lab down before leakcheck's `after` compares.
  describe(`lab ${LAB}`, () => {
    let lab: Lab | undefined;
    let addr: Record<string, string> = {};

    // Without IPv6, so that the kernel's own packets (router solicitations, MLD reports: they get the priority
    // too) do not blur the counts.
    before(async function () {
      lab = await Lab.up(loadTopology({
        text: `name: ${LAB}\ndefaults: { sysctls: { net.ipv6.conf.all.disable_ipv6: 1, net.ipv6.conf.default.disable_ipv6: 1 } }\nnodes: { a: { priority: "1:20" }, b: { priority: 6 }, c: {} }\nlinks: [[a:eth1, c:eth1], [b:eth1, c:eth2]]\n`,
      }, { env: {} }));
      addr = Object.fromEntries(lab.topology.nodes.flatMap((n) => n.interfaces.map((i) => [`${n.name}:${i.name}`, i.ipv4!.split('/')[0]!])));
    });
    after(async () => { await lab?.down(); lab = undefined; });

    it('sets the priority in the node\'s own namespace with one nftables rule, and nothing on a node without one', () => {
      expect(inNode('a', ['nft', 'list', 'table', 'inet', 'netlab_priority'])).to.contain('meta priority none meta priority set 1:20');
      expect(inNode('b', ['nft', 'list', 'table', 'inet', 'netlab_priority'])).to.contain('meta priority set 0:6');
      expect(inNode('c', ['nft', 'list', 'tables'])).to.not.contain('netlab_priority');
    });

    it('puts the node\'s packets into the htb class its priority names, and leaves a socket\'s own priority (IP_TOS) alone', async () => {
      // From inside the node, as an exec: line of the topology would do it.
      const tc = await lab!.exec('a', ['sh', '-c', 'tc qdisc replace dev eth1 root handle 1: htb default 30 && for m in 20 30; do tc class add dev eth1 parent 1: classid 1:$m htb rate 100mbit || exit 1; done']);
      expect(tc.code, tc.stderr).to.equal(0);
      const ping = await lab!.exec('a', ['ping', '-c', '20', '-i', '0.01', '-W', '1', addr['c:eth1']!]);
      expect(ping.code, ping.stderr).to.equal(0);
      const after = classPackets('a', 'eth1');
      expect(after.get('1:20'), JSON.stringify([...after])).to.be.at.least(20);
      expect(after.get('1:30'), JSON.stringify([...after])).to.be.below(5); // ARP only: the kernel's, no socket
      // IP_TOS 0x10 (low delay) gives the socket priority 6 (rt_tos2priority): the node's rule leaves it, htb's default class takes it.
      const tos = await lab!.exec('a', ['ping', '-c', '20', '-i', '0.01', '-W', '1', '-Q', '0x10', addr['c:eth1']!]);
      expect(tos.code, tos.stderr).to.equal(0);
      const last = classPackets('a', 'eth1');
      expect(last.get('1:30')! - after.get('1:30')!, JSON.stringify([...last])).to.be.at.least(20);
      expect(last.get('1:20')! - after.get('1:20')!, JSON.stringify([...last])).to.equal(0);
    });

    it('puts the node\'s packets into the band of a prio qdisc its priority picks through the priomap (6: band 0, 1:1)', async function () {
      if (!kernelHasQdisc('prio')) skip(this, 'this kernel has no sch_prio (CONFIG_NET_SCH_PRIO); the htb case above proves the same path');
      inNode('b', ['tc', 'qdisc', 'replace', 'dev', 'eth1', 'root', 'handle', '1:', 'prio']);
      const ping = await lab!.exec('b', ['ping', '-c', '20', '-i', '0.01', '-W', '1', addr['c:eth2']!]);
      expect(ping.code, ping.stderr).to.equal(0);
      const bands = classPackets('b', 'eth1');
      expect(bands.get('1:1'), JSON.stringify([...bands])).to.be.at.least(20);
      expect(bands.get('1:2'), JSON.stringify([...bands])).to.be.below(5);
    });
  });
});
