/**
 * What this kernel and host can do for shaping: tbf, htb, netem, cls_cgroup,
 * and the nftables / iptables cgroup matches. For `netlab doctor`, and for
 * applyShaping, which checks netem before it touches a running link.
 *
 * The probe creates a throw-away network namespace (`unshare --net sleep`,
 * never `ip netns add`), opens an rtnetlink socket inside it, and tries each
 * qdisc on its loopback device, so the host is never touched. Results are
 * cached for the life of the process (a plain cache).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { closeNetns, openNetns } from '../core/netns.js';
import { KernelError } from '../errors.js';
import { Rtnl } from '../net/rtnl.js';
import { tcLibDirs } from './distribution.js';
import { encodeCgroupFilter, filterInfo } from './filter.js';
import { encodeHtbQdisc } from './htb.js';
import { encodeNetem, netemParams } from './netem.js';
import { KIND_FEATURE, deleteRoot, sendOp } from './nl.js';
import { ROOT_HANDLE, type QdiscOp } from './plan.js';
import { encodeTbf, tbfParams } from './tbf.js';
import { TC_H_ROOT } from './tcmath.js';

/** What the probe found. */
export interface ShapingSupport {
  tbf: boolean;
  htb: boolean;
  netem: boolean;
  /** cls_cgroup filter (classify by net_cls classid in tc itself). */
  clsCgroup: boolean;
  /** `nft` can load `meta cgroup … meta priority set …` in a namespace. */
  nftMetaCgroup: boolean;
  /** `iptables -m cgroup --cgroup … -j CLASSIFY` works in a namespace. */
  iptablesCgroup: boolean;
  /** The folder with netem's distribution tables, or null. */
  distTables: string | null;
  /** Why a probe could not run at all (not root, no unshare), else ''. */
  error: string;
}

/** One line of `netlab doctor`. */
export interface DoctorItem {
  name: string;
  ok: boolean;
  detail: string;
  hint: string;
}

let cached: Promise<ShapingSupport> | undefined;

/**
 * Probes once per process (later calls return the same answer).
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare); without it every
 * feature reads as missing and `error` says why.
 */
export function probeQdiscSupport(): Promise<ShapingSupport> {
  cached ??= probe();
  return cached;
}

/** Forgets the cached probe (tests). */
export function resetQdiscSupportCache(): void {
  cached = undefined;
}

async function waitForOwnNetns(pid: number): Promise<void> {
  const mine = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) !== mine) return;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('unshare --net did not start');
}

/** The probe's qdiscs and filter go on `lo` (ifindex 1) of the throw-away namespace. */
const LO = 1;

/** Runs `ops` on lo, then removes them; false when the kernel refuses one (KernelError), e.g. an unknown kind. */
async function tryOps(rtnl: Rtnl, ops: QdiscOp[]): Promise<boolean> {
  try {
    for (const op of ops) await sendOp(rtnl, LO, op, 'probe:lo');
    return true;
  } catch (err) {
    if (err instanceof KernelError) return false;
    throw err;
  } finally {
    await deleteRoot(rtnl, LO, 'probe:lo').catch(() => undefined);
  }
}

function rootQdisc(kind: QdiscOp['kind'], options: Buffer): QdiscOp {
  return { object: 'qdisc', kind, parent: TC_H_ROOT, handle: ROOT_HANDLE, info: 0, options, what: `qdisc ${kind}` };
}

function inNs(pid: number, cmd: string[], input?: string): boolean {
  const r = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, ...cmd], { input, encoding: 'utf8', timeout: 10000 });
  return r.status === 0;
}

async function probe(): Promise<ShapingSupport> {
  const out: ShapingSupport = { tbf: false, htb: false, netem: false, clsCgroup: false, nftMetaCgroup: false, iptablesCgroup: false, distTables: null, error: '' };
  out.distTables = tcLibDirs().find((d) => existsSync(join(d, 'normal.dist'))) ?? null;
  const child = spawn('unshare', ['--net', 'sleep', '30'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', (e) => { out.error = `unshare: ${e.message}`; });
  let fd = -1;
  let rtnl: Rtnl | undefined;
  try {
    if (!child.pid) throw new Error('could not start unshare --net');
    await waitForOwnNetns(child.pid);
    fd = openNetns(child.pid, 'probe namespace');
    rtnl = Rtnl.open({ netnsFd: fd, label: 'probe namespace' });
    const htb = rootQdisc('htb', encodeHtbQdisc({ defaultMinor: 0 }));
    out.tbf = await tryOps(rtnl, [rootQdisc('tbf', encodeTbf(tbfParams(1e6, 1500)))]);
    out.htb = await tryOps(rtnl, [htb]);
    out.netem = await tryOps(rtnl, [rootQdisc('netem', encodeNetem(netemParams({ delayMs: 1 }, 1000)))]);
    out.clsCgroup = out.htb && await tryOps(rtnl, [htb,
      { object: 'filter', kind: 'cgroup', parent: ROOT_HANDLE, handle: 1, info: filterInfo(1), options: encodeCgroupFilter(), what: 'filter cgroup' }]);
    out.nftMetaCgroup = inNs(child.pid, ['nft', '-f', '-'],
      'table inet netlab_probe {\n chain o {\n  type filter hook output priority 0;\n  meta cgroup 65553 meta priority set 1:11\n }\n}\n');
    out.iptablesCgroup = inNs(child.pid, ['iptables', '-w', '-t', 'mangle', '-A', 'OUTPUT', '-m', 'cgroup', '--cgroup', '65553', '-j', 'CLASSIFY', '--set-class', '1:11']);
  } catch (err) {
    out.error = out.error || (err instanceof Error ? err.message : String(err));
  } finally {
    rtnl?.close();
    if (fd >= 0) closeNetns(fd);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }
  return out;
}

/** `netlab doctor` lines for what the probe found, with the module or package to get what is missing. */
export function supportReport(s: ShapingSupport): DoctorItem[] {
  const q = (name: 'tbf' | 'htb' | 'netem', use: string): DoctorItem => ({
    name: `qdisc ${name}`, ok: s[name], detail: s[name] ? use : `missing: ${KIND_FEATURE[name]}`,
    hint: s[name] ? '' : `modprobe sch_${name}, or use a kernel built with it`,
  });
  const classify = s.clsCgroup ? 'cls_cgroup filter' : s.nftMetaCgroup ? 'nftables meta cgroup' : s.iptablesCgroup ? 'iptables -m cgroup + CLASSIFY' : '';
  const items: DoctorItem[] = [
    q('tbf', 'rate limits'),
    q('htb', 'rate with impairments, node classes'),
    q('netem', 'delay, jitter, loss, corrupt, duplicate, reorder'),
    { name: 'netem distributions', ok: s.distTables !== null, detail: s.distTables ? `tables in ${s.distTables}` : 'normal.dist not found',
      hint: s.distTables ? '' : 'install iproute2, or set NETLAB_TC_LIB' },
    { name: 'class classification', ok: classify !== '', detail: classify ? `via ${classify}` : 'no cls_cgroup, no nft meta cgroup, no iptables cgroup match',
      hint: classify ? '' : 'install nftables (or modprobe cls_cgroup)' },
  ];
  if (s.error) items.push({ name: 'shaping probe', ok: false, detail: s.error, hint: 'run netlab doctor as root' });
  return items;
}
