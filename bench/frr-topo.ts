/**
 * Router labs for the FRR benchmark (`npm run bench -- --frr`), as netlab YAML.
 * Pure: the same file drives netlab and, through netlab's own loader and
 * renderer, the Mininet-hosts peer (bench/frr-mininet.ts), so both run the
 * same graph with the same addresses, configs and timers.
 *
 * Graphs (N = the asked size; the real count is printed):
 *  - grid: k×k, k = round(√N) (100 → 10×10, 400 → 20×20, 1,024 → 32×32);
 *  - ring: N routers in a cycle;
 *  - clos: the 3-tier (5-stage) Clos of RFC 7938 §3.2: P = round(√N) pods of
 *    2 tier-2 and T tier-3 (ToR) routers, 4 tier-1 spines; every ToR links to
 *    both tier-2 routers of its pod, tier-2 router i of every pod to spines
 *    i and i+2 (one plane each).
 * Protocols:
 *  - ospf: one area (0);
 *  - ospf-areas: several areas. grid: column 0 is the backbone (its vertical
 *    links), each band of rows is an area; clos: spines and the tier-2 uplinks
 *    are area 0, each pod an area of its own;
 *  - ebgp: clos only, RFC 7938 §5.2 numbering: the spines share one AS, each
 *    pod's tier-2 routers one AS, every ToR its own (private 4-byte ASNs,
 *    RFC 6996); eBGP on every link, loopbacks announced, ECMP (netlab's
 *    generated BGP config).
 */

export const FRR_TOPOS = ['grid', 'ring', 'clos'] as const;
export type FrrTopo = (typeof FRR_TOPOS)[number];
export const FRR_PROTOCOLS = ['ospf', 'ospf-areas', 'ebgp'] as const;
export type FrrProtocol = (typeof FRR_PROTOCOLS)[number];

/** A router lab: netlab YAML plus what the report prints about it. */
export interface FrrLab {
  topo: FrrTopo;
  protocol: FrrProtocol;
  /** Size asked for. */
  asked: number;
  routers: number;
  links: number;
  /** e.g. "32×32 grid", "clos: 32 pods × (2 + 29), 4 spines". */
  shape: string;
  yaml: string;
}

/** Which protocol runs on which graph; null when the pair is not built (ring: one area only; ebgp: clos only). */
export function unsupported(topo: FrrTopo, protocol: FrrProtocol): string | null {
  if (protocol === 'ebgp' && topo !== 'clos') return 'eBGP is generated for the Clos only (RFC 7938)';
  if (protocol === 'ospf-areas' && topo === 'ring') return 'a ring has no backbone every area can touch';
  return null;
}

interface Link { a: string; ai: string; b: string; bi: string; area?: number }
interface Router { name: string; area?: number; as?: number }

/** The lab for `topo` × `protocol` at about `n` routers. @throws Error for an unsupported pair or n < 4. */
export function frrLab(topo: FrrTopo, protocol: FrrProtocol, n: number): FrrLab {
  const why = unsupported(topo, protocol);
  if (why) throw new Error(`${topo} × ${protocol}: ${why}`);
  if (n < 4) throw new Error(`at least 4 routers, got ${n}`);
  const routers: Router[] = [];
  const links: Link[] = [];
  let shape: string;
  const areas = protocol === 'ospf-areas';
  if (topo === 'grid') {
    const k = Math.round(Math.sqrt(n));
    const band = Math.max(1, Math.ceil(k / 4)); // four areas of rows besides the backbone
    const areaOfRow = (r: number): number => 1 + Math.floor(r / band);
    const name = (r: number, c: number): string => `r${r}-${c}`;
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) {
        routers.push({ name: name(r, c), area: areas ? (c === 0 ? 0 : areaOfRow(r)) : undefined });
        if (c + 1 < k) links.push({ a: name(r, c), ai: `e${c + 1}`, b: name(r, c + 1), bi: `w${c}`, area: areas ? areaOfRow(r) : undefined });
        if (r + 1 < k) {
          const area = c === 0 ? 0 : areaOfRow(r) === areaOfRow(r + 1) ? areaOfRow(r) : areaOfRow(r + 1);
          links.push({ a: name(r, c), ai: `s${r + 1}`, b: name(r + 1, c), bi: `n${r}`, area: areas ? area : undefined });
        }
      }
    }
    shape = `${k}×${k} grid${areas ? `, backbone column + ${Math.ceil(k / band)} areas of ${band} rows` : ''}`;
  } else if (topo === 'ring') {
    for (let i = 0; i < n; i++) {
      routers.push({ name: `r${i}` });
      links.push({ a: `r${i}`, ai: 'e1', b: `r${(i + 1) % n}`, bi: 'w1' });
    }
    shape = `ring of ${n}`;
  } else {
    const pods = Math.round(Math.sqrt(n));
    const spines = 4;
    const tors = Math.max(1, Math.floor((n - spines) / pods) - 2);
    const bgp = protocol === 'ebgp';
    for (let s = 0; s < spines; s++) routers.push({ name: `s${s}`, area: areas ? 0 : undefined, as: bgp ? 65000 : undefined });
    for (let p = 0; p < pods; p++) {
      for (let a = 0; a < 2; a++) {
        const agg = `p${p}a${a}`;
        routers.push({ name: agg, area: areas ? 0 : undefined, as: bgp ? 65001 + p : undefined });
        for (const s of [a, a + 2]) links.push({ a: agg, ai: `up${s}`, b: `s${s}`, bi: `p${p}a${a}`.slice(0, 15), area: areas ? 0 : undefined });
      }
      for (let t = 0; t < tors; t++) {
        const tor = `p${p}t${t}`;
        routers.push({ name: tor, area: areas ? p + 1 : undefined, as: bgp ? 4_200_000_000 + p * 1000 + t : undefined });
        for (let a = 0; a < 2; a++) links.push({ a: tor, ai: `up${a}`, b: `p${p}a${a}`, bi: `t${t}`, area: areas ? p + 1 : undefined });
      }
    }
    shape = `clos: ${pods} pods × (2 + ${tors}), ${spines} spines`;
  }
  const label = `${topo}-${protocol}-${n}`;
  return { topo, protocol, asked: n, routers: routers.length, links: links.length, shape, yaml: toYaml(label, protocol, routers, links) };
}

function toYaml(name: string, protocol: FrrProtocol, routers: Router[], links: Link[]): string {
  const out = [`name: fb-${name.replace(/[^a-z0-9-]/g, '')}`.slice(0, 40), 'defaults: { kind: frr }'];
  if (protocol !== 'ebgp') out.push('ospf: { area: 0 }');
  // Per-interface areas: an interface's area is its link's (both ends agree).
  const ifaceAreas = new Map<string, string[]>();
  if (protocol === 'ospf-areas') {
    for (const l of links) {
      ifaceAreas.set(l.a, [...(ifaceAreas.get(l.a) ?? []), `${l.ai}: { area: ${l.area} }`]);
      ifaceAreas.set(l.b, [...(ifaceAreas.get(l.b) ?? []), `${l.bi}: { area: ${l.area} }`]);
    }
  }
  out.push('nodes:');
  for (const r of routers) {
    if (protocol === 'ebgp') out.push(`  ${r.name}: { bgp: { as: ${r.as} } }`);
    else if (protocol === 'ospf-areas') out.push(`  ${r.name}: { ospf: { area: ${r.area}, interfaces: { ${(ifaceAreas.get(r.name) ?? []).join(', ')} } } }`);
    else out.push(`  ${r.name}: {}`);
  }
  out.push('links:');
  for (const l of links) out.push(`  - [${l.a}:${l.ai}, ${l.b}:${l.bi}]`);
  return out.join('\n') + '\n';
}
