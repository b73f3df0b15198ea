/**
 * The cgroups that carry a process's traffic class: one child cgroup
 * `class-<name>` under the node's cgroup, either in the net_cls v1 hierarchy
 * (the cgroup's net_cls.classid is the htb class, e.g. 0x00010011 = 1:11) or,
 * on hosts with only cgroup v2, in the v2 tree (matched by path, see classify.ts).
 *
 * Which hierarchy (chooseHierarchy): cgroup v2 wherever it is mounted (pure v2,
 * or a hybrid host's unified tree: nft `socket cgroupv2` and iptables
 * `--path` match it), so netlab creates no cgroup v1 hierarchy, whose root has
 * a `release_agent` the kernel runs as host root (docs/nodes.md); else a
 * net_cls hierarchy the host already mounted; else, on a v1-only host, net_cls
 * mounted privately under the lab's run directory (never under
 * /sys/fs/cgroup, which belongs to the host) and unmounted at teardown.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KernelError, NetlabError } from '../errors.js';

/** net_cls v1 (classid per cgroup) or cgroup v2 (class = cgroup path). */
export type ClassHierarchyMode = 'net_cls' | 'cgroup2';

/** Where class cgroups live. JSON-serialisable (part of the State file). */
export interface ClassHierarchy {
  mode: ClassHierarchyMode;
  /** Mount point of the hierarchy (`/run/netlab/<lab>/net_cls`, `/sys/fs/cgroup`, …). */
  root: string;
  /** True when netlab mounted `root` and must unmount it at teardown. */
  mountedByNetlab: boolean;
}

/** What the host offers, read from /proc/self/mountinfo and /proc/cgroups. */
export interface HostCgroups {
  /** Mount point of an existing net_cls v1 hierarchy (the host's, not another lab's NETLAB_NET_CLS_SOURCE mount). */
  netClsMount?: string;
  /** Mount point of the cgroup2 hierarchy. */
  cgroup2Mount?: string;
  /** net_cls is compiled in and enabled (a line in /proc/cgroups). */
  netClsAvailable: boolean;
}

/**
 * The mount source netlab gives its own net_cls mounts. Another lab's mount is
 * not reused (it goes away with that lab); each lab mounts its own view of the
 * same hierarchy, and the kernel shares one tree between them.
 */
export const NETLAB_NET_CLS_SOURCE = 'netlab_net_cls';

/** Parses /proc/self/mountinfo and /proc/cgroups text. Pure. */
export function parseHostCgroups(mountinfo: string, procCgroups: string): HostCgroups {
  const out: HostCgroups = { netClsAvailable: false };
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = line.slice(0, sep).split(' ')[4];
    const [fstype, source, superOpts = ''] = line.slice(sep + 3).split(' ');
    if (!mountPoint) continue;
    const point = mountPoint.replace(/\\040/g, ' ');
    if (fstype === 'cgroup2' && !out.cgroup2Mount) out.cgroup2Mount = point;
    if (fstype === 'cgroup' && source !== NETLAB_NET_CLS_SOURCE && superOpts.split(',').includes('net_cls') && !out.netClsMount) out.netClsMount = point;
  }
  for (const line of procCgroups.split('\n')) {
    const f = line.split(/\s+/);
    if (f[0] === 'net_cls' && f[3] === '1') out.netClsAvailable = true;
  }
  return out;
}

/** Reads the host's cgroup facts. */
export function readHostCgroups(): HostCgroups {
  const read = (p: string): string => { try { return readFileSync(p, 'utf8'); } catch { return ''; } };
  return parseHostCgroups(read('/proc/self/mountinfo'), read('/proc/cgroups'));
}

/**
 * Decides where class cgroups go (see the file comment). `prefer` forces a mode
 * when the host has it. Pure. `netClsMountPoint` is where netlab would mount.
 * @returns the hierarchy, with mountedByNetlab true when it still has to be mounted.
 * @throws KernelError when the host has neither net_cls nor cgroup v2.
 */
export function chooseHierarchy(host: HostCgroups, netClsMountPoint: string, prefer?: ClassHierarchyMode): ClassHierarchy {
  const v2 = host.cgroup2Mount ? { mode: 'cgroup2' as const, root: host.cgroup2Mount, mountedByNetlab: false } : undefined;
  const v1 = host.netClsMount ? { mode: 'net_cls' as const, root: host.netClsMount, mountedByNetlab: false }
    : host.netClsAvailable ? { mode: 'net_cls' as const, root: netClsMountPoint, mountedByNetlab: true } : undefined;
  if (prefer === 'net_cls' && v1) return v1;
  if (v2) return v2;
  if (v1) return v1;
  throw new KernelError('traffic classes', 'find a cgroup hierarchy', 95 /* EOPNOTSUPP */, 'net_cls (CONFIG_CGROUP_NET_CLASSID)',
    'mount cgroup2 on /sys/fs/cgroup, or use a kernel with net_cls');
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new NetlabError(what, `${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`, 'are you root? see netlab doctor');
}

/**
 * Makes the hierarchy usable: mounts net_cls at `h.root` (private, so it does
 * not propagate into the host's other mount namespaces) when netlab must.
 * Idempotent: an existing mount at `h.root` is reused.
 * @throws NetlabError when mount(8) fails.
 */
export function mountHierarchy(h: ClassHierarchy): void {
  if (!h.mountedByNetlab) return;
  if (isMountPoint(h.root)) return;
  mkdirSync(h.root, { recursive: true });
  run('mount', ['-t', 'cgroup', '-o', 'net_cls', NETLAB_NET_CLS_SOURCE, h.root], `net_cls hierarchy at ${h.root}`);
  run('mount', ['--make-private', h.root], `net_cls hierarchy at ${h.root}`);
}

/** Unmounts what mountHierarchy mounted and removes the empty mount point. */
export function unmountHierarchy(h: ClassHierarchy): void {
  if (!h.mountedByNetlab) return;
  if (isMountPoint(h.root)) run('umount', [h.root], `net_cls hierarchy at ${h.root}`);
  try { rmdirSync(h.root); } catch { /* already gone or not empty: leave it */ }
}

function isMountPoint(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
  } catch { return false; }
}

/** `<root>/netlab/<lab>/<node>`: the node's cgroup in this hierarchy (DESIGN/decisions: one per lab, one per node). */
export function nodeCgroupDir(h: ClassHierarchy, lab: string, node: string): string {
  return join(h.root, 'netlab', lab, node);
}

/** `<node cgroup>/class-<name>`: where a process of that class runs. */
export function classCgroupDir(h: ClassHierarchy, lab: string, node: string, className: string): string {
  return join(nodeCgroupDir(h, lab, node), `class-${className}`);
}

/** Path of a class cgroup relative to the v2 root, and its depth (nft's `socket cgroupv2 level`). */
export function cgroup2Match(h: ClassHierarchy, dir: string): { path: string; level: number } {
  const path = relative(h.root, dir);
  return { path, level: path.split('/').length };
}

/**
 * Creates `dir` and any missing parents; returns the directories it created,
 * outermost first (so teardown removes exactly those, innermost first).
 */
export function makeCgroupDirs(dir: string, stopAt: string): string[] {
  const missing: string[] = [];
  for (let d = dir; d.startsWith(stopAt) && d !== stopAt && !existsSync(d); d = join(d, '..')) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
  return missing;
}

/** Writes a net_cls classid (decimal, as the kernel's cgroup u64 parser takes it). */
export function writeClassid(dir: string, classid: number): void {
  writeFileSync(join(dir, 'net_cls.classid'), String(classid));
}

/** Moves a process into a cgroup (`cgroup.procs`). @throws NetlabError with the path and errno text. */
export function moveToCgroup(dir: string, pid: number): void {
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (err) {
    throw new NetlabError(`cgroup ${dir}`, `cannot move process ${pid} in: ${(err as Error).message}`, 'is the process still running?');
  }
}

/**
 * Removes cgroup directories innermost first. Processes still inside a class
 * cgroup are moved to `evacuateTo` first (they keep running, unclassified).
 * Directories that are not empty of children (another lab's) are left.
 * @returns the directories that could not be removed.
 */
export function removeCgroupDirs(dirs: string[], evacuateTo: string): string[] {
  const left: string[] = [];
  for (const d of [...dirs].reverse()) {
    if (!existsSync(d)) continue;
    try {
      const pids = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of pids) {
        try { writeFileSync(join(evacuateTo, 'cgroup.procs'), pid); } catch { /* exited meanwhile */ }
      }
    } catch { /* no procs file: not a cgroup any more */ }
    try { rmdirSync(d); } catch { left.push(d); }
  }
  return left;
}
