/**
 * The store's image index (<store>/images.json): which images are complete,
 * under which references, made of which layers. Written atomically (temp
 * file + rename) under the store's `index` lock, and only after every layer
 * of an image is in the store, so a listed image is always usable.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { withLock } from './lock.js';
import type { RunConfig } from './manifest.js';
import { familiarName, formatReference, looksLikePath, parseReference } from './reference.js';
import type { Store } from './store.js';

/** One image in the store. */
export interface ImageRecord {
  /** The image ID: its config's digest (`sha256:…`), as Docker and Podman show it. */
  id: string;
  /** Digest of the image manifest. */
  manifest: string;
  /** Digests a reference may pin (`name@sha256:…`): the manifest's, and the index's it was picked from. */
  digests: string[];
  /** diff_ids of its layers, bottom first (each a folder under <store>/layers). */
  layers: string[];
  /** `linux/amd64`. */
  platform: string;
  /** Bytes of file contents of all its layers. */
  size: number;
  /** Normalised references that name it (`docker.io/library/alpine:3.20`); may be empty. */
  refs: string[];
  /** Where it came from: `registry`, `archive /abs/path`, `oci-layout /abs/path`. */
  source: string;
  /** When it entered the store (ISO). */
  storedAt: string;
  /** The image's creation time from its config (ISO), when it says. */
  created?: string;
  /** How its main process runs (the config's "config"). */
  run: RunConfig;
}

/** An archive or layout imported before: re-imported only when it changed. */
export interface ImportRecord {
  size: number;
  mtimeMs: number;
  ino: number;
  images: string[];
}

/** The whole index. */
export interface Catalog {
  version: 1;
  images: Record<string, ImageRecord>;
  imports: Record<string, ImportRecord>;
}

/** Reads the index; an empty one when the store is new. */
export function readCatalog(store: Store): Catalog {
  try {
    const c = JSON.parse(readFileSync(store.indexFile, 'utf8')) as Catalog;
    if (c.version === 1 && c.images && typeof c.images === 'object') return { ...c, imports: c.imports ?? {} };
  } catch { /* new or unreadable: below */ }
  return { version: 1, images: {}, imports: {} };
}

/** Changes the index under its lock (read, change, write atomically). */
export async function updateCatalog<T>(store: Store, change: (c: Catalog) => T): Promise<T> {
  return withLock(store, 'index', () => {
    const c = readCatalog(store);
    const out = change(c);
    const tmp = `${store.indexFile}.tmp${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(c, null, 1)}\n`);
    renameSync(tmp, store.indexFile);
    return out;
  });
}

/**
 * Adds (or updates) an image; `refs` move to it from any image that had them
 * (a tag names one image at a time).
 */
export function putImage(c: Catalog, rec: ImageRecord): ImageRecord {
  for (const other of Object.values(c.images)) {
    if (other.id !== rec.id) other.refs = other.refs.filter((r) => !rec.refs.includes(r));
  }
  const old = c.images[rec.id];
  const merged: ImageRecord = old
    ? { ...rec, refs: [...new Set([...old.refs, ...rec.refs])], digests: [...new Set([...old.digests, ...rec.digests])], storedAt: old.storedAt }
    : rec;
  c.images[rec.id] = merged;
  return merged;
}

/**
 * The image `text` names in the index: a reference (`alpine:3.20`,
 * `…@sha256:…`), an image ID or a unique prefix of one (`3f2a0b1c…`, as
 * `docker images` shows), or undefined. Pure.
 * @throws UsageError when an ID prefix is ambiguous.
 */
export function findImage(c: Catalog, text: string): ImageRecord | undefined {
  const images = Object.values(c.images);
  const hex = /^(?:sha256:)?([0-9a-f]{6,64})$/.exec(text)?.[1];
  if (hex) {
    const hits = images.filter((i) => i.id.slice(7).startsWith(hex) || i.digests.some((d) => d.slice(7).startsWith(hex)));
    if (hits.length > 1) throw new UsageError(`image ${text}`, `is the beginning of ${hits.length} image IDs`, 'give more digits of the ID (netlab image ls shows them)');
    if (hits[0]) return hits[0];
  }
  if (looksLikePath(text)) return undefined;
  let ref;
  try { ref = parseReference(text); } catch { return undefined; }
  if (ref.digest) {
    const d = `${ref.digest.algorithm}:${ref.digest.hex}`;
    const repo = `${ref.registry}/${ref.repository}`;
    return images.find((i) => i.digests.includes(d) && i.refs.some((r) => r.startsWith(`${repo}:`) || r.startsWith(`${repo}@`)))
      ?? images.find((i) => i.digests.includes(d));
  }
  const full = formatReference(ref);
  return images.find((i) => i.refs.includes(full));
}

/** The references of an image as people write them (`alpine:3.20`), or `<none>`. Pure. */
export function imageNames(rec: ImageRecord): string[] {
  return rec.refs.length ? rec.refs.map((r) => { try { return familiarName(parseReference(r)); } catch { return r; } }) : ['<none>'];
}
