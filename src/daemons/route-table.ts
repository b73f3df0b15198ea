/**
 * A node's routing table as `route:` tests read it. Each kind may say where
 * its routes are read (Kind.routes): FRR's zebra RIB through vtysh
 * (src/daemons/frr-routes.ts), which lists every protocol's candidate with the
 * selected one marked; a kind that says nothing (linux, bird, bridge) is read
 * through the kernel's main table (`ip -j route show table main`,
 * `kernelRoutes` here). src/validate asks the node's kind and names none.
 */
import { firstLine } from '../topology/clip.js';
import { formatCidr, network, parseCidr } from '../topology/ip.js';
import type { RouteProtocol } from '../topology/types.js';
import type { Kind } from './kind.js';
import type { NodeQuery, StateAnswer } from './routing-state.js';

/** A next hop of a route: gateway address and/or outgoing interface. */
export interface RouteNextHop {
  via?: string;
  dev?: string;
}

/** One candidate route for a prefix, in FRR's vocabulary. */
export interface RouteEntry {
  /** Normalised CIDR. */
  prefix: string;
  /** ospf, bgp, static, connected, kernel (FRR's names; the kernel's are mapped, see kernelProtocol). */
  protocol: string;
  /** The route in use: FRR's "selected", or the kernel's lowest metric for the prefix. */
  selected: boolean;
  nexthops: RouteNextHop[];
  /** Route type when not unicast: blackhole, unreachable, prohibit. */
  type?: string;
}

/**
 * Where a kind's routes are read, and how its protocol names are matched.
 * `read` asks through `query` (run inside node `node`, named in messages) and
 * never throws for a table that does not answer: that is a `problem`; the
 * tool not installed (exit 127) is `missing`.
 */
export interface RouteTable {
  /** The node's IPv4 (`family` 4) or IPv6 (6) routes, every candidate the table lists. */
  read(query: NodeQuery, node: string, family: 4 | 6): Promise<StateAnswer<RouteEntry[]>>;
  /** Whether a route this table lists as learnt from `got` satisfies a test's `protocol: want`. */
  protocolMatches(want: RouteProtocol, got: string): boolean;
}

/** "10.0.0.3" → "10.0.0.3/32", "default" → "0.0.0.0/0" (family 4), "10.1.0.1/31" → "10.1.0.0/31". */
export function normalisePrefix(dst: string, family: 4 | 6): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  const c = parseCidr(dst, (f) => (f === 4 ? 32 : 128));
  return c ? formatCidr({ ...c, addr: network(c) }) : dst;
}

/** A next hop with only the parts that are there. */
export function nextHop(via: string | undefined, dev: string | undefined): RouteNextHop {
  const h: RouteNextHop = {};
  if (via) h.via = via;
  if (dev) h.dev = dev;
  return h;
}

/**
 * The kernel's route protocol (rtnetlink rtm_protocol as iproute2 names it,
 * /etc/iproute2/rt_protos and FRR's rt_protos.d/frr.conf) in FRR's words:
 * kernel + scope link → connected; boot (`ip route add`) and static → static;
 * FRR's numbers 186/188/196 → bgp/ospf/static. Anything else is kept.
 */
export function kernelProtocol(proto: string | undefined, scope: string | undefined): string {
  switch (proto) {
    case undefined: case 'boot': case 'static': case '4': case '196': return 'static';
    case 'kernel': return scope === 'link' ? 'connected' : 'kernel';
    case '186': return 'bgp';
    case '188': return 'ospf';
    default: return proto;
  }
}

interface KernelRoute {
  dst?: string; type?: string; gateway?: string; dev?: string; protocol?: string; scope?: string; metric?: number;
  nexthops?: { gateway?: string; dev?: string }[];
}

/**
 * Parses `ip -j route show` output (iproute2 JSON).
 * @throws SyntaxError when the text is not JSON.
 */
export function parseKernelRoutes(json: string, family: 4 | 6): RouteEntry[] {
  const rows = JSON.parse(json) as KernelRoute[];
  const entries = rows.map((r) => {
    const e: RouteEntry = {
      prefix: normalisePrefix(r.dst ?? 'default', family),
      protocol: kernelProtocol(r.protocol, r.scope),
      selected: false,
      nexthops: r.nexthops?.length ? r.nexthops.map((h) => nextHop(h.gateway, h.dev)) : [nextHop(r.gateway, r.dev)],
    };
    if (r.type && r.type !== 'unicast') e.type = r.type;
    return { e, metric: r.metric ?? 0 };
  });
  const best = new Map<string, number>();
  for (const { e, metric } of entries) best.set(e.prefix, Math.min(best.get(e.prefix) ?? Infinity, metric));
  const taken = new Set<string>();
  for (const { e, metric } of entries) {
    if (metric === best.get(e.prefix) && !taken.has(e.prefix)) { e.selected = true; taken.add(e.prefix); }
  }
  return entries.map(({ e }) => e);
}

/**
 * The protocol matches every table shares: the same name; OSPFv3 (`ospf6`)
 * for `ospf`; BIRD's kernel protocol `bird` for ospf, bgp and static (BIRD
 * installs every route so; which BIRD protocol learnt it is not in the kernel).
 */
export function sameProtocol(want: RouteProtocol, got: string): boolean {
  if (got === want) return true;
  if (want === 'ospf' && got === 'ospf6') return true;
  return got === 'bird' && (want === 'ospf' || want === 'bgp' || want === 'static');
}

/**
 * Runs `argv` in the node and parses its JSON answer with `parse`. Exit 127:
 * `missing` ("<tool> is not installed in <node>"); another non-zero exit or
 * an answer that is not JSON: a `problem` naming the tool and its first line.
 */
export async function readJsonTable(query: NodeQuery, node: string, argv: string[], source: string,
  parse: (json: string) => RouteEntry[]): Promise<StateAnswer<RouteEntry[]>> {
  const r = await query(argv, { timeoutMs: 10_000 });
  if (r.code === 127) return { source, problem: `${argv[0]} is not installed in ${node}`, missing: true };
  if (r.code !== 0) return { source, problem: `${argv[0]} exited with ${r.code}: ${firstLine(r.stderr || r.stdout)}` };
  try {
    return { source, value: parse(r.stdout) };
  } catch {
    return { source, problem: `${argv[0]} did not answer with JSON: ${firstLine(r.stdout || r.stderr)}` };
  }
}

/** The kernel's main table (`ip -4|-6 -j route show table main`): the table of every kind that names none. */
export const kernelRoutes: RouteTable = {
  read: (query, node, family) => readJsonTable(query, node, ['ip', `-${family}`, '-j', 'route', 'show', 'table', 'main'],
    `ip -${family} -j route show table main`, (json) => parseKernelRoutes(json, family)),
  protocolMatches: sameProtocol,
};

/** The table `route:` tests read on a node of `kind`: the kind's own (Kind.routes), else the kernel's main table. */
export function routeTableOf(kind: Kind | undefined): RouteTable {
  return kind?.routes ?? kernelRoutes;
}
