/**
 * Lab names that cannot escape (issue 13, item 1): every way a name enters
 * netlab goes through up's rule, and every path built from one is checked to
 * lie inside the run folder before anything there is touched. Pure or on a
 * temporary NETLAB_RUN_DIR; no root needed (a bad name is refused before any
 * kernel object is looked at).
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNetlabError, NetlabError, TopologyError, UsageError } from '../../src/errors.js';
import { Lab } from '../../src/lab/lab.js';
import { setEndpointState, setShaping } from '../../src/lab/links.js';
import { withLabLock } from '../../src/lab/lock.js';
import { isLabName, labDir, labPath, netnsLink, pathInside, requireLabName, stateFile } from '../../src/lab/paths.js';
import { saveConfigs } from '../../src/lab/save.js';
import { readState } from '../../src/lab/state.js';
import { labStatus, labStatusOrProblem } from '../../src/lab/status.js';
import { findAllLabs, isRunFolder, netnsLinksOf, takeDown, teardown } from '../../src/lab/teardown.js';
import { up } from '../../src/lab/up.js';
import { topologyName } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/types.js';

/** The names the issue lists, each of which once reached a path. */
export const BAD_LAB_NAMES: readonly string[] = ['..', '.', '/', 'a/b', '../../x', 'a\0b', '', 'a'.repeat(300)];

/** Calls `fn`, expecting an exit-2 NetlabError; returns it. */
async function refused(fn: () => unknown): Promise<NetlabError> {
  try {
    await fn();
  } catch (err) {
    expect(isNetlabError(err), String(err)).to.equal(true);
    expect((err as NetlabError).exitCode, (err as Error).message).to.equal(2);
    expect((err as NetlabError).hint).to.not.equal('');
    return err as NetlabError;
  }
  throw new Error('expected a refusal');
}

describe('lab names: one rule everywhere', () => {
  let root = '';
  let outside = '';
  const saved = process.env.NETLAB_RUN_DIR;
  beforeEach(() => {
    const base = mkdtempSync(join(tmpdir(), 'netlab-names-'));
    root = join(base, 'run', 'netlab');
    outside = join(base, 'x');
    // Sentinels: inside the run root, next to it, and where "../../x" would lead.
    mkdirSync(join(root, 'keep'), { recursive: true });
    mkdirSync(join(outside, 'inner'), { recursive: true });
    mkdirSync(join(base, 'run', 'x'), { recursive: true });
    process.env.NETLAB_RUN_DIR = root;
  });
  afterEach(() => {
    rmSync(join(root, '../..'), { recursive: true, force: true });
    if (saved === undefined) delete process.env.NETLAB_RUN_DIR; else process.env.NETLAB_RUN_DIR = saved;
  });
  const sentinelsIntact = (): void => {
    expect(existsSync(join(root, 'keep')), 'run root sentinel').to.equal(true);
    expect(existsSync(join(outside, 'inner')), 'outside sentinel').to.equal(true);
    expect(existsSync(join(root, '../x')), 'sibling sentinel').to.equal(true);
  };

  it('accepts the names up accepts and refuses every name on the list', () => {
    expect(requireLabName('tri-1_a')).to.equal('tri-1_a');
    expect(isLabName('tri')).to.equal(true);
    for (const name of BAD_LAB_NAMES) {
      expect(isLabName(name), JSON.stringify(name)).to.equal(false);
      expect(() => requireLabName(name, '--name'), JSON.stringify(name)).to.throw(UsageError).with.property('where', '--name');
    }
  });

  for (const name of BAD_LAB_NAMES) {
    const label = JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name);
    it(`refuses ${label} in every library entry point with exit 2 and removes nothing`, async () => {
      await refused(() => teardown(name));
      await refused(() => takeDown(name));
      await refused(() => Lab.down(name));
      await refused(() => Lab.open(name));
      await refused(() => labStatus(name));
      await refused(() => labStatusOrProblem(name));
      await refused(() => saveConfigs(name));
      await refused(() => setShaping(name, ['r1:eth1'], { rateBps: 1000 }));
      await refused(() => setEndpointState(name, 'r1:eth1', false));
      await refused(() => withLabLock(name, 'test', async () => 1));
      await refused(() => readState(name));
      await refused(() => netnsLinksOf(name));
      await refused(() => labDir(name));
      await refused(() => netnsLink(name, 'r1'));
      await refused(() => up({ name } as Topology));
      sentinelsIntact();
    });
  }

  it('builds paths inside the run root only', () => {
    expect(labDir('tri')).to.equal(join(root, 'tri'));
    expect(stateFile('tri')).to.equal(join(root, 'tri', 'state.json'));
    expect(labPath('tri', 'nodes', 'r1', 'upper')).to.equal(join(root, 'tri', 'nodes', 'r1', 'upper'));
    expect(() => labPath('tri', '..')).to.throw(UsageError);
    expect(() => labPath('tri', 'nodes', '../../..')).to.throw(UsageError);
    expect(netnsLink('tri', 'r1')).to.equal('/run/netns/tri.r1');
    expect(() => netnsLink('tri', 'x/../../../etc')).to.throw(UsageError);
  });

  describe('pathInside', () => {
    it('refuses parts that are not one plain component, and the root itself', () => {
      for (const part of ['', '.', '..', 'a/b', '/', 'a\0b']) {
        expect(() => pathInside(root, [part]), JSON.stringify(part)).to.throw(UsageError);
      }
      expect(() => pathInside(root, [])).to.throw(UsageError);
      expect(pathInside(root, ['a', 'b'])).to.equal(join(root, 'a', 'b'));
    });

    it('refuses a symbolic link on the way, and as the last part unless asked', () => {
      symlinkSync(outside, join(root, 'evil'));
      expect(() => pathInside(root, ['evil', 'inner'])).to.throw(NetlabError, /symbolic link/);
      expect(() => pathInside(root, ['evil'])).to.throw(NetlabError, /symbolic link/);
      expect(pathInside(root, ['evil'], { leafMayBeLink: true })).to.equal(join(root, 'evil'));
      expect(() => labDir('evil')).to.throw(NetlabError, /symbolic link/);
    });

    it('accepts parts that do not exist yet', () => {
      expect(pathInside(join(root, 'not', 'there'), ['x', 'y'])).to.equal(join(root, 'not', 'there', 'x', 'y'));
    });
  });

  describe('names read back from the host', () => {
    it('counts only valid names with a run folder netlab made, and never follows a link', () => {
      mkdirSync(join(root, 'good'));
      writeFileSync(join(root, 'good', 'state.json'), '{}');
      mkdirSync(join(root, 'has.dot'));
      writeFileSync(join(root, 'has.dot', 'state.json'), '{}');
      symlinkSync(outside, join(root, 'linked'));
      writeFileSync(join(outside, 'state.json'), '{}');
      writeFileSync(join(root, 'keep', 'notes.txt'), 'mine');
      const labs = findAllLabs({ mode: 'v2', unified: join(root, '../cgroup-none'), unifiedControllers: [], v1: [] });
      expect(labs).to.include('good');
      expect(labs).to.not.include('has.dot');
      expect(labs).to.not.include('linked');
      expect(labs).to.not.include('keep'); // a folder netlab did not make
    });

    it('tells a run folder netlab made from any other folder', () => {
      expect(isRunFolder(join(root, 'keep'))).to.equal(true); // empty: a start that died at once, nothing to lose
      writeFileSync(join(root, 'keep', 'notes.txt'), 'mine');
      expect(isRunFolder(join(root, 'keep'))).to.equal(false);
      writeFileSync(join(root, 'keep', 'nodes.tsv'), '');
      expect(isRunFolder(join(root, 'keep'))).to.equal(true);
      expect(isRunFolder(join(root, 'missing'))).to.equal(false);
    });

    it('lists no lab with a bad name as running', () => {
      mkdirSync(join(root, 'a.b'));
      writeFileSync(join(root, 'a.b', 'state.json'), JSON.stringify({ version: 1, lab: 'a.b', nodes: {} }));
      expect(Lab.running()).to.deep.equal([]);
    });
  });

  describe('down FILE: the lab name by the loader\'s rules', () => {
    let dir = '';
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'netlab-down-file-')); });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };

    it('names a lab without name: after its file', () => {
      expect(topologyName(file('tri.yaml', 'nodes: { r1: {} }\n'))).to.equal('tri');
      expect(topologyName(file('lab1.clab.yml', 'nodes: { r1: {} }\n'))).to.equal('lab1');
    });

    it('expands ${VAR} in name: as up does, defaults included', () => {
      const f = file('v.yaml', 'name: x-${VAR-y}\nnodes: { r1: {} }\n');
      expect(topologyName(f, { env: {} })).to.equal('x-y');
      expect(topologyName(f, { env: { VAR: 'z' } })).to.equal('x-z');
    });

    it('finds the name even when the rest of the file no longer loads', () => {
      expect(topologyName(file('broken.yaml', 'name: kept\nnodes: { r1: { kind: nosuchkind, config: /gone } }\nbogus: 1\n'))).to.equal('kept');
    });

    it('refuses a name: up would refuse, with the key and the line', () => {
      for (const bad of ['"../../tmp/v"', '"."', '".."', '"/"', '"a/b"', '""', '"a\\0b"', `"${'a'.repeat(300)}"`]) {
        const f = file('bad.yaml', `# a lab\nname: ${bad}\nnodes: { r1: {} }\n`);
        expect(() => topologyName(f), bad).to.throw(TopologyError).that.satisfies((e: TopologyError) => e.path === 'name' && /bad\.yaml:2/.test(e.message) && e.hint !== '');
      }
      expect(() => topologyName(file('a.b.yaml', 'nodes: {}\n'))).to.throw(TopologyError).with.property('path', 'name');
    });

    it('checks --name before the file', () => {
      expect(topologyName(file('tri.yaml', 'name: "../x"\n'), { name: 'mine' })).to.equal('mine');
      expect(() => topologyName(file('tri.yaml', 'name: tri\n'), { name: '..' })).to.throw(TopologyError).with.property('path', '--name');
    });
  });
});
