/**
 * `netlab link set|down|up|show`: change a running lab's links.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { Lab } from '../lab/lab.js';
import { otherEnd } from '../lab/links.js';
import { requireLabName } from '../lab/paths.js';
import { describeShaping } from '../topology/shaping.js';
import { parseShapingChange } from '../topology/shaping-change.js';
import type { LinkReport, Shaping, ShapingChange } from '../index.js';
import { colors, warn } from './output.js';

/** `link set`'s flags: one per key of a shaping change (SHAPING_CHANGE_KEYS), and these. */
interface SetFlags extends ShapingChange {
  lab?: string; reset?: boolean; both?: boolean;
}

/** The lab a `link` command acts on: --lab (checked: a lab name), else the only running lab. */
function labOf(flag: string | undefined): Lab {
  return Lab.open(flag === undefined ? undefined : requireLabName(flag, '--lab'));
}

/** The Shaping a `link set` command line asks for (pure; src/topology/shaping-change.ts). */
export function shapingFromFlags(f: SetFlags): Shaping {
  return parseShapingChange(f);
}

export { otherEnd };

/** The qdisc's counters when netlab shapes the link; else the interface's own (a noqueue root counts nothing). */
function formatCounters(r: Required<Pick<LinkReport, 'state' | 'shaping'>>): string {
  const c = r.shaping.counters;
  if (r.shaping.layout === 'none') return `sent ${r.state.tx.bytes} B ${r.state.tx.packets} pkt, dropped ${r.state.tx.dropped}`;
  return `sent ${c.sentBytes} B ${c.sentPackets} pkt, dropped ${c.dropped}, overlimits ${c.overlimits}, backlog ${c.backlogPackets} pkt`;
}

export function register(program: Command): void {
  const link = program.command('link').description('change a running lab\'s links: shaping, cut, restore, show');

  link.command('set')
    .description('change the egress shaping of an endpoint (both directions with --both); 0 removes a value')
    .argument('<endpoint>', 'NODE:IFACE, e.g. r1:eth1')
    .option('--lab <lab>', 'lab (default: the only running lab)')
    .option('--rate <rate>', 'rate limit, e.g. 10mbit, 500kbit (0: none)')
    .option('--burst <size>', 'token bucket size, e.g. 32kb')
    .option('--limit <packets>', 'queue limit, packets')
    .option('--delay <time>', 'added delay, e.g. 20ms')
    .option('--jitter <time>', 'delay variation, e.g. 5ms')
    .option('--loss <percent>', 'random loss, e.g. 1%')
    .option('--corrupt <percent>', 'corrupted packets, e.g. 0.1%')
    .option('--duplicate <percent>', 'duplicated packets')
    .option('--reorder <percent>', 'reordered packets (needs --delay)')
    .option('--reset', 'start from no shaping instead of what is in effect')
    .option('--both', 'apply to both ends of the link (both directions)')
    .action(async (endpoint: string, flags: SetFlags) => {
      const lab = labOf(flags.lab);
      const change = shapingFromFlags(flags);
      if (!Object.keys(change).length && !flags.reset) throw new UsageError('netlab link set', 'nothing to change', 'give --rate, --delay, --loss, … or --reset');
      const ends = [endpoint];
      if (flags.both) {
        ends.push(otherEnd(lab.topology, endpoint));
      }
      const result = await lab.setShaping(ends, change, { reset: flags.reset, onWarning: warn });
      ends.forEach((e, i) => process.stdout.write(`${e}: ${describeShaping(result[i])}\n`));
    });

  for (const up of [false, true]) {
    link.command(up ? 'up' : 'down')
      .description(up ? 'restore a cut link' : 'cut a link: the interface goes down and its peer loses carrier')
      .argument('<endpoint>', 'NODE:IFACE')
      .option('--lab <lab>', 'lab (default: the only running lab)')
      .action(async (endpoint: string, flags: { lab?: string }) => {
        const end = labOf(flags.lab).link(endpoint);
        await (up ? end.up({ onWarning: warn }) : end.down({ onWarning: warn }));
        process.stdout.write(`${endpoint} is ${up ? 'up' : 'down'}\n`);
      });
  }

  link.command('show')
    .description('shaping in effect on every interface, with sent/dropped/overlimit counters')
    .argument('[endpoints...]', 'NODE:IFACE (default: all)')
    .option('--lab <lab>', 'lab (default: the only running lab)')
    .option('--json', 'machine-readable output')
    .action(async (endpoints: string[], flags: { lab?: string; json?: boolean }) => {
      const reports = await labOf(flags.lab).showLinks(endpoints);
      if (reports.some((r) => r.gone)) process.exitCode = 1; // as netlab status does for a dead node
      if (flags.json) { process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`); return; }
      for (const r of reports) {
        const { state, shaping } = r;
        if (!state || !shaping) {
          process.stdout.write(`${r.endpoint.padEnd(16)} ${colors.red('gone').padEnd(10)} ${r.peer ? `→ ${r.peer}` : ''}\n${' '.repeat(17)}${r.gone ?? ''}\n`);
          continue;
        }
        const st = state.adminUp ? (state.carrier ? colors.green('up') : colors.yellow('no-carrier')) : colors.red('down');
        process.stdout.write(`${r.endpoint.padEnd(16)} ${st.padEnd(10)} ${r.peer ? `→ ${r.peer}` : ''}\n`
          + `${' '.repeat(17)}${shaping.rootKind}${describeShaping(shaping.shaping) === 'none' ? '' : ` ${describeShaping(shaping.shaping)}`}; ${formatCounters({ state, shaping })}\n`);
      }
    });
}
