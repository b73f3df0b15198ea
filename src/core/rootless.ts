/**
 * Labs without root (docs/rootless.md): an ordinary user's netlab runs inside
 * a user namespace the user owns, joined by native/build/netlab-rootless
 * before Node.js starts. Inside, netlab is uid 0 with every capability over
 * that namespace (user_namespaces(7)): network namespaces, veths, bridges, tc
 * and overlayfs work; host objects (host links, the management network,
 * cgroups not delegated to the user) do not.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';

/**
 * True when /proc/self/uid_map text maps all 2^32-1 ids onto themselves: the
 * initial user namespace (user_namespaces(7), "the initial user namespace
 * has a uid_map of 0 0 4294967295"). Pure.
 */
export function isInitialUidMap(uidMap: string): boolean {
  return /^\s*0\s+0\s+4294967295\s*$/.test(uidMap);
}

let cached: number | null | undefined;

/**
 * The host uid of the user whose rootless netlab this is, or undefined when
 * netlab runs as host root. Rootless means both: netlab-rootless said so
 * (NETLAB_ROOTLESS=<uid>), and this process is not in the initial user
 * namespace (/proc/self/uid_map), so a stray variable cannot make host root
 * skip its cgroups.
 */
export function rootlessUid(): number | undefined {
  if (cached === undefined) {
    const env = process.env.NETLAB_ROOTLESS;
    let map = '';
    try { map = readFileSync('/proc/self/uid_map', 'utf8'); } catch { /* no /proc: not rootless */ }
    cached = env && /^\d+$/.test(env) && map && !isInitialUidMap(map) ? Number(env) : null;
  }
  return cached ?? undefined;
}

/** The name (/etc/passwd) of the user whose rootless netlab this is; '' as host root or for a uid without a name. */
export function rootlessUserName(): string {
  const uid = rootlessUid();
  if (uid === undefined) return '';
  for (const line of (readText('/etc/passwd') ?? '').split('\n')) {
    const f = line.split(':');
    if (f[2] === String(uid) && f[0]) return f[0];
  }
  return '';
}

/** True when netlab runs inside an ordinary user's own user namespace (rootlessUid). */
export function isRootless(): boolean {
  return rootlessUid() !== undefined;
}

/** An ordinary user's netlab keeper (native/rootless.c): what root needs to reach the user's labs. */
export interface UserKeeper {
  user: string;
  uid: number;
  /** The keeper's pid: its user and mount namespaces are the user's netlab's. */
  pid: number;
  /** The user's run folder as root sees it: /proc/<pid>/root<base>/run (the tmpfs lives in the keeper's mount namespace only). */
  runDir: string;
}

function readText(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

/** Field 22 of /proc/PID/stat (start time, clock ticks). */
function startTime(pid: number): number | undefined {
  const t = readText(`/proc/${pid}/stat`);
  if (!t) return undefined;
  return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[19]);
}

/**
 * Whether every component of `path` (absolute) below `root` is a folder or a
 * symbolic link host root owns (a /home link of the system's, say). Below
 * /proc/PID/root the kernel resolves an absolute link against the reader's
 * root, not the keeper's (path_resolution(7)): a user's own link there would
 * lead root's reads out of that user's namespace. Reads metadata only.
 */
export function plainFolders(root: string, path: string): boolean {
  let at = root;
  for (const part of path.split('/').filter(Boolean)) {
    at = `${at}/${part}`;
    try {
      const st = lstatSync(at);
      if (!st.isDirectory() && !(st.isSymbolicLink() && st.uid === 0)) return false;
    } catch { return false; }
  }
  return true;
}

/**
 * The users of /etc/passwd (root excepted) whose netlab keeper runs, sorted by
 * name. A keeper counts when `<base>/keeper.pid` names a live process of that
 * uid with the recorded start time; `<base>` is /run/user/<uid>/netlab when
 * that folder is the user's own (systemd-logind's XDG_RUNTIME_DIR), else
 * ~/.cache/netlab — the rule of native/rootless.c. Reads files only.
 */
export function userKeepers(passwd = readText('/etc/passwd') ?? ''): UserKeeper[] {
  const out: UserKeeper[] = [];
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f.length < 7 || !f[0] || !Number.isInteger(uid) || uid === 0) continue;
    const runUser = `/run/user/${uid}`;
    let base = `${f[5]}/.cache/netlab`;
    try { if (statSync(runUser).uid === uid) base = `${runUser}/netlab`; } catch { /* no logind folder */ }
    const m = /^(\d+) (\d+)\n?$/.exec(readText(`${base}/keeper.pid`) ?? '');
    if (!m) continue;
    const pid = Number(m[1]);
    let owner: number | undefined;
    try { owner = statSync(`/proc/${pid}`).uid; } catch { continue; }
    if (owner !== uid || startTime(pid) !== Number(m[2])) continue;
    const runDir = `/proc/${pid}/root${base}/run`;
    if (!plainFolders(`/proc/${pid}/root`, `${base}/run`)) continue;
    out.push({ user: f[0], uid, pid, runDir });
  }
  return out.sort((a, b) => a.user.localeCompare(b.user));
}
