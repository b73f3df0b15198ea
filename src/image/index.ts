/**
 * Images for nodes: the library functions `netlab image …` and `up` call
 * (docs/images.md). A node's root filesystem is an overlay of its image's
 * layers, each unpacked once into the store and shared by every node and lab.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { findImage, imageNames, readCatalog, updateCatalog, type Catalog, type ImageRecord } from './catalog.js';
import { parseDigest } from './digest.js';
import { listLayers, readLayer, removeLayer, removeStaleTmp, type LayerRecord } from './layers.js';
import { takeLock, withLock, type HeldLock } from './lock.js';
import { parseReference, formatReference } from './reference.js';
import { FolderSource, sourceFor, type ImageSource, type ResolvedImage } from './sources/index.js';
import type { ImageProgressListener } from './progress.js';
import { layerId, Store } from './store.js';
import { labsUsingStore } from './usage.js';

export type { ImageRecord } from './catalog.js';
export type { ImageProgress, ImageProgressListener } from './progress.js';
export type { ResolvedImage } from './sources/index.js';
export type { RunConfig } from './manifest.js';
export { Store, defaultStoreRoot } from './store.js';

/** Where the store is: a folder (default: /var/lib/netlab for root, ~/.local/share/netlab otherwise, or $NETLAB_STORE). */
export interface StoreOptions {
  store?: string;
}

/** Options of pulls and imports. */
export interface FetchOptions extends StoreOptions {
  /** Plain HTTP, for a registry on this machine only (localhost, 127.0.0.0/8, [::1]). */
  insecure?: boolean;
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
  onWarning?: (text: string) => void;
}

function openStore(opts: StoreOptions): Store {
  return new Store(opts.store).open();
}

/** The lower dirs of a stored image, top first. */
export function imageLowerDirs(store: Store, rec: ImageRecord): string[] {
  return [...rec.layers].reverse().map((d) => store.layerPath(layerId(parseDigest(d)!)));
}

/** True when every layer of the image is in the store. */
function complete(store: Store, rec: ImageRecord): boolean {
  return rec.layers.every((d) => readLayer(store, layerId(parseDigest(d)!))?.diffId === d);
}

/**
 * Pulls `ref` from its registry into the store (the tag is looked up again;
 * layers the store has are not downloaded).
 * @throws UsageError (exit 2) for a malformed reference, an unknown tag or
 *   repository, an image for another architecture, an unsupported media type;
 *   NetlabError (exit 1) for network trouble, a digest mismatch, a full disk.
 */
export async function pullImage(ref: string, opts: FetchOptions = {}): Promise<ImageRecord> {
  const src = sourceFor(ref);
  if (src.kind !== 'registry') throw new UsageError(`image ${ref}`, 'is a path, not a registry reference', `import a file or folder with: netlab image import ${ref}`);
  const [rec] = await src.fetch({ store: openStore(opts), insecure: opts.insecure, signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning });
  return rec!;
}

/**
 * Imports every image of an archive (Docker or OCI) or OCI layout folder for
 * this machine's platform. `tag` names the (single) imported image too.
 * @throws UsageError (exit 2) for a missing path, a root filesystem folder,
 *   a damaged archive, an image for another architecture; NetlabError for a full disk.
 */
export async function importImage(path: string, opts: FetchOptions & { tag?: string } = {}): Promise<ImageRecord[]> {
  const text = /^(?:\/|\.\.?\/|~\/)/.test(path) ? path : `./${path}`;
  const src = sourceFor(text);
  if (src.kind === 'folder') {
    throw new UsageError(`image ${path}`, 'is a folder without an OCI layout (oci-layout, index.json); a root filesystem folder is used as it is, not imported',
      'name it in the topology (image: ./folder), or import an archive (docker save) or OCI layout (skopeo copy … oci:DIR)');
  }
  if (src.kind === 'registry') throw new UsageError(`image ${path}`, 'is not a file or folder', 'to fetch from a registry: netlab image pull REF');
  const store = openStore(opts);
  const recs = await src.fetch({ store, signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning });
  if (opts.tag) {
    if (recs.length !== 1) throw new UsageError(`--tag ${opts.tag}`, `${path} holds ${recs.length} images; --tag names one`, 'import without --tag; the images keep the names the archive gives them');
    const ref = formatReference(parseReference(opts.tag));
    const id = recs[0]!.id;
    await updateCatalog(store, (c) => {
      for (const i of Object.values(c.images)) i.refs = i.refs.filter((r) => r !== ref);
      c.images[id]!.refs.push(ref);
    });
    recs[0] = readCatalog(store).images[id]!;
  }
  return recs;
}

/** Options of resolveImage. */
export interface ResolveOptions extends FetchOptions {
  /** Base of relative paths (the topology file's folder). */
  baseDir?: string;
  /** 'missing' (default): pull or import what the store lacks; 'never': fail instead. */
  pull?: 'missing' | 'never';
}

/**
 * The image `text` names, ready for nodes: from the store when it is there
 * (an archive or layout only when unchanged since its import), else pulled
 * or imported; a root filesystem folder as it is.
 * @throws UsageError / NetlabError as pullImage and importImage; UsageError
 *   when the image is missing and `pull` is 'never', or when an archive holds
 *   several images.
 */
export async function resolveImage(text: string, opts: ResolveOptions = {}): Promise<ResolvedImage> {
  const src: ImageSource | FolderSource = sourceFor(text, opts.baseDir);
  if (src instanceof FolderSource) return { name: text, kind: 'folder', lowerDirs: [src.dir] };
  const store = openStore(opts);
  let rec = src.lookup(store);
  if (!rec || !complete(store, rec)) {
    if (opts.pull === 'never') {
      throw new UsageError(`image ${text}`, 'is not in the image store', src.kind === 'registry' ? `pull it first: netlab image pull ${text}` : `import it first: netlab image import ${text}`);
    }
    const recs = await src.fetch({ store, insecure: opts.insecure, signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning });
    if (recs.length > 1) {
      throw new UsageError(`image ${text}`, `holds ${recs.length} images (${recs.map((r) => imageNames(r).join(' ')).join(', ')})`,
        'name one of them by its reference or ID (they are imported now: netlab image ls)');
    }
    rec = recs[0]!;
  }
  return { name: text, kind: src.kind, lowerDirs: imageLowerDirs(store, rec), record: rec };
}

/**
 * Whether the store holds the image a reference names, complete (every
 * layer unpacked): what `up` would run without pulling. Reads the store's
 * index only; never creates the store. False for paths, malformed
 * references and an ambiguous ID prefix (the lab's `up` then says why).
 */
export function hasImage(text: string, opts: StoreOptions = {}): boolean {
  const store = new Store(opts.store);
  try {
    const rec = findImage(readCatalog(store), text);
    return rec !== undefined && complete(store, rec);
  } catch {
    return false;
  }
}

/** One line of `netlab image ls`. */
export interface ImageSummary {
  id: string;
  /** `alpine:3.20` …, or `<none>`. */
  names: string[];
  platform: string;
  layers: number;
  /** Bytes of all its layers. */
  size: number;
  /** Bytes of the layers no other image has (what removing it frees). */
  unique: number;
  storedAt: string;
  source: string;
  /** Labs using it now. */
  usedBy: string[];
}

/** The store as a whole: counts and bytes. */
export interface StoreUsage {
  root: string;
  images: number;
  layers: number;
  /** Bytes of all layers (each counted once). */
  bytes: number;
  /** Bytes that the images would take without sharing layers. */
  unshared: number;
}

function layersById(store: Store): Map<string, LayerRecord> {
  return new Map(listLayers(store).map((l) => [l.diffId, l]));
}

/** Every image in the store, newest first, with disk usage. */
export function listImages(opts: StoreOptions = {}): { images: ImageSummary[]; usage: StoreUsage } {
  const store = new Store(opts.store);
  const c = readCatalog(store);
  const layers = layersById(store);
  const count = new Map<string, number>();
  for (const i of Object.values(c.images)) for (const l of new Set(i.layers)) count.set(l, (count.get(l) ?? 0) + 1);
  const labs = labsUsingStore(store.realRoot());
  const images = Object.values(c.images).map((i): ImageSummary => ({
    id: i.id, names: imageNames(i), platform: i.platform, layers: i.layers.length, size: i.size,
    unique: [...new Set(i.layers)].filter((l) => count.get(l) === 1).reduce((s, l) => s + (layers.get(l)?.size ?? 0), 0),
    storedAt: i.storedAt, source: i.source,
    usedBy: [...labs.entries()].filter(([, r]) => r.images.includes(i.id)).map(([lab]) => lab),
  })).sort((a, b) => b.storedAt.localeCompare(a.storedAt));
  const all = [...layers.values()];
  return {
    images,
    usage: {
      root: store.root, images: images.length, layers: all.length, bytes: all.reduce((s, l) => s + l.size, 0),
      unshared: Object.values(c.images).reduce((s, i) => s + i.size, 0),
    },
  };
}

/** What `netlab image inspect` shows. */
export interface ImageDetails extends ImageRecord {
  names: string[];
  /** Each layer, bottom first: diff_id, folder, size. */
  layerDirs: { diffId: string; dir: string; size: number; present: boolean }[];
  /** The config and manifest as stored (JSON). */
  config?: unknown;
  manifestJson?: unknown;
  usedBy: string[];
}

/**
 * The image `text` names (reference or ID), in detail.
 * @throws UsageError (exit 2) when the store has no such image.
 */
export function inspectImage(text: string, opts: StoreOptions = {}): ImageDetails {
  const store = new Store(opts.store);
  const c = readCatalog(store);
  const rec = findImage(c, text);
  if (!rec) throw notStored(text, c);
  const blob = (d: string): unknown => {
    try { return JSON.parse(readFileSync(store.blobPath(parseDigest(d)!), 'utf8')); } catch { return undefined; }
  };
  const labs = labsUsingStore(store.realRoot());
  return {
    ...rec, names: imageNames(rec),
    layerDirs: rec.layers.map((d) => {
      const id = layerId(parseDigest(d)!);
      const l = readLayer(store, id);
      return { diffId: d, dir: store.layerPath(id), size: l?.size ?? 0, present: l?.diffId === d };
    }),
    config: blob(rec.id), manifestJson: blob(rec.manifest),
    usedBy: [...labs.entries()].filter(([, r]) => r.images.includes(rec.id)).map(([lab]) => lab),
  };
}

function notStored(text: string, c: Catalog): UsageError {
  const n = Object.keys(c.images).length;
  return new UsageError(`image ${text}`, 'is not in the image store', n ? 'netlab image ls lists the images there' : 'the store is empty: netlab image pull REF or netlab image import FILE');
}

/** What rm and prune removed. */
export interface RemoveReport {
  /** Image IDs removed (an image that only lost one of its names is not listed). */
  images: string[];
  /** References removed. */
  untagged: string[];
  layers: number;
  /** Bytes freed. */
  bytes: number;
}

/** Removes layers and blobs no image lists and no lab uses (call under the GC lock). */
function sweep(store: Store, c: Catalog, inUse: Set<string>): { layers: number; bytes: number } {
  const wanted = new Set(Object.values(c.images).flatMap((i) => i.layers.map((d) => layerId(parseDigest(d)!))));
  let layers = 0;
  let bytes = 0;
  for (const l of listLayers(store)) {
    if (wanted.has(l.id) || inUse.has(l.id)) continue;
    removeLayer(store, l.id);
    layers++;
    bytes += l.size;
  }
  // Records without a folder (a crash between the two writes of a commit).
  try {
    for (const f of readdirSync(store.path('meta'))) {
      const id = f.replace(/\.json$/, '');
      if (/^[0-9a-f]{12}$/.test(id) && !wanted.has(id) && !inUse.has(id) && !readLayer(store, id)) rmSync(store.layerMetaPath(id), { force: true });
    }
  } catch { /* no meta folder */ }
  const blobs = new Set(Object.values(c.images).flatMap((i) => [i.id, ...i.digests]));
  for (const alg of ['sha256', 'sha512']) {
    let names: string[] = [];
    try { names = readdirSync(store.path('blobs', alg)); } catch { continue; }
    for (const n of names) if (!blobs.has(`${alg}:${n}`)) rmSync(store.path('blobs', alg, n), { force: true });
  }
  return { layers, bytes };
}

/** Layer ids and image IDs that running labs use. */
function inUseBy(store: Store): { layers: Set<string>; images: Map<string, string[]> } {
  const layers = new Set<string>();
  const images = new Map<string, string[]>();
  for (const [lab, r] of labsUsingStore(store.realRoot())) {
    for (const l of r.layers) layers.add(l);
    for (const i of r.images) images.set(i, [...(images.get(i) ?? []), lab]);
  }
  return { layers, images };
}

/**
 * Removes an image: by reference, only that name when the image has others;
 * by ID (or its last name), the image and every layer no other image needs.
 * @throws UsageError (exit 2) when no such image is stored, or a running lab uses it.
 */
export async function removeImage(text: string, opts: StoreOptions = {}): Promise<RemoveReport> {
  const store = openStore(opts);
  return withLock(store, 'gc', async () => {
    const c = readCatalog(store);
    const rec = findImage(c, text);
    if (!rec) throw notStored(text, c);
    let ref: string | undefined;
    try { ref = formatReference(parseReference(text)); } catch { /* an ID */ }
    if (ref && rec.refs.includes(ref) && rec.refs.length > 1) {
      await updateCatalog(store, (cc) => { cc.images[rec.id]!.refs = cc.images[rec.id]!.refs.filter((r) => r !== ref); });
      return { images: [], untagged: [ref], layers: 0, bytes: 0 };
    }
    const use = inUseBy(store);
    const labs = use.images.get(rec.id);
    if (labs) throw new UsageError(`image ${text}`, `is used by running lab${labs.length > 1 ? 's' : ''} ${labs.join(', ')}`, `take ${labs.length > 1 ? 'them' : 'it'} down first: netlab down ${labs[0]}`);
    const after = await updateCatalog(store, (cc) => {
      delete cc.images[rec.id];
      for (const [k, v] of Object.entries(cc.imports)) if (v.images.includes(rec.id)) delete cc.imports[k];
      return structuredClone(cc);
    });
    const s = sweep(store, after, use.layers);
    return { images: [rec.id], untagged: rec.refs, ...s };
  });
}

/**
 * Frees space: temporary files of pulls that died, layers no image lists,
 * images without a name — and with `all`, every image no running lab uses.
 */
export async function pruneImages(opts: StoreOptions & { all?: boolean } = {}): Promise<RemoveReport> {
  const store = openStore(opts);
  return withLock(store, 'gc', async () => {
    removeStaleTmp(store);
    const use = inUseBy(store);
    const removed: ImageRecord[] = [];
    const after = await updateCatalog(store, (c) => {
      for (const i of Object.values(c.images)) {
        if (use.images.has(i.id) || (!opts.all && i.refs.length)) continue;
        removed.push(i);
        delete c.images[i.id];
      }
      for (const [k, v] of Object.entries(c.imports)) if (v.images.some((id) => !c.images[id])) delete c.imports[k];
      return structuredClone(c);
    });
    const s = sweep(store, after, use.layers);
    return { images: removed.map((i) => i.id), untagged: removed.flatMap((i) => i.refs), ...s };
  });
}

/** Takes the store's GC lock shared (no rm or prune runs until release): held by `up` while it picks images and records their use. */
export async function holdImages(opts: StoreOptions & { signal?: AbortSignal } = {}): Promise<HeldLock> {
  return takeLock(openStore(opts), 'gc', { shared: true, signal: opts.signal });
}

/** What `netlab doctor` says about images: where the store is and its free space, and how many layers this kernel stacks. */
export function imageFacts(opts: StoreOptions = {}, release = osRelease()): { store: string; freeBytes?: number; writable: boolean; error?: string; layersPerImage: 'any' | number; kernel: string } {
  const store = new Store(opts.store);
  let dir = store.root;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  let freeBytes: number | undefined;
  let writable = false;
  let error: string | undefined;
  try {
    const st = statfsSync(dir);
    freeBytes = Number(st.bavail) * Number(st.bsize);
    accessSync(dir, constants.W_OK);
    writable = true;
  } catch (err) {
    error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  const [maj = 0, min = 0] = release.split('.').map((x) => parseInt(x, 10));
  // "lowerdir+" (Linux 6.8) takes layers one by one; before, one string of at most 255 bytes: the skeleton and ~17 layer names of 13 bytes.
  const layersPerImage = maj > 6 || (maj === 6 && min >= 8) ? 'any' as const : 17;
  return { store: store.root, ...(freeBytes !== undefined ? { freeBytes } : {}), writable, ...(error ? { error } : {}), layersPerImage, kernel: release };
}
