/**
 * `netlab validate` on real labs (root, real kernel, real FRR/BIRD): every
 * example lab in topologies/ passes its own tests; the broken variants in
 * test/fixtures/broken/ fail with messages that name the test, the node and
 * what was seen; the JUnit file is parsed back; a running lab is left running.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { testLabName } from '../helpers/lab.js';
import { loadTopology } from '../../src/lab/load.js';

const CLI = join(repoRoot, 'dist/src/cli/main.js');

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the netlab CLI; resolves when it exits (killed after `timeoutMs`). */
function netlab(args: string[], timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Kinds a topology uses that need a daemon on the host, and whether it is installed. */
function missingDaemons(file: string): string[] {
  const kinds = new Set(loadTopology(file).nodes.map((n) => n.kind));
  const missing: string[] = [];
  if (kinds.has('frr') && !existsSync('/usr/lib/frr/zebra')) missing.push('FRR (apt install frr)');
  if (kinds.has('bird') && spawnSync('sh', ['-c', 'command -v bird'], { encoding: 'utf8' }).status !== 0) missing.push('BIRD (apt install bird2)');
  return missing;
}

function junit(path: string): Record<string, any> {
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testcase' }).parse(readFileSync(path, 'utf8'));
}

const examples = existsSync(join(repoRoot, 'topologies'))
  ? readdirSync(join(repoRoot, 'topologies')).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `topologies/${f}`)
  : [];

describe('netlab validate on real labs', function () {
  leakcheckAround({ labs: ['t-'], runDir: true });
  let dir = '';
  const started: string[] = [];
  before(function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'netlab-validate-'));
  });
  after(async function () {
    // A test that failed half-way may leave its lab: take down whatever is still there.
    for (const file of started) await netlab(['down', '--name', testLabName(file)], 60_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const file of examples) {
    it(`passes every test of ${file}`, async function () {
      if (loadTopology(join(repoRoot, file)).tests.length === 0) skip(this, `${file} has no tests:`);
      const missing = missingDaemons(join(repoRoot, file));
      if (missing.length) skip(this, `needs ${missing.join(', ')}`);
      started.push(file);
      const out = join(dir, `${file.replace(/\W/g, '_')}.xml`);
      const r = await netlab(['validate', file, '--name', testLabName(file), '--junit', out]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      const suite = junit(out).testsuites.testsuite;
      expect(Number(suite.tests)).to.equal(loadTopology(join(repoRoot, file)).tests.length);
      expect([suite.failures, suite.errors, suite.skipped]).to.deep.equal(['0', '0', '0']);
    });
  }

  it('fails an OSPF lab with a router in the wrong area, naming the test, the node and what was seen', async function () {
    const file = 'test/fixtures/broken/ospf-triangle-wrong-area.yaml';
    const missing = missingDaemons(join(repoRoot, file));
    if (missing.length) skip(this, `needs ${missing.join(', ')}`);
    started.push(file);
    const out = join(dir, 'broken-area.xml');
    const r = await netlab(['validate', file, '--name', testLabName(file), '--junit', out]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.contain('✗ r1 has two full adjacencies');
    expect(r.stdout).to.match(/node: +r1\n +expected: 2 neighbours Full\n +seen: +1 Full, none on eth1 \(to r2; the topology puts r1:eth1 in area 0\.0\.0\.0 and r2:eth1 in area 0\.0\.0\.1\)/);
    expect(r.stdout).to.contain("✗ r1 learns r2's loopback").and.contain('no route to 10.0.0.2/32');
    expect(r.stdout).to.contain("✓ r1 learns r3's loopback").and.contain('✓ h1 reaches h2 across the routers');
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal('2 passed, 2 failed');
    const cases = junit(out).testsuites.testsuite.testcase as Record<string, any>[];
    const failed = cases.filter((c) => c.failure).map((c) => [c.name, c.failure.type, c.failure.message.split(':')[0]]);
    expect(failed).to.deep.equal([['r1 has two full adjacencies', 'ospf_neighbors', 'r1'], ["r1 learns r2's loopback", 'route', 'r1']]);
  });

  it('fails a lab whose router does not forward, and shows where the ping went', async function () {
    const file = 'test/fixtures/broken/lan-static-no-forwarding.yaml';
    started.push(file);
    const r = await netlab(['validate', file, '--name', testLabName(file)]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.contain('✓ h1 reaches h2 through the switch');
    expect(r.stdout).to.match(/✗ h1 reaches the server through gw[^\n]*\n +node: +h1\n +expected: replies from 10\.1\.0\.1 \(srv\)\n +seen: +0 of 3 replies/);
    expect(r.stdout).to.contain('h1$ ip -4 route get 10.1.0.1');
    expect(r.stdout).to.match(/✗ gw forwards[^\n]*\n +node: +gw\n +expected: exit 0, output matching \/\^1\$\/\n +seen: +output does not match/);
  });

  it('tests a lab that is already running and leaves it running', async function () {
    const file = 'test/fixtures/broken/lan-static-no-forwarding.yaml';
    started.push(file);
    const name = testLabName(file);
    const up = await netlab(['up', file, '--name', name]);
    expect(up.code, up.stderr).to.equal(0);
    const r = await netlab(['validate', file, '--name', name, '--only', 'through the switch']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stderr).to.contain('is running: testing it as it is');
    const status = await netlab(['status', name]);
    expect(status.code, status.stderr).to.equal(0);
    const down = await netlab(['down', '--name', name]);
    expect(down.code, down.stderr).to.equal(0);
  });

  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`exits ${code} on ${sig} during the tests at once (the running command is killed), reporting what ran and taking its lab down`, async function () {
      const file = 'topologies/lan-static.yaml';
      started.push(file);
      const name = testLabName(file);
      const tests = join(dir, 'slow-tests.yaml');
      writeFileSync(tests, '- { name: quick, exec: { node: h1, cmd: "true" }, serial: true }\n- { name: slow, exec: { node: h1, cmd: "sleep 60" }, serial: true }\n');
      const p = spawn(process.execPath, [CLI, 'validate', file, '--name', name, '--tests', tests], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '', stderr = '', sentAt = 0;
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!sentAt && stdout.includes('✓ quick')) setTimeout(() => { sentAt = Date.now(); p.kill(sig); }, 300);
      });
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exit = await new Promise<number | null>((res) => p.on('close', res));
      expect(exit, stdout + stderr).to.equal(code);
      expect(Date.now() - sentAt, 'stopped without waiting for sleep 60').to.be.lessThan(20_000);
      expect(stderr).to.contain(`interrupted by ${sig}: ending the running tests`);
      expect(stdout).to.contain('✓ quick');
      expect((await netlab(['status', name])).code, 'the lab is gone').to.not.equal(0);
    });
  }

  it('refuses a --junit path that is the topology file, or cannot be written, before the lab starts (exit 2)', async () => {
    const file = 'test/fixtures/broken/lan-static-no-forwarding.yaml';
    const before = readFileSync(join(repoRoot, file), 'utf8');
    for (const [junitPath, what] of [[file, 'is a file this run reads'], ['/proc/netlab-nope/r.xml', 'cannot write'], [`${dir}/j2/`, 'EISDIR'], ['', 'is empty']] as const) {
      const r = await netlab(['validate', file, '--junit', junitPath], 30_000);
      expect(r.code, `${junitPath}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.contain(what);
      expect(r.stdout).to.not.contain('testing lab');
    }
    expect(readFileSync(join(repoRoot, file), 'utf8')).to.equal(before);
  });

  it('refuses a wrong test with exit code 2 before starting anything', async () => {
    const r = await netlab(['validate', 'test/fixtures/broken/lan-static-no-forwarding.yaml', '--only', 'no such test']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('error: --only: no test is called "no such test"');
  });
});
