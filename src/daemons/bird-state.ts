/**
 * BIRD 2's routing state through birdc(8): `show protocols`, `show protocols
 * all` and `show ospf neighbors` print tables, not JSON; these parsers read
 * the layout BIRD 2.0 prints (checked against bird 2.0.12 output in
 * test/fixtures/validate/). birdc talks to the control socket at its default
 * path (/run/bird/bird.ctl), where the bird kind starts the daemon. The bird
 * kind's `routingState` (src/daemons/routing-state.ts).
 */
import { firstLine } from '../topology/clip.js';
import type { BgpSessionState, NodeQuery, OspfNeighbor, RoutingState, StateAnswer } from './routing-state.js';

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
 * `birdc ARGS…` in the node: its output text. A daemon that does not answer
 * yet is a `problem`; birdc not installed (exit 127) is `missing`.
 */
export async function birdc(query: NodeQuery, node: string, args: string[]): Promise<StateAnswer<string>> {
  const source = `birdc ${args.join(' ')}`;
  const r = await query(['birdc', ...args], { timeoutMs: 10_000 });
  if (r.code === 127) return { source, problem: `birdc is not installed in ${node} (Debian package bird2)`, missing: true };
  const text = `${r.stdout}${r.stderr}`;
  if (r.code !== 0 || /Unable to connect to server control socket/.test(text)) {
    return { source, problem: `birdc: ${firstLine(text) || `exited with ${r.code}`}` };
  }
  return { source, value: text };
}

/** The bird kind's routing state: birdc's OSPF neighbour table and its BGP protocols. */
export const birdState: RoutingState = {
  async ospfNeighbors(query: NodeQuery, node: string): Promise<StateAnswer<OspfNeighbor[]>> {
    const r = await birdc(query, node, ['show', 'ospf', 'neighbors']);
    if (!('value' in r)) return r;
    return { source: r.source, value: parseBirdOspfNeighbors(r.value).map((n) => ({ routerId: n.routerId, state: n.state, iface: n.iface, address: n.address })) };
  },
  async bgpSessions(query: NodeQuery, node: string): Promise<StateAnswer<BgpSessionState[]>> {
    const r = await birdc(query, node, ['show', 'protocols', 'all']);
    if (!('value' in r)) return r;
    const sessions = parseBirdProtocols(r.value).filter((p) => p.proto === 'BGP').map((p) => {
      const s: BgpSessionState = { peer: p.neighborAddress ?? p.name, state: p.bgpState ?? p.info.split(/\s+/)[0] ?? p.state, protocol: p.name };
      if (p.neighborAs !== undefined) s.remoteAs = p.neighborAs;
      if (p.lastError) s.reason = p.lastError;
      return s;
    });
    return { source: r.source, value: sessions };
  },
};
