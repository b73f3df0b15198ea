/**
 * Which cgroup hierarchies this host has, detected the way runc and crun do
 * (runc libcontainer/cgroups/utils.go IsCgroup2UnifiedMode, crun
 * libcrun_get_cgroup_mode): statfs(2) of /sys/fs/cgroup says cgroup2 → pure
 * v2; a tmpfs there with a cgroup2 mount at /sys/fs/cgroup/unified → hybrid;
 * otherwise v1. The v1 hierarchies and their controllers come from the cgroup
 * mounts of /proc/self/mountinfo (proc(5)); what a v2 child may use from the
 * root's cgroup.subtree_control (cgroup-v2.rst, "Enabling and Disabling").
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { isRootless, rootlessUserName } from './rootless.js';

/** cgroup2's magic in statfs(2) f_type (linux/magic.h CGROUP2_SUPER_MAGIC). */
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** pure cgroup v2; hybrid = v1 controllers + an empty cgroup2 tree (systemd's "unified"); pure v1. */
export type CgroupMode = 'v2' | 'hybrid' | 'v1';

/** One mounted v1 hierarchy. */
export interface CgroupHierarchy {
  /** Mount point, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/cpu,cpuacct. */
  mount: string;
  /** Controllers bound to it: ['memory'], ['cpu', 'cpuacct'], ['name=systemd'] for a named one. */
  controllers: string[];
}

/** The host's cgroups, as the planning functions of cgroups.ts need them. JSON-serialisable. */
export interface CgroupLayout {
  mode: CgroupMode;
  /** cgroup2 mount: /sys/fs/cgroup (v2), /sys/fs/cgroup/unified (hybrid); absent on pure v1. */
  unified?: string;
  /** Controllers children of the cgroup2 root may use (its cgroup.subtree_control); [] on hybrid. */
  unifiedControllers: string[];
  /** v1 hierarchies (hybrid and v1; [] on v2), one per hierarchy. */
  v1: CgroupHierarchy[];
  /** cpuset.cpus and cpuset.mems of the v1 cpuset root: v1 needs them copied into every new cpuset cgroup. */
  cpusetRoot?: { cpus: string; mems: string };
}

/** What detection reads, so that parseCgroupLayout stays pure. */
export interface CgroupFacts {
  /** statfs(/sys/fs/cgroup).f_type === CGROUP2_SUPER_MAGIC */
  rootIsCgroup2: boolean;
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** cgroup.subtree_control of the cgroup2 root ('' when unreadable or hybrid). */
  subtreeControl: string;
  /** v1 cpuset root values, when there is a cpuset hierarchy. */
  cpusetRoot?: { cpus: string; mems: string };
  /** Cgroup mounts under this directory are ignored (netlab's own private net_cls mounts). */
  ignoreUnder: string;
}

/**
 * The layout of a netlab that may use no cgroup (a rootless one, docs/rootless.md):
 * no hierarchy, so no lab gets a cgroup, nodes start in the caller's, and
 * teardown stops nodes by their PID 1s.
 */
export const NO_CGROUPS: CgroupLayout = Object.freeze({ mode: 'v1', unifiedControllers: [], v1: [] }) as CgroupLayout;

/** True when `layout` has no hierarchy netlab can make cgroups in (NO_CGROUPS). */
export function hasNoCgroups(layout: CgroupLayout): boolean {
  return !layout.unified && layout.v1.length === 0;
}

/** Un-escapes a mountinfo path field (octal \040 for space, proc(5)). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

interface CgroupMount { point: string; fstype: 'cgroup' | 'cgroup2'; superOpts: string[] }

/** The cgroup and cgroup2 mounts of a mountinfo text whose root is the hierarchy's root. Pure. */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const f = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || f[3] !== '/' || !f[4]) continue;
    out.push({ point: unescape(f[4]), fstype, superOpts: superOpts.split(',') });
  }
  return out;
}

/** The v1 controller names in a mount's super options (`rw,cpu,cpuacct` → cpu, cpuacct). */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods', 'nsdelegate', 'memory_recursiveprot', 'memory_localevents']);

function v1Controllers(opts: string[]): string[] {
  return opts.filter((o) => !NOT_CONTROLLERS.has(o) && !o.startsWith('release_agent=') && (o.startsWith('name=') || /^[a-z_]+$/.test(o)));
}

/**
 * The layout from the facts. Pure. The first mount of each hierarchy wins;
 * mounts under `facts.ignoreUnder` are skipped.
 */
export function parseCgroupLayout(facts: CgroupFacts): CgroupLayout {
  const under = facts.ignoreUnder.endsWith('/') ? facts.ignoreUnder : `${facts.ignoreUnder}/`;
  const mounts = cgroupMounts(facts.mountinfo).filter((m) => !`${m.point}/`.startsWith(under));
  const v2mount = facts.rootIsCgroup2 ? '/sys/fs/cgroup' : mounts.find((m) => m.fstype === 'cgroup2')?.point;
  if (facts.rootIsCgroup2) {
    return { mode: 'v2', unified: v2mount, unifiedControllers: facts.subtreeControl.split(/\s+/).filter(Boolean), v1: [] };
  }
  const v1: CgroupHierarchy[] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue;
    const controllers = v1Controllers(m.superOpts);
    const key = [...controllers].sort().join(',');
    if (!controllers.length || seen.has(key)) continue;
    seen.add(key);
    v1.push({ mount: m.point, controllers });
  }
  const layout: CgroupLayout = { mode: v2mount ? 'hybrid' : 'v1', unifiedControllers: [], v1 };
  if (v2mount) layout.unified = v2mount;
  if (facts.cpusetRoot && v1.some((h) => h.controllers.includes('cpuset'))) layout.cpusetRoot = facts.cpusetRoot;
  return layout;
}

function read(path: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return ''; }
}

/**
 * Reads this host's cgroup layout (statfs, /proc/self/mountinfo, the cgroup2
 * root's subtree_control, the v1 cpuset root). Cheap: a handful of reads.
 */
export function detectCgroups(): CgroupLayout {
  // A rootless netlab writes only in cgroups root delegated to its user (netlab setup-user); else its labs run without (docs/rootless.md).
  if (isRootless()) return delegatedLayout(delegationFacts());
  // Root reading a user's labs (status --all-users, the teacher's web view): that user's cgroups, not root's.
  const user = scopedUser.getStore();
  if (user !== undefined) return userLayout(user);
  let rootIsCgroup2 = false;
  try { rootIsCgroup2 = Number(statfsSync('/sys/fs/cgroup').type) === CGROUP2_SUPER_MAGIC; } catch { /* no /sys/fs/cgroup */ }
  const mountinfo = read('/proc/self/mountinfo');
  const cpusetMount = cgroupMounts(mountinfo).find((m) => m.fstype === 'cgroup' && m.superOpts.includes('cpuset'))?.point;
  const cpusetRoot = cpusetMount ? { cpus: read(join(cpusetMount, 'cpuset.cpus')), mems: read(join(cpusetMount, 'cpuset.mems')) } : undefined;
  return parseCgroupLayout({
    rootIsCgroup2,
    mountinfo,
    subtreeControl: rootIsCgroup2 ? read('/sys/fs/cgroup/cgroup.subtree_control') : '',
    ...(cpusetRoot ? { cpusetRoot } : {}),
    ignoreUnder: process.env.NETLAB_RUN_DIR || '/run/netlab',
  });
}

/** The folder below each hierarchy's root where `netlab setup-user` delegates a cgroup per user (src/lab/setup-user.ts). */
export const USERS_CGROUP = 'netlab-users';
/** v1 controllers a user's folder is made in (what a node's resources: use). */
export const DELEGATED_V1 = ['memory', 'pids', 'cpu'] as const;

/** What delegatedLayout reads, so that it stays pure. */
export interface DelegationFacts {
  /** The user's name (/etc/passwd). */
  user: string;
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** This process's cgroup2 path (the `0::` line of /proc/self/cgroup), '' when none. */
  ownCgroup2: string;
  /** Whether this process may write `path` (access(2), W_OK). */
  writable: (path: string) => boolean;
  /** Contents of a small file ('' when unreadable). */
  read: (path: string) => string;
}

/**
 * The layout of a rootless netlab (docs/rootless.md, "Limits"): each
 * hierarchy's `netlab-users/<user>` folder that the user may write, used as
 * that hierarchy's root (so the lab's cgroups are
 * `<mount>/netlab-users/<user>/netlab/<lab>/<node>`). v1 hierarchies of
 * memory, pids and cpu qualify by ownership alone (cgroup v1 lets a task's
 * owner move it into a cgroup it may write); the cgroup2 folder only when this
 * process already runs inside it, because cgroup2 moves a process only for a
 * writer of the common ancestor's cgroup.procs (cgroup-v2.rst, "Delegation
 * Containment"), which for a process outside is root's. NO_CGROUPS when
 * nothing qualifies. Pure.
 */
export function delegatedLayout(f: DelegationFacts): CgroupLayout {
  if (!f.user) return NO_CGROUPS;
  const v1: CgroupHierarchy[] = [];
  let unified: string | undefined;
  let unifiedControllers: string[] = [];
  const seen = new Set<string>();
  for (const m of cgroupMounts(f.mountinfo)) {
    const dir = join(m.point, USERS_CGROUP, f.user);
    if (!f.writable(dir) || !f.writable(join(dir, 'cgroup.procs'))) continue;
    if (m.fstype === 'cgroup2') {
      const inside = `/${USERS_CGROUP}/${f.user}`;
      if (unified || !(f.ownCgroup2 === inside || f.ownCgroup2.startsWith(`${inside}/`))) continue;
      unified = dir;
      unifiedControllers = f.read(join(dir, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean);
      continue;
    }
    const controllers = DELEGATED_V1.filter((c) => m.superOpts.includes(c));
    const key = controllers.join(',');
    if (!controllers.length || seen.has(key)) continue;
    seen.add(key);
    v1.push({ mount: dir, controllers });
  }
  if (!unified && !v1.length) return NO_CGROUPS;
  const layout: CgroupLayout = { mode: unified && v1.length ? 'hybrid' : unified ? 'v2' : 'v1', unifiedControllers, v1 };
  if (unified) layout.unified = unified;
  return layout;
}

function delegationFacts(): DelegationFacts {
  return {
    user: rootlessUserName(),
    mountinfo: read('/proc/self/mountinfo'),
    ownCgroup2: /^0::(.*)$/m.exec(read('/proc/self/cgroup'))?.[1] ?? '',
    writable: (path) => { try { accessSync(path, constants.W_OK); return true; } catch { return false; } },
    read,
  };
}

/** The user whose cgroups detectCgroups() answers inside `inCgroupsOf` (root reading that user's labs). */
const scopedUser = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with detectCgroups() answering user `user`'s layout (the
 * hierarchies' `netlab-users/<user>` folders, as that user's netlab sees
 * them) for every call it makes, also after its awaits: root reading a
 * student's lab reads the student's cgroups (paused, memory, CPU), never
 * those of a lab of root's with the same name. Reading only.
 */
export function inCgroupsOf<T>(user: string, fn: () => T): T {
  return scopedUser.run(user, fn);
}

/**
 * User `user`'s delegated layout seen from the host: each hierarchy's
 * `netlab-users/<user>` folder that exists (delegatedLayout with existence
 * for writability, and the cgroup2 folder counted as the user's own);
 * NO_CGROUPS when the user has none (`netlab setup-user` never ran).
 */
export function userLayout(user: string): CgroupLayout {
  return delegatedLayout({
    user, mountinfo: read('/proc/self/mountinfo'), ownCgroup2: `/${USERS_CGROUP}/${user}`, read,
    writable: (path) => existsSync(path),
  });
}
