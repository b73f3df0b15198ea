/**
 * Which FRR daemons a configuration needs, and the /etc/frr/daemons file that
 * enables exactly those. Pure.
 *
 * The daemons file is what the package's frrinit.sh/watchfrr.sh read
 * (/usr/lib/frr/frrcommon.sh sources it): `<daemon>=yes|no`, `<daemon>_options`,
 * `<daemon>_instances` for multi-instance daemons. zebra always runs; staticd
 * only for a config with static routes (frrcommon.sh would force it on: 2.6 MiB
 * and a start per router that nothing uses otherwise). Detection reads the configuration text
 * line by line: a `router <protocol>` block, or an interface command that
 * only that daemon understands, enables the daemon.
 */

/** FRR's daemons in the order frrcommon.sh lists them (DAEMONS=…), which is also start order. */
export const FRR_DAEMONS = [
  'zebra', 'bgpd', 'ripd', 'ripngd', 'ospfd', 'ospf6d', 'isisd', 'babeld', 'pimd', 'pim6d', 'ldpd', 'nhrpd',
  'eigrpd', 'sharpd', 'pbrd', 'staticd', 'bfdd', 'fabricd', 'vrrpd', 'pathd',
] as const;
export type FrrDaemon = (typeof FRR_DAEMONS)[number];

/** Daemons FRR needs for a configuration, with instance numbers of multi-instance daemons. */
export interface FrrDaemonSet {
  /** Enabled daemons in FRR_DAEMONS order; always includes zebra. */
  daemons: FrrDaemon[];
  /** Daemon → instance numbers (`router ospf 2` runs ospfd instance 2), ascending. */
  instances: Partial<Record<FrrDaemon, number[]>>;
}

/** Line patterns (on the trimmed line) that need a daemon. */
const RULES: [RegExp, FrrDaemon][] = [
  [/^router bgp\b/, 'bgpd'],
  [/^router ospf6\b/, 'ospf6d'],
  [/^ipv6 ospf6\b/, 'ospf6d'],
  [/^router ospf(\s|$)/, 'ospfd'],
  [/^ip ospf\b/, 'ospfd'],
  [/^router isis\b/, 'isisd'],
  [/^ipv?6? ?router isis\b/, 'isisd'],
  [/^router openfabric\b/, 'fabricd'],
  [/^ipv?6? ?router openfabric\b/, 'fabricd'],
  [/^router rip(\s|$)/, 'ripd'],
  [/^router ripng\b/, 'ripngd'],
  [/^router eigrp\b/, 'eigrpd'],
  [/^router babel\b/, 'babeld'],
  [/^router pim(\s|$)/, 'pimd'],
  [/^ip (pim|igmp|multicast)\b/, 'pimd'],
  [/^router pim6\b/, 'pim6d'],
  [/^ipv6 (pim|mld)\b/, 'pim6d'],
  [/^mpls ldp\b/, 'ldpd'],
  [/^(ip|ipv6) nhrp\b/, 'nhrpd'],
  [/^nhrp\b/, 'nhrpd'],
  [/^pbr-map\b/, 'pbrd'],
  [/^pbr-policy\b/, 'pbrd'],
  [/^vrrp\b/, 'vrrpd'],
  [/^traffic-eng\b/, 'pathd'],
  [/^bfd$/, 'bfdd'],
  [/^ip(v6)? route\s/, 'staticd'],
  [/^(neighbor \S+|ip ospf|ipv6 ospf6|isis|ip pim|ipv6 pim) bfd\b/, 'bfdd'],
  // zebra's own lines (zebra always runs; these rules let a config be cut per daemon, frr-split.ts).
  [/^(ip|ipv6) address\s/, 'zebra'],
  [/^(no )?(shutdown|link-detect)$/, 'zebra'],
  [/^bandwidth \d+$/, 'zebra'],
  [/^(no )?ipv6? forwarding$/, 'zebra'],
];

/** The daemon one trimmed config line belongs to (the first rule it matches), or undefined. */
export function daemonOf(line: string): FrrDaemon | undefined {
  return RULES.find(([re]) => re.test(line))?.[1];
}

/**
 * The daemons a configuration text needs. Comment lines (`!`, `#`) are ignored.
 * `router ospf N` and `ip ospf N …` (N a number) select ospfd instance N,
 * as FRR's multi-instance OSPF does (FRR user guide, "Multi-instance Support").
 */
export function detectDaemons(configText: string): FrrDaemonSet {
  const on = new Set<FrrDaemon>(['zebra']);
  const instances = new Map<FrrDaemon, Set<number>>();
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('!') || line.startsWith('#')) continue;
    for (const [re, daemon] of RULES) if (re.test(line)) on.add(daemon);
    const inst = /^router ospf (\d+)\b/.exec(line) ?? /^ip ospf (\d+) /.exec(line);
    if (inst) {
      const set = instances.get('ospfd') ?? new Set<number>();
      set.add(Number(inst[1]));
      instances.set('ospfd', set);
    }
  }
  const out: FrrDaemonSet = { daemons: FRR_DAEMONS.filter((d) => on.has(d)), instances: {} };
  for (const [d, set] of instances) out.instances[d] = [...set].sort((a, b) => a - b);
  return out;
}

/** Where FRR daemons log inside the node (all daemons, one file, each line tagged ZEBRA:, OSPF:, …). */
export const FRR_LOG = '/var/log/frr/frr.log';

/** Per-daemon options as the Debian package's daemons file sets them (vty bound to localhost). */
const OPTIONS: Partial<Record<FrrDaemon, string>> = {
  zebra: '-A 127.0.0.1 -s 90000000',
  ospf6d: '-A ::1',
  ripngd: '-A ::1',
  pim6d: '-A ::1',
};

/** The package's command-line options of one daemon (the `<daemon>_options` of /etc/frr/daemons). */
export function daemonOptions(d: FrrDaemon): string {
  return OPTIONS[d] ?? '-A 127.0.0.1';
}

/**
 * /etc/frr/daemons enabling exactly `set` (every other daemon `=no`), with the
 * package's per-daemon options, and all daemons logging to FRR_LOG
 * (`frr_global_options`, which frrcommon.sh passes to watchfrr and every daemon;
 * without it they log to syslog, which a node does not have).
 */
export function renderDaemonsFile(set: FrrDaemonSet, nodeName: string): string {
  const lines = [`# /etc/frr/daemons of ${nodeName}, written by netlab: exactly the daemons frr.conf uses`];
  for (const d of FRR_DAEMONS) lines.push(`${d}=${set.daemons.includes(d) ? 'yes' : 'no'}`);
  for (const [d, inst] of Object.entries(set.instances)) lines.push(`${d}_instances=${inst.join(',')}`);
  lines.push('vtysh_enable=yes', `frr_global_options="--log file:${FRR_LOG}"`);
  for (const d of FRR_DAEMONS) lines.push(`${d}_options="${daemonOptions(d)}"`);
  return lines.join('\n') + '\n';
}

/**
 * The names watchfrr and vtysh use for the running daemons: `ospfd-2` for an
 * instance. Multi-instance daemons listed with instances run only as instances.
 */
export function daemonNames(set: FrrDaemonSet): string[] {
  return set.daemons.flatMap((d) => set.instances[d]?.map((i) => `${d}-${i}`) ?? [d]);
}
