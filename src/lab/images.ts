/**
 * A lab's images: before any node starts, `up` resolves every node's root —
 * the host's `/`, a root filesystem folder, or an image from the store
 * (pulled or imported when missing, with progress) — and records which
 * images and layers the lab uses (so `netlab image rm`/`prune` keep them),
 * and how each image's node runs (Env, Entrypoint + Cmd, WorkingDir, User).
 */
import { NetlabError, TopologyError, isNetlabError } from '../errors.js';
import { hasImage, holdImages, resolveImage, Store, type ImageProgressListener, type ResolvedImage } from '../image/index.js';
import { imageRun, type ImageRun } from '../image/run.js';
import { hasProgram } from '../image/root-view.js';
import { readLabImages, writeLabImages, type LabImages, type NodeImage } from '../image/usage.js';
import type { PluginFacts } from '../daemons/kind.js';
import type { ImageCatalog } from '../frontends/types.js';
import { looksLikePath } from '../topology/image-ref.js';
import type { Node, Topology } from '../topology/types.js';
import { labDir } from './paths.js';

/** A node's root filesystem and, for an image, how it runs. */
export interface NodeRoot {
  /** Overlay lower dirs, top first (['/'] for the host's root). */
  lowerDirs: string[];
  /** The image, when the node has one (`image:` or `rootfs:`). */
  image?: NodeImage;
  /** The image config's run settings (stored images only). */
  run?: ImageRun;
}

/** The host's root: what a node without an image gets. */
export const HOST_ROOT: NodeRoot = { lowerDirs: ['/'] };

/**
 * The images an imported (containerlab, Kathará) lab may run as themselves:
 * those netlab's store holds complete, and with `pull` every registry
 * reference (up pulls what the store lacks, and stops with the registry's
 * error when it cannot). The front-ends fall back to the host's FRR or root
 * only for the images this refuses (docs/containerlab.md, "Images").
 * Reads the store's index once per reference; creates nothing.
 */
export function storeImageCatalog(opts: { store?: string; pull?: boolean } = {}): ImageCatalog {
  const seen = new Map<string, boolean>();
  const stored = (ref: string): boolean => {
    if (!seen.has(ref)) seen.set(ref, hasImage(ref, { store: opts.store }));
    return seen.get(ref)!;
  };
  return {
    pull: opts.pull === true,
    available: (ref) => !looksLikePath(ref) && (stored(ref) || opts.pull === true),
    stored,
  };
}

/** What the node names: its `image:`, else its `rootfs:` folder (a folder image), else nothing. Pure. */
export function imageSpec(n: Node): string | undefined {
  if (n.image !== undefined) return n.image;
  return n.rootfs;
}

/** Options of resolveLabImages. */
export interface LabImageOptions {
  onProgress?: ImageProgressListener;
  onWarning?: (text: string) => void;
  signal?: AbortSignal;
  /** Plain HTTP to a registry on this machine. */
  insecure?: boolean;
  /** The image store (default: /var/lib/netlab, or $NETLAB_STORE). */
  store?: string;
}

/** Says which node an image error belongs to (`nodes.r1.image: …`), keeping the exit code. */
function atNode(err: unknown, n: Node): unknown {
  if (!isNetlabError(err)) return err;
  const e = new NetlabError(`nodes.${n.name}.image`, `${err.where ? `${err.where}: ` : ''}${err.message}`, err.hint, err.exitCode);
  e.stack = (err as Error).stack;
  return e;
}

/**
 * Resolves every node's root, pulling or importing missing images (each
 * distinct image once), and checks the kinds' programs are in each image.
 * @throws UsageError / TopologyError (exit 2) naming `nodes.<n>.image`:
 *   a bad reference, an unknown tag, a missing file, an image for another
 *   machine, a kind whose programs the image lacks; NetlabError (exit 1) for
 *   the network or the disk.
 * @param facts a kind's programs (`requires`) and the hint for an image that lacks one (`imageHint`).
 */
export async function resolveLabImages(t: Topology, facts: (kind: string) => Pick<PluginFacts, 'requires' | 'imageHint'>, opts: LabImageOptions = {}): Promise<Map<string, NodeRoot>> {
  const roots = new Map<string, NodeRoot>();
  const bySpec = new Map<string, Promise<ResolvedImage>>();
  const wanted = t.nodes.filter((n) => imageSpec(n) !== undefined);
  for (const n of wanted) {
    const spec = imageSpec(n)!;
    const key = n.image !== undefined ? spec : `rootfs ${spec}`;
    if (!bySpec.has(key)) {
      // A rootfs: is a folder by definition (checked by the loader); an image: may be anything.
      bySpec.set(key, n.image === undefined
        ? Promise.resolve({ name: spec, kind: 'folder', lowerDirs: [spec] })
        : resolveImage(spec, { baseDir: t.dir, store: opts.store, insecure: opts.insecure, signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning }));
      bySpec.get(key)!.catch(() => {});
    }
  }
  for (const n of wanted) {
    const spec = imageSpec(n)!;
    let r: ResolvedImage;
    try {
      r = await bySpec.get(n.image !== undefined ? spec : `rootfs ${spec}`)!;
    } catch (err) {
      throw atNode(err, n);
    }
    const run = r.record ? imageRun(r.record.run, r.lowerDirs, `nodes.${n.name}.image`, spec) : undefined;
    roots.set(n.name, {
      lowerDirs: r.lowerDirs,
      image: { image: spec, kind: r.kind, ...(r.record ? { id: r.record.id, digest: r.record.manifest } : {}) },
      ...(run ? { run } : {}),
    });
    const kind = facts(n.kind);
    for (const req of kind.requires) {
      if (!hasProgram(r.lowerDirs, req.program)) {
        throw new TopologyError(`nodes.${n.name}.image`, `kind ${n.kind} needs ${req.program}, which image ${spec} does not have`,
          kind.imageHint ?? `use an image that has ${req.program}, or kind: linux`);
      }
    }
  }
  return roots;
}

/** What the lab file `<run dir>/<lab>/images.json` records for these roots. Pure but for the store path. */
export function labImagesRecord(roots: Map<string, NodeRoot>, store?: string): LabImages | undefined {
  const stored = [...roots.values()].filter((r) => r.image?.id);
  if (!roots.size) return undefined;
  const s = new Store(store);
  const layers = new Set<string>();
  for (const r of stored) for (const dir of r.lowerDirs) layers.add(dir.slice(dir.lastIndexOf('/') + 1));
  return {
    store: s.realRoot(),
    nodes: Object.fromEntries([...roots].map(([n, r]) => [n, { ...r.image!, ...(r.run ? { run: r.run } : {}) }])),
    images: [...new Set(stored.map((r) => r.image!.id!))],
    layers: [...layers],
  };
}

/**
 * Holds the store's GC lock shared (no prune runs) from before the lab's
 * images are chosen until `release()`, after the lab's record is written.
 * Nothing is held for a lab without `image:` nodes.
 */
export async function holdLabImages(t: Topology, opts: LabImageOptions): Promise<{ release(): void }> {
  if (!t.nodes.some((n) => n.image !== undefined)) return { release() {} };
  return holdImages({ store: opts.store, signal: opts.signal });
}

/** Writes the lab's record of its images (before its nodes start). */
export function recordLabImages(lab: string, roots: Map<string, NodeRoot>, store?: string): void {
  const rec = labImagesRecord(roots, store);
  if (rec) writeLabImages(labDir(lab), rec);
}

/** The roots a running lab's nodes have, from its record (nodes without one: the host's root). */
export function labRoots(lab: string): Map<string, NodeRoot> {
  const rec = readLabImages(labDir(lab));
  const out = new Map<string, NodeRoot>();
  for (const [n, img] of Object.entries(rec?.nodes ?? {})) {
    const { run, ...image } = img;
    out.set(n, { lowerDirs: [], image, ...(run ? { run } : {}) });
  }
  return out;
}

