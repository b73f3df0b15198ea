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
import { netlabBin, type CliResult } from './lab.js';

/** The home folder of a test user (outside /home: nothing of the machine's). */
export const homeOf = (u: string): string => `/tmp/${u}-home`;

/** `netlab ARGS…` (or `cmd ARGS…`) as user `u` (runuser, a clean environment, cwd /). */
export function asUser(u: string, args: string[], cmd = netlabBin): CliResult {
  const r = spawnSync('runuser', ['-u', u, '--', 'env', '-i', `HOME=${homeOf(u)}`, `PATH=${process.env.PATH}`, 'NO_COLOR=1', cmd, ...args],
    { encoding: 'utf8', cwd: '/', timeout: 300_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
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
