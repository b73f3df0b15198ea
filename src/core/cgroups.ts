/**
 * A cgroup per lab and per node (docs/decisions.md: `<hierarchy>/netlab/<lab>/<node>`),
 * planned as pure data and applied with plain mkdir and writes.
 *
 * Where a node gets its own cgroup:
 *  - the cgroup2 tree (pure v2, and hybrid's controller-less "unified" tree):
 *    always — `cgroup.kill` on the lab's directory then ends the whole lab in
 *    one write, and `netlab exec` finds the node by it;
 *  - v1 `pids`: always (the default pids limit keeps a fork bomb inside);
 *  - v1 `devices`: the lab's cgroup holds the allow-list (src/core/devices.ts);
 *    a node gets its own below it, which can only narrow the list, when it has
 *    no user namespace of its own (with CAP_SYS_ADMIN of the host's it could
 *    otherwise write devices.allow of the cgroup it sees as its root) or a
 *    narrower list (nodesWithOwnDevicesCgroup);
 *  - v1 `memory`: always — it is the node's memory meter (`netlab stats`:
 *    anonymous, file and kernel memory, OOM kills) as well as its limit;
 *    on v2 the lab enables the memory controller for its nodes likewise;
 *  - v1 `cpu`, `cpuset`, `blkio`: only when the node's resources ask for it.
 * Every other v1 hierarchy (freezer, name=systemd, …) gets a lab
 * cgroup only, and the lab's nodes live in it: out of the caller's login
 * session, together for freezing. nodeCgroupDirs always lists a node-level
 * path per hierarchy; a node joins it when it exists and otherwise stays in
 * the lab's cgroup, its parent (netlab-init does this), so a plan and the
 * joins cannot disagree. Fewer cgroups is speed, but a node's memory cgroup
 * is its meter: measured on a 300-node ring, `up` took 1.67–2.10 s without and
 * 1.75–1.86 s with one per node (docs/decisions.md, "Every node has a memory cgroup").
 *
 * File names and values (cgroup-v2.rst; cgroup-v1/*.rst):
 *  | resource     | v2                        | v1                                    |
 *  | pids         | pids.max = N              | pids.max = N                          |
 *  | memoryBytes  | memory.max = bytes        | memory.limit_in_bytes = bytes         |
 *  | cpus (0.5)   | cpu.max = "50000 100000"  | cpu.cfs_period_us = 100000,           |
 *  |              |                           | cpu.cfs_quota_us = 50000              |
 *  | io           | io.max = "MAJ:MIN rbps=…" | blkio.throttle.read_bps_device etc.  |
 *  | cpuset "0-1" | cpuset.cpus = "0-1"       | cpuset.cpus = "0-1", cpuset.mems =    |
 *  |              |                           | the root's (v1 needs both set, and on |
 *  |              |                           | the netlab and lab cgroups too)       |
 *  | lab memory   | memory.max of the lab     | memory.limit_in_bytes of the lab      |
 *  | devices      | a BPF program (native/    | devices.deny = a, then one            |
 *  |              | devices.c, the launcher)  | devices.allow write per rule          |
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KernelError, NetlabError } from '../errors.js';
import type { CgroupHierarchy, CgroupLayout } from './cgroup-layout.js';
import { DEFAULT_DEVICE_RULES, labDeviceRules } from './devices.js';
import type { Resources } from './types.js';

export { detectCgroups, hasNoCgroups, inCgroupsOf, NO_CGROUPS, parseCgroupLayout, userLayout, type CgroupLayout, type CgroupHierarchy, type CgroupMode } from './cgroup-layout.js';
export { killLab, findLabs, labCgroupState } from './cgroup-teardown.js';

/**
 * Default pids.max of a node: processes plus threads. A busy FRR node uses
 * about 40 tasks; 1024 leaves room for any lab work, while a fork bomb of
 * 1024 shells (~1 GiB) still leaves a laptop usable. `resources.pids` overrides.
 */
export const DEFAULT_PIDS_MAX = 1024;

/** CFS period, µs (the kernel's default, sched-bwc.rst). */
export const CPU_PERIOD_US = 100_000;

/** One step of a cgroup plan. `exist: 'ok'` tolerates a directory that is already there. */
export type CgroupOp =
  | { op: 'mkdir'; path: string; exist: 'ok' | 'fail' }
  | { op: 'write'; path: string; value: string };

/** A node as planLabCgroups needs it. */
export interface CgroupNode {
  name: string;
  resources: Resources;
  /** The devices it may use (src/core/devices.ts nodeDevices); default DEFAULT_DEVICE_RULES. */
  devices?: readonly string[];
  /** The disk `resources.io` limits, "MAJ:MIN" (src/core/io-device.ts resolves it). */
  ioDevice?: string;
  /**
   * Whether the node runs in a user namespace of its own (the default; not
   * `userns: false`, not the hidden segment namespace). Such a node cannot
   * change a v1 devices list: devices.allow wants CAP_SYS_ADMIN of the host's
   * user namespace (security/device_cgroup.c devcgroup_access_write), so the
   * lab's devices cgroup is enough for it unless its own list is narrower.
   */
  userns?: boolean;
}

/** Limits of the lab as a whole. */
export interface LabLimits {
  /** Memory of every node together, bytes (the lab's memory.max / memory.limit_in_bytes). */
  memoryBytes?: number;
  /** Whether the user asked for memoryBytes (an error when the host cannot) or it is netlab's default (skipped then). */
  memoryAsked?: boolean;
}

/** `<mount>/netlab` */
export function netlabCgroup(mount: string): string {
  return join(mount, 'netlab');
}

/** `<mount>/netlab/<lab>` */
export function labCgroup(mount: string, lab: string): string {
  return join(mount, 'netlab', lab);
}

/** Every hierarchy a lab has a cgroup in: the cgroup2 mount first, then the v1 ones. */
export function labHierarchies(layout: CgroupLayout): string[] {
  return [...(layout.unified ? [layout.unified] : []), ...layout.v1.map((h) => h.mount)];
}

/** quota µs per CPU_PERIOD_US for a number of CPUs (0.5 → 50000); at least 1000 µs (the kernel's minimum). */
export function cpuQuotaUs(cpus: number): number {
  return Math.max(1000, Math.round(cpus * CPU_PERIOD_US));
}

function has(h: CgroupHierarchy, c: string): boolean {
  return h.controllers.includes(c);
}

/**
 * Does a node need its own cgroup in v1 hierarchy h? `ownDevices`: whether
 * it needs its own devices cgroup (nodesWithOwnDevicesCgroup).
 */
function ownV1(h: CgroupHierarchy, r: Resources, ownDevices: boolean): boolean {
  return has(h, 'pids') || (has(h, 'devices') && ownDevices) || has(h, 'memory') || (has(h, 'blkio') && r.io !== undefined)
    || (has(h, 'cpu') && r.cpus !== undefined) || (has(h, 'cpuset') && r.cpuset !== undefined);
}

/** A node's devices allow-list: its own, or the default. */
const rulesOf = (n: CgroupNode): readonly string[] => n.devices ?? DEFAULT_DEVICE_RULES;

/**
 * The nodes that get a v1 devices cgroup of their own, under the lab's (which
 * holds the union of the nodes' lists): a node without a user namespace of its
 * own, which could otherwise widen the list of the cgroup it sees as its root,
 * and a node whose list is narrower than the lab's. The others stay in the
 * lab's devices cgroup: 500 fewer mkdirs at `up` and rmdirs at `down` for a
 * 500-node lab (docs/performance.md, "Safe by default"). Pure.
 */
export function nodesWithOwnDevicesCgroup(nodes: readonly CgroupNode[]): Set<string> {
  const lab = labDeviceRules(nodes.map(rulesOf)).join(',');
  return new Set(nodes.filter((n) => !n.userns || rulesOf(n).join(',') !== lab).map((n) => n.name));
}

/**
 * The cgroup directories node `node` of lab `lab` joins, one per hierarchy,
 * cgroup2 first. Pure. With the node's `resources` (the same planLabCgroups
 * got), a v1 hierarchy without a node cgroup is given as the lab's cgroup,
 * which the launcher joins once for all nodes. Without them every entry is
 * node-level; one the plan did not create does not exist at start time and
 * the node then stays in its parent, the lab's cgroup: the same result, for a
 * failed open per hierarchy and node (~10 µs a node on hybrid).
 * `ownDevices`: whether the node is in nodesWithOwnDevicesCgroup of the plan.
 */
export function nodeCgroupDirs(layout: CgroupLayout, lab: string, node: string, resources?: Resources, ownDevices = true): string[] {
  const v1 = layout.mode === 'v2' ? [] : layout.v1;
  return [
    ...(layout.unified ? [join(labCgroup(layout.unified, lab), node)] : []),
    ...v1.map((h) => (resources && !ownV1(h, resources, ownDevices) ? labCgroup(h.mount, lab) : join(labCgroup(h.mount, lab), node))),
  ];
}

function missingController(node: string, controller: string, what: string): NetlabError {
  return new NetlabError(`node ${node}`, `asks for a ${what} limit, but this host does not delegate the ${controller} cgroup controller to child cgroups`,
    `enable it (echo +${controller} > /sys/fs/cgroup/cgroup.subtree_control) or drop the node's ${what} limit`);
}

function planV2(layout: CgroupLayout, lab: string, nodes: CgroupNode[], limits: LabLimits): CgroupOp[] {
  const root = layout.unified!;
  const available = new Set(layout.unifiedControllers);
  if (limits.memoryBytes !== undefined && limits.memoryAsked && !available.has('memory')) {
    throw new NetlabError('limits.memory', 'asks for a memory limit of the lab, but this host does not delegate the memory cgroup controller to child cgroups',
      'enable it (echo +memory > /sys/fs/cgroup/cgroup.subtree_control) or drop limits.memory');
  }
  const labMemory = limits.memoryBytes !== undefined && available.has('memory');
  // memory always: it meters every node (netlab stats), limit or not
  const wanted = ['pids', 'memory',
    ...(nodes.some((n) => n.resources.cpus !== undefined) ? ['cpu'] : []),
    ...(nodes.some((n) => n.resources.cpuset !== undefined) ? ['cpuset'] : []),
    ...(nodes.some((n) => n.resources.io !== undefined) ? ['io'] : [])];
  for (const n of nodes) {
    if (n.resources.io !== undefined && !available.has('io')) throw missingController(n.name, 'io', 'io');
    if (n.resources.memoryBytes !== undefined && !available.has('memory')) throw missingController(n.name, 'memory', 'memory');
    if (n.resources.cpus !== undefined && !available.has('cpu')) throw missingController(n.name, 'cpu', 'cpus');
    if (n.resources.cpuset !== undefined && !available.has('cpuset')) throw missingController(n.name, 'cpuset', 'cpuset');
    if (n.resources.pids !== undefined && !available.has('pids')) throw missingController(n.name, 'pids', 'pids');
  }
  // Without the pids controller the default limit is skipped (docs/nodes.md says so).
  const enable = wanted.filter((c) => available.has(c)).map((c) => `+${c}`).join(' ');
  // netlab/ also enables memory for the labs' own limit; a lab enables it for its nodes only when one asks.
  const enableTop = [enable, labMemory && !wanted.includes('memory') ? '+memory' : ''].filter(Boolean).join(' ');
  const ops: CgroupOp[] = [{ op: 'mkdir', path: netlabCgroup(root), exist: 'ok' }];
  if (enableTop) ops.push({ op: 'write', path: join(netlabCgroup(root), 'cgroup.subtree_control'), value: enableTop });
  ops.push({ op: 'mkdir', path: labCgroup(root, lab), exist: 'fail' });
  if (labMemory) ops.push({ op: 'write', path: join(labCgroup(root, lab), 'memory.max'), value: String(limits.memoryBytes) });
  if (enable) ops.push({ op: 'write', path: join(labCgroup(root, lab), 'cgroup.subtree_control'), value: enable });
  for (const n of nodes) {
    const dir = join(labCgroup(root, lab), n.name);
    const r = n.resources;
    ops.push({ op: 'mkdir', path: dir, exist: 'fail' });
    if (available.has('pids')) ops.push({ op: 'write', path: join(dir, 'pids.max'), value: String(r.pids ?? DEFAULT_PIDS_MAX) });
    if (r.memoryBytes !== undefined) ops.push({ op: 'write', path: join(dir, 'memory.max'), value: String(r.memoryBytes) });
    if (r.cpus !== undefined) ops.push({ op: 'write', path: join(dir, 'cpu.max'), value: `${cpuQuotaUs(r.cpus)} ${CPU_PERIOD_US}` });
    if (r.cpuset !== undefined) ops.push({ op: 'write', path: join(dir, 'cpuset.cpus'), value: r.cpuset });
    if (r.io && n.ioDevice) ops.push({ op: 'write', path: join(dir, 'io.max'), value: ioMax(n.ioDevice, r.io) });
  }
  return ops;
}

/** io.max line: "MAJ:MIN rbps=N wbps=N riops=N wiops=N" with the limits given (cgroup-v2.rst, "IO Interface Files"). Pure. */
export function ioMax(dev: string, io: NonNullable<Resources['io']>): string {
  const parts = [[io.readBytesPerS, 'rbps'], [io.writeBytesPerS, 'wbps'], [io.readIops, 'riops'], [io.writeIops, 'wiops']] as const;
  return [dev, ...parts.filter(([v]) => v !== undefined).map(([v, k]) => `${k}=${v}`)].join(' ');
}

/** The v1 blkio.throttle.* writes of a node (cgroup-v1/blkio-controller.rst): one "MAJ:MIN N" per limit. Pure. */
export function blkioThrottle(dir: string, dev: string, io: NonNullable<Resources['io']>): CgroupOp[] {
  const files = [[io.readBytesPerS, 'read_bps_device'], [io.writeBytesPerS, 'write_bps_device'], [io.readIops, 'read_iops_device'], [io.writeIops, 'write_iops_device']] as const;
  return files.filter(([v]) => v !== undefined).map(([v, f]) => ({ op: 'write', path: join(dir, `blkio.throttle.${f}`), value: `${dev} ${v}` }));
}


/** devices.deny "a", then one devices.allow write per rule (the kernel takes one rule per write). */
function deviceOps(dir: string, rules: readonly string[]): CgroupOp[] {
  return [{ op: 'write', path: join(dir, 'devices.deny'), value: 'a' }, ...rules.map((r): CgroupOp => ({ op: 'write', path: join(dir, 'devices.allow'), value: r }))];
}

function planV1(layout: CgroupLayout, lab: string, nodes: CgroupNode[], limits: LabLimits): CgroupOp[] {
  const ops: CgroupOp[] = [];
  const labRules = labDeviceRules(nodes.map(rulesOf));
  const ownDevices = nodesWithOwnDevicesCgroup(nodes);
  if (layout.unified) {
    // hybrid: the controller-less cgroup2 tree, for cgroup.kill and for finding a node's cgroups
    ops.push({ op: 'mkdir', path: netlabCgroup(layout.unified), exist: 'ok' });
    ops.push({ op: 'mkdir', path: labCgroup(layout.unified, lab), exist: 'fail' });
    for (const n of nodes) ops.push({ op: 'mkdir', path: join(labCgroup(layout.unified, lab), n.name), exist: 'fail' });
  }
  const cpuset = layout.cpusetRoot;
  for (const h of layout.v1) {
    const isCpuset = has(h, 'cpuset');
    if (isCpuset && !cpuset) throw new NetlabError(`cgroup ${h.mount}`, 'cpuset.cpus/cpuset.mems of the cpuset root are unknown', 'this is a bug in cgroup detection');
    for (const [dir, exist] of [[netlabCgroup(h.mount), 'ok'], [labCgroup(h.mount, lab), 'fail']] as const) {
      ops.push({ op: 'mkdir', path: dir, exist });
      // v1 cpuset: a cgroup takes tasks only once cpus and mems are set (cgroup-v1/cpusets.rst)
      if (isCpuset) ops.push({ op: 'write', path: join(dir, 'cpuset.cpus'), value: cpuset!.cpus }, { op: 'write', path: join(dir, 'cpuset.mems'), value: cpuset!.mems });
    }
    const labDir = labCgroup(h.mount, lab);
    // before the node cgroups: v1 refuses devices.deny "a" on a cgroup with children
    if (has(h, 'devices')) ops.push(...deviceOps(labDir, labRules));
    if (has(h, 'memory') && limits.memoryBytes !== undefined) ops.push({ op: 'write', path: join(labDir, 'memory.limit_in_bytes'), value: String(limits.memoryBytes) });
    for (const n of nodes) {
      const r = n.resources;
      if (!ownV1(h, r, ownDevices.has(n.name))) continue;
      const dir = join(labCgroup(h.mount, lab), n.name);
      ops.push({ op: 'mkdir', path: dir, exist: 'fail' });
      if (has(h, 'pids')) ops.push({ op: 'write', path: join(dir, 'pids.max'), value: String(r.pids ?? DEFAULT_PIDS_MAX) });
      if (has(h, 'memory') && r.memoryBytes !== undefined) ops.push({ op: 'write', path: join(dir, 'memory.limit_in_bytes'), value: String(r.memoryBytes) });
      // a new devices cgroup starts with its parent's list: write only a narrower one
      if (has(h, 'devices') && rulesOf(n).join(',') !== labRules.join(',')) ops.push(...deviceOps(dir, rulesOf(n)));
      if (has(h, 'cpu') && r.cpus !== undefined) {
        ops.push({ op: 'write', path: join(dir, 'cpu.cfs_period_us'), value: String(CPU_PERIOD_US) });
        ops.push({ op: 'write', path: join(dir, 'cpu.cfs_quota_us'), value: String(cpuQuotaUs(r.cpus)) });
      }
      if (has(h, 'blkio') && r.io && n.ioDevice) ops.push(...blkioThrottle(dir, n.ioDevice, r.io));
      if (isCpuset) {
        ops.push({ op: 'write', path: join(dir, 'cpuset.cpus'), value: r.cpuset ?? cpuset!.cpus });
        ops.push({ op: 'write', path: join(dir, 'cpuset.mems'), value: cpuset!.mems });
      }
    }
  }
  return ops;
}

/**
 * The cgroups of a lab and its nodes, with their limits. Pure.
 * v2: `netlab` and the lab enable the controllers the nodes need in
 * cgroup.subtree_control (only those the root offers); each node gets
 * pids.max (default DEFAULT_PIDS_MAX) and its limits; the lab gets
 * memory.max = limits.memoryBytes (skipped without the memory controller,
 * unless asked). The devices allow-list is the launcher's BPF program.
 * hybrid/v1: see the file comment for which hierarchies get node cgroups; the
 * lab's devices cgroup gets the union of its nodes' device rules, a node's own
 * cgroup its own list when narrower; the lab's memory cgroup limits.memoryBytes.
 * @throws NetlabError on pure v2 when a node (or the lab, limits.memoryAsked)
 *   asks for a limit whose controller the root does not delegate (the hint
 *   says how to enable it).
 */
export function planLabCgroups(layout: CgroupLayout, lab: string, nodes: CgroupNode[], limits: LabLimits = {}): CgroupOp[] {
  return layout.mode === 'v2' ? planV2(layout, lab, nodes, limits) : planV1(layout, lab, nodes, limits);
}

/**
 * Applies a plan in order (synchronous: a mkdir or a small write each).
 * @throws KernelError naming the cgroup and the file: EEXIST for a lab whose
 *   cgroups are still there (hint: netlab down), ENOENT for a controller file
 *   this kernel lacks, EINVAL for a value it refuses.
 */
export function applyCgroupOps(ops: CgroupOp[]): void {
  for (const o of ops) {
    try {
      if (o.op === 'mkdir') mkdirSync(o.path);
      else writeFileSync(o.path, o.value);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (o.op === 'mkdir' && e.code === 'EEXIST' && o.exist === 'ok') continue;
      const errno = -(e.errno ?? -5);
      if (o.op === 'mkdir') {
        throw new KernelError(`cgroup ${o.path}`, 'mkdir', errno, '',
          e.code === 'EEXIST' ? 'a lab of that name is still (or half) there: netlab down removes it' : 'are you root?');
      }
      const cpusetRefused = basename(o.path) === 'cpuset.cpus' && (e.code === 'ERANGE' || e.code === 'EINVAL');
      throw new KernelError(`cgroup ${dirname(o.path)}`, `write ${basename(o.path)} = ${o.value}`, errno,
        e.code === 'ENOENT' ? `cgroup file ${basename(o.path)}` : '',
        e.code === 'ENOENT' ? 'the kernel lacks this cgroup controller; netlab doctor shows what it has'
          : cpusetRefused ? `the kernel refuses CPUs that the parent cgroup ${dirname(dirname(o.path))} does not have: give resources.cpuset only CPUs this host has (cat /sys/devices/system/cpu/online)` : '');
    }
  }
}
