import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allocateNodeIds, DEFAULT_ID_POOL, findFreeIds, IDS_PER_NODE, idPool, nodeMaps, parseIdRecord, subordinateRange, type IdPool,
} from '../../src/core/ids.js';
import { NetlabError } from '../../src/errors.js';

const pool = (start: number, slots: number): IdPool => ({ uid: { start, count: slots * IDS_PER_NODE }, gid: { start: start + 7, count: slots * IDS_PER_NODE }, source: 'test' });

describe('core: node id ranges (user namespaces)', () => {
  it('takes the largest range of a user from /etc/subuid text', () => {
    expect(subordinateRange('alice:100000:65536\nnetlab:200000:65536\nnetlab:300000:131072\n', 'netlab')).to.deep.equal({ start: 300000, count: 131072 });
  });
  it('has no range for a user that is not listed, nor for a broken line', () => {
    expect(subordinateRange('alice:100000:65536\nnetlab:x:65536\nnetlab:5\n', 'netlab')).to.equal(undefined);
  });
  it('uses the ranges of user netlab, else its default range (never root\'s nor the first user\'s 100000)', () => {
    expect(idPool('netlab:1000000:1000000\n', 'netlab:2000000:1000000\n').uid).to.deep.equal({ start: 1000000, count: 1000000 });
    expect(idPool('netlab:1000000:1000000\n', 'netlab:2000000:1000000\n').gid).to.deep.equal({ start: 2000000, count: 1000000 });
    const d = idPool('root:100000:65536\nalice:100000:65536\n', '');
    expect(d.uid).to.deep.equal(DEFAULT_ID_POOL);
    expect(d.uid.start).to.equal(1342177280);
    expect(Math.floor(d.uid.count / IDS_PER_NODE)).to.equal(8191);
  });
  it('gives a node 65,536 ids with its root first, uid and gid from their own pools', () => {
    expect(nodeMaps({ uid: 1000000, gid: 2000000, nodes: 3 }, 2)).to.deep.equal({
      uidMap: [{ inside: 0, host: 1000000 + 2 * 65536, count: 65536 }],
      gidMap: [{ inside: 0, host: 2000000 + 2 * 65536, count: 65536 }],
    });
  });
  it('finds the lowest free run of ranges between other labs\' ranges', () => {
    const p = pool(1 << 20, 10);
    const base = 1 << 20;
    expect(findFreeIds(p, [], 3)).to.equal(base);
    expect(findFreeIds(p, [{ uid: base, gid: base, nodes: 2 }], 3)).to.equal(base + 2 * IDS_PER_NODE);
    expect(findFreeIds(p, [{ uid: base + 2 * IDS_PER_NODE, gid: 0, nodes: 1 }], 2)).to.equal(base);
    expect(findFreeIds(p, [{ uid: base + 1 * IDS_PER_NODE, gid: 0, nodes: 1 }], 2)).to.equal(base + 2 * IDS_PER_NODE);
    expect(findFreeIds(p, [{ uid: base, gid: 0, nodes: 8 }], 3)).to.equal(undefined);
    expect(findFreeIds(p, [], 11)).to.equal(undefined);
  });
  it('reads back only well-formed records', () => {
    expect(parseIdRecord('1342177280 1342177280 3\n')).to.deep.equal({ uid: 1342177280, gid: 1342177280, nodes: 3 });
    expect(parseIdRecord('x 1 2')).to.equal(undefined);
  });

  describe('allocation in a run folder', () => {
    let root = '';
    beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'netlab-ids-')); });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('gives two labs disjoint ranges and records them in each lab\'s folder', () => {
      const p = pool(1 << 24, 10);
      const a = allocateNodeIds(join(root, 'a'), 3, p);
      const b = allocateNodeIds(join(root, 'b'), 2, p);
      const hosts = [...a, ...b].map((m) => m.uidMap[0]!.host);
      expect(new Set(hosts).size).to.equal(5);
      expect(readFileSync(join(root, 'b', 'ids'), 'utf8')).to.equal(`${(1 << 24) + 3 * IDS_PER_NODE} ${(1 << 24) + 7 + 3 * IDS_PER_NODE} 2\n`);
    });
    it('reuses the ranges of a lab whose folder is gone, and replaces a lab\'s own old record', () => {
      const p = pool(1 << 24, 4);
      allocateNodeIds(join(root, 'a'), 2, p);
      rmSync(join(root, 'a'), { recursive: true });
      expect(allocateNodeIds(join(root, 'b'), 4, p)[0]!.uidMap[0]!.host).to.equal(1 << 24);
      expect(allocateNodeIds(join(root, 'b'), 4, p)[3]!.uidMap[0]!.host).to.equal((1 << 24) + 3 * IDS_PER_NODE);
    });
    it('refuses, with the numbers and what to do, when the pool has no room (exit 2)', () => {
      const p = pool(1 << 24, 4);
      mkdirSync(join(root, 'x'));
      writeFileSync(join(root, 'x', 'ids'), `${1 << 24} ${1 << 24} 3\n`);
      try {
        allocateNodeIds(join(root, 'big'), 2, p);
        expect.fail('allocated');
      } catch (err) {
        expect(err).to.be.instanceOf(NetlabError);
        expect((err as NetlabError).exitCode).to.equal(2);
        expect((err as NetlabError).message).to.match(/2 nodes need 2 ranges of 65536 host ids/);
        expect((err as NetlabError).hint).to.match(/userns: false/);
      }
    });
  });
});
