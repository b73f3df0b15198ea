/**
 * Leak checks that compare only what a suite could have made (issue 14, "tests
 * that depend on the rest of the machine"). leakcheck (../shared/tools/leakcheck)
 * snapshots the whole host; other people's labs on a shared machine change it
 * too (their daemons fork, their cgroups come and go). A suite therefore says
 * which labs are its own (name prefixes, `t-life-`, …), and a difference is
 * forgiven only when it can be shown to belong to another lab:
 *
 * - netns `<lab>.<node>`, cgroups `…/netlab/<lab>…`, mounts under
 *   `/run/netlab/<lab>/`, and processes `netlab-init <lab>/…` of a lab that is
 *   not the suite's, and processes in the pid or net namespace of such a
 *   netlab-init (its daemons, its `netlab exec`s);
 * - host interfaces another lab recorded in its host-object journal
 *   (`/run/netlab/<lab>/host-objects.jsonl`), with their addresses and routes;
 * - an nftables change that is only in other labs' `netlab_<lab>` tables;
 * - the shared machine's per-command cgroups (`…/process_api/<id>`).
 *
 * Everything else stays compared: the suite's own objects, anything no lab
 * owns (a stray veth in the host, an `unshare` left running, a rule), nft and
 * iptables. So the check stays as strict as before for what the suite did
 * (test/unit/leakcheck-scope.test.ts proves a leak is still caught).
 *
 * Pure functions here; test/helpers/kernel.ts runs leakcheck and gathers the context.
 */
import { createHash } from 'node:crypto';

/** What a suite owns. */
export interface LeakScope {
  /** Prefixes of the suite's lab names; a lab whose name starts with none of them is another user's. */
  labs: readonly string[];
}

/** What was true of the rest of the host at a snapshot (gathered by kernel.ts). */
export interface HostContext {
  /** Host interface names recorded by labs outside the scope (their host-object journals). */
  foreignIfaces: readonly string[];
  /** Hash of the nftables ruleset without the tables of labs outside the scope ('' when nft is missing). */
  nftOwn: string;
}

/** leakcheck's snapshot text → section name → lines. Pure. */
export function parseSnapshot(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n')) {
    const head = /^## (\S+)/.exec(line);
    if (head) { section = head[1]!; out.set(section, []); continue; }
    if (section && line !== '') out.get(section)!.push(line);
  }
  return out;
}

/** Lines of `after` not in `before` ('+') and of `before` not in `after` ('-'), counting repeats. Pure. */
function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const l of before) count.set(l, (count.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of after) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1); else added.push(`+${l}`);
  }
  const removed = [...count].flatMap(([l, n]) => Array<string>(n).fill(`-${l}`));
  return [...removed, ...added];
}

const LAB = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/**
 * The differences between two leakcheck snapshots that the suite must answer
 * for, as `section: ±line`; [] when the host is as it was, apart from what
 * other labs did. Pure.
 */
export function scopedLeaks(beforeText: string, afterText: string, scope: LeakScope | undefined, ctx: { before: HostContext; after: HostContext }): string[] {
  const before = parseSnapshot(beforeText);
  const after = parseSnapshot(afterText);
  const own = (lab: string): boolean => !scope || scope.labs.some((p) => lab.startsWith(p));
  const foreignLab = (lab: string | undefined): boolean => lab !== undefined && LAB.test(lab) && !own(lab);
  const ifaces = new Set([...ctx.before.foreignIfaces, ...ctx.after.foreignIfaces]);

  // Namespaces of other labs' netlab-init processes, from both snapshots.
  const foreignNs = new Set<string>();
  for (const snap of [before, after]) {
    for (const line of snap.get('foreign-ns') ?? []) {
      const m = /^netlab-init ([^/\s]+)\//.exec(line);
      if (m && foreignLab(m[1])) for (const ns of nsIds(line)) foreignNs.add(ns);
    }
  }

  const forgiven: Record<string, (line: string) => boolean> = {
    netns: (l) => foreignLab(l.slice(0, Math.max(0, l.indexOf('.')))),
    cgroups: (l) => /\/process_api\/[0-9a-f]+$/.test(l) || foreignLab(/\/netlab\/([^/]+)/.exec(l)?.[1]),
    mounts: (l) => foreignLab(/^\/run\/netlab\/([^/\s]+)\//.exec(l)?.[1]),
    'foreign-ns': (l) => foreignLab(/^netlab-init ([^/\s]+)\//.exec(l)?.[1]) || nsIds(l).some((ns) => foreignNs.has(ns)),
    links: (l) => ifaces.has(l),
    addrs: (l) => ifaces.has(l.split(' ')[0]!),
    routes4: (l) => ifaces.has(/ dev (\S+)/.exec(l)?.[1] ?? ''),
    routes6: (l) => ifaces.has(/ dev (\S+)/.exec(l)?.[1] ?? ''),
    nft: () => ctx.before.nftOwn === ctx.after.nftOwn,
  };
  const out: string[] = [];
  for (const section of new Set([...before.keys(), ...after.keys()])) {
    const keep = forgiven[section] && scope ? (l: string) => !forgiven[section]!(l.slice(1)) : () => true;
    for (const d of lineDiff(before.get(section) ?? [], after.get(section) ?? [])) if (keep(d)) out.push(`${section}: ${d}`);
  }
  if (!scope) return out.filter((l) => !/^cgroups: [-+].*\/process_api\/[0-9a-f]+$/.test(l));
  return out;
}

/** `… [pid:[4026532301] net:[4026532304]]` → ['pid:[4026532301]', 'net:[4026532304]'], leaving out the host's. Pure. */
function nsIds(line: string): string[] {
  return [...line.matchAll(/(pid|net):\[(\d+)\]/g)].map((m) => `${m[1]}:[${m[2]}]`);
}

/**
 * The nftables ruleset (`nft list ruleset` text) without the tables of labs
 * outside the scope (`table ip netlab_<lab> { … }`), hashed. Pure.
 */
export function nftOwnHash(ruleset: string, scope: LeakScope): string {
  const kept: string[] = [];
  let skipping = false;
  for (const line of ruleset.split('\n')) {
    const table = /^table \S+ netlab_([A-Za-z][A-Za-z0-9_-]*) \{/.exec(line);
    if (table && !scope.labs.some((p) => table[1]!.startsWith(p))) { skipping = true; continue; }
    if (skipping) { if (line === '}') skipping = false; continue; }
    if (line.trim()) kept.push(line);
  }
  return createHash('sha256').update(kept.join('\n')).digest('hex').slice(0, 16);
}

/** Host interface names in a lab's host-object journal text (one JSON object per line). Pure. */
export function journalIfaces(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const o = JSON.parse(line) as { kind?: string; name?: string };
      if (o.kind === 'link' && typeof o.name === 'string') out.push(o.name);
    } catch { /* a torn line */ }
  }
  return out;
}
