/**
 * `netlab capture` on running labs: a ping across the demo lab seen on both
 * ends of a link (read back with tshark), `-w -` piped into `tcpdump -r -`,
 * `--all` on a LAN, the host end of a host link, a clean end on Ctrl-C, and
 * the mistakes a user makes.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';
import { readState } from '../../src/lab/state.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { exited, netlab, netlabAsync, netlabBin, testLabName } from '../helpers/lab.js';
import { scratchDir } from '../helpers/scratch.js';
import { needDaemons } from './daemons-lab-helpers.js';
import { loadTopology } from '../../src/lab/load.js';

/** One packet as tshark reads it back. */
interface Seen { iface: string; type: string; src: string; dst: string; id: string; seq: string }

/** Reads a pcapng with tshark (interface name, ICMP type, addresses, id, seq); fails the test when tshark does. */
function tshark(file: string, filter = 'icmp'): Seen[] {
  const r = spawnSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'icmp.type', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.ident', '-e', 'icmp.seq'], { encoding: 'utf8' });
  expect(r.status, `tshark: ${r.stderr}`).to.equal(0);
  expect(r.stderr).not.to.match(/damaged|corrupt|cut short/i);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [iface = '', type = '', src = '', dst = '', id = '', seq = ''] = l.split('\t');
    return { iface, type, src, dst, id, seq };
  });
}

function needTools(ctx: Mocha.Context): void {
  for (const tool of ['tshark', 'tcpdump']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(ctx, `${tool} is not installed (apt install ${tool}; scripts/install-deps does it)`);
  }
}

/** Starts `netlab capture ARGS` and resolves once it says it captures. */
async function startCli(args: string[]): Promise<{ child: ReturnType<typeof netlabAsync>; stderr: () => string }> {
  const child = netlabAsync(['capture', ...args]);
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => { err += c; });
  const deadline = Date.now() + 15_000;
  while (!/capturing .* Ctrl-C stops/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`netlab capture did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, stderr: () => err };
}

describe('netlab capture (real kernel)', function () {
  this.timeout(120_000);
  leakcheckAround();
  before(function () { requireRoot(this); needTools(this); });

  describe('the demo lab (ospf-triangle)', () => {
    const file = join(repoRoot, 'topologies', 'ospf-triangle.yaml');
    let lab: Lab | undefined;
    const dir = scratchDir('capture-');
    before(async function () {
      needDaemons(this);
      lab = await Lab.up(file, { name: testLabName(file) });
      await lab.waitFor(async () => (await lab!.exec('h1', ['ping', '-c1', '-W1', 'h2'])).code === 0, { timeoutMs: 30_000, what: 'h1 to reach h2 over OSPF' });
    });
    after(async () => { try { await lab?.down(); } finally { rmSync(dir, { recursive: true, force: true }); } });

    it('holds the echo and the reply of a ping on both ends of the link it crosses, and stops cleanly on Ctrl-C', async () => {
      const out = join(dir, 'ping.pcapng');
      const { child, stderr } = await startCli(['--lab', lab!.name, 'r1:eth2', 'r3:eth2', '-w', out, 'icmp']);
      const ping = await lab!.exec('h1', ['ping', '-c', '3', '-i', '0.2', 'h2']);
      expect(ping.code, ping.stdout).to.equal(0);
      child.kill('SIGINT');
      expect(await exited(child), stderr()).to.equal(0);
      expect(stderr()).to.match(/\d+ packets into .*ping\.pcapng \(r1:eth2 \d+, r3:eth2 \d+\)/);
      const seen = tshark(out);
      for (const iface of ['r1:eth2', 'r3:eth2']) {
        const here = seen.filter((s) => s.iface === iface);
        expect(here.filter((s) => s.type === '8').length, `${iface}: echo requests in ${JSON.stringify(seen)}`).to.equal(3);
        expect(here.filter((s) => s.type === '0').length, `${iface}: echo replies`).to.equal(3);
      }
      // The same echo on both ends: same id and sequence; the file is in time order (capinfos says so).
      const req = seen.filter((s) => s.type === '8');
      expect(new Set(req.map((s) => `${s.id}/${s.seq}`)).size).to.equal(3);
      const info = spawnSync('capinfos', ['-o', out], { encoding: 'utf8' });
      expect(info.stdout, info.stderr).to.match(/Strict time order:\s+True/);
      const ifaces = spawnSync('capinfos', ['-I', out], { encoding: 'utf8' }).stdout;
      expect(ifaces).to.contain('r1:eth2 → r3:eth2 (links[2], lab t-ospf-triangle)');
    });

    it('streams to standard output with -w -, which tcpdump -r - reads', async () => {
      const pipeline = spawn('sh', ['-c', `"${netlabBin}" capture --lab ${lab!.name} h1:eth1 -w - -c 4 icmp | tcpdump -n -r -`], { env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      pipeline.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
      pipeline.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
      const deadline = Date.now() + 15_000;
      while (!/capturing/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await lab!.exec('h1', ['ping', '-c', '2', '-i', '0.2', 'h2']);
      expect(await exited(pipeline), err).to.equal(0);
      expect(out.match(/ICMP echo request/g)?.length, out).to.equal(2);
      expect(out.match(/ICMP echo reply/g)?.length, out).to.equal(2);
    });

    it('refuses an endpoint the lab does not have, naming it (exit 2)', () => {
      const r = netlab(['capture', '--lab', lab!.name, 'r1:eth9', '-w', join(dir, 'x.pcapng')]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('error: r1:eth9: node r1 has no interface "eth9"').and.contain('hint: its interfaces: eth1, eth2, eth3').and.not.contain('    at ');
    });

    it('refuses an output it cannot write before capturing (exit 2)', () => {
      for (const bad of ['/proc/netlab/x.pcapng', '/etc']) {
        const r = netlab(['capture', '--lab', lab!.name, 'r1:eth1', '-w', bad]);
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.match(/error: -w: cannot write/).and.not.contain('capturing');
      }
    });

    it('refuses a filter libpcap cannot parse, with tcpdump\'s syntax as the hint (exit 2)', () => {
      const r = netlab(['capture', '--lab', lab!.name, 'r1:eth1', '-w', join(dir, 'x.pcapng'), 'portt', '99']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('error: filter "portt 99"').and.contain('pcap-filter(7)').and.not.contain('    at ');
    });
  });

  describe('a host link', () => {
    const dir = scratchDir('capture-host-');
    let lab: Lab | undefined;
    before(async () => {
      lab = await Lab.up(loadTopology({ text: 'name: t-capture-host\nnodes: [a]\nlinks:\n  - { endpoints: [a:eth1, host:nlcap-up], prefix: 10.254.77.0/31 }\n' }, { env: {} }));
    });
    after(async () => { try { await lab?.down(); } finally { rmSync(dir, { recursive: true, force: true }); } });

    it('captures the host end of a host link beside the node\'s end: a ping from the host on both', async () => {
      const out = join(dir, 'host.pcapng');
      const { child, stderr } = await startCli(['--lab', lab!.name, 'host:nlcap-up', 'a:eth1', '-w', out, 'icmp']);
      expect(stderr()).to.contain('capturing host:nlcap-up, a:eth1');
      const ping = spawnSync('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', '10.254.77.0'], { encoding: 'utf8' });
      expect(ping.status, ping.stdout + ping.stderr).to.equal(0);
      child.kill('SIGINT');
      expect(await exited(child), stderr()).to.equal(0);
      const seen = tshark(out);
      for (const iface of ['host:nlcap-up', 'a:eth1']) {
        expect(seen.filter((x) => x.iface === iface && x.type === '8').length, `${iface}: echo requests in ${JSON.stringify(seen)}`).to.equal(3);
        expect(seen.filter((x) => x.iface === iface && x.type === '0').length, `${iface}: echo replies`).to.equal(3);
      }
    });
  });

  describe('a LAN of three hosts', () => {
    const dir = scratchDir('capture-lan-');
    const file = join(dir, 'lan.yaml');
    let lab: Lab | undefined;
    before(async () => {
      writeFileSync(file, 'name: t-capture-lan\nnodes: [h1, h2, h3]\nlinks:\n  - { name: lan1, endpoints: [h1:eth1, h2:eth1, h3:eth1] }\n');
      lab = await Lab.up(loadTopology(file, { env: {} }));
    });
    after(async () => { try { await lab?.down(); } finally { rmSync(dir, { recursive: true, force: true }); } });

    it('--all captures every port of the LAN: the broadcast ARP on all three, the ping on the two that talk', async () => {
      const out = join(dir, 'all.pcapng');
      const { child, stderr } = await startCli(['--lab', lab!.name, '--all', '-w', out]);
      expect(stderr()).to.contain('capturing h1:eth1, h2:eth1, h3:eth1');
      const ping = await lab!.exec('h1', ['ping', '-c', '2', '-i', '0.2', 'h2']);
      expect(ping.code, ping.stdout).to.equal(0);
      child.kill('SIGINT');
      expect(await exited(child)).to.equal(0);
      const arp = spawnSync('tshark', ['-r', out, '-Y', 'arp.opcode == 1', '-T', 'fields', '-e', 'frame.interface_name'], { encoding: 'utf8' }).stdout;
      expect(new Set(arp.split('\n').filter(Boolean))).to.deep.equal(new Set(['h1:eth1', 'h2:eth1', 'h3:eth1']));
      const icmp = tshark(out);
      expect(new Set(icmp.map((s) => s.iface))).to.deep.equal(new Set(['h1:eth1', 'h2:eth1']));
      expect(statSync(out).size).to.be.greaterThan(0);
    });

    it('a LAN named on the command line means all its ports', async () => {
      const r = netlab(['capture', '--lab', lab!.name, 'lan1', '-w', join(dir, 'lan.pcapng'), '--duration', '0.3']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('capturing h1:eth1, h2:eth1, h3:eth1');
    });

    it('refuses to capture a node that died (exit 2), and --all goes on without it with a warning', async () => {
      const rec = readState(lab!.name).state!.nodes.h3!;
      process.kill(rec.pid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (spawnSync('kill', ['-0', String(rec.pid)]).status === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const r = netlab(['capture', '--lab', lab!.name, 'h3:eth1', '-w', join(dir, 'dead.pcapng')]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('error: h3:eth1: its node h3 is not running');
      const all = netlab(['capture', '--lab', lab!.name, '--all', '-w', join(dir, 'rest.pcapng'), '--duration', '0.3']);
      expect(all.code, all.stderr).to.equal(0);
      expect(all.stderr).to.contain('warning: h3:eth1: not captured, its node h3 is not running').and.contain('capturing h1:eth1, h2:eth1 ');
    });
  });
});
