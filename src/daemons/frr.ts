/**
 * kind: frr — an FRRouting router, run from the FRR the node sees in its lower
 * root (the host's Debian `frr` package by default: /usr/lib/frr, vtysh).
 *
 * How it starts, and why this way: the package's own init script,
 * `/usr/lib/frr/frrinit.sh start`, which is what systemd's frr.service runs
 * (ExecStart). It reads /etc/frr/daemons, starts watchfrr, and watchfrr starts
 * every enabled daemon through watchfrr.sh and applies frr.conf (vtysh -b).
 * Nothing in that path needs systemd: watchfrr -d forks, and its parent exits
 * when all daemons answer ("startup-complete"), so the script returns when
 * FRR is up. watchfrr stays, restarts a daemon that crashes, and answers
 * `show watchfrr`, which health() reads. The node's PID 1 reaps everything.
 * What systemd would otherwise provide is done here first: /run/frr,
 * /var/lib/frr, /var/log/frr owned by frr:frr (the node's /run is a fresh
 * tmpfs, so the package's tmpfiles.d entry never ran in it).
 */
import { NetlabError } from '../errors.js';
import type { Node, Topology } from '../topology/types.js';
import { checkOnHost, configSource, indent, userConfig } from './config.js';
import { startCmd } from './cmd.js';
import { daemonNames, detectDaemons, FRR_DAEMONS, FRR_LOG, renderDaemonsFile } from './frr-daemons.js';
import { renderFrrConf, VTYSH_CONF } from './frr-conf.js';
import type { DaemonHealth, Kind, NodeContext, NodeFile } from './kind.js';
import { poll, PollTimeout } from './poll.js';

/** The node's frr.conf text: the user's config unchanged, or generated from ospf:/bgp:. */
export function frrConfText(node: Node, t: Topology): string {
  return userConfig(node) ?? renderFrrConf(node, t);
}

/** The script start() runs in the node: directories, a dry run of frr.conf, the binaries, then frrinit.sh. */
export function frrStartScript(daemons: string[]): string {
  return [
    'for d in /run/frr /var/lib/frr /var/log/frr /var/tmp/frr; do install -d -o frr -g frr -m 0755 "$d" || exit 10; done',
    'out=$(vtysh -C -f /etc/frr/frr.conf 2>&1) || { printf "%s\\n" "$out" >&2; exit 11; }',
    `for d in ${daemons.join(' ')}; do [ -x "/usr/lib/frr/\${d%-*}" ] || { echo "$d" >&2; exit 12; }; done`,
    'exec /usr/lib/frr/frrinit.sh start',
  ].join('\n');
}

/** Daemon → state ('Up', 'Down', 'Unresponsive', …) and watchfrr's global phase, from `show watchfrr`. */
export function parseShowWatchfrr(text: string): { phase: string; daemons: Map<string, string> } {
  const phase = /global phase:\s*(.+)/.exec(text)?.[1]?.trim() ?? '';
  const daemons = new Map<string, string>();
  for (const m of text.matchAll(/^\s{2}(\S+)\s+(Up|Down|Init|Unresponsive|[A-Z][a-z]+)\s*$/gm)) daemons.set(m[1]!, m[2]!);
  return { phase, daemons };
}

/** The daemons an /etc/frr/daemons file enables (instances as `ospfd-2`), plus zebra and staticd. */
export function parseDaemonsFile(text: string): string[] {
  const yes = new Set(['zebra', 'staticd']);
  const inst = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-z0-9]+)=(.*)$/.exec(line.trim());
    if (m && !['no', '0', ''].includes(m[2]!.replace(/"/g, ''))) yes.add(m[1]!);
    const i = /^([a-z0-9]+)_instances="?([0-9,]+)"?$/.exec(line.trim());
    if (i) inst.set(i[1]!, i[2]!.split(',').filter(Boolean));
  }
  return FRR_DAEMONS.filter((d) => yes.has(d)).flatMap((d) => inst.get(d)?.map((n) => `${d}-${n}`) ?? [d]);
}

/** Last `lines` lines of the FRR log inside the node, for error messages. */
async function logTail(ctx: NodeContext, lines = 8): Promise<string> {
  const r = await ctx.exec(['tail', '-n', String(lines), FRR_LOG], { timeoutMs: 5000 });
  return r.code === 0 ? r.stdout.trim() : '';
}

const owned = { mode: 0o640, owner: 'frr', group: 'frr' } as const;

export const frr: Kind = {
  name: 'frr',
  requires: [
    { program: '/usr/lib/frr/watchfrr', package: 'frr' },
    { program: 'vtysh', package: 'frr' },
  ],
  router: true,

  files(node: Node, t: Topology): NodeFile[] {
    const text = frrConfText(node, t);
    return [
      { path: '/etc/frr/daemons', content: renderDaemonsFile(detectDaemons(text), node.name), ...owned },
      { path: '/etc/frr/frr.conf', content: text, ...owned },
      { path: '/etc/frr/vtysh.conf', content: VTYSH_CONF, ...owned },
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
      `fix ${configSource(node)}; \`vtysh -C -f FILE\` checks a file without starting FRR`);
  },

  async start(ctx: NodeContext): Promise<void> {
    const node = ctx.node;
    const daemons = daemonNames(detectDaemons(frrConfText(node, ctx.topology)));
    const r = await ctx.exec(['/bin/sh', '-c', frrStartScript(daemons)], { timeoutMs: 60_000 });
    const out = (r.stderr || r.stdout).trim();
    const where = `node ${node.name}`;
    if (r.code === 10) throw new NetlabError(where, `cannot create FRR's directories: ${out}`, 'is the frr user missing in the node\'s root filesystem? apt install frr');
    if (r.code === 11) {
      throw new NetlabError(where, `FRR rejects ${configSource(node)}:\n${indent(out.split('\n').filter((l) => !l.includes('vtysh.conf due to')).join('\n'))}`,
        node.config ? 'fix the lines FRR names (line numbers are those of the file); `vtysh -C -f FILE` checks a file' : 'this config was generated by netlab: please report it with the topology');
    }
    if (r.code === 12) throw new NetlabError(where, `FRR on this machine has no ${out} daemon, which frr.conf needs`, 'install an FRR build with it, or remove that part of the config');
    if (r.code !== 0) {
      const log = await logTail(ctx);
      throw new NetlabError(where, `FRR did not start (frrinit.sh exit ${r.code}): ${out}${log ? `\n${indent(log)}` : ''}`, `netlab exec ${node.name} -- cat ${FRR_LOG}`);
    }
    await startCmd(ctx);
  },

  async ready(ctx: NodeContext, timeoutMs: number): Promise<void> {
    const expected = daemonNames(detectDaemons(frrConfText(ctx.node, ctx.topology)));
    try {
      await poll(`FRR on ${ctx.node.name}`, timeoutMs, async () => {
        const r = await ctx.exec(['vtysh', '-c', 'show watchfrr'], { timeoutMs: 5000 });
        if (r.code !== 0) return { done: false, seen: (r.stderr || r.stdout).trim() };
        const w = parseShowWatchfrr(r.stdout);
        const notUp = expected.filter((d) => w.daemons.get(d) !== 'Up');
        if (w.phase === 'Idle' && notUp.length === 0) return { done: true, value: undefined };
        return { done: false, seen: `watchfrr phase ${w.phase}; not up: ${notUp.map((d) => `${d} (${w.daemons.get(d) ?? 'not watched'})`).join(', ')}` };
      });
    } catch (err) {
      if (!(err instanceof PollTimeout)) throw err;
      const log = await logTail(ctx);
      throw new NetlabError(`node ${ctx.node.name}`, `${err.message}${log ? `\n${indent(log)}` : ''}`, `netlab exec ${ctx.node.name} -- cat ${FRR_LOG}`);
    }
  },

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
    return ['watchfrr', ...parseDaemonsFile(daemonsFile)].map((d) => {
      const s = seen.get(d);
      if (!s) return { daemon: d, running: false, detail: 'never started (no pid file)' };
      const running = s.state !== 'gone' && s.state !== 'Z' && s.state !== 'X';
      return { daemon: d, running, detail: running ? `pid ${s.pid}` : `pid ${s.pid} exited; see ${FRR_LOG}` };
    });
  },
};
