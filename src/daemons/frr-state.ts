/**
 * FRR's routing state through vtysh's JSON output: `show ip ospf neighbor
 * json` (ospfd) and `show bgp neighbors json` (bgpd, every configured
 * neighbour with its state whatever the address family). The frr kind's
 * `routingState` (src/daemons/routing-state.ts).
 */
import { firstLine } from '../topology/clip.js';
import type { BgpSessionState, NodeQuery, OspfNeighbor, RoutingState, StateAnswer } from './routing-state.js';

interface FrrNeighbor { nbrState?: string; state?: string; ifaceName?: string; address?: string; ifaceAddress?: string }

/**
 * Parses FRR's `show ip ospf neighbor json`: `{ "neighbors": { "<router id>": [ … ] } }`
 * (FRR 7.5 and later; older releases put the router ids at the top level and a
 * single object instead of a list — both are read).
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrrOspfNeighbors(json: string): OspfNeighbor[] {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const table = (doc.neighbors ?? doc) as Record<string, FrrNeighbor | FrrNeighbor[]>;
  const out: OspfNeighbor[] = [];
  for (const [id, v] of Object.entries(table)) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(id)) continue;
    for (const n of Array.isArray(v) ? v : [v]) {
      out.push({
        routerId: id,
        state: n.nbrState ?? n.state ?? 'unknown',
        iface: (n.ifaceName ?? '').split(':')[0]!,
        address: n.ifaceAddress ?? n.address ?? '',
      });
    }
  }
  return out;
}

interface FrrPeer { bgpState?: string; remoteAs?: number; lastResetDueTo?: string; lastNotificationReason?: string }

/**
 * Parses FRR's `show bgp neighbors json`: `{ "<address or iface>": { "bgpState": …, "remoteAs": … } }`.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrrBgpNeighbors(json: string): BgpSessionState[] {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const out: BgpSessionState[] = [];
  for (const [peer, v] of Object.entries(doc)) {
    if (v === null || typeof v !== 'object' || !('bgpState' in v)) continue;
    const p = v as FrrPeer;
    const s: BgpSessionState = { peer, state: p.bgpState! };
    if (p.remoteAs !== undefined) s.remoteAs = p.remoteAs;
    const reason = p.lastNotificationReason ?? p.lastResetDueTo;
    if (reason) s.reason = reason;
    out.push(s);
  }
  return out;
}

/**
 * `vtysh -c COMMAND` in the node, its JSON answer parsed by `parse`. FRR that
 * does not answer yet, or answers something else, is a `problem` (naming
 * `daemon` when it may not run); vtysh not installed (exit 127) is `missing`.
 */
export async function vtyshJson<T>(query: NodeQuery, node: string, command: string, daemon: string, parse: (json: string) => T): Promise<StateAnswer<T>> {
  const source = `vtysh -c '${command}'`;
  const r = await query(['vtysh', '-c', command], { timeoutMs: 10_000 });
  if (r.code === 127) return { source, problem: `vtysh is not installed in ${node} (Debian package frr)`, missing: true };
  if (r.code !== 0) return { source, problem: `vtysh: ${firstLine(r.stdout || r.stderr) || `exited with ${r.code}`}` };
  try {
    return { source, value: parse(r.stdout) };
  } catch {
    const said = firstLine(r.stdout || r.stderr);
    return { source, problem: `vtysh: ${said}${/not running/i.test(said) ? '' : ` (is ${daemon} running?)`}` };
  }
}

/** The frr kind's routing state: ospfd's and bgpd's JSON through vtysh. */
export const frrState: RoutingState = {
  ospfNeighbors: (query, node) => vtyshJson(query, node, 'show ip ospf neighbor json', 'ospfd', parseFrrOspfNeighbors),
  bgpSessions: (query, node) => vtyshJson(query, node, 'show bgp neighbors json', 'bgpd', parseFrrBgpNeighbors),
};
