/**
 * Reading BIRD 2 through birdc(8): `show protocols`, `show protocols all`
 * and `show ospf neighbors` print tables, not JSON; these parsers read the
 * layout BIRD 2.0 prints (checked against bird 2.0.12 output in
 * test/fixtures/validate/). birdc talks to the control socket at its default
 * path (/run/bird/bird.ctl), where netlab's bird kind starts the daemon.
 */
import type { BirdProtocolTest } from '../topology/types.js';
import { CheckError } from './errors.js';
import { firstLine } from './labels.js';
import type { Check, CheckContext, Observation } from './types.js';
import { read } from './reads.js';

/** One row of `birdc show protocols` (plus details from `show protocols all`). */
export interface BirdProtocol {
  name: string;
  /** Device, Direct, Kernel, OSPF, BGP, Static, … */
  proto: string;
  table: string;
  /** up, down, start, stop. */
  state: string;
  since: string;
  /** Running, Alone, Established, Active, Connect, Idle … (may be empty). */
  info: string;
  /** From `show protocols all`, BGP: "Neighbor address:". */
  neighborAddress?: string;
  /** From `show protocols all`, BGP: "Neighbor AS:". */
  neighborAs?: number;
  /** From `show protocols all`, BGP: "BGP state:". */
  bgpState?: string;
  /** From `show protocols all`, BGP: "Last error:". */
  lastError?: string;
}

const HEADER = /^Name\s+Proto\s+Table\s+State\s+Since\s+Info/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses `birdc show protocols` or `birdc show protocols all`. */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  let current: BirdProtocol | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || HEADER.test(line) || /^BIRD [\d.]+ ready\./.test(line)) continue;
    if (/^\S/.test(line)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      let i = 4;
      let since = f[i]!;
      if (DATE.test(since) && f[i + 1]) since = `${since} ${f[++i]}`;
      current = { name: f[0]!, proto: f[1]!, table: f[2]!, state: f[3]!, since, info: f.slice(i + 1).join(' ') };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const kv = /^\s+([A-Za-z][A-Za-z ]*?):\s+(.*)$/.exec(line);
    if (!kv) continue;
    const [, key, value] = kv as unknown as [string, string, string];
    if (key === 'Neighbor address') current.neighborAddress = value.trim().split(/[%\s]/)[0]!;
    else if (key === 'Neighbor AS') current.neighborAs = Number(value.trim());
    else if (key === 'BGP state') current.bgpState = value.trim();
    else if (key === 'Last error') current.lastError = value.trim();
  }
  return out;
}

/** One neighbour of `birdc show ospf neighbors`. */
export interface BirdOspfNeighbor {
  /** The OSPF protocol instance it belongs to (ospf1). */
  protocol: string;
  routerId: string;
  /** "Full/PtP", "2-Way/Other", … */
  state: string;
  iface: string;
  address: string;
}

/** Parses `birdc show ospf neighbors` (one block per OSPF protocol, "ospf1:" then a table). */
export function parseBirdOspfNeighbors(text: string): BirdOspfNeighbor[] {
  const out: BirdOspfNeighbor[] = [];
  let protocol = '';
  for (const line of text.split('\n')) {
    const block = /^(\S+):\s*$/.exec(line);
    if (block) { protocol = block[1]!; continue; }
    const f = line.trim().split(/\s+/);
    // Router ID, Pri, State, DTime, Interface, Router IP
    if (f.length >= 6 && /^\d+\.\d+\.\d+\.\d+$/.test(f[0]!) && /^\d+$/.test(f[1]!)) {
      out.push({ protocol, routerId: f[0]!, state: f[2]!, iface: f[4]!, address: f[5]! });
    }
  }
  return out;
}

/**
 * Runs birdc in the node. A daemon that does not answer yet is an answer
 * (`problem`), retried while the test waits; birdc missing is a CheckError.
 */
export async function birdc(node: string, args: string[], ctx: CheckContext): Promise<{ text?: string; problem?: string }> {
  const r = await read(ctx, node, ['birdc', ...args], { timeoutMs: 10_000 });
  if (r.code === 127) throw new CheckError(`birdc is not installed in ${node} (Debian package bird2)`);
  const text = `${r.stdout}${r.stderr}`;
  if (r.code !== 0 || /Unable to connect to server control socket/.test(text)) {
    return { problem: `birdc: ${firstLine(text) || `exited with ${r.code}`}` };
  }
  return { text };
}

/** Whether a BIRD protocol is in `want`: its State column, its BGP state, or the start of its Info, case-insensitively. */
export function birdStateMatches(p: BirdProtocol, want: string): boolean {
  const w = want.toLowerCase();
  return p.state.toLowerCase() === w || p.bgpState?.toLowerCase() === w || p.info.toLowerCase().split(/\s+/)[0] === w
    || p.info.toLowerCase().startsWith(w);
}

/** "ospf1 (OSPF) up Running". */
export function formatBirdProtocol(p: BirdProtocol): string {
  return `${p.name} (${p.proto}) ${p.state}${p.info ? ` ${p.info}` : ''}`;
}

export const checkBirdProtocol: Check<BirdProtocolTest> = async (t, ctx) => {
  const expected = `protocol ${t.protocol} ${t.state}`;
  const r = await birdc(t.node, ['show', 'protocols'], ctx);
  if (!r.text) return { ok: false, expected, seen: r.problem! };
  const protocols = parseBirdProtocols(r.text);
  const table = `${t.node}$ birdc show protocols\n${protocols.map((p) => `  ${formatBirdProtocol(p)}`).join('\n')}`;
  const p = protocols.find((x) => x.name === t.protocol);
  if (!p) {
    return { ok: false, expected, seen: `no protocol "${t.protocol}"; ${t.node} has ${protocols.map((x) => x.name).join(', ') || 'none'}`, detail: table };
  }
  const obs: Observation = { ok: birdStateMatches(p, t.state), expected, seen: formatBirdProtocol(p) };
  if (!obs.ok) obs.detail = table;
  return obs;
};
