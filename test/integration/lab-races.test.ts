/**
 * Commands on one lab at the same moment (issue 13, item 3). Once, `up` and
 * `down` of one lab together left a stale State file in 5 of 22 runs (and
 * `netlab status` then failed for every lab), and two `up`s of one file left
 * no lab in 3 of 10 (the loser's rollback removed the winner's cgroup). Now
 * each lab has one lock: the commands run one after the other. A run folder of
 * the suite's own; real nodes; leakcheck around.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leakcheckAround, requireRoot } from '../helpers/kernel.js';
import { exited, netlab, netlabAsync, residue, ringFile, until } from '../helpers/lab.js';

const runRoot = (): string => process.env.NETLAB_RUN_DIR!;

/** Runs `netlab ARGS…` in the background; resolves with exit code and output. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = netlabAsync(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await exited(child);
  return { code, stdout, stderr };
}

/** What a lab looks like after a race: 'up' (State, topology.json, every node running) or 'gone' (nothing left). */
function outcome(lab: string, nodes: number): 'up' | 'gone' {
  const left = residue(lab);
  if (!left.length) return 'gone';
  const status = netlab(['status', lab, '--json']);
  expect(status.code, `status of ${lab} after the race:\n${status.stdout}${status.stderr}\nleft: ${left.join(', ')}`).to.equal(0);
  const s = JSON.parse(status.stdout) as { phase: string; problem?: string; nodes: { state: string }[] };
  expect(s.problem, 'a broken lab').to.equal(undefined);
  expect(s.phase).to.equal('running');
  expect(s.nodes.map((n) => n.state)).to.deep.equal(Array<string>(nodes).fill('running'));
  expect(existsSync(join(runRoot(), lab, 'topology.json')), 'topology.json next to the State file').to.equal(true);
  return 'up';
}

describe('races between commands on one lab (CLI, real kernel)', function () {
  this.timeout(600_000);
  leakcheckAround({ labs: ['t-race'], runDir: true });
  before(function () { requireRoot(this); });
  afterEach(() => {
    for (const lab of ['t-race', 't-race-b', 't-race-big']) if (residue(lab).length) netlab(['down', '--name', lab]);
  });

  it('up and down of one lab at the same moment, 20 times: both succeed, one after the other; never a stale State', async () => {
    const file = ringFile('t-race', 2);
    const seen = { up: 0, gone: 0 };
    for (let round = 0; round < 20; round++) {
      const [up, down] = await Promise.all([run(['up', '-q', file]), run(['down', '-q', file])]);
      expect(up.code, `round ${round}: up\n${up.stderr}`).to.equal(0);
      expect(down.code, `round ${round}: down\n${down.stderr}`).to.equal(0);
      seen[outcome('t-race', 2)]++;
      const all = netlab(['status']);
      expect(all.code, `round ${round}: netlab status\n${all.stdout}${all.stderr}`).to.equal(0);
      expect(netlab(['down', '-q', 't-race']).code).to.equal(0);
      expect(residue('t-race')).to.deep.equal([]);
    }
    // Which command wins the lock is up to the scheduler; both orders must be clean.
    expect(seen.up + seen.gone).to.equal(20);
  });

  it('two ups of one file at the same moment, 10 times: exactly one wins, the other says the lab runs (exit 2), and the winner\'s lab is intact', async () => {
    const file = ringFile('t-race', 3);
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([run(['up', '-q', file]), run(['up', '-q', file])]);
      const codes = results.map((r) => r.code).sort();
      expect(codes, `round ${round}:\n${results.map((r) => r.stderr).join('\n---\n')}`).to.deep.equal([0, 2]);
      const loser = results.find((r) => r.code === 2)!;
      expect(loser.stderr).to.match(/^error: lab t-race: is already running/m);
      expect(loser.stderr).not.to.contain('planLabCgroups');
      expect(outcome('t-race', 3)).to.equal('up');
      const cgroups = residue('t-race').filter((r) => r.startsWith('cgroup '));
      expect(cgroups.length, 'the winner\'s cgroups are all there').to.be.greaterThan(0);
      expect(netlab(['exec', '--lab', 't-race', 'n1', '--', 'true']).code).to.equal(0);
      expect(netlab(['down', '-q', 't-race']).code).to.equal(0);
    }
  });

  /** A lab whose up takes a few seconds after its nodes start (an exec: line sleeps), so another command surely meets it. */
  function slowLab(): string {
    const file = join(ringFile('t-race-big', 3), '..', 't-race-big-slow.yaml');
    writeFileSync(file, 'name: t-race-big\nnodes: { n1: { exec: ["sleep 3"] }, n2: {}, n3: {} }\nlinks: [[n1:eth1, n2:eth1], [n2:eth2, n3:eth1]]\n');
    return file;
  }
  const nodesStarted = (): boolean => {
    try { return Object.keys(JSON.parse(readFileSync(join(runRoot(), 't-race-big', 'state.json'), 'utf8')).nodes).length === 3; } catch { return false; }
  };

  it('a down during a long up waits for it, says for whom, then removes the whole lab', async () => {
    const up = run(['up', '-q', slowLab()]);
    await until(nodesStarted, 60_000, 'the nodes of t-race-big to start');
    const down = await run(['down', '-q', 't-race-big']);
    const upped = await up;
    expect(upped.code, upped.stderr).to.equal(0);
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stderr).to.match(/warning: lab t-race-big is busy \(up by pid \d+: netlab up -q t-race-big-slow\.yaml, since [\d:]+ UTC\): waiting for it to finish/);
    expect(down.stdout).to.contain('lab t-race-big is down: 3 nodes stopped');
    expect(residue('t-race-big')).to.deep.equal([]);
  });

  it('an up whose run folder is removed under it fails with exit 1, not 2, and leaves nothing', async () => {
    const up = run(['up', '-q', slowLab()]);
    await until(nodesStarted, 60_000, 'the nodes of t-race-big to start');
    rmSync(join(runRoot(), 't-race-big'), { recursive: true, force: true });
    const r = await up;
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/^error: /m);
    expect(r.stderr).not.to.match(/\n\s+at /);
    expect(residue('t-race-big')).to.deep.equal([]);
  });

  it('status lists every healthy lab when one lab is broken, marks that one, and exits 1', () => {
    expect(netlab(['up', '-q', ringFile('t-race', 2)]).code).to.equal(0);
    mkdirSync(join(runRoot(), 't-race-b'), { recursive: true });
    writeFileSync(join(runRoot(), 't-race-b', 'state.json'), '{ torn');
    const st = netlab(['status']);
    expect(st.code, st.stderr).to.equal(1);
    expect(st.stdout).to.match(/lab t-race — 2\/2 nodes running/);
    expect(st.stdout).to.match(/lab t-race-b — broken: its State file is damaged/);
    const json = JSON.parse(netlab(['status', '--json']).stdout) as { lab: string; problem?: string; nodes: unknown[] }[];
    expect(json.map((s) => [s.lab, s.problem === undefined, s.nodes.length])).to.deep.equal([['t-race', true, 2], ['t-race-b', false, 0]]);
    const one = netlab(['status', 't-race-b']);
    expect(one.code).to.equal(1);
    expect(one.stdout).to.contain('netlab down t-race-b removes what is left of it');
    expect(netlab(['down', 't-race-b']).code).to.equal(0);
    expect(netlab(['status']).code).to.equal(0);
    expect(netlab(['down', '-q', 't-race']).code).to.equal(0);
  });
});
