/**
 * `netlab exec` and `netlab shell`. Both hand over to the native netlab-enter
 * (bin/netlab sends `exec` there directly, without starting Node.js — see
 * bin/netlab); these definitions give them --help text and serve callers that
 * run the TypeScript CLI directly.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { enterBinary } from '../core/native.js';

/**
 * The exit code a shell gives for a child that ended with `status` or was
 * killed by `signal` (pure): the status itself, else 128 + the signal's number
 * (SIGHUP 129, SIGINT 130, SIGKILL 137, SIGTERM 143: bash(1), "EXIT STATUS"),
 * else 1.
 */
export function shellExitCode(status: number | null, signal: NodeJS.Signals | null): number {
  if (status !== null) return status;
  const n = signal ? constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n;
}

function runNative(args: string[]): void {
  const r = spawnSync(enterBinary(), ['--cli', ...args], { stdio: 'inherit' });
  process.exitCode = shellExitCode(r.status, r.signal);
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command inside a node; stdin/stdout/stderr streamed, its exit code returned')
    .usage('[--lab LAB] [--class NAME] [-t] NODE -- CMD [ARGS…]')
    .option('--lab <lab>', 'lab of the node (default: the only running lab that has it)')
    .option('--class <name>', 'run in the node\'s traffic class NAME (classes: in the topology)')
    .option('-t, --tty', 'allocate a terminal (for interactive programs)')
    .argument('<node>', 'node name')
    .argument('<cmd...>', 'command and arguments')
    .action((node: string, cmd: string[], flags: { lab?: string; class?: string; tty?: boolean }) => {
      const args = ['exec'];
      if (flags.lab) args.push('--lab', flags.lab);
      if (flags.class) args.push('--class', flags.class);
      if (flags.tty) args.push('-t');
      runNative([...args, node, '--', ...cmd]);
    });
  program
    .command('shell')
    .description('an interactive shell inside a node (a real terminal: job control, Ctrl-C, window size)')
    .option('--lab <lab>', 'lab of the node (default: the only running lab that has it)')
    .argument('<node>', 'node name')
    .action((node: string, flags: { lab?: string }) => {
      runNative(['shell', ...(flags.lab ? ['--lab', flags.lab] : []), node]);
    });
}
