/**
 * The lab lifecycle as a user meets it through the CLI (issue 5): up, down,
 * status, crashes and signals. Real nodes on the real kernel; leakcheck
 * around the suite, and a residue check after every test.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findAllLabs } from '../../src/lab/teardown.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { exited, netlab, netlabAsync, residue, ringFile, until } from '../helpers/lab.js';

/** The suite's own run folder (leakcheckAround's runDir). */
const runRoot = (): string => process.env.NETLAB_RUN_DIR || '/run/netlab';

describe('lab lifecycle (CLI, real kernel)', function () {
  this.timeout(180_000);
  leakcheckAround({ labs: ['t-life'], runDir: true });
  const labs = ['t-life', 't-life-kill', 't-life-int', 't-life-gone'];
  before(function () { requireRoot(this); });
  afterEach(() => {
    for (const lab of labs) if (residue(lab).length) netlab(['down', '--name', lab]);
  });

  it('brings a lab up and down, and a second down is a no-op with exit 0', () => {
    const file = ringFile('t-life', 6);
    const up = netlab(['up', file]);
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.match(/lab t-life is up: 6 nodes, 6 links/);
    expect(up.stdout).to.contain('netlab shell n1');
    const down = netlab(['down', file]);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.match(/lab t-life is down: 6 nodes stopped/);
    expect(residue('t-life')).to.deep.equal([]);
    const again = netlab(['down', file]);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('is not running; nothing to do');
  });

  it('starts a lab of one node and no links', () => {
    const file = ringFile('t-life', 1).replace(/\.yaml$/, '-one.yaml');
    writeFileSync(file, 'name: t-life\nnodes: { h1: {} }\nlinks: []\n');
    expect(netlab(['up', file]).code).to.equal(0);
    const r = netlab(['exec', 'h1', '--lab', 't-life', '--', 'hostname']);
    expect(r.stdout.trim()).to.equal('h1');
    expect(netlab(['down', 't-life']).code).to.equal(0);
  });

  it('rolls back a failed exec: line, or keeps the lab with --keep-on-error and says so', () => {
    const file = ringFile('t-life', 1).replace(/\.yaml$/, '-exec.yaml');
    writeFileSync(file, 'name: t-life\nnodes: { h1: { exec: ["echo hi", "false"] } }\nlinks: []\n');
    const rolled = netlab(['up', file]);
    expect(rolled.code).to.equal(1);
    expect(rolled.stderr).to.match(/error: nodes\.h1\.exec\[1\]: "false" exited with 1/);
    expect(rolled.stderr).to.contain('(netlab up --keep-on-error keeps the lab for that)');
    expect(residue('t-life')).to.deep.equal([]);
    const kept = netlab(['up', '--keep-on-error', file]);
    expect(kept.code).to.equal(1);
    expect(kept.stderr).to.contain('warning: lab t-life is kept as it failed, for debugging (netlab status t-life); netlab down t-life removes it');
    expect(kept.stderr).not.to.contain('--keep-on-error keeps');
    const st = netlab(['status', 't-life']);
    expect(st.stdout).to.match(/\(failed\)/);
    expect(netlab(['exec', 'h1', '--lab', 't-life', '--', 'hostname']).stdout.trim()).to.equal('h1');
    expect(netlab(['down', 't-life']).code).to.equal(0);
    expect(residue('t-life')).to.deep.equal([]);
  });

  it('refuses to start a lab that is already running, saying what to do (exit 2)', () => {
    const file = ringFile('t-life', 3);
    expect(netlab(['up', file]).code).to.equal(0);
    const twice = netlab(['up', file]);
    expect(twice.code).to.equal(2);
    expect(twice.stderr).to.match(/error: lab t-life: is already running/);
    expect(twice.stderr).to.match(/hint: .*netlab down t-life.*--reconfigure/);
    expect(twice.stderr).not.to.match(/\n\s+at /); // no stack trace
    const re = netlab(['up', '--reconfigure', file]);
    expect(re.code, re.stderr).to.equal(0);
    expect(netlab(['down', 't-life']).code).to.equal(0);
    // Under another name, the hint's command must name that lab, not the file's.
    expect(netlab(['up', file, '--name', 't-life-kill']).code).to.equal(0);
    const renamed = netlab(['up', file, '--name', 't-life-kill']);
    expect(renamed.code).to.equal(2);
    expect(renamed.stderr).to.contain(`netlab up --reconfigure ${file} --name t-life-kill`);
    expect(netlab(['down', 't-life-kill']).code).to.equal(0);
  });

  it('shows a node killed by hand as dead, and down cleans it (exit 0, a warning)', () => {
    const file = ringFile('t-life', 3);
    expect(netlab(['up', file]).code).to.equal(0);
    const state = JSON.parse(readFileSync(join(runRoot(), 't-life', 'state.json'), 'utf8')) as { nodes: Record<string, { pid: number }> };
    process.kill(state.nodes.n2.pid, 'SIGKILL');
    let status = netlab(['status', 't-life']);
    for (let i = 0; i < 50 && !/n2\s+linux\s+dead/.test(status.stdout); i++) status = netlab(['status', 't-life']);
    expect(status.stdout).to.match(/n2\s+linux\s+dead/);
    expect(status.stdout).to.match(/n1\s+linux\s+running/);
    expect(status.code).to.equal(1);
    const json = JSON.parse(netlab(['status', 't-life', '--json']).stdout) as { nodes: { name: string; state: string }[] };
    expect(json.nodes.find((n) => n.name === 'n2')?.state).to.equal('dead');
    const down = netlab(['down', 't-life']);
    expect(down.code).to.equal(0);
    expect(down.stderr).to.match(/warning: node\(s\) n2 of t-life had already died/);
    expect(residue('t-life')).to.deep.equal([]);
  });

  it('leaves something netlab down removes entirely after kill -9 of the CLI during up of a 50-node lab', async () => {
    const file = ringFile('t-life-kill', 50);
    const child = netlabAsync(['up', file]);
    // Kill once nodes exist (the State file lists some), i.e. in the middle of up.
    await until(() => {
      try { return Object.keys(JSON.parse(readFileSync(join(runRoot(), 't-life-kill', 'state.json'), 'utf8')).nodes).length > 0; } catch { return false; }
    }, 60_000, 'nodes of t-life-kill to start');
    child.kill('SIGKILL');
    await exited(child);
    expect(residue('t-life-kill').length, 'something to clean').to.be.greaterThan(0);
    const status = netlab(['status', 't-life-kill']);
    expect(status.code).to.equal(1);
    expect(status.stdout).to.contain('interrupted: its netlab up died before finishing; netlab down t-life-kill removes it');
    const json = JSON.parse(netlab(['status', 't-life-kill', '--json']).stdout) as { interrupted: boolean; nodes: { interfaces: { state: string }[] }[] };
    expect(json.interrupted).to.equal(true);
    expect([...new Set(json.nodes.flatMap((n) => n.interfaces.map((i) => i.state)))]).to.deep.equal(['unknown']);
    const down = netlab(['down', 't-life-kill']);
    expect(down.code, down.stderr).to.equal(0);
    expect(residue('t-life-kill')).to.deep.equal([]);
  });

  it('rolls back to nothing on Ctrl-C during up (exit 130)', async () => {
    const file = ringFile('t-life-int', 50);
    const child = netlabAsync(['up', file]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await until(() => existsSync(join(runRoot(), 't-life-int', 'state.json')), 60_000, 't-life-int to start');
    child.kill('SIGINT');
    const code = await exited(child);
    expect(code, stderr).to.equal(130);
    expect(stderr).to.contain('rolling back');
    expect(residue('t-life-int')).to.deep.equal([]);
  });

  /** Brings up a 4-node ring and deletes its State file and saved topology, as a crash or a careless rm would. */
  function upAndLoseState(lab: string): void {
    const up = netlab(['up', ringFile(lab, 4)]);
    expect(up.code, up.stderr).to.equal(0);
    unlinkSync(join(runRoot(), lab, 'state.json'));
    rmSync(join(runRoot(), lab, 'topology.json'), { force: true });
  }

  it('finds and removes a lab whose State file is gone (down LAB)', () => {
    upAndLoseState('t-life-gone');
    const down = netlab(['down', 't-life-gone']);
    expect(down.code, down.stderr).to.equal(0);
    expect(residue('t-life-gone')).to.deep.equal([]);
  });

  it('finds and removes a lab whose State file is gone (down --all)', function () {
    // --all means every lab on the host: never run it over labs this suite did not make.
    const others = findAllLabs();
    if (others.length) skip(this, `other labs are on this host (${others.join(', ')}); down --all would take them down too`);
    upAndLoseState('t-life-gone2');
    const down = netlab(['down', '--all']);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.contain('lab t-life-gone2 is down');
    expect(residue('t-life-gone2')).to.deep.equal([]);
  });

  it('exits 2 with the key path, and touches nothing, for a bad topology', () => {
    const r = netlab(['up', join(repoRoot, 'test/fixtures/bad/mtu-too-large.yaml')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^error: links\[0\]/m);
    expect(r.stderr).to.match(/^hint: /m);
  });
});
