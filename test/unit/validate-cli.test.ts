import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError, UsageError } from '../../src/errors.js';
import { validateLab, type LabApi, type LabHandle, type ValidateOptions } from '../../src/index.js';
import type { Topology } from '../../src/topology/types.js';
import type { ExecResult } from '../../src/validate/types.js';
import { exit, ok } from './validate-fake.js';

const TOPOLOGY = `name: clab
nodes: { h1: {}, h2: {} }
links: [[h1:eth1, h2:eth1]]
tests:
  - { reach: { from: h1, to: h2 } }
  - { name: h2 has a hostname, exec: { node: h2, cmd: hostname, stdout: "^h2$" } }
`;

/** A fake Lab class: which labs run, what up/open/down were called, and what exec answers. */
class FakeLab implements LabApi {
  events: string[] = [];
  constructor(private readonly runningLabs: string[], private readonly answer: (node: string, argv: string[]) => ExecResult) {}
  running(): string[] { return this.runningLabs; }
  open(name: string): LabHandle { this.events.push(`open ${name}`); return this.handle(name); }
  async up(t: Topology): Promise<LabHandle> { this.events.push(`up ${t.file!.split('/').pop()}`); return this.handle(t.name); }
  private handle(name: string): LabHandle {
    return {
      name,
      exec: async (node, argv) => { this.events.push(`exec ${node} ${argv[0]}`); return this.answer(node, argv); },
      down: async () => { this.events.push(`down ${name}`); },
    };
  }
}

const allPass = (node: string, argv: string[]): ExecResult => (argv[0] === 'ping' ? ok('3 packets transmitted, 3 received, 0% packet loss, time 400ms\n') : ok(`${node}\n`));

describe('validate: netlab validate', () => {
  let dir = '';
  let file = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netlab-vcli-'));
    file = join(dir, 'clab.yaml');
    writeFileSync(file, TOPOLOGY);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(lab: FakeLab, opts: ValidateOptions = {}, path = file): Promise<{ code: number; out: string; notes: string }> {
    let out = '', notes = '';
    const { code } = await validateLab(path, opts, { lab, out: (t) => { out += t; }, note: (t) => { notes += t; } });
    return { code, out, notes };
  }

  it('brings a lab that is not running up, runs the tests, takes it down and exits 0', async () => {
    const lab = new FakeLab([], allPass);
    const r = await run(lab);
    expect(r.code).to.equal(0);
    expect(lab.events[0]).to.equal('up clab.yaml');
    expect(lab.events.at(-1)).to.equal('down clab');
    expect(r.out).to.contain('✓ h1 reaches h2').and.contain('2 passed, 0 failed');
  });

  it('exits 1 when a test fails, and still takes the lab down', async () => {
    const lab = new FakeLab([], (node, argv) => (argv[0] === 'ping' ? exit(1, '3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n') : ok(`${node}\n`)));
    const r = await run(lab);
    expect(r.code).to.equal(1);
    expect(lab.events.at(-1)).to.equal('down clab');
    expect(r.out).to.contain('✗ h1 reaches h2').and.contain('1 passed, 1 failed');
  });

  it('leaves the lab up with --keep', async () => {
    const lab = new FakeLab([], allPass);
    const r = await run(lab, { keep: true });
    expect(lab.events).to.not.include('down clab');
    expect(r.notes).to.contain('stays up (--keep)');
  });

  it('tests a lab that is already running as it is and leaves it running', async () => {
    const lab = new FakeLab(['other', 'clab'], allPass);
    await run(lab);
    expect(lab.events[0]).to.equal('open clab');
    expect(lab.events.filter((e) => e.startsWith('up') || e.startsWith('down'))).to.deep.equal([]);
  });

  it('runs only the tests --only names', async () => {
    const lab = new FakeLab([], allPass);
    const r = await run(lab, { only: ['hostname'] });
    expect(lab.events.filter((e) => e.startsWith('exec'))).to.deep.equal(['exec h2 /bin/sh']);
    expect(r.out).to.contain('1 passed, 0 failed');
  });

  it('refuses an --only name that matches nothing before starting the lab', async () => {
    const lab = new FakeLab([], allPass);
    let err: unknown;
    try { await run(lab, { only: ['nope'] }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).exitCode).to.equal(2);
    expect((err as UsageError).hint).to.contain('h2 has a hostname');
    expect(lab.events).to.deep.equal([]);
  });

  it('refuses a wrong test before starting the lab (exit code 2)', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, TOPOLOGY.replace('to: h2', 'to: h9'));
    const lab = new FakeLab([], allPass);
    let err: unknown;
    try { await run(lab, {}, bad); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(TopologyError);
    expect((err as TopologyError).path).to.equal('tests[0].reach.to');
    expect(lab.events).to.deep.equal([]);
  });

  it('refuses a topology without tests', async () => {
    const none = join(dir, 'none.yaml');
    writeFileSync(none, TOPOLOGY.slice(0, TOPOLOGY.indexOf('tests:')));
    let err: unknown;
    try { await run(new FakeLab([], allPass), {}, none); } catch (e) { err = e; }
    expect((err as UsageError).message).to.equal('the topology has no tests');
  });

  it('runs a tests file given with --tests instead of the topology\'s tests', async () => {
    const tests = join(dir, 'grading.yaml');
    writeFileSync(tests, '- { exec: { node: h1, cmd: hostname, stdout: h1 } }\n');
    const lab = new FakeLab([], allPass);
    const r = await run(lab, { tests });
    expect(r.out).to.contain('testing lab clab: 1 test').and.contain('✓ h1 runs hostname');
  });

  it('writes a JUnit file, creating its folder', async () => {
    const junit = join(dir, 'reports', 'junit.xml');
    await run(new FakeLab([], allPass), { junit });
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'));
    expect(doc.testsuites.testsuite).to.include({ name: 'clab', tests: '2', failures: '0' });
  });

  it('refuses a --junit path it cannot write before the lab starts (exit 2)', async () => {
    const lab = new FakeLab([], allPass);
    let err: unknown;
    try { await run(lab, { junit: dir }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).where).to.equal('--junit');
    expect((err as UsageError).message).to.match(/^cannot write .*: EISDIR$/);
    expect(lab.events).to.deep.equal([]);
  });

  it('refuses a --wait without a unit and a --jobs that is not a count', async () => {
    for (const opts of [{ wait: '30' }, { jobs: '0' }]) {
      let err: unknown;
      try { await run(new FakeLab([], allPass), opts); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(UsageError);
    }
  });
});
