/**
 * A small interpreter of the example labs' `tests:` items, so the daemon
 * suites can prove each lab converges with exactly the tests it ships.
 * src/validate (issue 8) owns the real runner; this one understands the
 * shapes the example labs use and nothing else:
 *
 *   reach:          { from: NODE, to: NODE | ADDRESS }                 ping, 1 packet
 *   route:          { node, prefix, protocol?, via? }                   the kernel's table
 *   exec:           { node, cmd, output?: REGEX, exit?: N }             /bin/sh -c
 *   ospf_neighbors: { node, count, state }                              FRR, IPv4
 *   bgp_sessions:   { node, state, count }                              FRR, all families
 *   bird_protocol:  { node, protocol, state }                           birdc show protocols
 * plus `name:` and `wait:` ("30s": retry until it passes or the time is up).
 * `to: NODE` pings the node's loopback when it is a router (frr, bird),
 * otherwise its first interface address (a host's loopback is not routed).
 */
import type { ExecResult } from '../../src/daemons/kind.js';
import { poll, PollTimeout } from '../../src/daemons/poll.js';
import type { Node, Topology } from '../../src/topology/types.js';

/** Runs argv in a node of the lab under test. */
export type Exec = (node: string, argv: string[]) => Promise<ExecResult>;

type Obj = Record<string, unknown>;
type Verdict = { ok: true } | { ok: false; seen: string };

/** The address `to:` names: an address as given, a router's loopback, or a host's first interface address. */
export function reachTarget(t: Topology, to: string): string {
  const n = t.nodes.find((x) => x.name === to);
  if (!n) return to;
  const router = n.kind === 'frr' || n.kind === 'bird';
  const addr = (router ? n.loopback.ipv4 : undefined) ?? n.interfaces.find((i) => i.ipv4)?.ipv4 ?? n.loopback.ipv4;
  if (!addr) throw new Error(`reach: ${to} has no IPv4 address`);
  return addr.split('/')[0]!;
}

function seconds(wait: unknown): number {
  if (wait === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(wait));
  if (!m) throw new Error(`wait: cannot read ${String(wait)}`);
  const v = Number(m[1]);
  return m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v;
}

async function once(t: Topology, exec: Exec, test: Obj): Promise<Verdict> {
  if (test.reach) {
    const r = test.reach as { from: string; to: string };
    const res = await exec(r.from, ['ping', '-c', '1', '-W', '1', reachTarget(t, r.to)]);
    return res.code === 0 ? { ok: true } : { ok: false, seen: res.stdout.trim().split('\n').slice(-2).join(' | ') };
  }
  if (test.route) {
    const r = test.route as { node: string; prefix: string; protocol?: string; via?: string };
    const v6 = r.prefix.includes(':');
    const sel = r.prefix === '0.0.0.0/0' || r.prefix === '::/0' ? 'default' : r.prefix;
    const res = await exec(r.node, ['ip', '-j', v6 ? '-6' : '-4', 'route', 'show', sel]);
    const routes = res.code === 0 ? (JSON.parse(res.stdout) as { protocol?: string; gateway?: string; nexthops?: { gateway?: string }[] }[]) : [];
    const good = routes.some((x) => (r.protocol === undefined || x.protocol === r.protocol)
      && (r.via === undefined || x.gateway === r.via || (x.nexthops ?? []).some((h) => h.gateway === r.via)));
    return good ? { ok: true } : { ok: false, seen: res.stdout.trim() || 'no such route' };
  }
  if (test.exec) {
    const e = test.exec as { node: string; cmd: string; output?: string; exit?: number };
    const res = await exec(e.node, ['/bin/sh', '-c', e.cmd]);
    if (res.code !== (e.exit ?? 0)) return { ok: false, seen: `exit ${res.code}: ${res.stdout}${res.stderr}` };
    if (e.output !== undefined && !new RegExp(e.output, 'm').test(res.stdout)) return { ok: false, seen: res.stdout };
    return { ok: true };
  }
  if (test.ospf_neighbors) {
    const o = test.ospf_neighbors as { node: string; count: number; state: string };
    const res = await exec(o.node, ['vtysh', '-c', 'show ip ospf neighbor json']);
    const nb = res.code === 0 ? ((JSON.parse(res.stdout) as { neighbors?: Record<string, Obj[]> }).neighbors ?? {}) : {};
    const states = Object.values(nb).flat().map((x) => String(x.nbrState ?? x.state ?? ''));
    const n = states.filter((s) => s.split('/')[0] === o.state).length;
    return n === o.count ? { ok: true } : { ok: false, seen: `${n} ${o.state} (${states.join(', ') || 'no neighbours'})` };
  }
  if (test.bgp_sessions) {
    const b = test.bgp_sessions as { node: string; state: string; count: number };
    const res = await exec(b.node, ['vtysh', '-c', 'show bgp summary json']);
    const afs = res.code === 0 ? (JSON.parse(res.stdout) as Record<string, { peers?: Record<string, { state: string }> }>) : {};
    const peers = new Map<string, string>();
    for (const af of Object.values(afs)) for (const [addr, p] of Object.entries(af.peers ?? {})) peers.set(addr, p.state);
    const n = [...peers.values()].filter((s) => s === b.state).length;
    return n === b.count ? { ok: true } : { ok: false, seen: [...peers].map(([a, s]) => `${a} ${s}`).join(', ') || 'no sessions' };
  }
  if (test.bird_protocol) {
    const p = test.bird_protocol as { node: string; protocol: string; state: string };
    const res = await exec(p.node, ['birdc', 'show', 'protocols', p.protocol]);
    const line = res.stdout.split('\n').find((l) => l.startsWith(`${p.protocol} `)) ?? '';
    return line.split(/\s+/)[3] === p.state ? { ok: true } : { ok: false, seen: line || res.stdout.trim() };
  }
  throw new Error(`unknown test: ${JSON.stringify(test)}`);
}

/** Runs one test, retrying until its `wait:` is over. Resolves when it passes; throws with what was seen. */
export async function runLabTest(t: Topology, exec: Exec, test: Obj): Promise<void> {
  const name = String(test.name ?? JSON.stringify(test));
  const waitMs = seconds(test.wait) * 1000;
  try {
    await poll(name, waitMs, async () => {
      const v = await once(t, exec, test);
      return v.ok ? { done: true, value: undefined } : { done: false, seen: v.seen };
    });
  } catch (err) {
    if (err instanceof PollTimeout) throw new Error(`${name}: failed; seen: ${err.seen}`);
    throw err;
  }
}

/** The nodes a lab's tests run on (for skipping labs whose kinds are missing). */
export function testNodes(t: Topology): Node[] {
  const names = new Set(t.tests.flatMap((x) => Object.values(x).filter((v): v is Obj => typeof v === 'object' && v !== null).flatMap((v) => [v.node, v.from]).filter((n): n is string => typeof n === 'string')));
  return t.nodes.filter((n) => names.has(n.name));
}
