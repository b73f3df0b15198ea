/**
 * Node traffic classes (`classes:` on a node, `netlab exec --class NAME`):
 * each class becomes an htb class on every interface of its node, and a child
 * cgroup `class-<name>` under the node's cgroup carries it for the processes
 * put there. See cgroups.ts for which hierarchy, classify.ts for how packets
 * are matched, docs/shaping.md for which path runs where.
 *
 * applyClasses works on a whole lab at once and returns a JSON record for the
 * State file; removeClasses undoes exactly what the record says.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError, TopologyError } from '../errors.js';
import type { NetClass, Shaping } from './types.js';
import { applyShaping } from './apply.js';
import {
  chooseHierarchy, classCgroupDir, cgroup2Match, makeCgroupDirs, mountHierarchy, moveToCgroup, nodeCgroupDir,
  readHostCgroups, removeCgroupDirs, unmountHierarchy, writeClassid, type ClassHierarchy, type ClassHierarchyMode,
} from './cgroups.js';
import { installRules, nftCgroup2Path, removeRules, type ClassMatch, type Classifier } from './classify.js';
import type { Rtnl } from '../net/rtnl.js';
import { FIRST_CLASS_MINOR, type PlannedClass } from './plan.js';
import { probeQdiscSupport, type ShapingSupport } from './probe.js';
import { readShaping } from './read.js';
import { tcHandle } from './tcmath.js';

/**
 * Places a node's classes in the htb tree: names sorted, minors 0x11, 0x12, …
 * (1:11, 1:12 in tc's hex notation), classid = 1:minor. Pure.
 * @throws TopologyError (at `where.<name>`) for a name unfit for a cgroup
 *   directory, a rate ≤ 0, a ceiling below the rate, or a prio outside 0..7.
 */
export function planClasses(classes: Record<string, NetClass> | undefined, where = 'classes'): PlannedClass[] {
  const names = Object.keys(classes ?? {}).sort();
  if (names.length > 0xfeff - FIRST_CLASS_MINOR) throw new TopologyError(where, `${names.length} classes; htb takes at most ${0xfeff - FIRST_CLASS_MINOR}`);
  return names.map((name, i) => {
    const c = classes![name]!;
    const w = `${where}.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/.test(name)) {
      throw new TopologyError(w, `class name "${name}" is not a plain name`, 'use letters, digits, - and _ (at most 48), e.g. bulk');
    }
    if (!(Number.isFinite(c.rateBps) && c.rateBps >= 8)) throw new TopologyError(`${w}.rate`, `rate ${c.rateBps} bit/s is below 8 bit/s`, 'give a rate such as 1mbit');
    if (c.ceilBps !== undefined && !(c.ceilBps >= c.rateBps)) throw new TopologyError(`${w}.ceil`, `ceil ${c.ceilBps} bit/s is below the rate ${c.rateBps} bit/s`, 'leave ceil out or make it at least the rate');
    const prio = c.prio ?? 3;
    if (!Number.isInteger(prio) || prio < 0 || prio > 7) throw new TopologyError(`${w}.prio`, `prio ${prio} is outside 0..7`, 'htb priorities run from 0 (first) to 7');
    const minor = FIRST_CLASS_MINOR + i;
    return { name, minor, classid: tcHandle(1, minor), rateBps: c.rateBps, ceilBps: c.ceilBps, prio };
  });
}

/** One node of the lab, as applyClasses needs it. */
export interface ClassNodeSpec {
  node: string;
  /** The node's network namespace, e.g. /proc/<pid>/ns/net. */
  netnsPath: string;
  /** An rtnetlink socket inside that namespace. */
  rtnl: Rtnl;
  classes: Record<string, NetClass>;
  /** The node's interfaces and the egress shaping each has (or should have). */
  interfaces: { ifindex: number; label: string; shaping: Shaping; mtu?: number }[];
}

/** What applyClasses did on one node. */
export interface ClassesNodeRecord {
  node: string;
  netnsPath: string;
  classifier: Classifier;
  classes: PlannedClass[];
  /** Class cgroup per class name (absolute path). */
  cgroups: Record<string, string>;
  /** Directories netlab created, outermost first. */
  createdDirs: string[];
  interfaces: { ifindex: number; label: string }[];
}

/** What applyClasses did on a lab; JSON, for the State file; removeClasses undoes it. */
export interface ClassesRecord {
  lab: string;
  hierarchy: ClassHierarchy;
  nodes: ClassesNodeRecord[];
}

/** Options of applyClasses. */
export interface ApplyClassesOptions {
  lab: string;
  /** The lab's run directory; net_cls is mounted at <runDir>/net_cls when netlab must mount it. */
  runDir: string;
  nodes: ClassNodeSpec[];
  /** Force a hierarchy (tests, or a host the heuristics get wrong). */
  prefer?: ClassHierarchyMode;
  /** What the kernel supports; default: probe once per process. */
  support?: Pick<ShapingSupport, 'clsCgroup'>;
  /** Rule-based classifiers to try, in order, where cls_cgroup is not used; default ['nft', 'iptables']. */
  ruleClassifiers?: ('nft' | 'iptables')[];
}

function matchFor(h: ClassHierarchy, planned: PlannedClass[], cgroups: Record<string, string>): ClassMatch {
  if (h.mode === 'net_cls') return { mode: 'net_cls' };
  const paths: Record<string, { path: string; nftPath: string; level: number }> = {};
  for (const c of planned) {
    const m = cgroup2Match(h, cgroups[c.name]!);
    paths[c.name] = { ...m, nftPath: nftCgroup2Path(cgroups[c.name]!) ?? '' };
  }
  return { mode: 'cgroup2', paths };
}

/**
 * Sets up the classes of every node in `opts.nodes`: the hierarchy (mounted
 * if needed), a class cgroup per class (with its net_cls classid), the htb
 * classes on every interface (keeping each interface's own shaping), and the
 * classification (cls_cgroup where the kernel has it with net_cls, else nft,
 * else iptables). On failure, what was done is undone before the error is thrown.
 * @throws TopologyError for bad classes; KernelError when no classification
 *   works or the kernel refuses a qdisc; NetlabError when mounting fails.
 */
export async function applyClasses(opts: ApplyClassesOptions): Promise<ClassesRecord> {
  const hierarchy = chooseHierarchy(readHostCgroups(), join(opts.runDir, 'net_cls'), opts.prefer);
  const record: ClassesRecord = { lab: opts.lab, hierarchy, nodes: [] };
  const wanted = opts.nodes.filter((n) => Object.keys(n.classes).length > 0);
  if (wanted.length === 0) return record;
  const support = hierarchy.mode === 'net_cls' ? opts.support ?? await probeQdiscSupport() : { clsCgroup: false };
  try {
    mountHierarchy(hierarchy);
    for (const spec of wanted) {
      const planned = planClasses(spec.classes, `nodes.${spec.node}.classes`);
      const nr: ClassesNodeRecord = { node: spec.node, netnsPath: spec.netnsPath, classifier: 'nft', classes: planned, cgroups: {}, createdDirs: [], interfaces: [] };
      record.nodes.push(nr);
      for (const c of planned) {
        const dir = classCgroupDir(hierarchy, opts.lab, spec.node, c.name);
        nr.createdDirs.push(...makeCgroupDirs(dir, hierarchy.root));
        if (hierarchy.mode === 'net_cls') writeClassid(dir, c.classid);
        nr.cgroups[c.name] = dir;
      }
      const match = matchFor(hierarchy, planned, nr.cgroups);
      nr.classifier = support.clsCgroup && hierarchy.mode === 'net_cls' ? 'cls_cgroup'
        : match.mode === 'cgroup2' && Object.values(match.paths).some((p) => !p.nftPath) ? 'iptables' : 'nft';
      for (const i of spec.interfaces) {
        await applyShaping(spec.rtnl, i.ifindex, i.shaping, i.label, { classes: planned, clsCgroup: nr.classifier === 'cls_cgroup', mtu: i.mtu });
        nr.interfaces.push({ ifindex: i.ifindex, label: i.label });
      }
      if (nr.classifier !== 'cls_cgroup') {
        const errs: string[] = [];
        const order = (opts.ruleClassifiers ?? ['nft', 'iptables']).filter((c) => c === 'iptables' || nr.classifier === 'nft');
        let installed = false;
        for (const cl of order) {
          const err = installRules(spec.netnsPath, cl, planned, match);
          if (!err) { nr.classifier = cl; installed = true; break; }
          errs.push(`${cl}: ${err}`);
        }
        if (!installed) {
          throw new KernelError(`classes of node ${spec.node}`, 'install classification rules', 95, 'cls_cgroup (CONFIG_NET_CLS_CGROUP)',
            `neither nft nor iptables could match cgroups here (${errs.join('; ') || 'none tried'}); install nftables or load cls_cgroup`);
        }
      }
    }
  } catch (err) {
    await removeClasses(record, new Map(opts.nodes.map((n) => [n.node, n.rtnl]))).catch(() => undefined);
    throw err;
  }
  return record;
}

/**
 * Undoes applyClasses: classification rules (when the node's namespace still
 * exists), the htb classes (when `rtnls` holds a socket for the node: each
 * interface keeps its own shaping), the class cgroups (processes still inside
 * move to the hierarchy root, resp. the node's cgroup on v2), and the net_cls
 * mount netlab made. Safe to call twice.
 */
export async function removeClasses(record: ClassesRecord, rtnls?: Map<string, Rtnl>): Promise<void> {
  const h = record.hierarchy;
  for (const nr of record.nodes) {
    if (existsSync(nr.netnsPath)) removeRules(nr.netnsPath, nr.classifier);
    const rtnl = rtnls?.get(nr.node);
    if (rtnl) {
      for (const i of nr.interfaces) {
        try {
          const st = await readShaping(rtnl, i.ifindex);
          await applyShaping(rtnl, i.ifindex, st.shaping, i.label, { classes: [], clsCgroup: false });
        } catch { /* interface gone with its node */ }
      }
    }
    const evacuate = h.mode === 'net_cls' ? h.root : nodeCgroupDir(h, record.lab, nr.node);
    removeCgroupDirs(nr.createdDirs, evacuate);
    nr.createdDirs = [];
  }
  unmountHierarchy(h);
}

/**
 * The `cgroup.procs` files a process must be written to (before it opens its
 * sockets) to run in class `className` of `node` — for `netlab exec --class`.
 * @throws TopologyError (UsageError-like, exit 2) naming the classes the node has.
 */
export function classCgroupProcs(record: ClassesRecord, node: string, className: string): string[] {
  const nr = record.nodes.find((n) => n.node === node);
  const dir = nr?.cgroups[className];
  if (!dir) {
    const have = nr ? Object.keys(nr.cgroups).join(', ') : '';
    throw new TopologyError(`nodes.${node}.classes`, `node ${node} has no class "${className}"`, have ? `its classes: ${have}` : 'define classes: on the node');
  }
  return [join(dir, 'cgroup.procs')];
}

/** Moves a running process into a class (its existing net_cls sockets follow; open sockets keep their v2 cgroup). */
export function joinClass(record: ClassesRecord, node: string, className: string, pid: number): void {
  for (const f of classCgroupProcs(record, node, className)) moveToCgroup(join(f, '..'), pid);
}
