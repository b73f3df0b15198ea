/**
 * Which images and layers running labs use: `up` writes
 * `<run dir>/<lab>/images.json` before any node starts, `down` removes it
 * with the lab's folder; `netlab image rm` and `prune` never remove what one
 * of these files names. The GC lock (<store>/locks/gc.lock) keeps a prune
 * from running between `up` choosing an image and writing the file.
 */
import { readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRoot } from '../lab/paths.js';
import type { ImageRun } from './run.js';

/** The file's name in a lab's run folder. */
export const LAB_IMAGES_FILE = 'images.json';

/** A node's image, as `up` recorded it (and `netlab status` shows it). */
export interface NodeImage {
  /** As the topology wrote it. */
  image: string;
  /** registry, archive, oci-layout or folder. */
  kind: string;
  /** Image ID (config digest), for stored images. */
  id?: string;
  /** Manifest digest, for stored images. */
  digest?: string;
  /** How it runs (the image config), for stored images. */
  run?: ImageRun;
}

/** What a lab uses. */
export interface LabImages {
  /** The store's real path. */
  store: string;
  nodes: Record<string, NodeImage>;
  /** Image IDs and layer ids in use. */
  images: string[];
  layers: string[];
}

/** Writes a lab's record (atomic enough: written once, before its nodes start). */
export function writeLabImages(labDir: string, rec: LabImages): void {
  writeFileSync(join(labDir, LAB_IMAGES_FILE), `${JSON.stringify(rec)}\n`);
}

/** A lab's record, or undefined when it uses no image. */
export function readLabImages(labDir: string): LabImages | undefined {
  try { return JSON.parse(readFileSync(join(labDir, LAB_IMAGES_FILE), 'utf8')) as LabImages; } catch { return undefined; }
}

/** Lab name → what it uses, for every lab folder under the run root that uses this store. */
export function labsUsingStore(storeRoot: string, root = runRoot()): Map<string, LabImages> {
  const out = new Map<string, LabImages>();
  let real = storeRoot;
  try { real = realpathSync(storeRoot); } catch { /* as given */ }
  let labs: string[] = [];
  try { labs = readdirSync(root); } catch { return out; }
  for (const lab of labs) {
    if (lab.startsWith('.')) continue;
    const rec = readLabImages(join(root, lab));
    if (rec && rec.store === real) out.set(lab, rec);
  }
  return out;
}
