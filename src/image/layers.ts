/**
 * The store's unpacked layers: each one once, in its own folder named after
 * its diff_id, shared read-only by every node and lab whose image has it.
 * A layer is complete exactly when its folder exists under <store>/layers:
 * it is unpacked under <store>/tmp and renamed there as the last step, under
 * a lock per layer, so two pulls of one layer make one download and a pull
 * killed half-way leaves only temporary files (removed by the next pull of
 * the layer, or by prune).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { NetlabError } from '../errors.js';
import { digestString, parseDigest, type Digest } from './digest.js';
import { withLock } from './lock.js';
import type { Store } from './store.js';
import { layerId } from './store.js';
import { DownloadUnavailable, downloadable, unpackDownloaded, unpackLayer, type LayerDownload, type UnpackOptions, type UnpackResult } from './unpack.js';

/** A layer's record (<store>/meta/<id>.json). */
export interface LayerRecord {
  /** Folder name under <store>/layers. */
  id: string;
  /** `sha256:…` of the uncompressed tar. */
  diffId: string;
  /** Bytes of file contents. */
  size: number;
  /** Entries in its tar. */
  entries: number;
  /** ISO time it was unpacked. */
  createdAt: string;
}

/** Reads a layer's record; undefined when the layer is not (completely) in the store. */
export function readLayer(store: Store, id: string): LayerRecord | undefined {
  try {
    readdirSync(store.layerPath(id)); // the folder is the commit point
    return JSON.parse(readFileSync(store.layerMetaPath(id), 'utf8')) as LayerRecord;
  } catch {
    return undefined;
  }
}

/**
 * The stored layer with this diff_id, or undefined.
 * @throws NetlabError when another layer holds the same short id (a 48-bit
 *   collision of two diff_ids: never seen, but refused rather than mixed up).
 */
export function findLayer(store: Store, diffId: Digest): LayerRecord | undefined {
  const rec = readLayer(store, layerId(diffId));
  if (rec && rec.diffId !== digestString(diffId)) {
    throw new NetlabError(`layer ${digestString(diffId)}`, `its short id ${rec.id} is taken by layer ${rec.diffId} in the store`,
      'remove the image that holds the other layer (netlab image rm), or use another store (NETLAB_STORE)');
  }
  return rec;
}

/** Every complete layer in the store. */
export function listLayers(store: Store): LayerRecord[] {
  let names: string[] = [];
  try { names = readdirSync(store.path('layers')); } catch { return []; }
  return names.filter((n) => /^[0-9a-f]{12}$/.test(n)).map((n) => readLayer(store, n)).filter((r): r is LayerRecord => r !== undefined);
}

/**
 * Removes temporary files: with `prefix` (the caller holds that layer's
 * lock, so nobody else writes them) every one of that layer; without, those
 * whose process is gone (their names carry the pid).
 */
export function removeStaleTmp(store: Store, prefix?: string): void {
  let names: string[] = [];
  try { names = readdirSync(store.path('tmp')); } catch { return; }
  for (const n of names) {
    if (prefix !== undefined) {
      if (!n.startsWith(prefix)) continue;
    } else {
      const pid = Number(/-(\d+)-[0-9a-z]+$/.exec(n)?.[1]);
      if (!pid || pid === process.pid || processAlive(pid)) continue;
    }
    rmSync(store.path('tmp', n), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

function writeRecord(store: Store, rec: LayerRecord): void {
  const path = store.layerMetaPath(rec.id);
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(rec, null, 1)}\n`);
  renameSync(tmp, path);
}

/** Options of storeLayer: unpack options plus lock waiting. */
export interface StoreLayerOptions extends Omit<UnpackOptions, 'diffId'> {
  /** Called when another process is unpacking the same layer and this one waits. */
  onWait?: () => void;
  /** Called when the layer turns out to be in the store already (nothing read). */
  onPresent?: () => void;
  /**
   * The layer's blob as netlab-unpack can download it itself, with the
   * manifest's size: used for an uncompressed layer (see unpackDownloaded),
   * `open` otherwise and whenever that cannot be done.
   */
  download?: { blob: LayerDownload; size: number };
}

/** Unpacks into a fresh temporary folder with `unpack`; removes the folder (and calls `onFail`) on any failure. */
async function unpackToTmp(store: Store, tag: string, unpack: (dir: string) => Promise<UnpackResult>, onFail?: () => void): Promise<{ dir: string; result: UnpackResult }> {
  const dir = store.tmpPath(tag);
  mkdirSync(dir, { mode: 0o755 });
  try {
    return { dir, result: await unpack(dir) };
  } catch (err) {
    onFail?.();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Writes the record, then renames the folder into place (the commit). */
function commit(store: Store, dir: string, diffId: Digest, r: { size: number; entries: number }): LayerRecord {
  const rec: LayerRecord = { id: layerId(diffId), diffId: digestString(diffId), size: r.size, entries: r.entries, createdAt: new Date().toISOString() };
  try {
    writeRecord(store, rec);
    renameSync(dir, store.layerPath(rec.id));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new NetlabError(`layer ${rec.diffId}`, 'no space left on the image store\'s disk; the partial layer was removed', 'free some space (netlab image prune), or point NETLAB_STORE to a bigger disk');
    throw err;
  }
  return rec;
}

/**
 * Makes sure the layer with diff_id `diffId` is in the store: returns its
 * record at once when it is; otherwise takes the layer's lock, calls `open`
 * for its bytes (a download, an archive member), unpacks and commits it; an
 * uncompressed layer with `opts.download` is downloaded by netlab-unpack
 * itself instead, and read through `open` only when it cannot be. A
 * second process asking for the same layer waits for the lock and then finds
 * it done: one download.
 */
export async function ensureLayer(store: Store, diffId: Digest, open: () => Promise<Readable>, opts: StoreLayerOptions): Promise<LayerRecord> {
  const present = findLayer(store, diffId);
  if (present) { opts.onPresent?.(); return present; }
  const id = layerId(diffId);
  return withLock(store, `layer-${id}`, async () => {
    const done = findLayer(store, diffId);
    if (done) { opts.onPresent?.(); return done; }
    removeStaleTmp(store, `layer-${id}-`); // a pull of this layer that died (we hold its lock: nobody else writes there)
    const unpackOpts = { ...opts, diffId };
    const { download } = opts;
    if (download && download.size > 0 && downloadable(unpackOpts)) {
      try {
        const { dir, result } = await unpackToTmp(store, `layer-${id}`, (to) => unpackDownloaded(download.blob, download.size, to, unpackOpts));
        return commit(store, dir, diffId, result);
      } catch (err) {
        if (!(err instanceof DownloadUnavailable)) throw err; // else: nothing was written; Node reads the layer
      }
    }
    const input = await open();
    const { dir, result } = await unpackToTmp(store, `layer-${id}`, (to) => unpackLayer(input, to, unpackOpts), () => input.destroy());
    return commit(store, dir, diffId, result);
  }, { onWait: opts.onWait, signal: opts.signal });
}

/** A layer unpacked under <store>/tmp but not yet in the store (see commitUnpacked). */
export interface UnpackedLayer {
  dir: string;
  result: UnpackResult;
}

/**
 * Unpacks a layer whose diff_id is not known before it is read (a member of
 * an archive read in one pass) into a temporary folder; commitUnpacked or
 * discardUnpacked decides its fate once the archive is understood.
 */
export async function unpackUnknown(store: Store, input: Readable, opts: UnpackOptions): Promise<UnpackedLayer> {
  return unpackToTmp(store, 'layer-new', (to) => unpackLayer(input, to, opts), () => input.destroy());
}

/** Moves an unpacked layer into the store, or drops it when the store has it already. */
export async function commitUnpacked(store: Store, u: UnpackedLayer, signal?: AbortSignal): Promise<LayerRecord> {
  try {
    return await withLock(store, `layer-${layerId(u.result.diffId)}`, () => {
      const done = findLayer(store, u.result.diffId);
      if (done) { rmSync(u.dir, { recursive: true, force: true }); return done; }
      return commit(store, u.dir, u.result.diffId, u.result);
    }, { signal });
  } catch (err) {
    rmSync(u.dir, { recursive: true, force: true });
    throw err;
  }
}

/** Removes an unpacked layer that is not wanted. */
export function discardUnpacked(u: UnpackedLayer): void {
  rmSync(u.dir, { recursive: true, force: true });
}

/** Removes a layer: folder first (so it stops counting as present), then its record. */
export function removeLayer(store: Store, id: string): void {
  const tmp = store.tmpPath(`rm-${id}`);
  try { renameSync(store.layerPath(id), tmp); } catch { /* already gone */ }
  rmSync(tmp, { recursive: true, force: true });
  rmSync(store.layerMetaPath(id), { force: true });
}

/** The diff_id of a record as a Digest. */
export function recordDiffId(rec: LayerRecord): Digest {
  return parseDigest(rec.diffId)!;
}
