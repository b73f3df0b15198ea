/**
 * "Did you mean …" for misspelt keys and names.
 */

/**
 * Edit distance (optimal string alignment: insert, delete, substitute, and
 * swap of two neighbouring letters, each 1), case-insensitive.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase(), y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)]);
  for (let j = 0; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

/** Words people write for a key that netlab spells differently. */
const ALIASES: Record<string, string> = {
  interface: 'iface', intf: 'iface', ifname: 'iface', rootfs_image: 'image', docker_image: 'image', commands: 'exec', command: 'cmd',
  environment: 'env', mounts: 'binds', volumes: 'binds', netem: 'shaping', tc: 'shaping', bandwidth: 'rate',
  latency: 'delay', packet_loss: 'loss', asn: 'as', router_id: 'router_id', routerid: 'router_id',
  loopback: 'addresses', ip: 'ipv4', ipv4_address: 'ipv4', address: 'ipv4', type: 'kind',
};

/**
 * The closest candidate to `word` (alias first, then edit distance ≤ 2, or ≤ 1
 * for words of 4 letters or fewer, or a candidate that starts with it), or undefined.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const alias = ALIASES[word.toLowerCase()];
  if (alias && candidates.includes(alias)) return alias;
  let best: string | undefined;
  let bestD = Infinity;
  const limit = word.length <= 4 ? 1 : 2;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) { best = c; bestD = d; }
  }
  if (best !== undefined && bestD <= limit) return best;
  const prefix = candidates.find((c) => word.length >= 3 && (c.startsWith(word) || word.startsWith(c)));
  return prefix;
}

/** `; did you mean "x"?` or '' — ready to append to a message. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean "${c}"?`;
}
