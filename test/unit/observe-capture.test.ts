import { expect } from 'chai';
import { captureSummary, defaultCaptureFile, parseDuration, splitWords } from '../../src/cli/capture.js';
import { NetlabError, UsageError } from '../../src/errors.js';
import { captureArgs, captureTargets, helperError, parseHelperLine } from '../../src/observe/capture.js';
import { loadTopology } from '../../src/lab/load.js';

function caught(fn: () => unknown): NetlabError {
  try { fn(); } catch (e) { return e as NetlabError; }
  throw new Error('expected an error');
}

const t = loadTopology({ text: `name: cap
nodes: [r1, r2, h1, h2, h3]
links:
  - [r1:eth1, r2:eth1]
  - { name: lan1, endpoints: [h1:eth1, h2:eth1, h3:eth1] }
  - [r1:eth2, host:cap-up]
` }, { env: {} });
const pids: Record<string, { pid: number; startTime: number }> = {
  r1: { pid: 101, startTime: 7 }, r2: { pid: 102, startTime: 7 }, h1: { pid: 103, startTime: 7 }, h2: { pid: 104, startTime: 7 },
};
const running = (n: string): { pid: number; startTime: number } | undefined => pids[n];

describe('capture: what an endpoint means', () => {
  it('names each interface block node:iface, with the link it is on in the description', () => {
    const [a] = captureTargets(t, running, { endpoints: ['r1:eth1'] });
    expect(a).to.deep.equal({ endpoint: 'r1:eth1', iface: 'eth1', pid: 101, startTime: 7, description: 'r1:eth1 → r2:eth1 (links[0], lab cap)' });
  });
  it('takes a LAN by name as every port of it, and a host end from the host namespace', () => {
    const got = captureTargets(t, (n) => pids[n] ?? { pid: 105, startTime: 7 }, { endpoints: ['lan1', 'host:cap-up', 'h1:eth1'] });
    expect(got.map((x) => x.endpoint)).to.deep.equal(['h1:eth1', 'h2:eth1', 'h3:eth1', 'host:cap-up']);
    expect(got[0]!.description).to.equal('h1:eth1 → LAN lan1 (links[1], LAN, lab cap)');
    expect(got[3]).to.include({ pid: 0, iface: 'cap-up', description: 'host:cap-up → r1:eth2 (links[2], host link, lab cap)' });
  });
  it('--all skips a dead node with a warning', () => {
    const warnings: string[] = [];
    const got = captureTargets(t, running, { all: true, onWarning: (w) => warnings.push(w) });
    expect(got.map((x) => x.endpoint)).to.deep.equal(['r1:eth1', 'r1:eth2', 'r2:eth1', 'h1:eth1', 'h2:eth1']);
    expect(warnings).to.deep.equal(['h3:eth1: not captured, its node h3 is not running']);
  });
  it('refuses a named endpoint of a dead node, an unknown one, and a word that is neither (exit 2)', () => {
    expect(caught(() => captureTargets(t, running, { endpoints: ['h3:eth1'] })).message).to.contain('its node h3 is not running');
    const unknown = caught(() => captureTargets(t, running, { endpoints: ['r1:eth9'] }));
    expect(unknown).to.be.instanceOf(UsageError);
    expect(unknown.headline).to.equal('r1:eth9: node r1 has no interface "eth9"');
    expect(caught(() => captureTargets(t, running, { endpoints: ['lan9'] })).hint).to.contain('its LANs: lan1');
    expect(caught(() => captureTargets(t, running, { endpoints: ['host:nope'] })).hint).to.contain('host:cap-up');
    expect(caught(() => captureTargets(t, running, { endpoints: [] })).hint).to.contain('--all');
  });
});

describe('capture: the command line', () => {
  it('takes leading endpoints and LAN names, then the rest as a tcpdump filter', () => {
    expect(splitWords(t, ['r1:eth1', 'lan1', 'icmp', 'or', 'arp'], false)).to.deep.equal({ endpoints: ['r1:eth1', 'lan1'], filter: 'icmp or arp' });
    expect(splitWords(t, ['r1:eth1', 'host', '10.0.0.1'], false)).to.deep.equal({ endpoints: ['r1:eth1'], filter: 'host 10.0.0.1' });
    expect(splitWords(t, ['tcp', 'port', '179'], true)).to.deep.equal({ endpoints: [], filter: 'tcp port 179' });
  });
  it('reads --duration as seconds or a time with a unit, and refuses 0 or nonsense (exit 2)', () => {
    expect(parseDuration('2.5')).to.equal(2500);
    expect(parseDuration('500ms')).to.equal(500);
    expect(caught(() => parseDuration('0')).where).to.equal('--duration 0');
    expect(caught(() => parseDuration('soon'))).to.be.instanceOf(UsageError);
  });
  it('names a capture without -w after the lab and the time, and sums it up per interface', () => {
    expect(defaultCaptureFile('tri', new Date(2026, 0, 2, 3, 4, 5))).to.equal('tri-20260102-030405.pcapng');
    expect(captureSummary({ packets: 3, dropped: 0, interfaces: [{ endpoint: 'r1:eth1', received: 2, dropped: 0, written: 2 }, { endpoint: 'r2:eth1', received: 1, dropped: 0, written: 1, gone: 'x' }] }, 'f.pcapng'))
      .to.equal('3 packets into f.pcapng (r1:eth1 2, r2:eth1 1 (gone))');
  });
});

describe('capture: the native helper', () => {
  it('gets one --if per interface, with the filter and limits', () => {
    const targets = captureTargets(t, running, { endpoints: ['r1:eth1'] });
    expect(captureArgs(targets, { count: 4, durationMs: 1500, filter: ' icmp ' })).to.deep.equal(
      ['--count', '4', '--duration-ms', '1500', '--filter', 'icmp', '--if', '101', '7', 'eth1', 'r1:eth1', 'r1:eth1 → r2:eth1 (links[0], lab cap)']);
  });
  it('reads its event lines', () => {
    expect(parseHelperLine('ready')).to.deep.equal({ kind: 'ready' });
    expect(parseHelperLine('stat 1 10 2 8')).to.deep.equal({ kind: 'stat', idx: 1, received: 10, dropped: 2, written: 8 });
    expect(parseHelperLine('gone 0 The interface went down')).to.deep.equal({ kind: 'gone', idx: 0, message: 'The interface went down' });
    expect(parseHelperLine('error - dlopen 2 libpcap.so.0.8: cannot open')).to.deep.equal({ kind: 'error', idx: undefined, step: 'dlopen', errno: 2, message: 'libpcap.so.0.8: cannot open' });
    expect(parseHelperLine('noise')).to.equal(undefined);
  });
  it('turns a bad filter into a usage error and a missing libpcap into an install hint', () => {
    const targets = captureTargets(t, running, { endpoints: ['r1:eth1'] });
    const filter = helperError({ kind: 'error', idx: 0, step: 'filter', errno: 22, message: 'can\'t parse filter expression: syntax error' }, targets, 'portt 9', 'cap');
    expect(filter).to.be.instanceOf(UsageError);
    expect(filter.headline).to.equal('filter "portt 9": syntax error');
    expect(helperError({ kind: 'error', idx: undefined, step: 'dlopen', errno: 2, message: 'x' }, targets, undefined, 'cap').hint).to.contain('apt install libpcap0.8');
  });
});
