/**
 * The launcher's wire format (native/spec.c and native/launcher.c), pure.
 *
 * In, on netlab-init's stdin: per node, fields "key=value\0" and an empty field
 * "\0" to end the record:
 *   lab, name, run, hosts, log, grace   once
 *   lower, cg, layer                    repeated, in order
 *   bind     "ro\x1fSRC\x1fDST" | "rw\x1fSRC\x1fDST"
 *   uidmap, gidmap   "INSIDE HOST COUNT", repeated (a user namespace)
 *   seccomp  "default" | "unconfined";  upper  bytes;  devices  "c 1:3 rwm,…"
 * Out, on its stdout, one line per node as it finishes (tab-separated):
 *   ok IDX PID STARTTIME  |  err IDX ERRNO STEP OBJECT  |  fatal MESSAGE
 */
import type { Bind } from './types.js';

/** One uid or gid range of a user namespace (user_namespaces(7), uid_map). */
export interface IdMapping {
  /** First id inside the node. */
  inside: number;
  /** First id on the host. */
  host: number;
  count: number;
}

/**
 * What a node is, as both the caller (NodeSpec, src/core/node.ts) and the
 * launcher (WireSpec) see it: one list of fields, so the two cannot drift.
 * Paths are host paths unless said otherwise.
 */
export interface LaunchFields {
  lab: string;
  /** Node name: the hostname inside (at most 64 bytes, sethostname(2)). */
  name: string;
  /**
   * The node's run directory on the host (/run/netlab/<lab>/nodes/<node>).
   * When `<runDir>/upper` exists, its files (with mode and owner) are copied
   * into the node's upper layer at start: that is how a lab puts configs into
   * a node before it runs. Nothing else is created there: a node's upper and
   * work dirs live on a private tmpfs, so its changes are in memory and gone
   * when it stops.
   */
  runDir: string;
  /** Overlay lower dirs, top first; NodeSpec: empty means ['/'] (the host's root, read-only view). */
  lowerDirs: string[];
  /**
   * Host folders whose files appear on top of the node's root (top first): a
   * Kathará device folder, netlab's compat commands. The launcher copies each
   * distinct folder once per start into its in-memory layer store and every
   * node that names it shares that copy (overlayfs refuses a lower layer that
   * lies inside another lower's tree, as a lab folder inside the host's "/").
   */
  layers?: string[];
  /** The lab's hosts file: copied once per lab into a layer under every node, as /etc/hosts. */
  hostsFile?: string;
  /** Host paths bound into the node (mount points are created). */
  binds: Bind[];
  /** Cgroup dirs to join before anything runs, from cgroups.ts nodeCgroupDirs (a missing one: its parent). */
  cgroupDirs: string[];
  /** File PID 1 appends its diagnostics to (may be shared by every node of a lab). */
  consoleLog?: string;
  /** SIGTERM to PID 1: how long its processes get before SIGKILL, ms (default 3000). */
  stopGraceMs?: number;
  /** false: no seccomp filter (`security: { seccomp: unconfined }`; native/seccomp-gen.c lists what it refuses); default true. */
  seccomp?: boolean;
  /** Size cap of the node's upper layer (its tmpfs), bytes; default: the kernel's (half of RAM). */
  upperBytes?: number;
  /** Devices the node may use, cgroup v2 (src/core/devices.ts rules; the launcher's BPF program); absent: no program. */
  deviceRules?: readonly string[];
}

/** A node as the launcher takes it (node.ts builds it from a NodeSpec): its fields and its user namespace's maps. */
export interface WireSpec extends LaunchFields {
  uidMap?: IdMapping[];
  gidMap?: IdMapping[];
}

/**
 * The wire key of each field of WireSpec: the names native/spec.c's field()
 * reads. The compiler refuses a WireSpec field without a key here, and a unit
 * test (test/unit/core-wire.test.ts) refuses a key the C parser does not know.
 */
export const WIRE_KEYS = {
  lab: 'lab', name: 'name', runDir: 'run', hostsFile: 'hosts', consoleLog: 'log', stopGraceMs: 'grace',
  lowerDirs: 'lower', layers: 'layer', cgroupDirs: 'cg', binds: 'bind', seccomp: 'seccomp', upperBytes: 'upper',
  deviceRules: 'devices', uidMap: 'uidmap', gidMap: 'gidmap',
} as const satisfies Record<keyof WireSpec, string>;

/** What one launcher output line says. */
export type LaunchEvent =
  | { kind: 'ok'; idx: number; pid: number; startTime: number }
  | { kind: 'err'; idx: number; errno: number; step: string; object: string }
  | { kind: 'fatal'; message: string };

/** Characters a field cannot hold: NUL ends a field, 0x1f splits binds, newline splits output lines. */
const FORBIDDEN = /[\0\x1f\n]/;

/**
 * Encodes specs for netlab-init --launch. Pure.
 * @throws TypeError when a name or path holds NUL, 0x1f or a newline
 *   (callers validate names long before; this is the last guard).
 */
export function encodeSpecs(specs: WireSpec[]): Buffer {
  const parts: string[] = [];
  const field = (key: string, value: string, raw = false): void => {
    if (!raw && FORBIDDEN.test(value)) throw new TypeError(`${key} "${value.replace(/[\0-\x1f]/g, '?')}" holds a control character netlab cannot pass on`);
    parts.push(`${key}=${value}\0`);
  };
  const K = WIRE_KEYS;
  for (const s of specs) {
    field(K.lab, s.lab);
    field(K.name, s.name);
    field(K.runDir, s.runDir);
    if (s.hostsFile) field(K.hostsFile, s.hostsFile);
    if (s.consoleLog) field(K.consoleLog, s.consoleLog);
    if (s.stopGraceMs !== undefined) field(K.stopGraceMs, String(Math.max(0, Math.round(s.stopGraceMs))));
    for (const l of s.lowerDirs) field(K.lowerDirs, l);
    for (const l of s.layers ?? []) field(K.layers, l);
    for (const c of s.cgroupDirs) field(K.cgroupDirs, c);
    for (const b of s.binds) {
      if (FORBIDDEN.test(b.source) || FORBIDDEN.test(b.target)) throw new TypeError(`bind ${b.source} → ${b.target} holds a control character`);
      field(K.binds, `${b.readonly ? 'ro' : 'rw'}\x1f${b.source}\x1f${b.target}`, true);
    }
    if (s.seccomp === false) field(K.seccomp, 'unconfined');
    if (s.upperBytes !== undefined) field(K.upperBytes, String(Math.max(4096, Math.round(s.upperBytes))));
    if (s.deviceRules) field(K.deviceRules, s.deviceRules.join(','));
    for (const m of s.uidMap ?? []) field(K.uidMap, `${m.inside} ${m.host} ${m.count}`);
    for (const m of s.gidMap ?? []) field(K.gidMap, `${m.inside} ${m.host} ${m.count}`);
    parts.push('\0');
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** Parses one output line of the launcher; undefined for an empty or unknown line. Pure. */
export function parseLaunchLine(line: string): LaunchEvent | undefined {
  const f = line.split('\t');
  if (f[0] === 'ok' && f.length >= 4) return { kind: 'ok', idx: Number(f[1]), pid: Number(f[2]), startTime: Number(f[3]) };
  if (f[0] === 'err' && f.length >= 5) return { kind: 'err', idx: Number(f[1]), errno: Number(f[2]), step: f[3]!, object: f.slice(4).join('\t') };
  if (f[0] === 'fatal') return { kind: 'fatal', message: f.slice(1).join('\t') };
  return undefined;
}
