/**
 * Addresses for loopbacks and links. Deterministic: explicit addresses are
 * taken first (and checked: they parse, lie inside their link's prefix, do
 * not overlap), then pools hand out blocks in node order (loopbacks) and link
 * order (subnets), skipping anything explicit.
 *
 * A subnet is one link, except that links joined by a switch node (kind
 * bridge) form one L2 domain and share one subnet (from the LAN pool); the
 * switch's own interfaces get no address. Inside a subnet, endpoints get host
 * addresses in link order then endpoint order (/31: .0 and .1, RFC 3021).
 */
import { TopologyError } from '../errors.js';
import type { Addressing } from './types.js';
import type { NodeDraft } from './nodes.js';
import type { EndpointDraft, LinkDraft } from './links.js';
import { isHostEndpoint } from './endpoints.js';
import { isLan } from './link-types/index.js';
import { formatCidr, formatIP, hostRange, network, parseCidr, range, contains, type Cidr, type Family } from './ip.js';
import { allocate, resolvePools, type LivePool } from './pools.js';
import { formatPath, type PathPart } from './path.js';
import type { TopologyInput } from './schema/source.js';

interface Subnet {
  links: LinkDraft[];
  lan: boolean;
  /** Endpoints that get addresses, in order. */
  members: EndpointDraft[];
  prefix: Partial<Record<Family, { cidr: Cidr; path: PathPart[] }>>;
  off: Partial<Record<Family, boolean>>;
}

interface Item { start: bigint; end: bigint; text: string; where: string }

/**
 * Assigns every address of the lab. `extra` are ranges the lab must not use
 * (the management network), with their path.
 * @throws TopologyError for unparsable, overlapping or out-of-prefix addresses and full pools.
 */
export function assignAddresses(raw: TopologyInput, nodes: NodeDraft[], links: LinkDraft[], extra: { cidr: Cidr; path: PathPart[] }[] = []): Addressing {
  const { addressing, live } = resolvePools(raw.addressing);
  const byName = new Map(nodes.map((d) => [d.node.name, d]));
  const isSwitch = (e: EndpointDraft): boolean => !isHostEndpoint(e.ep) && byName.get(e.ep.node)!.kind.switch;
  const subnets = buildSubnets(links, isSwitch);
  const items: Record<Family, Item[]> = { 4: [], 6: [] };
  const add = (c: Cidr, path: PathPart[], whole: boolean): void => {
    const [start, end] = whole ? range(c) : [c.addr, c.addr];
    items[c.family].push({ start, end, text: whole ? formatCidr({ ...c, addr: network(c) }) : formatIP(c.family, c.addr), where: formatPath(path) });
  };
  for (const x of extra) add(x.cidr, x.path, true);
  // explicit loopbacks
  const loopbackWant: Record<Family, NodeDraft[]> = { 4: [], 6: [] };
  for (const d of nodes) {
    const a = d.node.raw.addresses ?? {};
    for (const fam of [4, 6] as Family[]) {
      const v = a[fam === 4 ? 'ipv4' : 'ipv6'];
      if (typeof v === 'string') {
        const c = parseCidr(v, (f) => (f === 4 ? 32 : 128))!;
        d.node.loopback[fam === 4 ? 'ipv4' : 'ipv6'] = formatCidr(c);
        add(c, [...(d.origin.addresses ?? [...d.path, 'addresses']), `ipv${fam}`], false);
      } else if (v === undefined && !d.kind.switch) loopbackWant[fam].push(d);
    }
  }
  // explicit subnet prefixes, from link prefixes or explicit endpoint addresses
  for (const s of subnets) for (const fam of [4, 6] as Family[]) explicitPrefix(s, fam);
  for (const s of subnets) for (const fam of [4, 6] as Family[]) if (s.prefix[fam]) add(s.prefix[fam]!.cidr, s.prefix[fam]!.path, true);
  const reserved = { 4: checkOverlaps(items[4]), 6: checkOverlaps(items[6]) };
  if (addressing.enabled) {
    if (live.loopback) assignLoopbacks(live.loopback, loopbackWant[4], reserved[4], 'ipv4', otherPools(live, live.loopback));
    if (live.loopback6) assignLoopbacks(live.loopback6, loopbackWant[6], reserved[6], 'ipv6', otherPools(live, live.loopback6));
    for (const fam of [4, 6] as Family[]) {
      const need = subnets.filter((s) => !s.prefix[fam] && !s.off[fam] && s.members.length > 0);
      const lanNeed = fam === 4 ? need.filter((s) => s.lan) : [];
      const p2pNeed = fam === 4 ? need.filter((s) => !s.lan) : need;
      const poolFor = (lan: boolean): LivePool | undefined => (fam === 6 ? live.ipv6 : lan ? live.lan : live.p2p);
      for (const [group, lan] of [[p2pNeed, false], [lanNeed, true]] as const) {
        const p = poolFor(lan);
        if (!p || group.length === 0) continue;
        const what = fam === 6 ? 'IPv6 link subnets' : lan ? 'LAN segments' : 'point-to-point and host links';
        const blocks = allocate(p, group.length, reserved[fam], what, otherPools(live, p));
        group.forEach((s, i) => { s.prefix[fam] = { cidr: { family: fam, addr: blocks[i]!, len: p.pool.prefix }, path: s.links[0]!.path }; });
      }
    }
  }
  for (const s of subnets) for (const fam of [4, 6] as Family[]) assignHosts(s, fam);
  return addressing;
}

function buildSubnets(links: LinkDraft[], isSwitch: (e: EndpointDraft) => boolean): Subnet[] {
  const parent = links.map((_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!; return i; };
  const firstLinkOfSwitch = new Map<string, number>();
  for (const l of links) {
    for (const e of l.endpoints) {
      if (!isSwitch(e)) continue;
      const first = firstLinkOfSwitch.get(e.ep.node);
      if (first === undefined) firstLinkOfSwitch.set(e.ep.node, l.link.index);
      else parent[find(l.link.index)] = find(first);
    }
  }
  const byRoot = new Map<number, Subnet>();
  const out: Subnet[] = [];
  for (const l of links) {
    const root = find(l.link.index);
    let s = byRoot.get(root);
    if (!s) {
      s = { links: [], lan: false, members: [], prefix: {}, off: {} };
      byRoot.set(root, s);
      out.push(s);
    }
    s.links.push(l);
    if (isLan(l.link) || l.endpoints.some(isSwitch)) s.lan = true;
    for (const e of l.endpoints) if (!isSwitch(e)) s.members.push(e);
  }
  return out;
}

function explicitPrefix(s: Subnet, fam: Family): void {
  const key = fam === 4 ? 'ipv4' : 'ipv6';
  for (const l of s.links) {
    const p = l.prefix;
    const v = typeof p === 'string' ? (parseCidr(p)!.family === fam ? p : undefined) : p === false ? false
      : p && typeof p === 'object' ? p[key] : undefined;
    if (v === false) { s.off[fam] = true; continue; }
    if (v === undefined) continue;
    const cidr = parseCidr(v)!;
    const path = [...l.path, 'prefix', ...(typeof p === 'object' ? [key] : [])];
    const prev = s.prefix[fam];
    if (prev && formatCidr(prev.cidr) !== formatCidr(cidr)) {
      throw new TopologyError(formatPath(path), `prefix ${v} differs from ${formatCidr(prev.cidr)} given by ${formatPath(prev.path)} for the same L2 segment`,
        'links joined by a switch node share one subnet; give the prefix once');
    }
    s.prefix[fam] = { cidr, path };
  }
  for (const e of s.members) {
    const v = e[key];
    if (typeof v !== 'string') continue;
    const where = [...e.path, key];
    let c = parseCidr(v, (f) => (f === 4 ? 32 : 128))!;
    if (!v.includes('/')) {
      if (!s.prefix[fam]) {
        throw new TopologyError(formatPath(where), `address ${v} has no prefix length`, `write e.g. ${v}/${fam === 4 ? 24 : 64}, or give the link a prefix:`);
      }
      c = { ...c, len: s.prefix[fam]!.cidr.len };
    }
    const net: Cidr = { ...c, addr: network(c) };
    const prev = s.prefix[fam];
    if (prev && contains(prev.cidr, { ...c, len: bitsOf(fam) }) && prev.cidr.len !== c.len) {
      throw new TopologyError(formatPath(where), `address ${v} has prefix length /${c.len} but its subnet ${formatCidr(prev.cidr)} (${formatPath(prev.path)}) is /${prev.cidr.len}`,
        `write ${formatIP(fam, c.addr)}/${prev.cidr.len}, or leave the length out`);
    }
    if (prev && !contains(prev.cidr, { ...c, len: bitsOf(fam) })) {
      throw new TopologyError(formatPath(where), `address ${v} is outside ${formatCidr(prev.cidr)} (${formatPath(prev.path)})`,
        `use an address in ${formatCidr(prev.cidr)}, or change the prefix`);
    }
    if (!prev) s.prefix[fam] = { cidr: net, path: where };
  }
}

function bitsOf(f: Family): number { return f === 4 ? 32 : 128; }

function checkOverlaps(items: Item[]): [bigint, bigint][] {
  items.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  let widest: Item | undefined;
  for (const it of items) {
    if (widest && it.start <= widest.end) {
      throw new TopologyError(it.where, `${it.text} overlaps ${widest.text} (${widest.where})`, 'addresses and prefixes in a lab must not overlap; change one of them');
    }
    if (!widest || it.end > widest.end) widest = it;
    merged.push([it.start, it.end]);
  }
  return merged;
}

/** The ranges of the lab's pools other than `p`. */
function otherPools(live: Partial<Record<string, LivePool>>, p: LivePool): Cidr[] {
  return Object.values(live).filter((o): o is LivePool => o !== undefined && o !== p).map((o) => o.cidr);
}

function assignLoopbacks(p: LivePool, want: NodeDraft[], reserved: [bigint, bigint][], key: 'ipv4' | 'ipv6', others: Cidr[]): void {
  if (want.length === 0) return;
  const blocks = allocate(p, want.length, reserved, key === 'ipv4' ? 'node loopbacks' : 'node IPv6 loopbacks', others);
  want.forEach((d, i) => { d.node.loopback[key] = `${formatIP(p.cidr.family, blocks[i]!)}/${p.cidr.family === 4 ? 32 : 128}`; });
}

function assignHosts(s: Subnet, fam: Family): void {
  const pre = s.prefix[fam];
  if (!pre) return;
  const key = fam === 4 ? 'ipv4' : 'ipv6';
  const { cidr } = pre;
  const net = network(cidr);
  const [first, last] = hostRange(fam, net, cidr.len);
  const text = formatCidr({ ...cidr, addr: net });
  for (const l of s.links) l.link[fam === 4 ? 'prefix4' : 'prefix6'] = text;
  const explicit = new Map<bigint, string>();
  for (const e of s.members) {
    const v = e[key];
    if (typeof v !== 'string') continue;
    const addr = parseCidr(v, (f) => (f === 4 ? 32 : 128))!.addr;
    const where = formatPath([...e.path, key]);
    if (addr < first || addr > last) {
      throw new TopologyError(where, `${formatIP(fam, addr)} is the ${addr === net ? 'network' : 'broadcast'} address of ${text}`, `use an address from ${formatIP(fam, first)} to ${formatIP(fam, last)}`);
    }
    const other = explicit.get(addr);
    if (other) throw new TopologyError(where, `address ${formatIP(fam, addr)} is also given to ${other}`, 'each endpoint needs its own address');
    explicit.set(addr, where);
  }
  const auto = s.off[fam] ? [] : s.members.filter((e) => e[key] === undefined);
  const capacity = Number(last - first + 1n) - explicit.size;
  if (auto.length > capacity) {
    const l = s.links[0]!;
    throw new TopologyError(formatPath(l.path), `subnet ${text} has room for ${capacity} more addresses; this ${s.lan ? 'LAN' : 'link'} needs ${auto.length}`,
      s.lan ? 'give the link a larger prefix:, or set addressing.lan: { pool: …, prefix: 23 }' : 'give the link a larger prefix:');
  }
  let next = first;
  for (const e of s.members) {
    let addr: bigint;
    const v = e[key];
    if (typeof v === 'string') addr = parseCidr(v, (f) => (f === 4 ? 32 : 128))!.addr;
    else if (v === false || s.off[fam]) continue;
    else {
      while (explicit.has(next)) next++;
      addr = next++;
    }
    const cidrText = `${formatIP(fam, addr)}/${cidr.len}`;
    if (e.iface) e.iface[key] = cidrText;
    else {
      const host = s.links.find((l) => l.endpoints.includes(e))!.link.host!;
      host[key] = cidrText;
    }
  }
}
