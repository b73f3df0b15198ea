/**
 * What a bad input must get from netlab: the verdict of one `load + plan`
 * (what `netlab up --dry-run` does), and the problems with it.
 *
 *   refused   a NetlabError with exit code 2, a key path, a hint, a message
 *             of sane length (an echoed value is cut) without "null" for NaN
 *   accepted  a Topology whose names, numbers and addresses are ones the
 *             kernel takes (the invariants below), and a plan
 *   crash     anything else thrown: a stack trace for the user
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzInput } from './generator.js';

/** The functions under test (from this build, or from another one to compare): what `netlab up --dry-run` calls. */
export interface Subject {
  loadTopology(path: string, options: { env: Record<string, string> }): unknown;
  plan(topology: never): unknown;
  /** Prints the plan (absent in builds that did not export it). */
  formatPlan?(plan: never): string;
}

/** The outcome of one input. */
export interface Verdict {
  index: number;
  label: string;
  outcome: 'accepted' | 'refused' | 'crash';
  ms: number;
  path?: string;
  message?: string;
  hint?: string;
  exitCode?: number;
  stack?: string;
  /** What is wrong with the outcome; empty when it is right. */
  problems: string[];
}

/** Environment the inputs' ${VAR}s see. */
export const FUZZ_ENV: Record<string, string> = { FUZZ: 'x', NUM: '42', EMPTY: '' };

/** Longest message netlab should print for one error (echoed values are cut). */
export const MESSAGE_MAX = 1000;

/**
 * Writes the input where netlab will read it and returns the path to load:
 * `dir/in-<index>.yaml`, or a special path (a directory, /dev/zero, a FIFO, '').
 */
export function materialise(input: FuzzInput, dir: string): string {
  switch (input.special) {
    case 'dir': { const d = join(dir, `dir-${input.index}.yaml`); mkdirSync(d, { recursive: true }); return d; }
    case 'dev-zero': return '/dev/zero';
    case 'fifo': { const f = join(dir, `fifo-${input.index}.yaml`); if (!existsSync(f)) execFileSync('mkfifo', [f]); return f; }
    case 'empty-path': return '';
    case 'missing': return join(dir, `missing-${input.index}.yaml`);
    default: { const f = join(dir, `in-${input.index}.yaml`); writeFileSync(f, input.bytes ?? Buffer.alloc(0)); return f; }
  }
}

function isUtf8(b: Buffer): boolean {
  try { new TextDecoder('utf-8', { fatal: true }).decode(b); return true; } catch { return false; }
}

/** Loads and plans one input, and judges the outcome. */
export function judge(subject: Subject, input: FuzzInput, file: string): Verdict {
  const t0 = performance.now();
  const v: Verdict = { index: input.index, label: input.label, outcome: 'accepted', ms: 0, problems: [] };
  let topology: unknown;
  try {
    topology = subject.loadTopology(file, { env: FUZZ_ENV });
    const p = subject.plan(topology as never);
    subject.formatPlan?.(p as never);
  } catch (err) {
    v.ms = performance.now() - t0;
    const e = err as { exitCode?: unknown; where?: unknown; hint?: unknown; message?: unknown; stack?: unknown };
    if (err instanceof Error && typeof e.exitCode === 'number' && typeof e.where === 'string') {
      v.outcome = 'refused';
      v.exitCode = e.exitCode;
      v.path = e.where;
      v.message = String(e.message);
      v.hint = String(e.hint ?? '');
      if (v.exitCode !== 2) v.problems.push(`exit code ${v.exitCode}, not 2`);
      if (!v.path) v.problems.push('no key path');
      if (!v.hint) v.problems.push('no hint');
      if (v.message.length + v.path.length > MESSAGE_MAX) v.problems.push(`a message of ${v.message.length + v.path.length} characters`);
      const text = input.bytes?.toString('latin1') ?? '';
      if (/\bnull\b/.test(v.message) && /\.nan/i.test(text) && !/\bnull\b/.test(text)) v.problems.push('prints null for NaN');
    } else {
      v.outcome = 'crash';
      v.stack = err instanceof Error ? String(err.stack) : String(err);
      v.problems.push(`crash: ${v.stack.split('\n')[0]}`);
    }
    return v;
  }
  v.ms = performance.now() - t0;
  if (input.bytes && !isUtf8(input.bytes) && !(input.bytes[0] === 0xff && input.bytes[1] === 0xfe)) v.problems.push('accepted a file that is not UTF-8');
  v.problems.push(...invariants(topology));
  return v;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Lab names may also start with a digit (containerlab's 2-linux-nodes; issue 16). */
const LAB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const IFNAME_BAD = /[/:\s\0]/;

/** What must hold in every Topology netlab accepts (the kernel's limits, and netlab's own). */
export function invariants(topology: unknown): string[] {
  const out: string[] = [];
  const t = topology as {
    name: string; mtu: number;
    nodes: { name: string; interfaces: { name: string; mtu: number; ipv4?: string; shaping?: Record<string, number | string> }[];
      resources: Record<string, number | string>; classes: Record<string, unknown>; routes: unknown[]; sysctls: Record<string, string> }[];
    links: { kind: string; host?: { iface: string }; segment?: string }[];
    mgmt?: { bridge: string; iface: string; network: string };
  };
  const ifname = (n: string, what: string): void => {
    const bytes = Buffer.byteLength(n);
    if (bytes < 1 || bytes > 15 || IFNAME_BAD.test(n) || n === '.' || n === '..' || n === 'lo') out.push(`${what} "${n.slice(0, 40)}" is not a usable interface name`);
  };
  if (!LAB_NAME.test(t.name) || Buffer.byteLength(t.name) > 32) out.push(`lab name "${t.name.slice(0, 40)}" accepted`);
  for (const n of t.nodes) {
    if (!NAME.test(n.name) || Buffer.byteLength(n.name) > 63) out.push(`node name "${n.name.slice(0, 40)}" accepted`);
    for (const i of n.interfaces) {
      ifname(i.name, `interface of ${n.name}`);
      if (!(i.mtu >= 68 && i.mtu <= 65535)) out.push(`MTU ${i.mtu} accepted`);
      for (const [k, x] of Object.entries(i.shaping ?? {})) if (typeof x === 'number' && !Number.isFinite(x)) out.push(`shaping ${k} ${x} accepted`);
      if (i.ipv4?.startsWith('0.') || i.ipv4?.startsWith('127.')) out.push(`address ${i.ipv4} accepted`);
    }
    for (const [k, x] of Object.entries(n.resources)) {
      if (typeof x === 'number' && (!Number.isFinite(x) || x > Number.MAX_SAFE_INTEGER || x <= 0)) out.push(`resources.${k} ${x} accepted`);
    }
    for (const [k, x] of Object.entries(n.sysctls)) if (!/^[\x20-\x7e]*$/.test(x) || x.length > 256) out.push(`sysctl ${k} value of ${x.length} characters accepted`);
    if (Object.keys(n.classes).length > 65_534) out.push(`${Object.keys(n.classes).length} classes on one node accepted`);
  }
  for (const l of t.links) {
    if (l.host) ifname(l.host.iface, 'host interface');
    if (l.segment !== undefined) ifname(l.segment, 'LAN bridge');
  }
  if (t.mgmt) { ifname(t.mgmt.bridge, 'mgmt bridge'); ifname(t.mgmt.iface, 'mgmt interface'); if (t.mgmt.network.startsWith('127.')) out.push('mgmt network in 127/8 accepted'); }
  return out;
}
