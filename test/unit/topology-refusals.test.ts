/**
 * Every input quoted in issue 13 item 4 ("1,000 bad inputs refused cleanly"),
 * each a test named after the behaviour: the stack traces, the hangs, the
 * accepted-but-wrong files, the errors without a hint or a path, the hint
 * that led to a new error, NaN printed as null, the echoed 100 KB name and the
 * quadratic plan.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shapingFromFlags } from '../../src/cli/link.js';
import { TopologyError } from '../../src/errors.js';
import { plan } from '../../src/graph/plan.js';
import { type Topology } from '../../src/topology/index.js';
import { describeValue } from '../../src/topology/schema/check.js';
import { checkShaping } from '../../src/topology/shaping.js';
import { repoRoot } from '../helpers/kernel.js';
import { loadTopology } from '../../src/lab/load.js';
import { kindCatalog } from '../../src/lab/load.js';

const text = (yaml: string): Topology => loadTopology({ text: yaml }, { env: {}, checkFiles: false });
/** The TopologyError loading `yaml` gives (fails the test if it loads, or throws anything else). */
function refusal(yaml: string | (() => unknown)): TopologyError {
  try {
    if (typeof yaml === 'string') text(yaml); else yaml();
  } catch (e) {
    if (e instanceof TopologyError) return e;
    throw e;
  }
  throw new Error('expected a TopologyError, the input was accepted');
}
/** Asserts what every refusal must have: exit code 2, a path, a hint. */
function clean(e: TopologyError, path: string | RegExp, fragment: string | RegExp): void {
  expect(e.exitCode).to.equal(2);
  if (typeof path === 'string') expect(e.path).to.equal(path); else expect(e.path).to.match(path);
  if (typeof fragment === 'string') expect(e.message).to.contain(fragment); else expect(e.message).to.match(fragment);
  expect(e.hint, 'a hint').to.not.equal('');
}

const lab = (nodes: string, links = '[[r1:eth1, r2:eth1]]', rest = ''): string => `name: t\nnodes: ${nodes}\nlinks: ${links}\n${rest}`;

describe('bad input refused cleanly (issue 13, item 4)', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-refusals-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('what used to end in a stack trace', () => {
    it('refuses an anchor that contains its own alias (nodes: &n { r1: *n })', () => {
      clean(refusal('name: a\nnodes: &n { r1: *n }\n'), 'nodes.r1', 'contains itself');
    });

    it('refuses a list of links that contains itself (links: &L [[r1:eth1, r2:eth1], *L])', () => {
      clean(refusal('name: a\nnodes: [r1, r2]\nlinks: &L [[r1:eth1, r2:eth1], *L]\n'), 'links[1]', 'contains itself');
    });

    it('refuses link set --limit 99999999999999 (a queue limit is 32 bits) with exit 2', () => {
      const s = shapingFromFlags({ limit: '99999999999999', delay: '10ms' });
      clean(refusal(() => checkShaping(s, 'n1:eth1', 'flags')), 'n1:eth1', 'limit 99999999999999 packets is above 4294967295');
      expect(refusal(() => checkShaping(s, 'n1:eth1', 'flags')).hint).to.contain('--limit 1000');
    });
  });

  describe('what used to hang', () => {
    const bomb = (under: string): string => {
      const lines = ['x0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (let i = 1; i <= 9; i++) lines.push(`x${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
      return under === 'top' ? `name: b\nnodes: [r1]\n${lines.join('\n')}\n` : `name: b\nnodes: [r1]\n${under}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
    };

    it('refuses an alias bomb (9 levels of 10 aliases) under a known key by its size, before ${VAR} expansion walks it', () => {
      clean(refusal(bomb('description')), /^description\.x/, 'more than 1,000,000 values');
    });

    it('refuses an alias bomb under an unknown key at once, as an unknown key', () => {
      clean(refusal(bomb('top')), 'x0', 'unknown key "x0"');
      clean(refusal(bomb('bombs')), 'bombs', 'unknown key "bombs"');
    });

    it('refuses description nested 100,000 deep, in linear time', () => {
      clean(refusal(`name: d\nnodes: [r1]\ndescription: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), /^line 3, column \d+$/, 'nesting exceeded');
      clean(refusal(`name: d\nnodes: [r1]\ndescription: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`), /^line 3, column \d+$/, 'nesting exceeded');
    });

    it('refuses tests: /dev/zero as a device, without reading it', () => {
      const file = join(dir, 'zero.yaml');
      writeFileSync(file, 'name: z\nnodes: [r1]\ntests: /dev/zero\n');
      clean(refusal(() => loadTopology(file, { env: {} })), 'tests', 'it is a device, not a file');
    });

    it('refuses netlab up /dev/zero as a device, and a FIFO without waiting for a writer', () => {
      clean(refusal(() => loadTopology('/dev/zero', { env: {} })), '/dev/zero', 'it is a device, not a file');
      const fifo = join(dir, 'fifo.yaml');
      spawnSync('mkfifo', [fifo]);
      clean(refusal(() => loadTopology(fifo, { env: {} })), fifo, 'it is a FIFO');
    });
  });

  describe('what used to be accepted', () => {
    it('refuses a host link to the host\'s lo', () => {
      clean(refusal(lab('[r1]', '[[r1:eth1, host:lo]]')), 'links[0][1]', 'host:lo is the host\'s loopback');
    });

    it('refuses lo as the management bridge, the management interface, a LAN bridge and a switch\'s bridge', () => {
      clean(refusal(lab('[r1, r2]', undefined, 'mgmt: { bridge: lo }\n')), 'mgmt.bridge', '"lo" is the loopback');
      clean(refusal(lab('[r1, r2]', undefined, 'mgmt: { iface: lo }\n')), 'mgmt.iface', '"lo" is the loopback');
      clean(refusal(lab('[r1, r2, r3]', '[{ endpoints: [r1:eth1, r2:eth1, r3:eth1], name: lo }]')), 'links[0].name', 'LAN name "lo"');
      clean(refusal(lab('{ r1: {}, sw: { kind: bridge, bridge: lo } }', '[[r1:eth1, sw:p1]]')), 'nodes.sw.bridge', 'bridge "lo"');
    });

    it('refuses a NUL byte in an interface name (two names that differ after the NUL)', () => {
      clean(refusal(lab('[r1, r2]', '[["r1:eth1\\0a", r2:eth1], ["r1:eth1\\0b", r2:eth2]]')), 'links[0][0]', 'control character');
    });

    it('refuses a file that is not UTF-8, naming the line and column, instead of reading U+FFFD', () => {
      const file = join(dir, 'latin1.yaml');
      writeFileSync(file, Buffer.concat([Buffer.from('name: x\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\nnodes: [r1]\n')]));
      clean(refusal(() => loadTopology(file, { env: {} })), file, 'not UTF-8 text: byte 0xe9 at line 2, column 17');
    });

    it('refuses delay: 99999999999s, and a delay above one hour', () => {
      clean(refusal(lab('[r1, r2]', '[{ endpoints: [r1:eth1, r2:eth1], shaping: { delay: 99999999999s } }]')), 'links[0].shaping.delay', 'longer than');
      clean(refusal(lab('[r1, r2]', '[{ endpoints: [r1:eth1, r2:eth1], shaping: { delay: 2h } }]')), 'links[0].shaping.delay', 'unknown unit');
      clean(refusal(lab('[r1, r2]', '[{ endpoints: [r1:eth1, r2:eth1], shaping: { delay: 7200s } }]')), 'links[0].shaping', 'longer than one hour');
    });

    it('refuses cpus: .nan and memory: 1e30', () => {
      clean(refusal(lab('{ r1: { resources: { cpus: .nan } }, r2: {} }')), 'nodes.r1.resources.cpus', '.nan is not a number');
      clean(refusal(lab('{ r1: { resources: { memory: 1e30 } }, r2: {} }')), 'nodes.r1.resources.memory', 'more than 9007199254740991 bytes');
      clean(refusal(lab('{ r1: { resources: { memory: 99999999999999T } }, r2: {} }')), 'nodes.r1.resources.memory', 'more than 9007199254740991 bytes');
    });

    it('refuses the same route twice, and a route that is also the gateway\'s default route', () => {
      clean(refusal(lab('{ r1: { routes: ["10.9.0.0/16 via 10.1.0.1", { prefix: 10.9.0.0/16, via: 10.1.0.1 }] }, r2: {} }')), 'nodes.r1.routes[1]', 'already routes[0]');
      clean(refusal(lab('{ r1: { routes: ["default via 10.1.0.1"], gateway: r2 }, r2: {} }')), 'nodes.r1.gateway', 'default route in routes[0]');
      expect(text(lab('{ r1: { routes: ["10.9.0.0/16 via 10.1.0.1", "10.9.0.0/16 via 10.1.0.1 metric 20"] }, r2: {} }')).nodes[0]!.routes).to.have.length(2);
    });

    it('refuses a gateway on none of the node\'s subnets, and an IPv6 gateway in an IPv4-only lab', () => {
      clean(refusal(lab('{ r1: { gateway: 10.9.9.9 }, r2: {} }')), 'nodes.r1.gateway', 'on none of r1\'s subnets (10.1.0.0/31)');
      clean(refusal(lab('{ r1: { gateway: "2001:db8::1" }, r2: {} }')), 'nodes.r1.gateway', 'no IPv6 address');
      expect(text(lab('{ r1: { gateway: 10.1.0.1 }, r2: {} }')).nodes[0]!.gateway).to.deep.equal({ ipv4: '10.1.0.1' });
    });

    it('refuses a route metric beyond 32 bits in the string form', () => {
      clean(refusal(lab('{ r1: { routes: ["10.9.0.0/16 via 10.1.0.1 metric 4294967296"] }, r2: {} }')), 'nodes.r1.routes[0]', 'metric 4294967296 is above 4294967295');
    });

    it('refuses nodes: [] as it refuses nodes: {}', () => {
      clean(refusal('name: e\nnodes: []\n'), 'nodes', 'the lab has no nodes');
      clean(refusal('name: e\nnodes: {}\n'), 'nodes', 'the lab has no nodes');
    });

    it('refuses a rootfs that is a regular file', () => {
      const file = join(dir, 'rootfs.yaml');
      writeFileSync(file, 'name: rf\nnodes: { r1: { rootfs: rootfs.yaml } }\n');
      clean(refusal(() => loadTopology(file, { env: {} })), 'nodes.r1.rootfs', 'is not a directory');
    });

    it('refuses mgmt: { network: 127.0.0.0/8 } and addresses: { ipv4: 0.0.0.0 }', () => {
      clean(refusal(lab('[r1, r2]', undefined, 'mgmt: { network: 127.0.0.0/8 }\n')), 'mgmt.network', 'the loopback block');
      clean(refusal(lab('{ r1: { addresses: { ipv4: 0.0.0.0 } }, r2: {} }')), 'nodes.r1.addresses.ipv4', '"this network"');
      clean(refusal(lab('[r1, r2]', '[{ endpoints: [r1:eth1, r2:eth1], prefix: 224.0.0.0/30 }]')), 'links[0].prefix', 'multicast');
    });

    it('refuses loss: "5 %" as it refuses a space before a rate\'s unit', () => {
      const e = refusal(lab('[r1, r2]', '[{ endpoints: [r1:eth1, r2:eth1], shaping: { loss: "5 %" } }]'));
      clean(e, 'links[0].shaping.loss', 'has a space before its unit');
      expect(e.hint).to.contain('5%');
    });

    it('refuses 70,000 traffic classes on one node (htb has 65,262 class numbers for them)', () => {
      const classes = Array.from({ length: 70_000 }, (_, i) => `c${i}: { rate: 1mbit }`).join(', ');
      clean(refusal(lab(`{ r1: { classes: { ${classes} } }, r2: {} }`)), 'nodes.r1.classes', '70000 traffic classes; a node has at most 65262');
    });

    it('refuses a bind target /data/../../etc, in both forms', () => {
      clean(refusal(lab('{ r1: { binds: ["/tmp:/data/../../etc"] }, r2: {} }')), 'nodes.r1.binds[0]', 'has a . or .. part');
      const e = refusal(lab('{ r1: { binds: [{ source: /tmp, target: /data/../../etc }] }, r2: {} }'));
      clean(e, 'nodes.r1.binds[0].target', 'has a . or .. part');
      expect(e.hint).to.contain('/etc');
    });

    it('refuses a sysctl value of 1e30', () => {
      clean(refusal(lab('{ r1: { sysctls: { net.ipv4.tcp_ecn: 1e30 } }, r2: {} }')), 'nodes.r1.sysctls["net.ipv4.tcp_ecn"]', 'above the maximum');
      expect(text(lab('{ r1: { sysctls: { net.ipv4.ip_local_port_range: "32768 60999", net.ipv4.tcp_ecn: 1 } }, r2: {} }')).nodes[0]!.sysctls)
        .to.deep.equal({ 'net.ipv4.ip_local_port_range': '32768 60999', 'net.ipv4.tcp_ecn': '1' });
    });
  });

  describe('errors that lacked a hint or a path', () => {
    it('gives ospf: { area: -1 } a hint', () => {
      clean(refusal(lab('[r1, r2]', undefined, 'ospf: { area: -1 }\n')), 'ospf.area', 'below the minimum 0');
    });

    it('names the file in an error about the whole file, and FILE for netlab up --dry-run ""', () => {
      const file = join(dir, 'empty.yaml');
      writeFileSync(file, '# nothing\n');
      clean(refusal(() => loadTopology(file, { env: {} })), 'empty.yaml', 'the topology file is empty');
      clean(refusal(() => loadTopology('', { env: {} })), 'FILE', 'no topology given');
      clean(refusal('- r1\n'), 'topology', 'must be a mapping');
      const cli = spawnSync(join(repoRoot, 'bin/netlab'), ['up', '--dry-run', ''], { encoding: 'utf8' });
      expect(cli.status).to.equal(2);
      expect(cli.stderr).to.match(/^error: FILE: no topology given/m).and.match(/^hint: \S/m);
    });
  });

  describe('hints and messages', () => {
    it('suggests a larger pool that overlaps no other pool (not the /15 over the loopback pool)', () => {
      const links = Array.from({ length: 40_000 }, (_, i) => `[a:e${i}, b:e${i}]`).join(', ');
      const e = refusal(`name: p\nnodes: [a, b]\nlinks: [${links}]\n`);
      clean(e, 'addressing.p2p', 'is too small');
      const pool = /addressing: \{ p2p: ([0-9./]+) \}/.exec(e.hint)![1]!;
      expect(pool).to.not.equal('10.0.0.0/15');
      expect(text(`name: p\naddressing: { p2p: ${pool} }\nnodes: [a, b]\nlinks: [${links}]\n`).links).to.have.length(40_000);
    });

    it('prints NaN as NaN, never as null', () => {
      expect(describeValue(Number.NaN)).to.equal('NaN');
      expect(refusal(lab('[r1, r2]', undefined, 'mtu: .nan\n')).message).to.contain('.nan').and.not.contain('null');
    });

    it('echoes a 100 KB name cut short, once', () => {
      const e = refusal(`name: ${'x'.repeat(100_000)}\nnodes: [r1]\n`);
      clean(e, 'name', '(100000 characters)');
      expect(e.message.length + e.hint.length).to.be.below(600);
    });
  });

  describe('scale', () => {
    it('plans 2 nodes with 100,000 links in linear time (an interface lookup per endpoint was quadratic: 175 s)', function () {
      this.timeout(60_000);
      const links = Array.from({ length: 100_000 }, (_, i) => `  - [a:e${i}, b:e${i}]`).join('\n');
      const t = text(`name: big\nnodes: [a, b]\naddressing: { p2p: { pool: 10.0.0.0/8, prefix: 31 }, loopback: 192.168.0.0/24 }\nlinks:\n${links}\n`);
      const veths = plan(t, kindCatalog()).phases.find((p) => p.name === 'links')!.actions;
      expect(veths).to.have.length(100_000);
      expect(veths[99_999]).to.deep.include({ op: 'veth', link: 99_999 });
    });
  });
});
