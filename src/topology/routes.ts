/**
 * Static routes as written in a topology: the string form
 *   "10.2.0.0/16 via 10.1.0.1 [via 10.1.0.3] [dev eth1] [metric 20]"
 *   "default via 10.1.0.1"     "192.168.0.0/16 dev eth2"
 * (the words of ip-route(8)) or an object { prefix, via, dev, metric }, both
 * turned into a RouteSpec with a normalised prefix ("default" becomes
 * 0.0.0.0/0 or ::/0 after the family of `via`).
 */
import type { RouteSpec } from './types.js';
import { checkIfname, type Problem } from './names.js';
import { formatCidr, hasHostBits, network, parseCidr, parseIP, formatIP } from './ip.js';

/** The largest route metric: RTA_PRIORITY is a u32 (rtnetlink(7)). */
export const MAX_METRIC = 0xffffffff;

/**
 * A route in the string form parseRouteString reads (ip-route(8)'s words):
 * `10.2.0.0/16 via 10.1.0.1 via 10.1.0.3 dev eth1 metric 20`, one `via` per
 * next hop, `dev` and `metric` only when set. For `netlab up --dry-run` and for
 * messages about a route (src/net/route.ts, src/net/iface.ts).
 */
export function describeRoute(r: RouteSpec): string {
  return [r.prefix, ...(r.via ?? []).map((v) => `via ${v}`), r.dev ? `dev ${r.dev}` : '', r.metric !== undefined ? `metric ${r.metric}` : '']
    .filter(Boolean).join(' ');
}

/** Parses the string form; returns a RouteSpec or a Problem. */
export function parseRouteString(s: string): RouteSpec | Problem {
  const words = s.trim().split(/\s+/);
  const prefix = words.shift() ?? '';
  const via: string[] = [];
  let dev: string | undefined;
  let metric: number | undefined;
  while (words.length) {
    const w = words.shift()!;
    const arg = words.shift();
    if (arg === undefined) return { what: `route "${s}": "${w}" needs a value`, hint: 'write e.g. "10.2.0.0/16 via 10.1.0.1"' };
    if (w === 'via') via.push(arg);
    else if (w === 'dev') dev = arg;
    else if (w === 'metric') {
      if (!/^\d+$/.test(arg)) return { what: `route "${s}": metric "${arg}" is not a number`, hint: 'write e.g. metric 20' };
      metric = Number(arg);
      if (metric > MAX_METRIC) return { what: `route "${s}": metric ${arg} is above ${MAX_METRIC} (the kernel keeps it in 32 bits)`, hint: 'write a smaller metric, e.g. metric 20' };
    } else return { what: `route "${s}": unknown word "${w}"`, hint: 'the words are via, dev and metric, as in ip-route(8)' };
  }
  return normaliseRoute({ prefix, via, dev, metric }, `route "${s}"`);
}

/**
 * Checks and normalises a route: the prefix parses and has no host bits,
 * next hops parse and have the prefix's family, there is a `via` or a `dev`.
 */
export function normaliseRoute(r: { prefix: string; via?: string | string[]; dev?: string; metric?: number }, label = 'route'): RouteSpec | Problem {
  const vias = r.via === undefined ? [] : Array.isArray(r.via) ? r.via : [r.via];
  const hops: { family: 4 | 6; addr: bigint }[] = [];
  for (const v of vias) {
    const ip = parseIP(v);
    if (!ip) return { what: `${label}: next hop "${v}" is not an address`, hint: 'write an address without a prefix length, e.g. 10.1.0.1' };
    hops.push(ip);
  }
  let prefix: string;
  if (r.prefix === 'default') {
    const fam = hops[0]?.family ?? 4;
    prefix = fam === 4 ? '0.0.0.0/0' : '::/0';
  } else {
    const c = parseCidr(r.prefix);
    if (!c) return { what: `${label}: "${r.prefix}" is not a prefix`, hint: 'write address/length, e.g. 10.2.0.0/16, or default' };
    if (hasHostBits(c)) return { what: `${label}: prefix "${r.prefix}" has host bits set`, hint: `write ${formatCidr({ ...c, addr: network(c) })}` };
    prefix = formatCidr(c);
    const wrong = hops.find((h) => h.family !== c.family);
    if (wrong) return { what: `${label}: next hop ${formatIP(wrong.family, wrong.addr)} is IPv${wrong.family} but the prefix is IPv${c.family}`, hint: 'use a next hop of the same family' };
  }
  if (hops.length > 1 && hops.some((h) => h.family !== hops[0]!.family)) {
    return { what: `${label}: next hops mix IPv4 and IPv6`, hint: 'write one route per family' };
  }
  if (r.dev !== undefined) {
    const p = checkIfname(r.dev);
    if (p) return { what: `${label}: ${p.what}`, hint: p.hint };
  }
  if (hops.length === 0 && r.dev === undefined) return { what: `${label} has neither via nor dev`, hint: 'add "via ADDRESS" or "dev IFACE"' };
  const out: RouteSpec = { prefix };
  if (hops.length) out.via = hops.map((h) => formatIP(h.family, h.addr));
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}
