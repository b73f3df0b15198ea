/**
 * What the two file sources (an OCI layout folder, an archive) share: the
 * record of what was imported from which file, so that naming the same,
 * unchanged file again (`image: ./frr.tar` in a topology, on every `up`)
 * costs one stat, not a second read.
 */
import { statSync } from 'node:fs';
import { readCatalog, updateCatalog, type ImageRecord } from '../catalog.js';
import type { Store } from '../store.js';

/** The identity of a file's current content: size, mtime, inode. */
export function fileStamp(path: string): { size: number; mtimeMs: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** The images imported from `key` (an absolute path) when `stamp` says it has not changed since. */
export function importedFrom(store: Store, key: string, stamp = fileStamp(key)): ImageRecord[] | undefined {
  if (!stamp) return undefined;
  const c = readCatalog(store);
  const rec = c.imports[key];
  if (!rec || rec.size !== stamp.size || rec.mtimeMs !== stamp.mtimeMs || rec.ino !== stamp.ino) return undefined;
  const images = rec.images.map((id) => c.images[id]);
  return images.every((i): i is ImageRecord => i !== undefined) ? images : undefined;
}

/** Records that `key` (as `stamp` says it was) held these images. */
export async function recordImport(store: Store, key: string, stamp: { size: number; mtimeMs: number; ino: number }, images: ImageRecord[]): Promise<void> {
  await updateCatalog(store, (c) => { c.imports[key] = { ...stamp, images: images.map((i) => i.id) }; });
}
