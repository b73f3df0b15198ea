/**
 * FRR's routes as `route:` tests read them: zebra's RIB through
 * `vtysh -c 'show ip route json'` (`show ipv6 route json`), which lists every
 * protocol's candidate for a prefix with the one in use marked "selected".
 * The frr kind's `routes` (src/daemons/route-table.ts).
 */
import type { RouteProtocol } from '../topology/types.js';
import { nextHop, normalisePrefix, readJsonTable, sameProtocol, type RouteEntry, type RouteTable } from './route-table.js';

interface FrrRoute {
  prefix?: string; protocol?: string; selected?: boolean; installed?: boolean;
  nexthops?: { ip?: string; interfaceName?: string; active?: boolean; unreachable?: boolean; blackhole?: boolean }[];
}

/**
 * Parses `vtysh -c 'show ip route json'` (FRR zebra): `{ "<prefix>": [route, …] }`,
 * one entry per protocol that offers the prefix, the best one `"selected": true`.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseFrrRoutes(json: string, family: 4 | 6): RouteEntry[] {
  const table = JSON.parse(json) as Record<string, FrrRoute[]>;
  const out: RouteEntry[] = [];
  for (const [key, routes] of Object.entries(table)) {
    if (!Array.isArray(routes)) continue;
    for (const r of routes) {
      const hops = (r.nexthops ?? []).filter((h) => h.active !== false);
      const e: RouteEntry = {
        prefix: normalisePrefix(r.prefix ?? key, family),
        protocol: r.protocol ?? 'unknown',
        selected: r.selected === true,
        nexthops: hops.map((h) => nextHop(h.ip, h.interfaceName)),
      };
      if (hops.some((h) => h.blackhole)) e.type = 'blackhole';
      else if (hops.some((h) => h.unreachable)) e.type = 'unreachable';
      out.push(e);
    }
  }
  return out;
}

/**
 * The frr kind's table: zebra's RIB. Routes netlab adds from `routes:` and
 * `gateway:` (and exec lines' `ip route add`) reach zebra as "kernel" routes,
 * so they count as `protocol: static` too.
 */
export const frrRoutes: RouteTable = {
  read: (query, node, family) => {
    const command = `show ${family === 4 ? 'ip' : 'ipv6'} route json`;
    return readJsonTable(query, node, ['vtysh', '-c', command], `vtysh -c '${command}'`, (json) => parseFrrRoutes(json, family));
  },
  protocolMatches: (want: RouteProtocol, got: string) => sameProtocol(want, got) || (want === 'static' && got === 'kernel'),
};
