/**
 * What an image named by a containerlab or Kathará lab is, by its name, so
 * that a lab runs when the image is not in netlab's store: an FRR image
 * becomes `kind: frr` on the host's FRR, a BIRD image `kind: bird`, a
 * distribution or tool image (alpine, debian, network-multitool, nginx …) the
 * host's root. Images netlab cannot stand in for (Holo) are refused with a
 * clear message. Pure: names only (docs/containerlab.md, "Images").
 */

/** What netlab runs for an image that is not in its store. */
export type ImageRole =
  /** An FRR router image: `kind: frr` on the host's FRR. */
  | 'frr'
  /** A BIRD router image: `kind: bird` on the host's BIRD. */
  | 'bird'
  /** A distribution or tool image: the host's root stands in (same tools, or close). */
  | 'tool'
  /** A routing suite the host does not have and netlab cannot stand in for. */
  | 'unrunnable'
  /** Not known: the host's root, with a louder note. */
  | 'unknown';

/** An image reference split into its parts (docker's grammar, loosely: no validation). */
export interface ImageName {
  /** As written. */
  ref: string;
  /** Registry host when given (`quay.io`, `ghcr.io`), else ''. */
  registry: string;
  /** Repository path without registry: `frrouting/frr`, `alpine`. */
  repository: string;
  /** Last path part of the repository: `frr`, `network-multitool`. */
  base: string;
  /** Tag or digest as written (`10.5.1`, `sha256:…`), else ''. */
  tag: string;
}

/** Splits an image reference (`quay.io/frrouting/frr:10.5.1`). Pure. */
export function parseImageName(ref: string): ImageName {
  let rest = ref.trim();
  let tag = '';
  const at = rest.indexOf('@');
  if (at >= 0) { tag = rest.slice(at + 1); rest = rest.slice(0, at); }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) { tag ||= rest.slice(colon + 1); rest = rest.slice(0, colon); }
  const parts = rest.split('/');
  const registry = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.shift()! : '';
  const repository = parts.join('/');
  return { ref, registry, repository, base: parts[parts.length - 1] ?? '', tag };
}

/** Distribution and tool images whose work the host's root does (base name, lower case). */
const TOOL_BASES = new Set([
  'alpine', 'debian', 'ubuntu', 'busybox', 'centos', 'rockylinux', 'almalinux', 'fedora', 'archlinux', 'opensuse',
  'network-multitool', 'netshoot', 'nginx', 'httpd', 'iperf3', 'clab-iperf3', 'base', 'python', 'bash',
]);

/** Routing suites without a stand-in on the host: base name → what it is. */
const UNRUNNABLE: Record<string, string> = {
  'holo-bundle': 'the Holo routing suite', holo: 'the Holo routing suite', 'holo-daemon': 'the Holo routing suite',
  quagga: 'Quagga (FRR\'s predecessor, not installed on the host)',
  openbgpd: 'OpenBGPD',
};

/** What netlab runs for `ref` when the image itself cannot run. Pure. */
export function imageRole(ref: string): ImageRole {
  const n = parseImageName(ref);
  const base = n.base.toLowerCase();
  if (base in UNRUNNABLE || n.repository.toLowerCase().startsWith('holo-routing/')) return 'unrunnable';
  if (/(^|[-_])frr($|[-_])|^frrouting$|frr/.test(base)) return 'frr';
  if (/^bird[0-9]?($|[-_])/.test(base) || /(^|[-_])bird[0-9]?$/.test(base)) return 'bird';
  if (TOOL_BASES.has(base)) return 'tool';
  return 'unknown';
}

/** What an unrunnable image is, for the error message (`the Holo routing suite`). */
export function unrunnableWhat(ref: string): string {
  const base = parseImageName(ref).base.toLowerCase();
  return UNRUNNABLE[base] ?? 'a routing suite the host does not have';
}
