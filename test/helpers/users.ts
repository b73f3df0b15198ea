/**
 * Real users for the rootless suites (docs/rootless.md): made with useradd,
 * given subordinate ids in /etc/subuid and /etc/subgid, running netlab
 * through runuser, and removed again — keeper, processes, user, home, id lines —
 * also after a run killed half-way.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readText, repoRoot } from './kernel.js';
import { netlabBin, until, type CliResult } from './lab.js';

/** The home folder of a test user (outside /home: nothing of the machine's). */
export const homeOf = (u: string): string => `/tmp/${u}-home`;

/** `netlab ARGS…` (or `cmd ARGS…`) as user `u` (runuser, a clean environment, cwd /). */
export function asUser(u: string, args: string[], cmd = netlabBin): CliResult {
  const r = spawnSync('runuser', ['-u', u, '--', ...userEnv(u), cmd, ...args],
    { encoding: 'utf8', cwd: '/', timeout: 300_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** The `env -i …` prefix asUser runs commands with (for callers that spawn without waiting). */
export function userEnv(u: string): string[] {
  return ['env', '-i', `HOME=${homeOf(u)}`, `PATH=${process.env.PATH}`, 'NO_COLOR=1'];
}

/** Why this kernel refuses unprivileged user namespaces, or '' when it allows them. */
export function usernsForbidden(): string {
  if (readText('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'kernel.unprivileged_userns_clone = 0 forbids unprivileged user namespaces';
  if (readText('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') return 'AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1) forbids unprivileged user namespaces';
  if (readText('/proc/sys/user/max_user_namespaces') === '0') return 'user.max_user_namespaces = 0';
  return '';
}

function removeLines(file: string, users: readonly string[]): void {
  const kept = readText(file).split('\n').filter((l) => l && !users.some((u) => l.startsWith(`${u}:`)));
  writeFileSync(file, kept.length ? `${kept.join('\n')}\n` : '');
}

/** Stops the users' keepers, ends their processes, removes the users, their homes and their subordinate ids. */
export function removeUsers(users: readonly string[]): void {
  for (const u of users) {
    // The keeper (and so every namespace of the user's netlab) goes first; userdel refuses a user with processes.
    spawnSync(join(repoRoot, 'native/build/netlab-rootless'), ['--stop', '--user', u]);
    spawnSync('pkill', ['-KILL', '-u', u]);
  }
  for (const u of users) {
    for (let i = 0; i < 50 && spawnSync('pgrep', ['-u', u]).status === 0; i++) spawnSync('sleep', ['0.1']);
    spawnSync('userdel', [u]);
    rmSync(homeOf(u), { recursive: true, force: true });
  }
  removeLines('/etc/subuid', users);
  removeLines('/etc/subgid', users);
}

/**
 * Makes `users` (without a home of the machine's, shell /bin/sh); the first
 * `withIds` get 65,536 subordinate ids each from `subStart` on (the others none).
 * @throws Error when useradd fails.
 */
export function addUsers(users: readonly string[], subStart: number, withIds = users.length): void {
  users.forEach((u, i) => {
    // -K SUB_*_COUNT=0: no automatic subordinate ids (Debian's useradd adds them); the suite gives its own.
    const add = spawnSync('useradd', ['-M', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', '-d', homeOf(u), '-s', '/bin/sh', u], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`useradd ${u}: ${add.stderr}`);
    mkdirSync(homeOf(u), { mode: 0o700 });
    spawnSync('chown', [`${u}:`, homeOf(u)]);
    if (i < withIds) {
      const line = `${u}:${subStart + i * 65_536}:65536\n`;
      appendFileSync('/etc/subuid', line);
      appendFileSync('/etc/subgid', line);
    }
  });
}

/** Throws unless newuidmap is installed and user `u` can run netlab (the checkout readable by others). */
export function checkUserCanRun(u: string): void {
  if (spawnSync('sh', ['-c', 'command -v newuidmap']).status !== 0) throw new Error('newuidmap is missing: scripts/install-deps installs uidmap');
  const reach = asUser(u, ['--help']);
  if (reach.code !== 0) throw new Error(`user ${u} cannot run ${netlabBin} (is the checkout readable by other users?): ${reach.stderr}`);
}

/** The command lines of user `u`'s processes (host uid `u` or its subordinate range from `subStart`), the keeper excepted. */
export function userProcesses(u: string, subStart: number): string[] {
  const uid = Number(spawnSync('id', ['-u', u], { encoding: 'utf8' }).stdout.trim());
  const ps = spawnSync('ps', ['-eo', 'uid=,args='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').map((l) => l.trim()).filter(Boolean).filter((l) => {
    const [id, ...rest] = l.split(/\s+/);
    const n = Number(id);
    return (n === uid || (n >= subStart && n < subStart + 65_536)) && !rest.join(' ').startsWith('netlab-keeper');
  });
}

/**
 * Waits (polling, up to 10 s) until user `u` has no process left but its
 * keeper; throws naming what is left. A node whose PID 1 a `down` killed stays
 * a zombie until whoever adopted it (the host's init, once the `up` that
 * started it has exited) reaps it.
 */
export async function untilNoUserProcesses(u: string, subStart: number): Promise<void> {
  await until(() => userProcesses(u, subStart).length === 0, 10_000, `user ${u}'s processes to be gone`).catch((e: Error) => {
    throw new Error(`${e.message}: ${userProcesses(u, subStart).join('; ')}`);
  });
}
