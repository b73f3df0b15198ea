/**
 * `netlab setup-user NAME` (root, once per user; docs/rootless.md): what an
 * ordinary user needs for labs without root that only root can give —
 * subordinate ids (subuid(5), subgid(5)) when the user has none, and cgroups
 * delegated to the user for per-node limits:
 *
 *  - cgroup v2: `<unified>/netlab-users/NAME`, its folder and its
 *    cgroup.procs, cgroup.threads and cgroup.subtree_control owned by the user
 *    (cgroup-v2.rst "Delegation", systemd.io/CGROUP_DELEGATION), the
 *    controllers the machine has enabled in `netlab-users`;
 *  - cgroup v1 (hybrid and v1 machines): `<mount>/netlab-users/NAME` in the
 *    memory, pids and cpu hierarchies, folder, cgroup.procs and tasks owned by
 *    the user (what pam_cgfs does for LXC's unprivileged containers).
 *
 * What it made is recorded in /var/lib/netlab/users/NAME.json, and
 * `setup-user --remove NAME` undoes exactly that. The choices are pure
 * (freeSubordinateStart, setupHierarchies, passwdUser, unit-tested);
 * setupUser and removeSetup are the only parts that touch files.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NetlabError, UsageError } from '../errors.js';
import { DEFAULT_ID_POOL, IDS_PER_NODE, subordinateRange } from '../core/ids.js';
import { cgroupMounts, DELEGATED_V1, USERS_CGROUP } from '../core/cgroup-layout.js';

/** Where setup-user records what it made (root's; one JSON file per user). */
export const SETUP_RECORDS = '/var/lib/netlab/users';

/** A user of /etc/passwd. */
export interface PasswdUser { name: string; uid: number; gid: number }

/** What setup-user made for one user: the lines it added and the cgroup folders it created. */
export interface SetupRecord {
  user: string;
  uid: number;
  /** Lines appended to /etc/subuid and /etc/subgid (without newline), when the user had none. */
  subuid?: string;
  subgid?: string;
  /** Cgroup folders made (deepest last); `netlab-users` folders it made are listed before the user's. */
  cgroups: string[];
}

/** One cgroup hierarchy as setup-user sees it. */
export interface SetupHierarchy {
  mount: string;
  v2: boolean;
  /** v1: the hierarchy's controllers; v2: the controllers of the root's cgroup.subtree_control. */
  controllers: string[];
}

/** The user named `name` in /etc/passwd text, or undefined. Pure. */
export function passwdUser(passwd: string, name: string): PasswdUser | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[0] === name && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!)) return { name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** Every range of subuid(5)/subgid(5) text, of any user. Pure. */
function ranges(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const line of text.split('\n')) {
    const [, s, c] = line.trim().split(':');
    const start = Number(s), count = Number(c);
    if (Number.isSafeInteger(start) && Number.isSafeInteger(count) && count > 0) out.push({ start, end: start + count });
  }
  return out;
}

/**
 * The lowest start, at 100000 or above and a multiple of 65,536 from there, of
 * `count` ids that overlap no range of `subuid` nor `subgid` (any user's) nor
 * netlab's own node pool (DEFAULT_ID_POOL, docs/nodes.md), below 2^32-1.
 * Pure. @throws NetlabError when nothing is free.
 */
export function freeSubordinateStart(subuid: string, subgid: string, count = IDS_PER_NODE): number {
  const taken = [...ranges(subuid), ...ranges(subgid), { start: DEFAULT_ID_POOL.start, end: DEFAULT_ID_POOL.start + DEFAULT_ID_POOL.count }]
    .sort((a, b) => a.start - b.start);
  for (let at = 100_000; at + count <= 0xffff_fffe;) {
    const hit = taken.find((t) => t.start < at + count && at < t.end);
    if (!hit) return at;
    at = 100_000 + Math.ceil((hit.end - 100_000) / IDS_PER_NODE) * IDS_PER_NODE;
  }
  throw new NetlabError('no free range of 65,536 subordinate ids is left in /etc/subuid and /etc/subgid', 'remove unused lines there');
}

/**
 * The cgroup hierarchies of a mountinfo text that setup-user delegates in:
 * the cgroup2 one (with the controllers of `v2SubtreeControl`), and the v1
 * ones that hold memory, pids or cpu. Pure.
 */
export function setupHierarchies(mountinfo: string, v2SubtreeControl: string): SetupHierarchy[] {
  const out: SetupHierarchy[] = [];
  const seen = new Set<string>();
  for (const m of cgroupMounts(mountinfo)) {
    if (m.fstype === 'cgroup2') {
      if (!out.some((h) => h.v2)) out.push({ mount: m.point, v2: true, controllers: v2SubtreeControl.split(/\s+/).filter(Boolean) });
      continue;
    }
    const ctl = DELEGATED_V1.filter((c) => m.superOpts.includes(c));
    const key = ctl.join(',');
    if (ctl.length && !seen.has(key)) { seen.add(key); out.push({ mount: m.point, v2: false, controllers: ctl }); }
  }
  return out;
}

/** The files of a delegated cgroup folder that the user owns besides the folder itself (cgroup-v2.rst "Delegation"; v1: pam_cgfs). */
export function delegatedFiles(v2: boolean): string[] {
  return v2 ? ['cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control'] : ['cgroup.procs', 'tasks'];
}

function read(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

function recordPath(user: string): string {
  return join(SETUP_RECORDS, `${user}.json`);
}

/** The record of what setup-user made for `user`, or undefined. */
export function readSetupRecord(user: string): SetupRecord | undefined {
  const text = read(recordPath(user));
  if (!text) return undefined;
  try { return JSON.parse(text) as SetupRecord; } catch { return undefined; }
}

function requireRoot(): void {
  if (process.getuid?.() !== 0 || process.env.NETLAB_ROOTLESS) {
    throw new UsageError('netlab setup-user', 'only root may give a user subordinate ids and cgroups', 'root runs it once per user: sudo netlab setup-user NAME');
  }
}

/**
 * Refuses a name that is not a user name as useradd(8) accepts it (letters,
 * digits, `_`, `.`, `-`, not starting with `-` or `.`, at most 32): the name
 * becomes a file under SETUP_RECORDS and cgroup folders, so `..` or `/` in it
 * must never reach a path.
 * @throws UsageError (exit 2).
 */
export function requireUserName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(name)) {
    throw new UsageError('netlab setup-user', `${JSON.stringify(name.slice(0, 40))} is not a user name`, 'name a user as useradd makes them: letters, digits, _ . - (e.g. alice)');
  }
}

function lookup(name: string): PasswdUser {
  requireUserName(name);
  const u = passwdUser(read('/etc/passwd'), name);
  if (!u) throw new UsageError('netlab setup-user', `no user ${JSON.stringify(name)} in /etc/passwd`, 'name an existing user (useradd -m NAME makes one)');
  if (u.uid === 0) throw new UsageError('netlab setup-user', 'root needs no setup: its labs run as root', 'name an ordinary user');
  return u;
}

/** What `setupUser` did, for the CLI's lines. */
export interface SetupReport {
  user: string;
  /** The subordinate range given ("200000-265535"), or the one the user had. */
  ids: string;
  idsAdded: boolean;
  /** Delegated folders, one per hierarchy, with the controllers the user may use there. */
  cgroups: { dir: string; controllers: string[] }[];
}

/**
 * Gives `name` subordinate ids (when it has none in either file) and a
 * delegated cgroup folder in every hierarchy setupHierarchies finds; records
 * what it made. Running it again adds only what is missing.
 * @throws UsageError (exit 2) when not root or the user does not exist;
 *   NetlabError when a file cannot be written.
 */
export function setupUser(name: string): SetupReport {
  requireRoot();
  const u = lookup(name);
  const rec: SetupRecord = readSetupRecord(name) ?? { user: name, uid: u.uid, cgroups: [] };
  const subuid = read('/etc/subuid'), subgid = read('/etc/subgid');
  const hasU = subordinateRange(subuid, name) ?? subordinateRange(subuid, String(u.uid));
  const hasG = subordinateRange(subgid, name) ?? subordinateRange(subgid, String(u.uid));
  let ids: string;
  let idsAdded = false;
  if (hasU && hasG) {
    ids = `${hasU.start}-${hasU.start + hasU.count - 1}`;
  } else {
    const start = freeSubordinateStart(subuid, subgid);
    const line = `${name}:${start}:${IDS_PER_NODE}`;
    if (!hasU) { appendLine('/etc/subuid', subuid, line); rec.subuid = line; }
    if (!hasG) { appendLine('/etc/subgid', subgid, line); rec.subgid = line; }
    ids = `${start}-${start + IDS_PER_NODE - 1}`;
    idsAdded = true;
  }
  const cgroups: SetupReport['cgroups'] = [];
  const root2 = setupHierarchies(read('/proc/self/mountinfo'), '').find((h) => h.v2)?.mount;
  for (const h of setupHierarchies(read('/proc/self/mountinfo'), root2 ? read(join(root2, 'cgroup.subtree_control')) : '')) {
    const top = join(h.mount, USERS_CGROUP);
    const dir = join(top, name);
    try {
      if (!existsSync(top)) { mkdirSync(top); rec.cgroups.push(top); }
      let controllers = h.controllers;
      if (h.v2) {
        // The user's folder may enable for its children what netlab-users enables for it.
        const want = read(join(top, 'cgroup.controllers')).split(/\s+/).filter((c) => ['memory', 'pids', 'cpu', 'io'].includes(c));
        if (want.length) writeFileSync(join(top, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
        controllers = want;
      }
      if (!existsSync(dir)) { mkdirSync(dir); rec.cgroups.push(dir); }
      for (const f of ['', ...delegatedFiles(h.v2)]) chownSync(join(dir, f), u.uid, u.gid);
      cgroups.push({ dir, controllers });
    } catch (err) {
      saveRecord(rec);
      throw new NetlabError(`${dir}: ${(err as Error).message}`, 'check the cgroup hierarchy (netlab doctor); setup-user --remove undoes what was made');
    }
  }
  saveRecord(rec);
  return { user: name, ids, idsAdded, cgroups };
}

function appendLine(file: string, text: string, line: string): void {
  writeAtomically(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`);
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.netlab-tmp`;
  const mode = existsSync(file) ? statSync(file).mode & 0o7777 : 0o644;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

function saveRecord(rec: SetupRecord): void {
  mkdirSync(dirname(recordPath(rec.user)), { recursive: true, mode: 0o700 });
  writeFileSync(recordPath(rec.user), `${JSON.stringify(rec, null, 1)}\n`, { mode: 0o600 });
}

/** What `removeSetup` undid. */
export interface SetupRemoveReport { user: string; lines: number; cgroups: number; left: string[] }

/**
 * Undoes what setupUser recorded for `name`: its lines of /etc/subuid and
 * /etc/subgid (only those exact lines), and its cgroup folders (the user's,
 * then `netlab-users` when setup-user made it and it is empty). A folder that
 * still holds a running lab's cgroups is left, and said so.
 * @throws UsageError when not root or nothing is recorded for `name`.
 */
export function removeSetup(name: string): SetupRemoveReport {
  requireRoot();
  requireUserName(name);
  const rec = readSetupRecord(name);
  if (!rec) throw new UsageError('netlab setup-user --remove', `netlab set up nothing for ${JSON.stringify(name)} (no ${recordPath(name)})`, 'only what setup-user made is removed; see netlab setup-user --help');
  let lines = 0;
  for (const [file, line] of [['/etc/subuid', rec.subuid], ['/etc/subgid', rec.subgid]] as const) {
    if (!line) continue;
    const text = read(file);
    const kept = text.split('\n').filter((l) => l.trim() !== line);
    if (kept.length !== text.split('\n').length) { writeAtomically(file, kept.join('\n')); lines++; }
  }
  const left: string[] = [];
  let cgroups = 0;
  for (const dir of [...rec.cgroups].reverse()) {
    if (!existsSync(dir)) continue;
    const shared = !dir.endsWith(`/${USERS_CGROUP}/${name}`); // netlab-users itself: kept while other users' folders are in it
    if (shared && readdirDirs(dir).length) continue;
    try { removeTree(dir); cgroups++; } catch (err) { left.push(`${dir}: ${(err as Error).message}`); }
  }
  // What could not go stays recorded, so that --remove can be run again once the user's labs are down.
  if (left.length) saveRecord({ user: rec.user, uid: rec.uid, cgroups: rec.cgroups.filter((d) => existsSync(d)) });
  else {
    unlinkSync(recordPath(name));
    // The records' folder (and /var/lib/netlab, when nothing else is in it: no image store) go with the last record.
    for (const dir of [SETUP_RECORDS, dirname(SETUP_RECORDS)]) { try { rmdirSync(dir); } catch { break; } }
  }
  return { user: name, lines, cgroups, left };
}

/** Removes an empty cgroup folder and the empty cgroups below it, deepest first (rmdir(2): a cgroup with processes is EBUSY). */
function removeTree(dir: string): void {
  for (const e of readdirDirs(dir)) removeTree(join(dir, e));
  rmdirSync(dir);
}

function readdirDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch { return []; }
}
