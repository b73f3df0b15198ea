/**
 * `netlab node pause|resume|restart NODE [--lab LAB]`: freeze a node (its
 * links stay up: neighbours notice only when their dead interval expires),
 * thaw it, or restart its daemons from their current config — thin shells
 * over `lab.pause()`, `lab.resume()`, `lab.restart()` (src/events/nodes.ts).
 */
import type { Command } from 'commander';
import { Lab } from '../lab/lab.js';

export function register(program: Command): void {
  const node = program.command('node').description('pause, resume or restart a node of a running lab');
  const verbs = [
    { name: 'pause', help: 'freeze every process of a node; its links stay up, so neighbours notice only by missing hellos', done: 'is paused (netlab node resume brings it back)', run: (l: Lab, n: string) => l.pause(n) },
    { name: 'resume', help: 'thaw a paused node', done: 'runs again', run: (l: Lab, n: string) => l.resume(n) },
    { name: 'restart', help: 'restart a node\'s daemons with the config now in the node, and wait until they are ready', done: 'restarted its daemons', run: (l: Lab, n: string) => l.restart(n) },
  ];
  for (const v of verbs) {
    node.command(v.name)
      .description(v.help)
      .argument('<node>', 'node name')
      .option('--lab <lab>', 'lab (default: the only running lab)')
      .action(async (name: string, flags: { lab?: string }) => {
        const lab = Lab.open(flags.lab);
        await v.run(lab, name);
        process.stdout.write(`${name} ${v.done}\n`);
      });
  }
}
