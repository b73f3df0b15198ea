/**
 * kind: frr — an FRRouting router, run from the FRR the node sees in its lower
 * root (the host's Debian `frr` package by default: /usr/lib/frr, vtysh).
 *
 * How it starts, and why this way. The package's path is frrinit.sh (what
 * frr.service's ExecStart runs): it reads /etc/frr/daemons and starts
 * watchfrr, whose first act is `watchfrr.sh restart all` — bash sourcing
 * frrcommon.sh again, stopping every daemon, starting each with -d, then
 * `vtysh -b` to load frr.conf. None of it needs systemd, and it works in a
 * node (netlab used it first). netlab does only what a router needs, in one
 * shell script per node: start each daemon the config uses the way
 * frrcommon.sh's daemon_start does (`/usr/lib/frr/<d> -d -F traditional
 * <d>_options`; `-d` returns once the daemon listens, and the script waits
 * until it has read its file), each with its own part of frr.conf (`-f`,
 * src/daemons/frr-split.ts) — a frr.conf with lines the split does not know
 * is loaded whole with `vtysh -b`.
 * No staticd without static routes, no watchfrr: a crashed daemon stays down
 * and `netlab status` (health()) shows it. Measured per router (docs/performance.md):
 * vtysh costs ~50–60 ms of CPU each time it starts (it builds every daemon's
 * command tree), `vtysh -b` plus `show watchfrr` were most of a router's start.
 * What systemd's tmpfiles would otherwise provide is done first: /run/frr,
 * /var/lib/frr, /var/log/frr owned by frr:frr (the node's /run is a fresh
 * tmpfs); /var/lib/frr, /var/log/frr and /var/tmp/frr are also written into the node's upper
 * layer, owned by frr, so that the node's root (a user namespace) can make
 * them its own even where the host's files could not be idmapped.
 * The node's PID 1 reaps everything. /etc/frr/daemons is still written, so
 * `frrinit.sh restart` inside the node starts the same set (with watchfrr).
 */
import { readFileSync } from 'node:fs';
import { NetlabError, TopologyError } from '../errors.js';
import type { Node, Topology } from '../topology/types.js';
import { checkOnHost, configSource, indent, userConfig } from './config.js';
import { startCmd } from './cmd.js';
import { daemonOptions, detectDaemons, FRR_DAEMONS, FRR_LOG, renderDaemonsFile, type FrrDaemon, type FrrDaemonSet } from './frr-daemons.js';
import { daemonConfPath, splitFrrConf } from './frr-split.js';
import { frrRoutes } from './frr-routes.js';
import { frrState } from './frr-state.js';
import { renderFrrConf, VTYSH_CONF } from './frr-conf.js';
import type { DaemonHealth, Kind, NodeContext, NodeFile } from './kind.js';
import { frrIfaceTimers } from './peers.js';
import { poll, PollTimeout, type PollResult } from './poll.js';

const MiB = 1024 ** 2;

/** The node's frr.conf text: the user's config unchanged, or generated from ospf:/bgp:. */
export function frrConfText(node: Node, t: Topology): string {
  return userConfig(node) ?? renderFrrConf(node, t);
}

/**
 * The script start() runs in the node. Exit codes: 10 directories, 11 the
 * dry run rejects frr.conf (nothing started), 12 a daemon binary is missing,
 * 13 a daemon did not start, 14 a config line was rejected (`vtysh -b`'s
 * output, or the daemons' own "on config line" log lines). Every daemon starts
 * with `-d`, which returns once the daemon listens (libfrr's frr_daemonize
 * waits for the child); with split configs the script then waits until each
 * daemon has read its file (its main thread sleeps in poll), so the script's
 * success is the router's readiness: nothing is polled afterwards.
 * @param dryRun check frr.conf with `vtysh -C` before starting anything (user
 *   configs, and generated ones with free-form options).
 * @param split each daemon reads its own /etc/frr/<daemon>.conf (`-f`,
 *   src/daemons/frr-split.ts) instead of one `vtysh -b` over frr.conf.
 */
export function frrStartScript(set: FrrDaemonSet, dryRun: boolean, split = false): string {
  const common = `-F traditional --log file:${FRR_LOG}`;
  const lines = [
    `ulimit -n ${FRR_MAX_FDS}`,
    'install -d -o frr -g frr -m 0755 /run/frr /var/lib/frr /var/log/frr /var/tmp/frr || exit 10',
    // The log belongs to frr, as the package makes it: a `log file` line of the config reopens it after the daemons dropped root.
    `[ -e ${FRR_LOG} ] || : > ${FRR_LOG}; chown frr:frr ${FRR_LOG}; chmod 0640 ${FRR_LOG}`,
  ];
  if (dryRun) lines.push('out=$(vtysh -C -f /etc/frr/frr.conf 2>&1) || { printf "%s\\n" "$out" >&2; exit 11; }');
  lines.push(`for d in ${set.daemons.join(' ')}; do [ -x "/usr/lib/frr/$d" ] || { echo "$d" >&2; exit 12; }; done`);
  for (const d of set.daemons) {
    const instances = set.instances[d];
    for (const inst of instances ?? [undefined]) {
      const name = inst === undefined ? d : `${d}-${inst}`;
      const conf = split ? ` -f ${daemonConfPath(d)}` : '';
      lines.push(`/usr/lib/frr/${d} -d${conf} ${common}${inst === undefined ? '' : ` -n ${inst}`} ${daemonOptions(d)} || { echo ${name} >&2; exit 13; }`);
    }
  }
  if (split) {
    // `-d` returns when the daemon enters its event loop, whose first event reads the config file (lib/libfrr.c:
    // frr_config_fork queues frr_config_read_in, frr_run detaches first); the loop writes its buffered log lines
    // before it first sleeps in poll (lib/event.c fd_poll). So wait, per daemon, until its main thread sleeps in
    // poll (state S in /proc/PID/stat, "…poll…" in /proc/PID/wchan: builtin reads, no process) — the loop's
    // first poll, with the config event still queued, does not sleep — and only then look for refused lines.
    // A sleeping daemon whose wchan the kernel hides ("0") counts as done; one that is gone ends the wait.
    lines.push(
      'read_in() { n=0; while [ $n -lt 20000 ]; do s=; w=; read -r s < "/proc/$1/stat" 2>/dev/null || [ -n "$s" ] || return; s=${s##*) }; read -r w < "/proc/$1/wchan" 2>/dev/null; case ${s%% *}:$w in S:*poll*|S:0) return;; esac; n=$((n+1)); done; }',
      `for d in ${set.daemons.join(' ')}; do p=; read -r p < "/run/frr/$d.pid" && read_in "$p"; done`);
    // A daemon started with -d has no stdout left when it reads its file: the log keeps only "… on config line N",
    // FRR's reason ("BGP is already running; AS is …") comes from the same file read again with -C (failures only).
    const why = set.daemons.map((d) => `/usr/lib/frr/${d} -C -f ${daemonConfPath(d)} -F traditional --log file:/dev/null 2>&1 >/dev/null`).join('; ');
    lines.push(`out=$(grep ' on config line ' ${FRR_LOG}) && { why=$(${why}); printf "%s\\n" "\${why:-$out}" >&2; exit 14; }`, 'exit 0');
  }
  else lines.push('out=$(vtysh -b 2>&1) || { printf "%s\\n" "$out" >&2; exit 14; }');
  return lines.join('\n');
}

/**
 * RLIMIT_NOFILE of FRR's daemons: what the package's daemons file suggests
 * (MAX_FDS=1024 in /etc/frr/daemons) instead of the host's limit, which FRR
 * sizes per-thread tables by (lib/thread.c: one slot per possible fd) and
 * warns about when it is huge (containerlab#2217). A router has one socket per
 * interface and peer: 1,024 is ample for a lab.
 */
export const FRR_MAX_FDS = 1024;

/** The daemons an /etc/frr/daemons file enables (instances as `ospfd-2`), plus zebra. */
export function parseDaemonsFile(text: string): string[] {
  const yes = new Set(['zebra']);
  const inst = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9]+)=(.*)$/.exec(line.trim());
    if (m && !['no', '0', ''].includes(m[2]!.replace(/"/g, ''))) yes.add(m[1]!);
    const i = /^([a-z0-9]+)_instances="?([0-9,]+)"?$/.exec(line.trim());
    if (i) inst.set(i[1]!, i[2]!.split(',').filter(Boolean));
  }
  return FRR_DAEMONS.filter((d) => yes.has(d)).flatMap((d) => inst.get(d)?.map((n) => `${d}-${n}`) ?? [d]);
}

/** FRR's output without the lines that say nothing about the config (vtysh.conf permissions, this kernel's missing MPLS), blank lines dropped. */
function frrSaid(out: string): string {
  return out.split('\n').filter((l) => l.trim() && !l.includes('vtysh.conf due to') && !l.includes('Disabling MPLS')).join('\n');
}

/** Last `lines` lines of the FRR log inside the node, for error messages. */
async function logTail(ctx: NodeContext, lines = 8): Promise<string> {
  const r = await ctx.exec(['tail', '-n', String(lines), FRR_LOG], { timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.trim() : '';
}

const owned = { mode: 0o640, owner: 'frr', group: 'frr' } as const;
const frrDir = { content: '', directory: true, mode: 0o755, owner: 'frr', group: 'frr' } as const;

/** What start() returns: every daemon was started with `-d`, so FRR is ready when start() succeeds. */
export interface FrrStarted { ready: true }

/**
 * Whether start() checks frr.conf with `vtysh -C` before starting FRR: always
 * for the user's config; for a generated one only when it carries free-form
 * `options:` (everything else netlab writes is checked by its tests, and the
 * daemons still report any line they refuse).
 */
export function needsDryRun(node: Node): boolean {
  if (node.config) return true;
  const opts = [node.ospf?.options, node.bgp?.options, ...(node.bgp?.neighbors.map((n) => n.options) ?? [])];
  return opts.some((o) => o !== undefined && Object.keys(o).length > 0);
}

/** The node's daemons, and their own configs when its frr.conf (generated or the user's) can be split (else null). */
function frrPlan(node: Node, t: Topology): { text: string; set: FrrDaemonSet; split: Map<FrrDaemon, string> | null } {
  const text = frrConfText(node, t);
  const set = node.daemons ? chosenDaemons(node, text) : detectDaemons(text);
  return { text, set, split: splitFrrConf(text, set) };
}

/**
 * The daemons a node's `daemons:` chooses (an FRR daemons file, as
 * frrcommon.sh reads it, or a list of names), plus zebra, and staticd when
 * the config has static routes (FRR's own scripts always start both).
 * @throws TopologyError at nodes.<name>.daemons for a name FRR does not have.
 */
export function chosenDaemons(node: Node, configText: string): FrrDaemonSet {
  const d = node.daemons!;
  let names: string[];
  if (d.names) names = d.names;
  else {
    let text: string;
    try { text = readFileSync(d.path!, 'utf8'); } catch (err) {
      throw new TopologyError(`nodes.${node.name}.daemons`, `cannot read ${d.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'paths are relative to the topology file');
    }
    names = parseDaemonsFile(text);
  }
  const on = new Set<string>(['zebra']);
  const instances: Partial<Record<FrrDaemon, number[]>> = {};
  for (const n of names) {
    const [base, inst] = n.split('-') as [string, string | undefined];
    if (!(FRR_DAEMONS as readonly string[]).includes(base)) {
      throw new TopologyError(`nodes.${node.name}.daemons`, `"${base}" is not an FRR daemon`, `FRR's daemons: ${FRR_DAEMONS.join(', ')}`);
    }
    on.add(base);
    if (inst !== undefined) (instances[base as FrrDaemon] ??= []).push(Number(inst));
  }
  if (detectDaemons(configText).daemons.includes('staticd')) on.add('staticd');
  return { daemons: FRR_DAEMONS.filter((x) => on.has(x)), instances };
}

/** Where a node with compat commands finds how to start, stop and show its FRR (systemctl/service/init.d call it). */
export const FRR_SERVICE = '/etc/netlab/service/frr';

/**
 * The service script of a node with compat commands: `start` runs FRR the
 * way netlab's daemons phase does (frrStartScript) unless zebra already
 * runs, `stop` ends the daemons by their pid files, `restart`, `status`.
 */
export function frrServiceScript(startScript: string): string {
  return [
    '#!/bin/sh',
    '# FRR in a netlab node (no systemd): systemctl/service/init.d frr call this. Written by netlab.',
    'running() { [ -r /run/frr/zebra.pid ] && kill -0 "$(cat /run/frr/zebra.pid)" 2>/dev/null; }',
    'stop() { for f in /run/frr/*.pid; do [ -r "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done; return 0; }',
    'start() {',
    '  if running; then echo "frr is already running"; return 0; fi',
    '  (',
    ...startScript.split('\n').map((l) => `    ${l}`),
    '  ) || { echo "frr: start failed (exit $?); see /var/log/frr/frr.log" >&2; return 1; }',
    '  echo "frr started"',
    '}',
    'case "$1" in',
    '  start) start ;;',
    '  stop) stop; echo "frr stopped" ;;',
    '  restart|reload|force-reload) stop; sleep 0.2; start ;;',
    '  status) if running; then for f in /run/frr/*.pid; do echo "$(basename "$f" .pid) running (pid $(cat "$f"))"; done; else echo "frr is not running"; exit 3; fi ;;',
    '  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n');
}

/** Default start timeout of one router's FRR, ms; start() is given more when many routers start (steps-run.ts). */
export const FRR_START_TIMEOUT_MS = 60_000;

export const frr: Kind = {
  routingState: frrState,
  routes: frrRoutes,
  facts: {
    name: 'frr',
    summary: 'an FRR router',
    router: true,
    daemon: true,
    switch: false,
    shape: 'router',
    color: '#2f6db5',
    tests: { ospf_neighbors: 'FRR (vtysh)', bgp_sessions: 'FRR (vtysh)' },
    imageHint: 'use an image with FRR in it (e.g. quay.io/frrouting/frr:10.2.1), or kind: linux',
    doctor: [['frr', 'watchfrr', 'kind: frr', 'apt install frr'], ['vtysh', 'vtysh', 'kind: frr (readiness, netlab save)', 'apt install frr']],
    requires: [
      { program: '/usr/lib/frr/zebra', package: 'frr' },
      { program: 'vtysh', package: 'frr' },
    ],
    memoryBytes: 18 * MiB, // measured: docs/performance.md (bench/kind-memory.ts)
    noun: ['FRR router', 'FRR routers'],
  },

  files(node: Node, t: Topology): NodeFile[] {
    const { text, set, split } = frrPlan(node, t);
    return [
      { path: '/etc/frr/daemons', content: renderDaemonsFile(set, node.name), ...owned },
      { path: '/etc/frr/frr.conf', content: text, ...owned },
      { path: '/etc/frr/vtysh.conf', content: VTYSH_CONF, ...owned },
      ...[...split ?? []].map(([d, content]) => ({ path: daemonConfPath(d), content, ...owned })),
      { path: '/var/lib/frr', ...frrDir },
      { path: '/var/log/frr', ...frrDir },
      // A rootless node cannot take over the host's /var/tmp/frr (its owner is not mapped there: docs/rootless.md).
      { path: '/var/tmp/frr', ...frrDir },
      ...(node.compat ? [{ path: FRR_SERVICE, content: frrServiceScript(frrStartScript(set, needsDryRun(node), split !== null)), mode: 0o755 }] : []),
    ];
  },

  sysctls(): Record<string, string> {
    // ECMP (OSPF equal-cost paths, BGP maximum-paths) spreads flows by L4 hash, not only by address pair.
    return { 'net.ipv4.fib_multipath_hash_policy': '1' };
  },

  async check(node: Node): Promise<void> {
    const text = userConfig(node);
    if (text === undefined || node.rootfs !== undefined) return;
    await checkOnHost(node, 'FRR', 'frr.conf', text, (f) => ['vtysh', '-C', '-f', f],
      `fix ${configSource(node)}; \`vtysh -C -f FILE\` checks a file without starting FRR`, true);
  },

  async start(ctx: NodeContext, timeoutMs = FRR_START_TIMEOUT_MS): Promise<FrrStarted> {
    const node = ctx.node;
    const { set, split } = frrPlan(node, ctx.topology);
    // vtysh -C costs ~60 ms of CPU a router: not again when up checked the same file with the same vtysh (kind.check).
    const r = await ctx.exec(['/bin/sh', '-c', frrStartScript(set, needsDryRun(node) && !ctx.configChecked, split !== null)], { timeoutMs });
    const out = r.stderr.trim();
    const where = `node ${node.name}`;
    const rejected = (msg: string): NetlabError => new NetlabError(where,
      `FRR rejects ${configSource(node)}:\n${indent(frrSaid(msg))}`,
      node.config ? `fix the lines FRR names (line numbers are those of ${split ? 'the daemon\'s part of the file, /etc/frr/<daemon>.conf in the node' : 'the file'}); \`vtysh -C -f FILE\` checks a file` : 'this config was generated by netlab: check the options: you gave, or report it with the topology',
      node.config ? 2 : 1);
    if (r.code === 0) {
      await startCmd(ctx);
      return { ready: true };
    }
    if (r.code === 10) throw new NetlabError(where, `cannot create FRR's directories: ${out}`, 'is the frr user missing in the node\'s root filesystem? apt install frr');
    if (r.code === 14 && ctx.topology.imported) {
      // FRR booting under containerlab or Kathará (frrinit.sh: vtysh -b) logs the lines it refuses and runs
      // without them; an imported lab's author tested it that way, so it runs so here too, with a warning.
      ctx.warn?.(`${where}: FRR refused lines of ${configSource(node)} and runs without them, as it does when it boots under ${ctx.topology.imported.format}:\n${indent(frrSaid(out))}`);
      await startCmd(ctx);
      return { ready: true };
    }
    if (r.code === 11 || r.code === 14) throw rejected(out);
    if (r.code === 12) throw new NetlabError(where, `FRR on this machine has no ${out} program, which this config needs`, 'install an FRR build with it (apt install frr), or remove that part of the config');
    const log = await logTail(ctx);
    const what = r.code === 13 ? `FRR's ${out} did not start`
      : r.code === 137 ? `FRR did not start within ${(timeoutMs / 1000).toFixed(0)} s (killed; the host may be overloaded: see its load average)`
        : `FRR did not start (exit ${r.code}${out ? `: ${out}` : ''})`;
    throw new NetlabError(where, `${what}${log ? `\n${indent(log)}` : ''}`, `netlab exec ${node.name} -- cat ${FRR_LOG}`);
  },

  async ready(ctx: NodeContext, timeoutMs: number, started?: unknown): Promise<void> {
    // start() returns once every daemon has read its config and listens (`-d`): ready then.
    if ((started as FrrStarted | undefined)?.ready === true) return;
    const down = (dead: DaemonHealth[]): string => dead.map((d) => `${d.daemon} (${d.detail})`).join(', ');
    const dead = await poll(`FRR on ${ctx.node.name}`, timeoutMs, async (): Promise<PollResult<DaemonHealth[]>> => {
      const h = await frr.health!(ctx);
      const gone = h.filter((d) => !d.running);
      // A pid file whose process exited will not come back; no pid file yet may still come.
      if (gone.some((d) => d.detail !== NOT_STARTED)) return { done: true, value: gone };
      return gone.length ? { done: false, seen: `not up: ${down(gone)}` } : { done: true, value: [] };
    }).catch(async (err: unknown) => {
      if (!(err instanceof PollTimeout)) throw err;
      const log = await logTail(ctx);
      throw new NetlabError(`node ${ctx.node.name}`, `${err.message}${log ? `\n${indent(log)}` : ''}`, `netlab exec ${ctx.node.name} -- cat ${FRR_LOG}`);
    });
    if (dead.length === 0) return;
    const log = await logTail(ctx);
    throw new NetlabError(`node ${ctx.node.name}`, `FRR is down: ${down(dead)}${log ? `\n${indent(log)}` : ''}`, `netlab exec ${ctx.node.name} -- cat ${FRR_LOG}`);
  },

  ospfTimers: frrIfaceTimers,

  async save(ctx: NodeContext): Promise<Record<string, string>> {
    const r = await ctx.exec(['vtysh', '-c', 'show running-config'], { timeoutMs: 15_000 });
    if (r.code !== 0) throw new NetlabError(`node ${ctx.node.name}`, `vtysh cannot show the running config: ${(r.stderr || r.stdout).trim()}`, `netlab status shows which FRR daemon is down`);
    const text = r.stdout.replace(/^Building configuration\.\.\.\s*\n\s*Current configuration:\s*\n/, '');
    return { 'frr.conf': text };
  },

  async health(ctx: NodeContext): Promise<DaemonHealth[]> {
    const script = 'cat /etc/frr/daemons; echo @@; for f in /run/frr/*.pid; do [ -r "$f" ] || continue; p=$(cat "$f"); '
      + 's=$(sed -n "s/^State:\\s*\\(\\S\\).*/\\1/p" /proc/$p/status 2>/dev/null); echo "$(basename "$f" .pid) $p ${s:-gone}"; done';
    const r = await ctx.exec(['/bin/sh', '-c', script], { timeoutMs: 5000 });
    const [daemonsFile = '', pids = ''] = r.stdout.split('@@\n');
    const seen = new Map<string, { pid: string; state: string }>();
    for (const line of pids.split('\n')) {
      const [d, pid, state] = line.trim().split(' ');
      if (d && pid && state) seen.set(d, { pid, state });
    }
    // watchfrr is listed when it runs (frrinit.sh started by hand inside the node); netlab does not start it.
    const extra = seen.has('watchfrr') ? ['watchfrr'] : [];
    return [...extra, ...parseDaemonsFile(daemonsFile)].map((d) => {
      const s = seen.get(d);
      if (!s) return { daemon: d, running: false, detail: NOT_STARTED };
      const running = s.state !== 'gone' && s.state !== 'Z' && s.state !== 'X';
      return { daemon: d, running, detail: running ? `pid ${s.pid}` : `pid ${s.pid} exited; see ${FRR_LOG}` };
    });
  },
};

const NOT_STARTED = 'never started (no pid file)';
