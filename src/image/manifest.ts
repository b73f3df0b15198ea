/**
 * Image manifests, indexes and configs (OCI image spec manifest.md,
 * image-index.md, config.md; Docker's manifest v2 schema 2 and manifest
 * list): parsed, checked, and the right platform picked. Pure.
 */
import { arch } from 'node:process';
import { NetlabError } from '../errors.js';
import { parseDigest, type Digest } from './digest.js';
import { isConfigType, isIndexType, isManifestType, layerCompression, MEDIA } from './media.js';

/** A platform (image-index.md "platform"). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A content descriptor (descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An image manifest: the config and the layers, bottom first. */
export interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A multi-platform index (OCI image index or Docker manifest list). */
export interface ImageIndex {
  mediaType: string;
  manifests: Descriptor[];
}

/** The parts of an image config (config.md) that netlab uses. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config: RunConfig;
  /** Digests of the uncompressed layers, bottom first. */
  diffIds: Digest[];
}

/** The image's "config" object: how its main process runs. */
export interface RunConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, unknown>;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  Labels?: Record<string, string>;
  StopSignal?: string;
}

function fail(what: string, msg: string, hint = 'the image is damaged, or not a container image'): NetlabError {
  return new NetlabError(what, msg, hint, 2);
}

function parseJson(bytes: Uint8Array | string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw fail(what, 'is not a JSON object');
}

function descriptor(v: unknown, what: string): Descriptor {
  const o = (v ?? {}) as Record<string, unknown>;
  const digest = typeof o.digest === 'string' ? parseDigest(o.digest) : undefined;
  if (typeof o.mediaType !== 'string' || !digest || typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw fail(what, 'has a descriptor without a valid mediaType, digest (sha256:…) and size');
  }
  const p = o.platform as Record<string, unknown> | undefined;
  return {
    mediaType: o.mediaType, digest, size: o.size,
    ...(p && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? { platform: { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' ? { variant: p.variant } : {}) } } : {}),
    ...(o.annotations && typeof o.annotations === 'object' ? { annotations: o.annotations as Record<string, string> } : {}),
  };
}

/**
 * Parses a manifest or an index. `mediaType` is what the registry's
 * Content-Type or the parent descriptor said (the document's own field wins
 * when present).
 * @throws NetlabError (exit 2) for Docker schema 1 and unknown media types, or a broken document.
 */
export function parseManifestDoc(bytes: Uint8Array | string, mediaType: string | undefined, what: string): { index: ImageIndex } | { manifest: Manifest } {
  const o = parseJson(bytes, what);
  const type = typeof o.mediaType === 'string' ? o.mediaType : mediaType?.split(';')[0]?.trim();
  if (type === MEDIA.dockerSchema1 || o.schemaVersion === 1 || type === 'application/vnd.docker.distribution.manifest.v1+json') {
    throw fail(what, 'is a Docker schema 1 manifest, which netlab does not read', 'push the image again with a current Docker, Podman or skopeo (they write schema 2 / OCI)');
  }
  const looksIndex = Array.isArray(o.manifests);
  if (isIndexType(type) || (!type && looksIndex)) {
    if (!looksIndex) throw fail(what, 'is an index without a manifests list');
    return { index: { mediaType: type ?? MEDIA.ociIndex, manifests: (o.manifests as unknown[]).map((d, i) => descriptor(d, `${what}: manifests[${i}]`)) } };
  }
  if (isManifestType(type) || (!type && o.config)) {
    if (!Array.isArray(o.layers)) throw fail(what, 'is a manifest without a layers list');
    const config = descriptor(o.config, `${what}: config`);
    if (!isConfigType(config.mediaType)) {
      throw fail(what, `is not a container image: its config has media type ${config.mediaType}`, 'netlab runs container images (OCI or Docker); this reference names another kind of artifact');
    }
    const layers = (o.layers as unknown[]).map((d, i) => descriptor(d, `${what}: layers[${i}]`));
    for (const [i, l] of layers.entries()) {
      if (!layerCompression(l.mediaType)) {
        throw fail(`${what}: layers[${i}]`, `has the unsupported media type ${l.mediaType}`,
          'netlab unpacks tar layers, plain or compressed with gzip or zstd (OCI and Docker media types); convert the image, e.g. skopeo copy --dest-compress-format gzip');
      }
    }
    return { manifest: { mediaType: type ?? MEDIA.ociManifest, config, layers, ...(o.annotations ? { annotations: o.annotations as Record<string, string> } : {}) } };
  }
  throw fail(what, `has the unsupported media type ${type ?? '(none)'}`, 'netlab reads OCI image manifests and indexes, and Docker manifest v2 schema 2 and manifest lists');
}

/**
 * Parses an image config and checks it against the manifest (one diff_id per layer).
 * @throws NetlabError (exit 2) for a config without rootfs.diff_ids or with the wrong count.
 */
export function parseConfig(bytes: Uint8Array | string, layers: number, what: string): ImageConfig {
  const o = parseJson(bytes, what);
  const rootfs = (o.rootfs ?? {}) as Record<string, unknown>;
  const ids = Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : undefined;
  if (!ids) throw fail(what, 'has no rootfs.diff_ids');
  const diffIds = ids.map((d, i) => {
    const p = typeof d === 'string' ? parseDigest(d) : undefined;
    if (!p) throw fail(what, `rootfs.diff_ids[${i}] is not a digest`);
    return p;
  });
  if (diffIds.length !== layers) throw fail(what, `lists ${diffIds.length} diff_ids for ${layers} layers`);
  const c = (o.config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v as string[] : undefined);
  const config: RunConfig = {
    ...(strings(c.Env) ? { Env: strings(c.Env) } : {}),
    ...(strings(c.Entrypoint) ? { Entrypoint: strings(c.Entrypoint) } : {}),
    ...(strings(c.Cmd) ? { Cmd: strings(c.Cmd) } : {}),
    ...(typeof c.WorkingDir === 'string' && c.WorkingDir ? { WorkingDir: c.WorkingDir } : {}),
    ...(typeof c.User === 'string' && c.User ? { User: c.User } : {}),
    ...(c.ExposedPorts && typeof c.ExposedPorts === 'object' ? { ExposedPorts: c.ExposedPorts as Record<string, unknown> } : {}),
    ...(c.Healthcheck && typeof c.Healthcheck === 'object' ? { Healthcheck: c.Healthcheck as RunConfig['Healthcheck'] } : {}),
    ...(c.Labels && typeof c.Labels === 'object' ? { Labels: c.Labels as Record<string, string> } : {}),
    ...(typeof c.StopSignal === 'string' ? { StopSignal: c.StopSignal } : {}),
  };
  return {
    architecture: typeof o.architecture === 'string' ? o.architecture : '',
    os: typeof o.os === 'string' ? o.os : '',
    ...(typeof o.variant === 'string' ? { variant: o.variant } : {}),
    ...(typeof o.created === 'string' ? { created: o.created } : {}),
    config, diffIds,
  };
}

/** This machine's platform in OCI terms (GOARCH names: amd64, arm64, arm/v7, …). */
export function hostPlatform(nodeArch: string = arch): Platform {
  const map: Record<string, Platform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ia32: { os: 'linux', architecture: '386' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
    loong64: { os: 'linux', architecture: 'loong64' },
    mips64el: { os: 'linux', architecture: 'mips64le' },
  };
  return map[nodeArch] ?? { os: 'linux', architecture: nodeArch };
}

/** `linux/arm64/v8`. Pure. */
export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Does an image of platform `p` run here (`want`)? arm64 images without a variant are v8; amd64 variants are levels this host is assumed to have. Pure. */
export function platformMatches(p: Platform, want: Platform): boolean {
  if (p.os !== want.os || p.architecture !== want.architecture) return false;
  if (!p.variant || !want.variant) return true;
  if (want.architecture === 'arm') return Number(p.variant.slice(1)) <= Number(want.variant.slice(1));
  return p.variant === want.variant || want.architecture === 'amd64';
}

/**
 * The index entry for `want` (attestations and other non-image entries skipped).
 * @throws NetlabError (exit 2) listing the platforms the image has when none runs here.
 */
export function selectPlatform(index: ImageIndex, want: Platform, what: string): Descriptor {
  const images = index.manifests.filter((d) => (isManifestType(d.mediaType) || isIndexType(d.mediaType))
    && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest'
    && !(d.platform?.os === 'unknown' && d.platform.architecture === 'unknown'));
  const matching = images.filter((d) => !d.platform || platformMatches(d.platform, want));
  // Exact variant first, then entries without a platform (single-image indexes of OCI layouts).
  const best = matching.find((d) => d.platform && d.platform.variant === want.variant) ?? matching.find((d) => d.platform) ?? matching[0];
  if (best) return best;
  const has = [...new Set(images.map((d) => (d.platform ? platformString(d.platform) : '?')))];
  throw new NetlabError(what, `has no image for this machine (${platformString(want)}); it has ${has.join(', ') || 'no images at all'}`,
    `use an image built for ${want.architecture} (many projects publish one under the same name), or build one; netlab does not emulate other CPUs`, 2);
}

/**
 * Checks that a single-platform image (its config) runs here.
 * @throws NetlabError (exit 2) naming both platforms.
 */
export function checkConfigPlatform(c: ImageConfig, want: Platform, what: string): void {
  if (!c.architecture && !c.os) return;
  const p: Platform = { os: c.os || 'linux', architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
  if (!platformMatches(p, want)) {
    throw new NetlabError(what, `is built for ${platformString(p)}, and this machine is ${platformString(want)}`,
      `use an image built for ${want.architecture} (many projects publish one under the same name); netlab does not emulate other CPUs`, 2);
  }
}
