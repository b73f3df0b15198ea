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

/** A node as the launcher takes it (node.ts builds it from a NodeSpec). */
export interface WireSpec {
  lab: string;
  name: string;
  runDir: string;
  lowerDirs: string[];
  /** Host folders copied once into the launcher's tmpfs and stacked on top of the node's root (top first). */
  layers?: string[];
  hostsFile?: string;
  consoleLog?: string;
  binds: Bind[];
  cgroupDirs: string[];
  uidMap?: IdMapping[];
  gidMap?: IdMapping[];
  stopGraceMs?: number;
  /** false: no seccomp filter (`security: { seccomp: unconfined }`); default true. */
  seccomp?: boolean;
  /** Size cap of the node's upper layer, bytes. */
  upperBytes?: number;
  /** Device rules of the cgroup2 devices program (src/core/devices.ts); absent: no program. */
  deviceRules?: readonly string[];
}

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
  for (const s of specs) {
    field('lab', s.lab);
    field('name', s.name);
    field('run', s.runDir);
    if (s.hostsFile) field('hosts', s.hostsFile);
    if (s.consoleLog) field('log', s.consoleLog);
    if (s.stopGraceMs !== undefined) field('grace', String(Math.max(0, Math.round(s.stopGraceMs))));
    for (const l of s.lowerDirs) field('lower', l);
    for (const l of s.layers ?? []) field('layer', l);
    for (const c of s.cgroupDirs) field('cg', c);
    for (const b of s.binds) {
      if (FORBIDDEN.test(b.source) || FORBIDDEN.test(b.target)) throw new TypeError(`bind ${b.source} → ${b.target} holds a control character`);
      field('bind', `${b.readonly ? 'ro' : 'rw'}\x1f${b.source}\x1f${b.target}`, true);
    }
    if (s.seccomp === false) field('seccomp', 'unconfined');
    if (s.upperBytes !== undefined) field('upper', String(Math.max(4096, Math.round(s.upperBytes))));
    if (s.deviceRules) field('devices', s.deviceRules.join(','));
    for (const m of s.uidMap ?? []) field('uidmap', `${m.inside} ${m.host} ${m.count}`);
    for (const m of s.gidMap ?? []) field('gidmap', `${m.inside} ${m.host} ${m.count}`);
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
