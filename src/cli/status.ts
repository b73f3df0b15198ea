/**
 * `netlab status [LAB] [--json] [--all-users]`: a table per lab — node, kind, state, PID,
 * interfaces with addresses and peers, shaping, daemons.
 */
import type { Command } from 'commander';
import { allUsersStatus } from '../lab/all-users.js';
import { Lab } from '../lab/lab.js';
import { describeOomKill } from '../observe/oom.js';
import { describeShaping } from '../topology/shaping.js';
import type { LabStatus, NodeStatus, OwnedLabStatus } from '../index.js';
import { colors } from './output.js';

/** One line per lab: OWNER LAB NODES STATE FILE (`status --all-users`). Pure. */
export function formatOwnedStatus(all: OwnedLabStatus[]): string {
  if (!all.length) return 'no lab is running, for any user\n';
  const w = Math.max(5, ...all.map((s) => s.owner.length));
  const lw = Math.max(3, ...all.map((s) => s.lab.length));
  const rows = all.map((s) => {
    const running = s.nodes.filter((n) => n.state === 'running').length;
    const state = s.problem !== undefined ? `broken: ${s.problem}` : s.interrupted ? 'interrupted' : running === s.nodes.length ? s.phase : `${s.nodes.length - running} node(s) dead`;
    return `${s.owner.padEnd(w)}  ${s.lab.padEnd(lw)}  ${`${running}/${s.nodes.length}`.padStart(5)}  ${state}${s.file ? `  ${s.file}` : ''}`;
  });
  return [colors.dim(`${'OWNER'.padEnd(w)}  ${'LAB'.padEnd(lw)}  NODES  STATE`), ...rows].join('\n') + '\n';
}

function nodeLines(n: NodeStatus): string[] {
  const state = n.paused ? colors.yellow('paused '.padEnd(7)) : (n.state === 'running' ? colors.green : colors.red)(n.state.padEnd(7));
  const dead = n.daemons.filter((d) => !d.running).map((d) => d.daemon);
  const daemons = n.daemons.length ? `  ${n.daemons.map((d) => (d.running ? d.daemon : colors.red(`${d.daemon}(dead)`))).join(' ')}` : '';
  const lo = [n.loopback.ipv4, n.loopback.ipv6].filter(Boolean).join(' ');
  const lines = [`${n.name.padEnd(12)} ${n.kind.padEnd(7)} ${state} ${String(n.state === 'dead' || !n.pid ? '-' : n.pid).padStart(7)}  ${lo ? `lo ${lo}` : ''}${daemons}${dead.length ? colors.red('  ← daemon down') : ''}`];
  if (n.image) lines.push(`${' '.repeat(30)}${colors.dim(`image ${n.image.name}${n.image.digest ? `  ${n.image.digest.slice(0, 19)}…` : n.image.kind === 'folder' ? '  (folder)' : ''}`)}`);
  if (n.oom) {
    const named = n.oom.events.map((e) => colors.red(`${' '.repeat(30)}${n.name}: ${describeOomKill(e)}`));
    const unnamed = n.oom.kills - n.oom.events.length;
    lines.push(...named, ...(unnamed > 0 ? [colors.red(`${' '.repeat(30)}${n.name}: ${unnamed} process${unnamed === 1 ? '' : 'es'} killed by the OOM killer (no longer in the kernel log)`)] : []));
  }
  for (const i of n.interfaces) {
    const addr = [i.ipv4, i.ipv6].filter(Boolean).join(' ');
    const shaping = i.shaping ? describeShaping(i.shaping) : '';
    lines.push(`${' '.repeat(30)}${i.name.padEnd(8)} ${addr.padEnd(20)} ${i.peer ? `→ ${i.peer}` : ''}${i.state === 'down' ? colors.red(i.reason ? ` [down: ${i.reason}]` : ' [down]') : i.state === 'unknown' ? colors.red(' [unknown]') : ''}${shaping ? colors.cyan(`  [${shaping}]`) : ''}`);
  }
  return lines;
}

/** The text table of one lab; a lab whose files cannot be read is one line saying so. */
export function formatStatus(s: LabStatus): string {
  if (s.problem !== undefined) {
    return `lab ${colors.bold(s.lab)} — ${colors.red(`broken: ${s.problem}`)}
  ${colors.dim(`netlab down ${s.lab} removes what is left of it`)}
`;
  }
  const running = s.nodes.filter((n) => n.state === 'running').length;
  const phase = s.interrupted ? colors.red(` (interrupted: its netlab up died before finishing; netlab down ${s.lab} removes it)`)
    : s.phase !== 'running' ? ` (${s.phase})` : '';
  const head = `lab ${colors.bold(s.lab)} — ${running}/${s.nodes.length} nodes running${phase}${s.file ? `  ${colors.dim(s.file)}` : ''}`;
  const cols = `${'NODE'.padEnd(12)} ${'KIND'.padEnd(7)} ${'STATE'.padEnd(7)} ${'PID'.padStart(7)}  INTERFACES`;
  return [head, colors.dim(cols), ...s.nodes.flatMap(nodeLines)].join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('status')
    .description('show running labs: nodes, state, PIDs, interfaces, addresses, shaping, daemons')
    .argument('[lab]', 'lab name (default: every running lab)')
    .option('--json', 'machine-readable output')
    .option('--all-users', 'as root: every user\'s labs too (rootless labs, docs/rootless.md), with their owner')
    .action(async (lab: string | undefined, flags: { json?: boolean; allUsers?: boolean }) => {
      if (flags.allUsers) {
        const owned = await allUsersStatus(lab);
        if (owned.some((s) => s.problem !== undefined || s.interrupted || s.nodes.some((n) => n.state === 'dead'))) process.exitCode = 1;
        process.stdout.write(flags.json ? `${JSON.stringify(owned, null, 2)}\n` : formatOwnedStatus(owned));
        return;
      }
      const all = lab !== undefined ? [await Lab.statusOf(lab)] : await Lab.statusAll();
      // The same exit code with and without --json (docs/cli.md): 1 when a lab is broken, a node is dead or an up was interrupted.
      if (all.some((s) => s.problem !== undefined || s.interrupted || s.nodes.some((n) => n.state === 'dead'))) process.exitCode = 1;
      if (flags.json) {
        // Shapes scripts rely on: one LabStatus object with LAB, an array of them without.
        process.stdout.write(`${JSON.stringify(lab ? all[0] : all, null, 2)}\n`);
        return;
      }
      if (!all.length) { process.stdout.write('no lab is running (start one: netlab up FILE)\n'); return; }
      process.stdout.write(all.map(formatStatus).join('\n'));
    });
}
