/**
 * `netlab doctor` run by an ordinary user (docs/rootless.md): what this user
 * can do without root, and for each missing piece the one command root must
 * run. Reads files and runs `newuidmap`'s lookup only; changes nothing.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { subordinateRange } from '../core/ids.js';
import type { Check } from './doctor.js';
import { findProgram } from './programs.js';
import { DELEGATED_V1, USERS_CGROUP, cgroupMounts } from '../core/cgroup-layout.js';

/** What the rootless checks read, so that they stay pure. */
export interface RootlessFacts {
  user: string;
  uid: number;
  subuid: string;
  subgid: string;
  /** Paths of newuidmap and newgidmap, and whether each is setuid root (or has file capabilities: then true too). */
  newuidmap?: { path: string; privileged: boolean };
  newgidmap?: { path: string; privileged: boolean };
  /** Contents of the sysctls ('' when the file does not exist on this kernel). */
  unprivilegedUsernsClone: string;
  apparmorRestrict: string;
  maxUserNamespaces: string;
  /** uname -r */
  kernel: string;
  /** The cgroup folders root delegated to this user (netlab setup-user), one per hierarchy; [] when none. */
  delegated?: string[];
  /** Found on PATH. */
  pasta?: string;
  slirp4netns?: string;
}

/** A subordinate range line of subuid(5) for `user`, by name or by uid. */
function rangeOf(text: string, user: string, uid: number): { start: number; count: number } | undefined {
  return subordinateRange(text, user) ?? subordinateRange(text, String(uid));
}

/** The checks of a rootless user from the facts. Pure. */
export function rootlessChecks(f: RootlessFacts): Check[] {
  const out: Check[] = [];
  const add = (c: Omit<Check, 'required'> & { required?: boolean }): void => { out.push({ required: false, ...c }); };
  add({ name: 'rootless', ok: true, detail: `running as ${f.user} (uid ${f.uid}): labs run in your own user namespace (docs/rootless.md)`, affects: '', fix: '' });
  const su = rangeOf(f.subuid, f.user, f.uid);
  const sg = rangeOf(f.subgid, f.user, f.uid);
  add({
    name: 'subordinate ids', ok: Boolean(su && sg && su.count >= 65_536 && sg.count >= 65_536),
    detail: su && sg ? `uids ${su.start}-${su.start + su.count - 1}, gids ${sg.start}-${sg.start + sg.count - 1}` : `no line for ${f.user} in ${[su ? '' : '/etc/subuid', sg ? '' : '/etc/subgid'].filter(Boolean).join(' and ')}`,
    affects: 'every lab: the ids of the node\'s users (frr, bird, nobody)',
    fix: `root runs: sudo netlab setup-user ${f.user} (or usermod --add-subuids 200000-265535 --add-subgids 200000-265535 ${f.user}, a range no other user has; 65,536 ids)`, required: true,
  });
  const helpers = f.newuidmap?.privileged && f.newgidmap?.privileged;
  add({
    name: 'newuidmap', ok: Boolean(helpers),
    detail: !f.newuidmap || !f.newgidmap ? 'not installed' : helpers ? `${f.newuidmap.path}, ${f.newgidmap.path}` : 'installed, but not setuid root',
    affects: 'every lab', fix: !f.newuidmap || !f.newgidmap ? 'root runs: apt-get install uidmap' : 'root runs: chmod u+s /usr/bin/newuidmap /usr/bin/newgidmap', required: true,
  });
  const blocked = f.unprivilegedUsernsClone.trim() === '0' ? 'kernel.unprivileged_userns_clone = 0'
    : f.apparmorRestrict.trim() === '1' ? 'kernel.apparmor_restrict_unprivileged_userns = 1 (AppArmor)'
      : f.maxUserNamespaces.trim() === '0' ? 'user.max_user_namespaces = 0' : '';
  add({
    name: 'unprivileged user namespaces', ok: !blocked, detail: blocked ? `refused: ${blocked}` : 'allowed by the kernel',
    affects: 'every lab',
    fix: f.unprivilegedUsernsClone.trim() === '0' ? 'root runs: sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d/ to keep it)'
      : f.apparmorRestrict.trim() === '1' ? 'root runs: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (and in /etc/sysctl.d/ to keep it)'
        : 'root runs: sysctl -w user.max_user_namespaces=15000',
    required: true,
  });
  const [maj = 0, min = 0] = f.kernel.split('.').map((x) => parseInt(x, 10));
  const newEnough = maj > 6 || (maj === 6 && min >= 6);
  add({
    name: 'rootless nodes', ok: newEnough, detail: `Linux ${f.kernel}`,
    affects: 'nodes\' files: overlayfs keeps user.* xattrs on tmpfs in a user namespace from Linux 6.6', fix: 'Linux 6.6 or newer', required: true,
  });
  const delegated = f.delegated ?? [];
  add({
    name: 'cgroups (rootless)', ok: delegated.length > 0,
    detail: delegated.length ? `delegated to you: ${delegated.join(', ')}` : 'none delegated to you: labs run without per-node limits',
    affects: 'resources: memory, cpus, pids of nodes', fix: `root runs once: sudo netlab setup-user ${f.user} (docs/rootless.md, "Limits")`,
  });
  const net = f.pasta ?? f.slirp4netns;
  add({
    name: 'outbound connectivity', ok: false, detail: net ? `${net} is installed; netlab does not use it yet` : 'pasta and slirp4netns are not installed (netlab does not use them yet)',
    affects: 'nodes reaching the internet from a rootless lab', fix: '',
  });
  return out;
}

function helper(name: string): { path: string; privileged: boolean } | undefined {
  const path = findProgram(name);
  if (!path) return undefined;
  try {
    const st = statSync(path);
    // setuid root (Debian, Ubuntu); Fedora gives it file capabilities instead, which stat(2) cannot show.
    return { path, privileged: st.uid === 0 && (st.mode & 0o4000) !== 0 };
  } catch { return undefined; }
}

function readFileSyncSafe(path: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

/** The facts of this user and machine. */
export function rootlessFacts(): RootlessFacts {
  const info = userInfo();
  return {
    user: info.username, uid: info.uid,
    subuid: readFileSyncSafe('/etc/subuid'), subgid: readFileSyncSafe('/etc/subgid'),
    newuidmap: helper('newuidmap'), newgidmap: helper('newgidmap'),
    unprivilegedUsernsClone: readFileSyncSafe('/proc/sys/kernel/unprivileged_userns_clone'),
    apparmorRestrict: readFileSyncSafe('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    maxUserNamespaces: readFileSyncSafe('/proc/sys/user/max_user_namespaces'),
    kernel: release(),
    delegated: delegatedTo(info.username),
    ...(findProgram('pasta') ? { pasta: findProgram('pasta')! } : {}),
    ...(findProgram('slirp4netns') ? { slirp4netns: findProgram('slirp4netns')! } : {}),
  };
}

/** The `netlab-users/<user>` cgroup folders of this machine the user may write (src/lab/setup-user.ts makes them). */
function delegatedTo(user: string): string[] {
  const out: string[] = [];
  for (const m of cgroupMounts(readFileSyncSafe('/proc/self/mountinfo'))) {
    if (m.fstype === 'cgroup' && !DELEGATED_V1.some((c) => m.superOpts.includes(c))) continue;
    const dir = `${m.point}/${USERS_CGROUP}/${user}`;
    try { accessSync(`${dir}/cgroup.procs`, constants.W_OK); out.push(dir); } catch { /* not delegated */ }
  }
  return out;
}
