/**
 * The devices a node may use: a default allow-list (what every node gets in
 * its /dev, see native/skeleton.c) plus what `resources.devices` adds. The
 * kernel enforces it on every open and mknod of a device node, also of one a
 * node finds through a devtmpfs it mounts itself, and when a block device is
 * mounted: cgroup v1 through the devices controller's devices.deny/allow
 * files (src/core/cgroups.ts), cgroup v2 through a BPF_CGROUP_DEVICE program
 * (native/devices.c) — on a hybrid host both.
 *
 * A rule is a line of v1's devices.allow (Documentation/admin-guide/cgroup-v1/devices.rst):
 * `TYPE MAJOR:MINOR ACCESS` — type c (char), b (block) or a (both); major and
 * minor a number or `*`; access a subset of r (read), w (write), m (mknod).
 * Device numbers are in Documentation/admin-guide/devices.txt.
 */
import { realpathSync, statSync } from 'node:fs';
import { TopologyError } from '../errors.js';
import type { Bind } from './types.js';
import type { DeviceSpec } from '../topology/devices.js';

/** The allow-list of every node: the device nodes of its /dev, its devpts (ptmx, pts/N) and /dev/net/tun. */
export const DEFAULT_DEVICE_RULES: readonly string[] = [
  'c 1:3 rwm', //   /dev/null
  'c 1:5 rwm', //   /dev/zero
  'c 1:7 rwm', //   /dev/full
  'c 1:8 rwm', //   /dev/random
  'c 1:9 rwm', //   /dev/urandom
  'c 5:0 rwm', //   /dev/tty
  'c 5:2 rwm', //   /dev/ptmx (the node's devpts instance)
  'c 136:* rwm', // /dev/pts/N
  'c 10:200 rwm', // /dev/net/tun
];

export { parseDeviceEntry, type DeviceSpec } from '../topology/devices.js';

/** What the host says about a path: stat(2) of its real path. Swappable for tests. */
export interface DeviceStat {
  realpath(path: string): string;
  stat(path: string): { isCharacterDevice(): boolean; isBlockDevice(): boolean; rdev: number };
}

const hostFs: DeviceStat = { realpath: (p) => realpathSync(p), stat: (p) => statSync(p) };

/** major and minor of a dev_t as stat(2) gives it (glibc's gnu_dev_major/gnu_dev_minor, sys/sysmacros.h). Pure. */
export function devMajorMinor(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xfffff000n)),
    minor: Number((d & 0xffn) | ((d >> 12n) & 0xffffff00n)),
  };
}

/**
 * A node's device allow-list: the default rules, then its `resources.devices`
 * resolved on this host (a path → the device's type and major:minor, at `up`,
 * since device numbers belong to the machine), and the bind mounts that make
 * the named devices appear in the node at the same path.
 * @param where key path of the node's devices list, e.g. `nodes.vm1.resources.devices`.
 * @throws TopologyError naming the entry when a path is missing or is not a device.
 */
export function nodeDevices(devices: DeviceSpec[] | undefined, where: string, fs: DeviceStat = hostFs): { rules: string[]; binds: Bind[] } {
  const rules = [...DEFAULT_DEVICE_RULES];
  const binds: Bind[] = [];
  (devices ?? []).forEach((d, i) => {
    if ('rule' in d) {
      if (!rules.includes(d.rule)) rules.push(d.rule);
      return;
    }
    let real: string;
    let st: ReturnType<DeviceStat['stat']>;
    try {
      real = fs.realpath(d.path);
      st = fs.stat(real);
    } catch {
      throw new TopologyError(`${where}[${i}]`, `device ${d.path} does not exist on this host`,
        'load its driver first (e.g. modprobe kvm_intel for /dev/kvm), or drop the entry');
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) {
      throw new TopologyError(`${where}[${i}]`, `${d.path} is not a device node${real !== d.path ? ` (it leads to ${real})` : ''}`,
        'name a character or block device under /dev; for files and folders use binds:');
    }
    const { major, minor } = devMajorMinor(st.rdev);
    const rule = `${st.isBlockDevice() ? 'b' : 'c'} ${major}:${minor} ${d.access}`;
    if (!rules.includes(rule)) rules.push(rule);
    binds.push({ source: real, target: d.path, readonly: false });
  });
  return { rules, binds };
}

/**
 * The rules every node of a lab needs together (their union, in first-seen
 * order): the lab's cgroup carries these, each node's own cgroup its own list.
 * Pure.
 */
export function labDeviceRules(nodeRules: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const rules of nodeRules) for (const r of rules) if (!out.includes(r)) out.push(r);
  return out;
}
