/**
 * `netlab setup-user NAME [--remove]` (root): give an ordinary user what labs
 * without root need from root — subordinate ids when it has none, and cgroups
 * delegated to it for per-node limits (docs/rootless.md); `--remove` undoes
 * exactly what it made.
 */
import type { Command } from 'commander';
import { removeSetup, setupUser } from '../lab/setup-user.js';
import { colors, warn } from './output.js';

export function register(program: Command): void {
  program
    .command('setup-user')
    .description('as root, once per user: subordinate ids and delegated cgroups for labs without root (docs/rootless.md)')
    .argument('<name>', 'the user (of /etc/passwd)')
    .option('--remove', 'undo exactly what setup-user made for this user (its /etc/subuid and /etc/subgid lines, its cgroup folders)')
    .action((name: string, flags: { remove?: boolean }) => {
      if (flags.remove) {
        const r = removeSetup(name);
        for (const l of r.left) warn(`left: ${l} (take the user's labs down first, then run --remove again)`);
        process.stdout.write(`${colors.green('✓')} removed what setup-user made for ${name}: ${r.lines} subordinate-id line(s), ${r.cgroups} cgroup folder(s)\n`);
        if (r.left.length) process.exitCode = 1;
        return;
      }
      const r = setupUser(name);
      process.stdout.write(`${colors.green('✓')} ${name}: subordinate ids ${r.ids}${r.idsAdded ? ' (added to /etc/subuid and /etc/subgid)' : ' (had them already)'}\n`);
      if (!r.cgroups.length) process.stdout.write('  no cgroup hierarchy to delegate in: labs of this user run without limits\n');
      for (const c of r.cgroups) process.stdout.write(`  cgroup ${c.dir}${c.controllers.length ? ` (${c.controllers.join(', ')})` : ' (no controller: no limits there)'}\n`);
    });
}
