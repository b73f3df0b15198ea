/**
 * Reading an OCI image layout (image-layout.md: `oci-layout`, `index.json`,
 * `blobs/<alg>/<hex>`), wherever its blobs are (a folder, or the members of
 * an archive): the images of index.json that run on this machine, each with
 * its manifest and config read and verified.
 */
import { NetlabError } from '../../errors.js';
import { digestOf, verifyDigest, type Digest } from '../digest.js';
import { hostPlatform, parseConfig, parseManifestDoc, platformMatches, platformString, selectPlatform, type Descriptor, type Manifest, type Platform } from '../manifest.js';
import { formatReference, parseReference } from '../reference.js';

/** One image found in a layout. */
export interface LayoutImage {
  manifest: Manifest;
  manifestBytes: Buffer;
  manifestDigest: Digest;
  indexDigest?: Digest;
  configBytes: Buffer;
  /** Full references from the index's annotations (io.containerd.image.name, or a full org.opencontainers.image.ref.name). */
  refs: string[];
}

/** Reads a blob of the layout by digest (verified by the caller through readVerified). */
export type BlobReader = (d: Digest) => Promise<Buffer>;

/** A reference from an index entry's annotations, when it is a full one. Pure. */
export function annotatedRef(a: Record<string, string> | undefined): string | undefined {
  for (const key of ['io.containerd.image.name', 'org.opencontainers.image.ref.name']) {
    const v = a?.[key];
    if (!v || (!v.includes('/') && !v.includes(':'))) continue; // a bare tag ("3.20") names no repository
    try { return formatReference(parseReference(v)); } catch { /* not a reference */ }
  }
  return undefined;
}

async function readVerified(read: BlobReader, d: Digest, what: string): Promise<Buffer> {
  const bytes = await read(d);
  verifyDigest(what, d, digestOf(bytes, d.algorithm), true);
  return bytes;
}

/**
 * The images of a layout's index.json for this machine's platform.
 * @throws NetlabError (exit 2) for a broken index, a missing or damaged blob,
 *   or when no image of the layout runs here (naming the platforms it has).
 */
export async function layoutImages(indexBytes: Buffer, read: BlobReader, name: string): Promise<LayoutImage[]> {
  const doc = parseManifestDoc(indexBytes, undefined, `${name}: index.json`);
  if (!('index' in doc)) throw new NetlabError(`${name}: index.json`, 'is not an image index', 'the OCI layout is damaged', 2);
  const out: LayoutImage[] = [];
  const foreign: string[] = [];
  const want = hostPlatform();
  for (const top of doc.index.manifests) {
    let desc: Descriptor = top;
    let indexDigest: Digest | undefined;
    let bytes = await readVerified(read, desc.digest, `${name}: blob ${desc.digest.hex.slice(0, 12)}`);
    let d = parseManifestDoc(bytes, desc.mediaType, name);
    for (let depth = 0; 'index' in d; depth++) {
      if (depth > 2) throw new NetlabError(name, 'has indexes nested more than two deep', 'this is not a container image layout', 2);
      indexDigest ??= desc.digest;
      try {
        desc = selectPlatform(d.index, want, name);
      } catch {
        foreign.push(...d.index.manifests.filter((m) => m.platform).map((m) => platformString(m.platform!)));
        desc = undefined as unknown as Descriptor;
        break;
      }
      bytes = await readVerified(read, desc.digest, `${name}: blob ${desc.digest.hex.slice(0, 12)}`);
      d = parseManifestDoc(bytes, desc.mediaType, name);
    }
    if (!desc || 'index' in d) continue;
    if (top.platform && top.platform.architecture !== want.architecture) {
      foreign.push(platformString(top.platform));
      continue;
    }
    const configBytes = await readVerified(read, d.manifest.config.digest, `${name}: config ${d.manifest.config.digest.hex.slice(0, 12)}`);
    const c = parseConfig(configBytes, d.manifest.layers.length, `${name}: config ${d.manifest.config.digest.hex.slice(0, 12)}`);
    const p: Platform = { os: c.os || 'linux', architecture: c.architecture || want.architecture, ...(c.variant ? { variant: c.variant } : {}) };
    if (!platformMatches(p, want)) {
      foreign.push(platformString(p));
      continue;
    }
    const ref = annotatedRef(top.annotations);
    out.push({ manifest: d.manifest, manifestBytes: bytes, manifestDigest: desc.digest, ...(indexDigest ? { indexDigest } : {}), configBytes, refs: ref ? [ref] : [] });
  }
  if (!out.length) {
    throw new NetlabError(name, foreign.length ? `has no image for this machine (${platformString(want)}); it has ${[...new Set(foreign)].join(', ')}` : 'holds no image',
      foreign.length ? `use an image built for ${want.architecture}; netlab does not emulate other CPUs` : 'the layout or archive is empty or damaged', 2);
  }
  return out;
}
