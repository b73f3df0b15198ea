/**
 * Image references as Docker, Podman and containerd write them
 * (distribution/reference grammar): `alpine`, `alpine:3.20`,
 * `quay.io/frrouting/frr:10.2.1`, `ghcr.io/o/r@sha256:…`,
 * `localhost:5000/lab/frr:1`. A name without a registry is Docker Hub's
 * (`docker.io/library/alpine:latest`), as `docker pull` reads it. Pure:
 * what `image:` accepts is part of the topology format; src/image/reference.ts
 * re-exports it for the image store.
 */
import { UsageError } from '../errors.js';

/** A parsed digest: `sha256:<64 lower-case hex>` or `sha512:<128 hex>`. */
export interface Digest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

const HEX_LEN = { sha256: 64, sha512: 128 } as const;

/**
 * Parses `sha256:…`/`sha512:…` (descriptor.md: lower-case hex only). Pure.
 * @returns undefined when `text` is not such a digest (other algorithms, upper case, wrong length).
 */
export function parseDigest(text: string): Digest | undefined {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(text);
  if (!m) return undefined;
  const algorithm = m[1] as Digest['algorithm'];
  return m[2]!.length === HEX_LEN[algorithm] ? { algorithm, hex: m[2]! } : undefined;
}

/** `sha256:…` back to text. Pure. */
export function digestString(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}


/** A parsed, normalised reference. */
export interface ImageReference {
  /** Registry host[:port] as written (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`, `frrouting/frr`. */
  repository: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** Digest, when the reference pins one (`…@sha256:…`). */
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:localhost|\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

/** Docker Hub's name in references, and the host its API answers on. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';

function bad(text: string, what: string, hint: string): UsageError {
  return new UsageError(`image ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`, what, hint);
}

/**
 * Parses and normalises a reference. Pure.
 * @throws UsageError (exit 2) saying which part is wrong: upper case in the
 *   repository, an empty component, a bad tag or digest, more than 255 characters.
 */
export function parseReference(text: string): ImageReference {
  const example = 'e.g. alpine:3.20, quay.io/frrouting/frr:10.2.1 or ghcr.io/OWNER/NAME@sha256:…';
  if (!text || /\s/.test(text) || text.includes('\0')) throw bad(text, 'is not an image reference (empty or holds spaces)', example);
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    digest = parseDigest(d);
    if (!digest) throw bad(text, `"${d}" is not a digest`, 'a digest is sha256: followed by 64 lower-case hex digits');
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(text, `"${tag}" is not a valid tag`, 'a tag is up to 128 letters, digits, _ . and -, not starting with . or -');
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!HOST.test(first)) throw bad(text, `"${first}" is not a registry host`, 'write the registry as host or host:port, e.g. quay.io or localhost:5000');
    registry = first;
    parts.shift();
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      throw bad(text, p !== p.toLowerCase() ? `the repository name "${p}" has upper-case letters` : `"${p}" is not a valid repository name part`,
        p !== p.toLowerCase() ? `write it in lower case: ${p.toLowerCase()}` : `use lower-case letters, digits and single . _ - between them; ${example}`);
    }
  }
  const repository = parts.join('/');
  if (`${registry}/${repository}`.length > 255) throw bad(text, 'the repository name is longer than 255 characters', example);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/alpine:3.20`, `…@sha256:…`, or both. Pure. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${digestString(r.digest)}` : ''}`;
}

/** The name people write: Docker Hub's prefix dropped (`alpine:3.20`, `frrouting/frr:10.2.1`). Pure. */
export function familiarName(r: ImageReference): string {
  const full = formatReference(r);
  return full.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

/** The host[:port] the registry API answers on (Docker Hub's API is registry-1.docker.io). Pure. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/**
 * True for a registry on this machine: `localhost`, 127.0.0.0/8 or `[::1]`,
 * with or without a port — the only ones `--insecure` (plain HTTP) may reach. Pure.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:[0-9]+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(?:\.[0-9]{1,3}){3}$/.test(host);
}

/**
 * How an `image:` value is read: a path (it starts with `/`, `./`, `../` or
 * `~/`: an archive, an OCI layout folder or a root filesystem folder) or a
 * registry reference. Pure.
 */
export function looksLikePath(text: string): boolean {
  return /^(?:\/|\.\.?(?:\/|$)|~\/)/.test(text);
}
