/**
 * `netlab stats [LAB] [--json] [--watch] [--interval S]`: what each node uses
 * (CPU %, memory, tasks, block I/O) and what each interface moves, per second —
 * a thin shell over `lab.sample()` and `statsBetween` (src/observe/stats.ts).
 * `--watch` refreshes like `docker stats`. Exit 1 when a node is dead.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { describeOomKill } from '../observe/oom.js';
import { oomOf, statsBetween } from '../observe/stats.js';
import type { LabSample, LabStats, NodeStats } from '../index.js';
import { colors } from './output.js';
import { parseDuration } from './capture.js';

/** 1536 → "1.5KiB" (pure). */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)}${units[u]}`;
}

/** 12345 B/s → "12.1KiB/s"; 0 → "0B/s" (pure). */
function perS(n: number): string {
  return `${bytes(n)}/s`;
}

function pkts(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(n === 0 ? 0 : 1);
}

/** The table of one lab (pure). */
export function formatStats(s: LabStats): string {
  const head = `${'NODE'.padEnd(12)} ${'KIND'.padEnd(6)} ${'STATE'.padEnd(8)} ${'CPU %'.padStart(6)}  ${'MEM'.padStart(9)} ${'ANON'.padStart(9)} ${'FILE'.padStart(9)} ${'KERNEL'.padStart(9)} ${'LIMIT'.padStart(9)} ${'PIDS'.padStart(5)}  BLOCK I/O (read / write)`;
  const lines = [`lab ${colors.bold(s.lab)} — ${s.at}${s.intervalMs ? `, rates over ${(s.intervalMs / 1000).toFixed(1)} s` : ''}`, colors.dim(head)];
  for (const n of s.nodes) lines.push(...nodeLines(n));
  return `${lines.join('\n')}\n`;
}

function nodeLines(n: NodeStats): string[] {
  const st = n.state === 'dead' ? colors.red('dead'.padEnd(8)) : n.state === 'paused' ? colors.yellow('paused'.padEnd(8)) : colors.green('running'.padEnd(8));
  const m = n.memory;
  const cpu = n.cpuPercent === undefined ? '-' : `${n.cpuPercent.toFixed(1)}%`;
  const io = n.io ? `${perS(n.io.readBytesPerS)} / ${perS(n.io.writeBytesPerS)}` : '-';
  const out = [n.state === 'dead'
    ? `${n.node.padEnd(12)} ${n.kind.padEnd(6)} ${st}`
    : `${n.node.padEnd(12)} ${n.kind.padEnd(6)} ${st} ${cpu.padStart(6)}  ${bytes(m?.totalBytes).padStart(9)} ${bytes(m?.anonBytes).padStart(9)} ${bytes(m?.fileBytes).padStart(9)} ${bytes(m?.kernelBytes).padStart(9)} ${bytes(m?.limitBytes).padStart(9)} ${String(n.pids?.current ?? '-').padStart(5)}  ${io}`];
  for (const k of n.oom) out.push(colors.red(`${' '.repeat(13)}${n.node}: ${describeOomKill(k)}`));
  if (n.oomKills > n.oom.length) out.push(colors.red(`${' '.repeat(13)}${n.node}: ${n.oomKills - n.oom.length} process(es) killed by the OOM killer`));
  for (const i of n.interfaces) {
    const drops = i.dropsPerS ? colors.red(`drops ${pkts(i.dropsPerS)}/s`) : 'drops 0/s';
    out.push(`${' '.repeat(13)}${i.name.padEnd(8)} rx ${perS(i.rxBytesPerS).padStart(11)} ${pkts(i.rxPacketsPerS).padStart(6)} pkt/s   tx ${perS(i.txBytesPerS).padStart(11)} ${pkts(i.txPacketsPerS).padStart(6)} pkt/s   ${drops}`);
  }
  return out;
}

interface StatsFlags { json?: boolean; watch?: boolean; interval?: string }

export function register(program: Command): void {
  program
    .command('stats')
    .description('what each node uses (CPU, memory, tasks, block I/O) and each interface moves, per second')
    .argument('[lab]', 'lab name (default: the only running lab)')
    .option('--json', 'machine-readable output (one LabStats object; with --watch, one per line)')
    .option('--watch', 'refresh until Ctrl-C, like docker stats')
    .option('--interval <seconds>', 'time between the two readings that make a rate (default 1)')
    .action(async (labName: string | undefined, flags: StatsFlags) => {
      const lab = Lab.open(labName);
      const intervalMs = parseDuration(flags.interval) ?? 1000;
      if (intervalMs < 100) throw new UsageError(`--interval ${flags.interval}`, 'is shorter than 0.1 s', 'e.g. --interval 1');
      const show = (s: LabStats, first: boolean): void => {
        if (s.nodes.some((n) => n.state === 'dead')) process.exitCode = 1;
        if (flags.json) { process.stdout.write(flags.watch ? `${JSON.stringify(s)}\n` : `${JSON.stringify(s, null, 2)}\n`); return; }
        const clear = flags.watch && process.stdout.isTTY ? '\x1b[H\x1b[2J' : first ? '' : '\n';
        process.stdout.write(`${clear}${formatStats(s)}`);
      };
      let prev: LabSample = await lab.sample();
      let stop = false;
      const onSignal = (): void => { stop = true; };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        for (let first = true; ; first = false) {
          const end = Date.now() + intervalMs;
          while (!stop && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
          if (stop) break;
          const cur = await lab.sample();
          show(statsBetween(prev, cur, oomOf(cur)), first);
          prev = cur;
          if (!flags.watch) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
