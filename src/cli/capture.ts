/**
 * `netlab capture ENDPOINT… | --all [--lab LAB] [-w FILE | -w -] [-c N] [--duration S] [FILTER…]`:
 * packets of a running lab into one pcapng — a thin shell over `lab.capture()`
 * (src/observe/capture.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { checkOutput } from '../lab/output.js';
import { isLan } from '../topology/link-types/index.js';
import { parseTime, UnitError } from '../topology/units.js';
import type { CaptureReport, Topology } from '../index.js';
import { warn } from './output.js';

interface CaptureFlags {
  lab?: string; all?: boolean; write?: string; count?: string; duration?: string; snaplen?: string; buffer?: string; quiet?: boolean;
}

/**
 * Splits the positional words into endpoints and a filter (pure): leading
 * words that name an endpoint (`NODE:IFACE`, `host:IFACE`) or a LAN of the lab
 * are endpoints; the first other word starts the pcap filter, as in tcpdump
 * (`netlab capture r1:eth1 icmp or arp`). With --all every word is filter.
 */
export function splitWords(t: Topology, words: string[], all: boolean): { endpoints: string[]; filter: string } {
  const lans = new Set(t.links.flatMap((l) => (isLan(l) ? [l.name, l.segment].filter((x): x is string => !!x) : [])));
  let i = 0;
  if (!all) {
    while (i < words.length && (lans.has(words[i]!) || /^[A-Za-z][\w-]*:\S+$/.test(words[i]!))) i++;
  }
  return { endpoints: words.slice(0, i), filter: words.slice(i).join(' ').trim() };
}

/** A whole number ≥ min from a flag. @throws UsageError naming the flag. */
function whole(flag: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`${flag} ${v}`, `is not a whole number from ${min} to ${max}`, `e.g. ${flag} ${Math.max(min, 10)}`);
  return n;
}

/** --duration: seconds (`10`, `2.5`) or a time with a unit (`500ms`, `1s`). @throws UsageError. */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  let ms: number;
  try {
    ms = /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) * 1000 : parseTime(v);
  } catch (err) {
    throw new UsageError(`--duration ${v}`, (err as Error).message, err instanceof UnitError ? err.hint : 'seconds, e.g. --duration 10, or a time: 500ms');
  }
  if (!(ms > 0)) throw new UsageError(`--duration ${v}`, 'must be more than 0', 'e.g. --duration 10 (seconds)');
  return ms;
}

/** `<lab>-YYYYMMDD-HHMMSS.pcapng`, the file a capture without -w writes (pure). */
export function defaultCaptureFile(lab: string, now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${lab}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}.pcapng`;
}

/** The closing line on stderr (pure). */
export function captureSummary(r: CaptureReport, where: string): string {
  const per = r.interfaces.map((i) => `${i.endpoint} ${i.written}${i.gone ? ' (gone)' : ''}`).join(', ');
  return `${r.packets} packet${r.packets === 1 ? '' : 's'} into ${where} (${per})`;
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('capture packets of a running lab into one pcapng (an interface block per endpoint)')
    .argument('[words...]', 'endpoints (r1:eth1, host:IFACE, a LAN name), then a tcpdump filter (icmp, "port 179")')
    .option('--all', 'every interface of every running node')
    .option('--lab <lab>', 'lab (default: the only running lab)')
    .option('-w, --write <file>', 'pcapng file to write; - writes to standard output (pipe into wireshark -k -i - or tcpdump -r -)')
    .option('-c, --count <n>', 'stop after N packets')
    .option('--duration <seconds>', 'stop after this long (10, 2.5, 500ms)')
    .option('--snaplen <bytes>', 'bytes kept of each packet (default 262144)')
    .option('--buffer <KiB>', 'kernel ring per interface, KiB (default 4096)')
    .option('-q, --quiet', 'no lines on stderr except errors and warnings')
    .action(async (words: string[], flags: CaptureFlags) => {
      const lab = Lab.open(flags.lab);
      const { endpoints, filter } = splitWords(lab.topology, words, !!flags.all);
      const count = whole('-c', flags.count, 1);
      const durationMs = parseDuration(flags.duration);
      const snaplen = whole('--snaplen', flags.snaplen, 64, 262144);
      const bufferKb = whole('--buffer', flags.buffer, 64, 4 * 1024 * 1024);
      const toStdout = flags.write === '-';
      if (toStdout && process.stdout.isTTY) {
        throw new UsageError('-w -', 'standard output is a terminal, and pcapng is binary', 'pipe it: netlab capture … -w - | wireshark -k -i -   (or | tcpdump -n -r -), or give a file: -w capture.pcapng');
      }
      const file = toStdout ? undefined : flags.write ?? defaultCaptureFile(lab.name, new Date());
      if (file) checkOutput(file, '-w', lab.topology.file ? [lab.topology.file] : []);
      const stopper = new AbortController();
      const cap = lab.capture({
        endpoints, all: flags.all, filter, count, durationMs, snaplen, bufferKb,
        output: toStdout ? 1 : file!, signal: stopper.signal, onWarning: warn,
      });
      const onSignal = (): void => stopper.abort();
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
      try {
        await cap.ready;
        const where = file ?? 'standard output';
        if (!flags.quiet) process.stderr.write(`capturing ${cap.targets.map((x) => x.endpoint).join(', ')} (lab ${lab.name}) into ${where}${filter ? ` (filter: ${filter})` : ''}; Ctrl-C stops\n`);
        const report = await cap.done;
        if (!flags.quiet) process.stderr.write(`${captureSummary(report, where)}\n`);
        if (report.dropped) warn(`${report.dropped} packets were lost by the kernel (the capture fell behind): give --buffer more KiB, capture fewer interfaces, or a filter`);
      } finally {
        for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
      }
    });
}
