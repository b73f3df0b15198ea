/**
 * An frr.conf cut into one configuration per daemon, so that each
 * daemon reads its own at start (`<daemon> -f /etc/frr/<daemon>.conf`) instead
 * of every router paying for a second pass through vtysh. Pure.
 *
 * Why: `vtysh -b` (what frrinit.sh runs to load an integrated frr.conf) costs
 * ~62 ms of CPU in vtysh itself — it builds the command trees of every FRR
 * daemon before reading a line — plus ~17 ms in the daemons answering it;
 * a daemon reading its own file is a few ms (docs/performance.md). The split
 * follows the layout of FRR's integrated config (FRR user guide, "Integrated
 * Config File"): top-level `interface X` blocks hold lines of several daemons,
 * each `router <protocol>` block belongs to one.
 *
 * Only configs whose every line is understood are split; anything else
 * (multi-instance daemons, a line no rule knows, a line of a daemon that is
 * not in the set) returns null, and the caller loads the integrated frr.conf
 * with `vtysh -b` as before. A user's own frr.conf (containerlab's and
 * Kathará's routers) is split by the same rules: it was checked whole with
 * `vtysh -C` first, and a daemon still reports any line it refuses.
 */
import { daemonOf, type FrrDaemon, type FrrDaemonSet } from './frr-daemons.js';

/** Top-level lines every daemon takes (FRR's lib installs them in each: `frr version|defaults`, `hostname`, `log …`). */
const COMMON = /^(frr (defaults|version)|hostname|log) /;
/** Blocks every daemon takes whole: `line vty` and its lines (lib/vty.c, installed in each daemon). */
const COMMON_BLOCK = /^line vty$/;
/** Top-level lines only vtysh reads, or markers: dropped from the per-daemon files. */
const VTYSH_ONLY = /^(service integrated-vtysh-config|end|!.*|#.*|)$/;

/**
 * Daemon → the text of its own config, for every daemon in `set`, or null when
 * `text` cannot be cut safely (see the module doc). zebra gets the interface
 * blocks (with their descriptions), every protocol daemon the interface lines
 * that name it and its `router` block; every file starts with the common lines.
 * @param set the daemons detectDaemons() found in `text`.
 */
export function splitFrrConf(text: string, set: FrrDaemonSet): Map<FrrDaemon, string> | null {
  if (Object.keys(set.instances).length > 0) return null;
  const common: string[] = [];
  const body = new Map<FrrDaemon, string[]>(set.daemons.map((d) => [d, []]));
  const add = (d: FrrDaemon, lines: string[]): boolean => {
    const to = body.get(d);
    if (!to) return false;
    to.push(...lines);
    return true;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (VTYSH_ONLY.test(line.trim()) && !line.startsWith(' ')) continue;
    if (COMMON.test(line)) { common.push(line); continue; }
    // A block: the header and its indented lines up to `exit` (or the next top-level line).
    const inner: string[] = [];
    let j = i + 1;
    for (; j < lines.length && (lines[j]!.startsWith(' ') || lines[j] === ''); j++) inner.push(lines[j]!);
    const closed = lines[j] === 'exit';
    i = closed ? j : j - 1;
    if (COMMON_BLOCK.test(line)) { common.push(line, ...inner.filter((l) => l.trim() && !l.trim().startsWith('!')), 'exit'); continue; }
    if (/^interface \S+$/.test(line)) {
      const per = new Map<FrrDaemon, string[]>();
      for (const l of inner) {
        const t = l.trim();
        if (!t || t.startsWith('!')) continue;
        const d = /^description /.test(t) ? 'zebra' : daemonOf(t);
        if (!d) return null;
        per.set(d, [...(per.get(d) ?? []), l]);
      }
      if (!add('zebra', [line, ...(per.get('zebra') ?? []), 'exit'])) return null;
      for (const [d, ls] of per) if (d !== 'zebra' && !add(d, [line, ...ls, 'exit'])) return null;
      continue;
    }
    const d = daemonOf(line);
    if (!d || (d === 'zebra' && inner.some((l) => l.trim())) || !add(d, [line, ...inner, ...(closed ? ['exit'] : [])])) return null;
  }
  const out = new Map<FrrDaemon, string>();
  for (const d of set.daemons) out.set(d, [...common, ...body.get(d)!, ''].join('\n'));
  return out;
}

/** Where a daemon's own config lives in the node when frr.conf is split. */
export function daemonConfPath(d: FrrDaemon): string {
  return `/etc/frr/${d}.conf`;
}
