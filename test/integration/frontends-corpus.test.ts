/**
 * The rest of the peer corpus that runs on one Linux box without a vendor OS:
 * each lab comes up from its containerlab file or Kathará folder as
 * published (read in place, test/helpers/peers.ts), does what its own README
 * or configurations say (routers converge, hosts reach each other, startup
 * order holds), and goes down leaving nothing. Labs that need what this
 * kernel lacks, or a vendor OS, are skipped with the reason. frr01,
 * ospf-frr-singlearea and static-routing are in frontends-labs.test.ts.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { loadLab } from '../../src/lab/load.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { eventually as until, peerLab, reaches } from '../helpers/peers.js';

/** `node`'s FRR shows at least `n` OSPF neighbours in state Full within `ms`. */
const ospfFull = (lab: Lab, node: string, n: number, ms = 90_000): Promise<boolean> =>
  until(ms, async () => ((await lab.exec(node, ['vtysh', '-c', 'show ip ospf neighbor'])).stdout.match(/Full/g) ?? []).length >= n);

/** `node`'s FRR has at least `n` BGP sessions Established within `ms`. */
const bgpUp = (lab: Lab, node: string, n: number, ms = 90_000): Promise<boolean> =>
  until(ms, async () => {
    const r = await lab.exec(node, ['vtysh', '-c', 'show bgp summary json']);
    try {
      const peers = (JSON.parse(r.stdout) as { ipv4Unicast?: { peers?: Record<string, { state: string }> } }).ipv4Unicast?.peers ?? {};
      return Object.values(peers).filter((p) => p.state === 'Established').length >= n;
    } catch { return false; }
  });

const haveFrr = (): string | undefined => (existsSync('/usr/lib/frr/watchfrr') ? undefined : 'FRR is not installed (apt install frr)');

/** The process holding the macvlan lab's "wire" namespace. */
let wire: ChildProcess | undefined;

/** Polls `ok` for up to 5 s (a process entering its new namespace); throws when it never holds. */
function until0(ok: () => boolean): void {
  const end = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > end) throw new Error('the wire namespace did not appear within 5 s');
    spawnSync('sleep', ['0.02']);
  }
}

/** `ip ARGS…` on the host; throws with ip's message when it fails. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * Whether the kernel makes links of `kind` (dummy, macvlan): tried on the host
 * with a probe link of the test's own, removed at once. /sys/module and
 * modules.builtin do not say for a kernel built without module files.
 */
function kernelMakes(kind: 'dummy' | 'macvlan'): boolean {
  const parent = kind === 'macvlan' ? ['link', 't-fe-probe0'] : [];
  try {
    if (kind === 'macvlan') ip('link', 'add', 't-fe-probe0', 'type', 'veth', 'peer', 'name', 't-fe-probe1');
    return spawnSync('ip', ['link', 'add', ...parent, 't-fe-probe2', 'type', kind]).status === 0;
  } catch { return false; } finally {
    spawnSync('ip', ['link', 'del', 't-fe-probe2']);
    spawnSync('ip', ['link', 'del', 't-fe-probe0']);
  }
}

/** Whether the kernel has `kind` as a module or built in (this machine loads no modules). */
function kernelHas(module: string): boolean {
  if (existsSync(`/sys/module/${module}`)) return true;
  try {
    return readFileSync(`/lib/modules/${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}/modules.builtin`, 'utf8').includes(`/${module}.ko`);
  } catch { return false; }
}

interface Case {
  /** Lab name under test (t-fe-…). */
  name: string;
  /** Path parts under the corpus. */
  path: string[];
  /** What the lab's author meant, checked. */
  what: string;
  /** Why it cannot run here, or undefined. */
  cannot?: () => string | undefined;
  /** Kathará: netlab's own startup files (test/fixtures/kathara/<lab>). */
  scripts?: string;
  env?: Record<string, string>;
  /** Host objects the lab expects, made before `up` and removed after `down` (the test's own). */
  hostSetup?: { make(): void; remove(): void };
  /** `warnings`: what `up` warned about. */
  check(lab: Lab, warnings: string[]): Promise<void>;
}

const CASES: Case[] = [
  {
    name: 't-fe-ospf3', path: ['containerlab', 'ciscoittech-ospf-basics', 'topology.clab.yml'], cannot: haveFrr,
    what: 'three FRR routers in a triangle reach OSPF Full with both neighbours; the lines FRR refuses are a warning, as FRR boots under containerlab',
    async check(lab, warnings) {
      for (const r of ['r1', 'r2', 'r3']) expect(await ospfFull(lab, r, 2), `${r}: 2 OSPF neighbours Full`).to.equal(true);
      // configs/rN/frr.conf mix `ip ospf area 0` on interfaces with `network … area 0`, which FRR refuses line by line.
      expect(warnings.join('\n')).to.match(/node r\d: FRR refused lines of .*frr\.conf and runs without them/);
    },
  },
  {
    name: 't-fe-ebgp', path: ['containerlab', 'ciscoittech-bgp-ebgp-basics', 'topology.clab.yml'], cannot: haveFrr,
    what: 'the eBGP chain comes up: r2 and r3 each have both sessions Established',
    async check(lab) { for (const r of ['r2', 'r3']) expect(await bgpUp(lab, r, 2), `${r}: 2 BGP sessions Established`).to.equal(true); },
  },
  {
    name: 't-fe-netns', path: ['containerlab', 'ciscoittech-netns-basics', 'topology.clab.yml'],
    what: 'the hosts reach each other through the router their exec lines set up (static routes, ip_forward)',
    async check(lab) {
      expect(await reaches(lab, 'host1', '10.0.3.20'), 'host1 → host2').to.equal(true);
      expect(await reaches(lab, 'host1', '10.0.2.10'), 'host1 → host3').to.equal(true);
    },
  },
  {
    name: 't-fe-frrlab', path: ['containerlab', 'jean-alain42-frrlab', 'frrlab.yaml'], cannot: haveFrr,
    what: 'the three routers of the OSPF ring reach Full with both ring neighbours (the PCs are addressed by the author\'s docker-exec script, not by the lab)',
    async check(lab) { for (const r of ['router1', 'router2', 'router3']) expect(await ospfFull(lab, r, 2), `${r}: 2 OSPF neighbours Full`).to.equal(true); },
  },
  {
    name: 't-fe-clos3', path: ['containerlab', 'sflow-rt-clos3', 'clos3.yml'], cannot: haveFrr,
    what: 'the eBGP-unnumbered leaf-spine fabric carries h1 → h2 (IPv4 and IPv6)',
    async check(lab) {
      expect(await reaches(lab, 'h1', '172.16.2.2', 90_000), 'h1 → h2').to.equal(true);
      expect(await until(30_000, async () => (await lab.exec('h1', ['ping', '-6', '-c', '1', '-W', '1', '2001:172:16:2::2'])).code === 0), 'h1 → h2 over IPv6').to.equal(true);
    },
  },
  {
    name: 't-fe-groups', path: ['containerlab', 'smoke-24-basic-groups', '24-basic-groups.clab.yaml'],
    what: 'every node comes up with what its group gives it (g1: cmd with env, binds), and l1 with the management addresses the file names',
    async check(lab) {
      const eth0 = (await lab.exec('l1', ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
      expect(eth0, 'l1 eth0').to.contain('inet 172.20.20.99/24').and.contain('inet6 3fff:172:20:20::99/64');
      expect(await until(10_000, async () => (await lab.exec('l1', ['cat', '/tmp/var'])).stdout.includes('MYVAR is SET')), 'l1 /tmp/var from its cmd and env').to.equal(true);
      expect((await lab.exec('l1', ['cat', '/01-test.txt'])).code, 'l1 has the bound 01-test.txt').to.equal(0);
      for (const n of ['l2', 'l3']) expect((await lab.exec(n, ['true'])).code, n).to.equal(0);
    },
  },
  {
    name: 't-fe-stages', path: ['containerlab', 'smoke-stages', 'stages.clab.yml'],
    what: 'the stages order the nodes: node4 (healthy) before node3 before node2 before node1',
    async check(lab) {
      const times: number[] = [];
      for (const n of ['node4', 'node3', 'node2', 'node1']) {
        let t = 0;
        await until(20_000, async () => { t = Number((await lab.exec(n, ['cat', '/tmp/time'])).stdout.trim()); return t > 0; });
        times.push(t);
      }
      expect(times.every((t) => t > 0), `every node wrote /tmp/time: ${times.join(' ')}`).to.equal(true);
      expect([...times].sort((a, b) => a - b), 'start order node4, node3, node2, node1').to.deep.equal(times);
    },
  },
  {
    name: 't-fe-bridge', path: ['containerlab', 'smoke-03-bridge-and-host', '03-linux-nodes-to-bridge-and-host.clab.yml'],
    what: 'l1 comes up with its two bridge links and its host link',
    async check(lab) {
      const r = await lab.exec('l1', ['ip', '-o', 'link', 'show']);
      for (const i of ['eth1', 'eth2', 'eth3']) expect(r.stdout, `l1 has ${i}`).to.match(new RegExp(`: ${i}[@:]`));
    },
  },
  {
    name: 't-fe-macvlan', path: ['containerlab', 'smoke-macvlan', 'macvlan.clab.yml'], env: { host_link: 't-fe-nic0' },
    cannot: () => (kernelMakes('macvlan') ? undefined : 'this kernel makes no macvlan links (ip link add … type macvlan fails)'),
    // Never a real NIC: a veth pair stands in, its other end in a network namespace held by a process of the
    // test's own (the "wire"; no `ip netns add`, which would mount /run/netns on a host that had none).
    hostSetup: {
      make() {
        wire = spawn('unshare', ['-n', 'sleep', '600'], { stdio: 'ignore' });
        const pid = String(wire.pid);
        ip('link', 'add', 't-fe-nic0', 'type', 'veth', 'peer', 'name', 't-fe-nic0p');
        until0(() => spawnSync('nsenter', ['-t', pid, '-n', 'true']).status === 0 && readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net'));
        ip('link', 'set', 't-fe-nic0p', 'netns', pid);
        ip('link', 'set', 't-fe-nic0', 'up');
        for (const a of [['addr', 'add', '192.0.2.1/24', 'dev', 't-fe-nic0p'], ['link', 'set', 't-fe-nic0p', 'up']]) {
          const r = spawnSync('nsenter', ['-t', pid, '-n', 'ip', ...a], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`ip ${a.join(' ')} on the wire: ${r.stderr.trim()}`);
        }
      },
      remove() {
        spawnSync('ip', ['link', 'del', 't-fe-nic0']);
        wire?.kill('SIGKILL');
      },
    },
    what: 'l1 gets a macvlan on the stand-in NIC, and reaches a host on that NIC\'s wire through it',
    async check(lab) {
      const link = await lab.exec('l1', ['ip', '-d', 'link', 'show', 'eth1']);
      expect(link.stdout, 'l1 eth1 is a macvlan').to.match(/macvlan mode/);
      expect((await lab.exec('l1', ['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth1'])).code, 'address on l1 eth1').to.equal(0);
      expect(await reaches(lab, 'l1', '192.0.2.1'), 'l1 → the wire through the macvlan').to.equal(true);
    },
  },
  {
    name: 't-fe-linux', path: ['containerlab', 'smoke-01-linux-nodes', '01-linux-nodes.clab.yml'],
    cannot: () => (kernelMakes('dummy') ? undefined : 'the lab has a type: dummy link and this kernel makes no dummy interfaces (ip link add … type dummy fails)'),
    what: 'the three nodes come up with their veth, host, mgmt-net and dummy links',
    async check(lab) { for (const n of ['l1', 'l2', 'l3']) expect((await lab.exec(n, ['true'])).code, n).to.equal(0); },
  },
  {
    name: 't-fe-rip', path: ['kathara', 'rip-frr'], scripts: 'rip-frr', cannot: haveFrr,
    what: 'once the student starts FRR (systemctl start frr, as the lab intends), RIPv2 converges: r1 learns the other routers\' stub LANs',
    async check(lab) {
      for (const r of ['r1', 'r2', 'r3', 'r4', 'r5']) expect((await lab.exec(r, ['systemctl', 'start', 'frr'])).code, `systemctl start frr on ${r}`).to.equal(0);
      expect(await until(90_000, async () => ((await lab.exec('r1', ['vtysh', '-c', 'show ip route rip'])).stdout.match(/^R>\*/gm) ?? []).length >= 2), 'r1 has RIP routes').to.equal(true);
      expect(await reaches(lab, 'r1', '100.1.3.1'), 'r1 → r3\'s stub LAN').to.equal(true);
    },
  },
  {
    name: 't-fe-bgp2', path: ['kathara', 'bgp-simple-peering-frr'], scripts: 'bgp-simple-peering-frr', cannot: haveFrr,
    what: 'the eBGP session between router1 and router2 is Established',
    async check(lab) { expect(await bgpUp(lab, 'router1', 1), 'router1: 1 BGP session Established').to.equal(true); },
  },
  {
    name: 't-fe-delay', path: ['kathara', 'tc-fixed-delay'], scripts: 'tc-fixed-delay',
    cannot: () => (kernelHas('sch_netem') ? undefined : 'r1.startup adds a netem delay and this kernel has no sch_netem'),
    what: 'pc1 reaches pc2 through r1, 10 ms later each way through r1:eth0',
    async check(lab) {
      expect(await reaches(lab, 'pc1', '200.0.0.2'), 'pc1 → pc2').to.equal(true);
      const r = await lab.exec('pc1', ['ping', '-c', '3', '-i', '0.2', '200.0.0.2']);
      const min = Number(/= ([\d.]+)\//.exec(r.stdout)?.[1]);
      expect(min, 'round trip with the 10 ms netem delay').to.be.at.least(10);
    },
  },
];

describe('imported labs: the rest of the corpus runs as published', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });

  for (const c of CASES) {
    describe(`${c.path.slice(0, 2).join(' ')} (${c.name})`, function () {
      let lab: Lab | undefined;
      const warnings: string[] = [];
      before(async function () {
        requireRoot(this);
        const why = c.cannot?.();
        if (why) skip(this, why);
        const path = peerLab(this, ...c.path);
        c.hostSetup?.make();
        lab = await Lab.up(loadLab(path, {
          name: c.name, env: { ...process.env, ...(c.env ?? {}) },
          ...(c.scripts ? { scripts: join(repoRoot, 'test', 'fixtures', 'kathara', c.scripts) } : {}),
        }), { onWarning: (w) => warnings.push(w) });
      });
      after(async () => {
        try { await lab?.down(); } finally { c.hostSetup?.remove(); }
      });

      it(c.what, async () => { await c.check(lab!, warnings); });
    });
  }
});
