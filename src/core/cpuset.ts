/**
 * CPU lists (cpuset(7) "list format": `0-3,8`) and which CPUs this host lets a
 * lab's cgroups use. A node's `resources.cpuset` naming a CPU outside them is
 * refused by the kernel with ERANGE (v2) or EINVAL (v1) on the write of
 * cpuset.cpus — after other nodes started; `up` checks it first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopologyError } from '../errors.js';
import { cpuListProblem } from '../topology/cpuset.js';
import type { CgroupLayout } from './cgroup-layout.js';
import type { Resources } from './types.js';

/** The check of a CPU list lives with the topology format, which checks it first. */
export { cpuListProblem, MAX_CPU } from '../topology/cpuset.js';

/**
 * `"0-2,5"` → [0, 1, 2, 5] (sorted, unique). Pure. An empty or whitespace string is [].
 * @throws Error when cpuListProblem finds one (the loader checks user input first).
 */
export function parseCpuList(text: string): number[] {
  if (!text.trim()) return [];
  const problem = cpuListProblem(text);
  if (problem) throw new Error(`"${text}" is not a CPU list: ${problem}`);
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    const [a, b = a] = part.trim().split('-').map(Number) as [number, number?];
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** [0, 1, 2, 5] → `"0-2,5"`. Pure. */
export function formatCpuList(cpus: number[]): string {
  const parts: string[] = [];
  const s = [...new Set(cpus)].sort((x, y) => x - y);
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The CPUs of `want` (a CPU list) that are not in `have`. Pure. */
export function cpusOutside(want: string, have: number[]): number[] {
  const ok = new Set(have);
  return parseCpuList(want).filter((c) => !ok.has(c));
}

/**
 * The CPUs netlab's cgroups may be given, as a CPU list: the parent cgroup's
 * effective CPUs (v2: `<unified>/cpuset.cpus.effective`; v1: the cpuset root's
 * cpuset.cpus, as detected in `layout`), else /sys/devices/system/cpu/online
 * (Documentation/admin-guide/cgroup-v2.rst "cpuset.cpus.effective").
 * Read-only; '' when nothing can be read.
 */
export function hostCpus(layout: CgroupLayout): string {
  const read = (p: string): string => { try { return readFileSync(p, 'utf8').trim(); } catch { return ''; } };
  if (layout.mode !== 'v2' && layout.cpusetRoot?.cpus) return layout.cpusetRoot.cpus;
  if (layout.unified) {
    const eff = read(join(layout.unified, 'cpuset.cpus.effective'));
    if (eff) return eff;
  }
  return read('/sys/devices/system/cpu/online');
}

/**
 * Every node's `resources.cpuset` must name only CPUs this host gives netlab's
 * cgroups ({@link hostCpus}); the kernel would refuse the write of cpuset.cpus
 * (ERANGE) after other nodes started. `up` checks it before any node starts, not the loader: a
 * topology may be written for a bigger machine. Read-only.
 * @throws TopologyError (exit 2) naming `nodes.X.resources.cpuset` and the CPUs there are.
 */
export function checkCpusets(t: { nodes: { name: string; resources: Resources }[] }, layout: CgroupLayout, have = hostCpus(layout)): void {
  if (!have) return;
  const cpus = parseCpuList(have);
  for (const n of t.nodes) {
    const want = n.resources.cpuset;
    if (want === undefined) continue;
    const missing = cpusOutside(want, cpus);
    if (missing.length) {
      throw new TopologyError(`nodes.${n.name}.resources.cpuset`, `"${want}" names CPU${missing.length === 1 ? '' : 's'} ${formatCpuList(missing)}, but this host gives netlab CPUs ${have} only`,
        `use CPUs from ${have} (e.g. cpuset: "${formatCpuList(cpus.slice(0, 1))}"), or drop the node's cpuset on this machine`);
    }
  }
}
