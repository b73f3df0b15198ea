/**
 * Host ids for the nodes' user namespaces: every node gets a range of 65,536
 * uids and gids of its own (inside 0..65535: its root, its daemons' users,
 * nobody), so what the kernel counts per user — inotify instances and watches,
 * processes, epoll watches, pipe buffers, keys — is counted per node, never
 * against host root or another node (docs/decisions.md, "A user namespace per
 * node, with ids of its own").
 *
 * The pool: the ranges /etc/subuid and /etc/subgid give the user `netlab`
 * (subuid(5)), else 1342177280–1879048191 (0x50000000–0x6FFEFFFF, the top of
 * the range systemd sets aside for containers, docs/UIDS-GIDS.md), 8,191 nodes.
 * A lab takes consecutive ranges and records them in `<lab dir>/ids`
 * ("UID GID NODES"); ranges go back to the pool when `down` removes the lab's
 * folder. Choosing ranges runs under flock(2) on `<run root>/.ids.lock`, so
 * two `up`s at once never take the same ones.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NetlabError } from '../errors.js';
import { withFileLock } from './flock.js';
import type { IdMapping } from './launch-wire.js';

/** uid and gid maps of a node's user namespace (user_namespaces(7)). */
export interface UsernsSpec {
  uidMap: IdMapping[];
  gidMap: IdMapping[];
}

/** Ids each node gets: inside 0..65535, so the host's users up to nobody (65534) all appear. */
export const IDS_PER_NODE = 65_536;

/** A range of host ids. */
export interface IdRange {
  start: number;
  count: number;
}

/** Where netlab takes node ids from: one range of uids and one of gids. */
export interface IdPool {
  uid: IdRange;
  gid: IdRange;
  /** Where the pool comes from, for messages: "/etc/subuid (netlab)" or "netlab's default range". */
  source: string;
}

/** The default pool: 0x50000000–0x6FFEFFFF, inside systemd's container range 0x80000–0x6FFFFFFF. */
export const DEFAULT_ID_POOL: IdRange = { start: 0x5000_0000, count: 0x6fff_0000 - 0x5000_0000 };

/** The largest range `user` has in subuid(5)/subgid(5) text, or undefined. Pure. */
export function subordinateRange(text: string, user: string): IdRange | undefined {
  let best: IdRange | undefined;
  for (const line of text.split('\n')) {
    const [name, start, count] = line.trim().split(':');
    const s = Number(start), c = Number(count);
    if (name === user && Number.isSafeInteger(s) && Number.isSafeInteger(c) && s > 0 && c > 0 && (!best || c > best.count)) best = { start: s, count: c };
  }
  return best;
}

/** netlab's pool from /etc/subuid and /etc/subgid text: the `netlab` user's ranges when both are listed, else the default. Pure. */
export function idPool(subuid: string, subgid: string): IdPool {
  const uid = subordinateRange(subuid, 'netlab');
  const gid = subordinateRange(subgid, 'netlab');
  if (uid && gid) return { uid, gid, source: '/etc/subuid and /etc/subgid (user netlab)' };
  return { uid: DEFAULT_ID_POOL, gid: DEFAULT_ID_POOL, source: 'netlab\'s default range 1342177280-1879048191' };
}

/** A lab's record in `<lab dir>/ids`: first uid, first gid, number of nodes (each IDS_PER_NODE ids). */
export interface IdRecord {
  uid: number;
  gid: number;
  nodes: number;
}

/** Parses an ids record; undefined for anything else. Pure. */
export function parseIdRecord(text: string): IdRecord | undefined {
  const m = /^(\d+) (\d+) (\d+)\n?$/.exec(text);
  return m ? { uid: Number(m[1]), gid: Number(m[2]), nodes: Number(m[3]) } : undefined;
}

/**
 * The first uid of `nodes` consecutive node ranges in `pool` that no record
 * in `used` overlaps (lowest first), or undefined when they do not fit. Pure.
 */
export function findFreeIds(pool: IdPool, used: IdRecord[], nodes: number): number | undefined {
  const need = nodes * IDS_PER_NODE;
  const taken = used.map((u) => ({ from: u.uid, to: u.uid + u.nodes * IDS_PER_NODE })).sort((a, b) => a.from - b.from);
  let at = pool.uid.start;
  const end = pool.uid.start + Math.min(pool.uid.count, pool.gid.count);
  for (const t of taken) {
    if (t.to <= at) continue;
    if (t.from >= at + need) break;
    at = Math.ceil((t.to - pool.uid.start) / IDS_PER_NODE) * IDS_PER_NODE + pool.uid.start;
  }
  return at + need <= end ? at : undefined;
}

/** The maps of the `k`-th node of a lab whose record is `rec`. Pure. */
export function nodeMaps(rec: IdRecord, k: number): UsernsSpec {
  return {
    uidMap: [{ inside: 0, host: rec.uid + k * IDS_PER_NODE, count: IDS_PER_NODE }],
    gidMap: [{ inside: 0, host: rec.gid + k * IDS_PER_NODE, count: IDS_PER_NODE }],
  };
}

function readText(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** The records of every lab under `runRoot` except `exceptLab`. */
function usedIds(runRoot: string, exceptLab: string): IdRecord[] {
  let names: string[];
  try { names = readdirSync(runRoot); } catch { return []; }
  return names.filter((n) => !n.startsWith('.') && n !== exceptLab)
    .map((n) => parseIdRecord(readText(join(runRoot, n, 'ids'))))
    .filter((r): r is IdRecord => r !== undefined);
}

/**
 * Takes `nodes` node ranges for the lab whose folder is `labDir` (under the
 * run root) and records them in `<labDir>/ids`; a record the lab already has
 * (a crashed run being replaced) is replaced. Returns each node's maps, in order.
 * @throws NetlabError (exit 2) when the pool has no room, with the numbers and what to do.
 */
export function allocateNodeIds(labDir: string, nodes: number, pool?: IdPool): UsernsSpec[] {
  if (nodes === 0) return [];
  const p = pool ?? idPool(readText('/etc/subuid'), readText('/etc/subgid'));
  const runRoot = dirname(labDir);
  mkdirSync(labDir, { recursive: true });
  const rec = withFileLock(join(runRoot, '.ids.lock'), () => {
    const uid = findFreeIds(p, usedIds(runRoot, basename(labDir)), nodes);
    if (uid === undefined) {
      const total = Math.floor(Math.min(p.uid.count, p.gid.count) / IDS_PER_NODE);
      throw new NetlabError(`lab ${basename(labDir)}`,
        `its ${nodes} node${nodes === 1 ? '' : 's'} need${nodes === 1 ? 's' : ''} ${nodes} range${nodes === 1 ? '' : 's'} of ${IDS_PER_NODE} host ids (user namespaces), and ${p.source} has no ${nodes} free in a row (${total} in all)`,
        'take other labs down, give netlab a larger range (e.g. netlab:1342177280:536805376 in /etc/subuid and /etc/subgid), or set userns: false', 2);
    }
    const r: IdRecord = { uid, gid: p.gid.start + (uid - p.uid.start), nodes };
    const tmp = join(labDir, '.ids.tmp');
    writeFileSync(tmp, `${r.uid} ${r.gid} ${r.nodes}\n`);
    renameSync(tmp, join(labDir, 'ids'));
    return r;
  });
  return Array.from({ length: nodes }, (_, k) => nodeMaps(rec, k));
}
