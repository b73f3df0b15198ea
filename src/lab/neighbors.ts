/**
 * A router's routing neighbours, for its card in the web UI: OSPF adjacencies
 * and BGP sessions as the daemon reports them, read the way `netlab validate`'s
 * ospf_neighbors and bgp_sessions tests read them (src/validate/ospf.ts,
 * bgp.ts, through the node's kind plug-in: FRR's vtysh JSON, BIRD's birdc).
 */
import type { ExecOptions, ExecResult } from '../daemons/kind.js';
import { findKind } from '../daemons/registry.js';
import type { BgpSessionsTest, Node, OspfNeighborsTest, Topology } from '../topology/types.js';
import { readBgpSessions, type BgpSession } from '../validate/bgp.js';
import { readOspfNeighbors, type OspfNeighbor } from '../validate/ospf.js';
import type { CheckContext } from '../validate/types.js';

export type { BgpSession, OspfNeighbor };

/** What a router says about its neighbours. */
export interface RouterNeighbors {
  node: string;
  /** OSPF adjacencies; absent when the node runs no OSPF (see `problems`). */
  ospf?: OspfNeighbor[];
  /** BGP sessions; absent when the node runs no BGP. */
  bgp?: BgpSession[];
  /** Why a table could not be read ("ospf: vtysh: ospfd is not running"), one line each. */
  problems: string[];
}

/**
 * Asks router `node` for its OSPF neighbours (when its topology has `ospf:`
 * or a config of its own) and BGP sessions (likewise `bgp:`), through `exec`
 * (the lab's exec). A node of another kind has none: empty result.
 */
export async function routerNeighbors(t: Topology, node: Node, exec: (node: string, argv: string[], opts?: ExecOptions) => Promise<ExecResult>): Promise<RouterNeighbors> {
  const out: RouterNeighbors = { node: node.name, problems: [] };
  if (!findKind(node.kind)?.routingState) return out; // no routing daemon (linux, bridge)
  const daemon = node.kind;
  const ctx: CheckContext = { exec, topology: t };
  const own = node.config !== undefined;
  const base = { node: node.name, name: '', index: -1, waitMs: 0, serial: false, daemon };
  const jobs: Promise<void>[] = [];
  if (node.ospf || own) {
    jobs.push(readOspfNeighbors({ ...base, kind: 'ospf_neighbors', state: 'Full' } satisfies OspfNeighborsTest, ctx).then((r) => {
      if (r.neighbors) out.ospf = r.neighbors;
      else if (node.ospf) out.problems.push(`ospf: ${r.problem}`);
    }));
  }
  if (node.bgp || own) {
    jobs.push(readBgpSessions({ ...base, kind: 'bgp_sessions', state: 'Established' } satisfies BgpSessionsTest, ctx).then((r) => {
      if (r.sessions) out.bgp = r.sessions;
      else if (node.bgp) out.problems.push(`bgp: ${r.problem}`);
    }));
  }
  const settled = await Promise.allSettled(jobs);
  for (const s of settled) if (s.status === 'rejected') out.problems.push((s.reason as Error).message);
  return out;
}
