/**
 * A small bird.conf (BIRD 2) generated from a node's `ospf:` block, for BIRD
 * nodes without `config:`. Pure.
 *
 * The same rules as the FRR renderer (src/daemons/frr-ospf.ts): every
 * interface with an address in OSPF, loopback passive (`stub yes`),
 * point-to-point links `type ptp`, interfaces without a router on the link
 * passive, per-interface settings over node settings. OSPFv3 when the node has
 * IPv6 addresses. Routes learnt by OSPF go to the kernel (ECMP merged into
 * multipath routes), except the node's own subnets, which the kernel already
 * has as connected routes. `redistribute: [connected]` adds a `direct`
 * protocol; `static`/`kernel` let the kernel protocol learn routes the lab
 * installed (`routes:`). BGP is not generated for BIRD: give it a config.
 * Syntax: BIRD 2.0 user's guide, chapters "Configuration", "OSPF", "Kernel".
 */
import { TopologyError } from '../errors.js';
import type { Node, Ospf, Topology } from '../topology/types.js';
import { userConfig } from './config.js';
import { adjacencies, fallbackRouterId, hasIPv6, nodeMap, ospfRouterCount, ospfSpeakers, ospfTimers } from './peers.js';
import { prefixOf } from './prefix.js';
import { isLan } from '../topology/link-types/index.js';

/** Where generated BIRD configs log inside the node. */
export const BIRD_LOG = '/var/log/bird/bird.log';

interface BirdIface { name: string; area: string; lines: string[] }

function ifaces(node: Node, t: Topology, ospf: Ospf, af: 4 | 6): BirdIface[] {
  const out: BirdIface[] = [];
  const lo = ospf.interfaces.lo ?? {};
  const routers = ospfRouterCount(t);
  if (af === 4 ? node.loopback.ipv4 : node.loopback.ipv6) {
    const lines = lo.passive === false ? [] : ['stub yes'];
    if (lo.cost ?? ospf.cost) lines.push(`cost ${lo.cost ?? ospf.cost}`);
    out.push({ name: 'lo', area: lo.area ?? ospf.area, lines });
  }
  for (const a of adjacencies(node, t, nodeMap(t))) {
    if (!(af === 4 ? a.iface.ipv4 : a.iface.ipv6)) continue;
    const o = ospf.interfaces[a.iface.name] ?? {};
    const network = o.network ?? ospf.network ?? (isLan(a.link) ? undefined : 'point-to-point');
    const passive = o.passive ?? ospf.passive ?? ospfSpeakers(a).length === 0;
    const lines: string[] = [];
    if (network) lines.push(`type ${network === 'point-to-point' ? 'ptp' : 'broadcast'}`);
    const cost = o.cost ?? ospf.cost;
    if (cost !== undefined) lines.push(`cost ${cost}`);
    const timers = passive ? undefined : ospfTimers(ospf, a, userConfig, routers);
    if (timers?.helloS !== undefined) lines.push(`hello ${timers.helloS}`);
    if (timers?.deadS !== undefined) lines.push(`dead ${timers.deadS}`);
    // BIRD refuses a retransmit interval below 2 s ("Retransmit int must be greater than one").
    if (timers?.retransmitS !== undefined) lines.push(`retransmit ${Math.max(2, timers.retransmitS)}`);
    if (passive) lines.push('stub yes');
    out.push({ name: a.iface.name, area: o.area ?? ospf.area, lines });
  }
  return out;
}

function ospfProtocol(name: string, version: 'v2' | 'v3', channel: 'ipv4' | 'ipv6', list: BirdIface[], exportFilter: string): string[] {
  const out = [`protocol ospf ${version} ${name} {`, `  ${channel} { import all; export ${exportFilter}; };`];
  const areas = [...new Set(list.map((i) => i.area))];
  for (const area of areas) {
    out.push(`  area ${area} {`);
    for (const i of list.filter((x) => x.area === area)) out.push(`    interface "${i.name}" {${i.lines.map((l) => ` ${l};`).join('')} };`);
    out.push('  };');
  }
  out.push('}', '');
  return out;
}

const OSPF_SOURCES = 'source ~ [ RTS_OSPF, RTS_OSPF_IA, RTS_OSPF_EXT1, RTS_OSPF_EXT2 ]';

/**
 * The generated bird.conf of a node: logging, router id, device and kernel
 * protocols, and OSPF when the node has `ospf:`.
 * @throws TopologyError at `nodes.<name>.bgp` when the node has `bgp:` (write
 *   a bird.conf for BGP), or at `…ospf.redistribute` for `bgp`.
 */
export function renderBirdConf(node: Node, t: Topology): string {
  if (node.bgp) {
    throw new TopologyError(`nodes.${node.name}.bgp`, 'netlab generates BGP configs for FRR only; this BIRD node needs its own bird.conf',
      'add config: path/to/bird.conf (or config: { text: … }), or use kind: frr');
  }
  const ospf = node.ospf;
  if (ospf?.redistribute.includes('bgp')) {
    throw new TopologyError(`nodes.${node.name}.ospf.redistribute`, 'a generated BIRD config has no BGP to redistribute', 'write a bird.conf, or use kind: frr');
  }
  const v6 = hasIPv6(node);
  const rid = ospf?.routerId ?? (node.loopback.ipv4 ? node.loopback.ipv4.split('/')[0] : fallbackRouterId(node));
  const redistribute = new Set(ospf?.redistribute ?? []);
  const learn = redistribute.has('static') || redistribute.has('kernel');
  const own = (af: 4 | 6): string[] => [
    ...(af === 4 ? [node.loopback.ipv4] : [node.loopback.ipv6]),
    ...node.interfaces.map((i) => (af === 4 ? i.ipv4 : i.ipv6)),
  ].filter((c): c is string => c !== undefined).map(prefixOf);

  const lines = [
    `# bird.conf of ${node.name}, generated by netlab from the lab's ospf: block`,
    `log "${BIRD_LOG}" all;`,
    `router id ${rid};`,
    '',
    'protocol device {',
    '}',
    '',
  ];
  if (redistribute.has('connected')) lines.push('protocol direct {', '  ipv4;', ...(v6 ? ['  ipv6;'] : []), '}', '');
  for (const af of v6 ? [4, 6] as const : [4] as const) {
    const ch = af === 4 ? 'ipv4' : 'ipv6';
    const mine = own(af);
    const notOwn = mine.length ? ` && net !~ [ ${mine.join(', ')} ]` : '';
    lines.push(`protocol kernel kernel${af} {`, `  ${ch} { import ${learn ? 'all' : 'none'}; export where ${OSPF_SOURCES}${notOwn}; };`, '  merge paths on;');
    if (learn) lines.push('  learn;');
    lines.push('}', '');
  }
  if (ospf) {
    const sources = [
      ...(redistribute.has('connected') ? ['RTS_DEVICE'] : []),
      ...(learn ? ['RTS_INHERIT'] : []),
    ];
    const exp = sources.length ? `where source ~ [ ${sources.join(', ')} ]` : 'none';
    lines.push(...ospfProtocol('ospf4', 'v2', 'ipv4', ifaces(node, t, ospf, 4), exp));
    if (v6) lines.push(...ospfProtocol('ospf6', 'v3', 'ipv6', ifaces(node, t, ospf, 6), exp));
  }
  return lines.join('\n');
}
