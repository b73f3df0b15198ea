/**
 * Storing one image whose manifest and config are known: its layers (each
 * unpacked once, up to three at a time, skipped when the store has them),
 * then its record in the index — last, so an image in the index is complete.
 * Used by every stored source (registry, OCI layout, archive).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { updateCatalog, putImage, type ImageRecord } from './catalog.js';
import { digestOf, digestString, type Digest } from './digest.js';
import { ensureLayer, type LayerRecord } from './layers.js';
import { layerCompression } from './media.js';
import { checkConfigPlatform, hostPlatform, parseConfig, platformString, type Manifest } from './manifest.js';
import type { ImageProgressListener } from './progress.js';
import type { Store } from './store.js';
import type { LayerDownload } from './unpack.js';

/** What putImage needs. */
export interface PutImage {
  /** The image as the user named it (messages, progress). */
  name: string;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestDigest: Digest;
  /** The index the manifest was picked from, when there was one. */
  indexDigest?: Digest;
  /** The config blob (verified against manifest.config.digest by the caller). */
  configBytes: Uint8Array;
  /** Opens layer i's bytes (as the manifest's descriptor describes them). */
  openLayer(i: number): Promise<Readable>;
  /** Layer i's blob as netlab-unpack can download it itself (a registry's; used for uncompressed layers). */
  downloadLayer?(i: number): LayerDownload;
  refs: string[];
  source: string;
  /** Bytes come from a file the user named (damage exits 2). */
  userInput?: boolean;
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
  onWarning?: (text: string) => void;
}

/** Keeps a small blob (manifest, config) under its digest, once. */
export function keepBlob(store: Store, d: Digest, bytes: Uint8Array): void {
  const path = store.blobPath(d);
  if (existsSync(path)) return;
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** A small blob the store kept (a config), verified again; undefined when absent or damaged. */
export function storedBlob(store: Store, d: Digest): Buffer | undefined {
  try {
    const b = readFileSync(store.blobPath(d));
    const got = digestOf(b, d.algorithm);
    return got.hex === d.hex ? b : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` over items, at most `window` at a time; the first failure rejects (the others finish first). */
async function inWindow<T, R>(items: T[], window: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try { out[i] = await fn(items[i]!, i); } catch (err) { failure ??= err; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return out;
}

/**
 * Stores the image's layers and records it.
 * @throws NetlabError from the platform check, a layer (digest, damage, disk
 *   space), or the config (diff_ids that do not match the layers).
 */
export async function storeImage(store: Store, p: PutImage): Promise<ImageRecord> {
  const what = p.name;
  const config = parseConfig(p.configBytes, p.manifest.layers.length, `config of ${what}`);
  checkConfigPlatform(config, hostPlatform(), what);
  const count = p.manifest.layers.length;
  const layers: LayerRecord[] = await inWindow(p.manifest.layers, 3, async (desc, i) => {
    let bytes = 0;
    const ev = (state: 'present' | 'waiting' | 'reading' | 'done'): void => p.onProgress?.({ image: p.name, phase: 'layer', layer: i, layers: count, state, bytes, total: desc.size });
    const rec = await ensureLayer(store, config.diffIds[i]!, async () => { ev('reading'); return p.openLayer(i); }, {
      compression: layerCompression(desc.mediaType)!,
      what: `layer ${i + 1} of ${count} (${digestString(desc.digest)}) of ${what}`,
      digest: desc.digest,
      userInput: p.userInput,
      signal: p.signal,
      onBytes: (n) => { bytes += n; ev('reading'); },
      onWarning: p.onWarning,
      onWait: () => ev('waiting'),
      onPresent: () => { bytes = desc.size; ev('present'); },
      download: p.downloadLayer ? { blob: p.downloadLayer(i), size: desc.size } : undefined,
    });
    ev('done');
    return rec;
  });
  keepBlob(store, p.manifestDigest, p.manifestBytes);
  keepBlob(store, p.manifest.config.digest, p.configBytes);
  const rec: ImageRecord = {
    id: digestString(p.manifest.config.digest),
    manifest: digestString(p.manifestDigest),
    digests: [digestString(p.manifestDigest), ...(p.indexDigest ? [digestString(p.indexDigest)] : [])],
    layers: config.diffIds.map(digestString),
    platform: platformString({ os: config.os || 'linux', architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }),
    size: layers.reduce((s, l) => s + l.size, 0),
    refs: p.refs,
    source: p.source,
    storedAt: new Date().toISOString(),
    ...(config.created ? { created: config.created } : {}),
    run: config.config,
  };
  const stored = await updateCatalog(store, (c) => putImage(c, rec));
  p.onProgress?.({ image: p.name, phase: 'done' });
  return stored;
}
