/**
 * Kathará's lab files, parsed as Kathará parses them (Kathará
 * src/Kathara/parser/netkit/LabParser.py and DepParser.py; kathara-lab.conf(5),
 * kathara-lab.dep(5)). Pure: text in, data out.
 *
 * lab.conf is a list of `device[arg]=value` lines: a number `arg` attaches
 * interface eth<arg> to the collision domain `value` (optionally `CD/MAC`),
 * any other `arg` is a device option (image, mem, cpus, …; `exec`, `sysctl`,
 * `env` and `port` may repeat). `LAB_NAME=`, `LAB_DESCRIPTION=`, … give
 * metadata; `#` starts a comment line.
 */
import { TopologyError } from '../errors.js';

/** One device of a lab.conf. */
export interface KatharaDevice {
  name: string;
  /** Line of its first mention (1-based). */
  line: number;
  /** Interface number → collision domain (and optional MAC), with the line that set it. */
  interfaces: Map<number, { cd: string; mac?: string; line: number }>;
  /** Single-valued options (image, mem, cpus, bridged, ipv6, shell, …) with their line. */
  options: Map<string, { value: string; line: number }>;
  /** Repeatable options, in file order. */
  exec: string[];
  sysctls: [string, string, number][];
  envs: [string, string, number][];
  ports: [string, number][];
}

/** A parsed lab.conf. */
export interface KatharaLab {
  /** LAB_NAME, LAB_DESCRIPTION, LAB_VERSION, LAB_AUTHOR, LAB_EMAIL, LAB_WEB (key without LAB_, lower case). */
  meta: Record<string, string>;
  /** Devices in order of first mention. */
  devices: KatharaDevice[];
  /** Lines that set an option a second time (Kathará warns and keeps the last). */
  overwritten: { device: string; option: string; line: number }[];
}

const LINE = /^([a-z0-9_]{1,30})\[(\w+)\]=(["']?)([^"']+)\3(\s+#.*)?$/;
const META = ['LAB_NAME', 'LAB_DESCRIPTION', 'LAB_VERSION', 'LAB_AUTHOR', 'LAB_EMAIL', 'LAB_WEB'];
/** Options that repeat (Machine.add_meta in Kathará). */
const REPEATED = new Set(['exec', 'sysctl', 'env', 'port']);

/**
 * Parses lab.conf text.
 * @param file name for messages (`lab.conf`).
 * @throws TopologyError `lab.conf:N` for a line Kathará would refuse.
 */
export function parseLabConf(text: string, file = 'lab.conf'): KatharaLab {
  const lab: KatharaLab = { meta: {}, devices: [], overwritten: [] };
  const byName = new Map<string, KatharaDevice>();
  const device = (name: string, line: number): KatharaDevice => {
    let d = byName.get(name);
    if (!d) {
      d = { name, line, interfaces: new Map(), options: new Map(), exec: [], sysctls: [], envs: [], ports: [] };
      byName.set(name, d);
      lab.devices.push(d);
    }
    return d;
  };
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const n = i + 1;
    const where = `${file}:${n}`;
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) {
      const meta = META.find((k) => line.startsWith(`${k}=`));
      if (!meta) {
        throw new TopologyError(where, `"${line}" is not a lab.conf line`,
          'write device[N]=CD (interface ethN on collision domain CD), device[option]=value, or LAB_DESCRIPTION=…; # starts a comment');
      }
      lab.meta[meta.slice(4).toLowerCase()] = line.slice(meta.length + 1).replace(/["']/g, '').trim();
      return;
    }
    const [, name, arg, , value] = m as unknown as [string, string, string, string, string];
    const d = device(name, n);
    if (/^\d+$/.test(arg)) {
      const num = Number(arg);
      const cd = /^(\w+)(?:\/([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}))?$/.exec(value.trim());
      if (!cd) throw new TopologyError(where, `collision domain "${value}" of ${name}[${arg}] contains characters other than letters, digits and _`, 'name collision domains with letters, digits and _ (optionally CD/02:00:00:00:00:01 for a MAC)');
      if (d.interfaces.has(num)) throw new TopologyError(where, `interface eth${num} of ${name} is already on collision domain ${d.interfaces.get(num)!.cd} (line ${d.interfaces.get(num)!.line})`, 'give each interface one collision domain');
      const other = [...d.interfaces.entries()].find(([, v]) => v.cd === cd[1]);
      if (other) throw new TopologyError(where, `${name} is already on collision domain ${cd[1]} (eth${other[0]}, line ${other[1].line})`, 'a device joins a collision domain once, as in Kathará');
      d.interfaces.set(num, { cd: cd[1]!, ...(cd[2] ? { mac: cd[2].toLowerCase() } : {}), line: n });
      return;
    }
    const v = value.trim();
    if (REPEATED.has(arg)) {
      if (arg === 'exec') d.exec.push(v);
      else if (arg === 'port') d.ports.push([v, n]);
      else {
        const kv = /^([^=]+)=(.*)$/.exec(v);
        if (!kv) throw new TopologyError(where, `${name}[${arg}]="${v}" is not KEY=VALUE`, arg === 'sysctl' ? 'write e.g. r1[sysctl]="net.ipv4.tcp_ecn=1"' : 'write e.g. r1[env]="NAME=value"');
        if (arg === 'sysctl' && !/^net\.([\w-]+\.)+[\w-]+$/.test(kv[1]!.trim())) {
          throw new TopologyError(where, `sysctl ${kv[1]} is not in the net. namespace`, 'only net.* sysctls belong to a device (Kathará refuses the others too)');
        }
        (arg === 'sysctl' ? d.sysctls : d.envs).push([kv[1]!.trim(), kv[2]!.trim(), n]);
      }
      return;
    }
    if (d.options.has(arg)) lab.overwritten.push({ device: name, option: arg, line: n });
    d.options.set(arg, { value: v, line: n });
  });
  for (const d of lab.devices) {
    const nums = [...d.interfaces.keys()].sort((a, b) => a - b);
    nums.forEach((num, i) => {
      if (num !== i) {
        throw new TopologyError(`${file}:${d.interfaces.get(num)!.line}`, `${d.name} has eth${num} but no eth${i}`,
          `Kathará numbers a device's interfaces from eth0 without gaps: add ${d.name}[${i}]=… or renumber`);
      }
    });
  }
  return lab;
}

/**
 * Parses lab.dep (`device: dep1 dep2 …` per line): which devices start
 * after which. Returns device → the devices it waits for.
 * @throws TopologyError `lab.dep:N` for a bad line or a dependency loop.
 */
export function parseLabDep(text: string, file = 'lab.dep'): Map<string, { after: string[]; line: number }> {
  const deps = new Map<string, { after: string[]; line: number }>();
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\w+):\s?((?:\w+ ?)+)$/.exec(line);
    if (!m) throw new TopologyError(`${file}:${i + 1}`, `"${line}" is not a lab.dep line`, 'write device: other1 other2 (device starts after other1 and other2)');
    deps.set(m[1]!, { after: m[2]!.trim().split(/\s+/), line: i + 1 });
  });
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: string, trail: string[]): void => {
    if (state.get(d) === 'done') return;
    if (state.get(d) === 'visiting') {
      const loop = [...trail.slice(trail.indexOf(d)), d];
      throw new TopologyError(`${file}:${deps.get(d)?.line ?? 1}`, `the devices wait for each other in a loop: ${loop.join(' → ')}`, 'remove one of these dependencies');
    }
    state.set(d, 'visiting');
    for (const a of deps.get(d)?.after ?? []) visit(a, [...trail, d]);
    state.set(d, 'done');
  };
  for (const d of deps.keys()) visit(d, []);
  return deps;
}
