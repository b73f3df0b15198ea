/**
 * Where images live on the host, and the one check every path into the store
 * passes (docs/images.md, "The store"):
 *
 *   <store>/images.json           the image index: references → manifest, config, layers
 *   <store>/blobs/sha256/<hex>    manifests, indexes and configs, by digest (verified)
 *   <store>/layers/<id>/          one unpacked layer (an overlay lower dir); <id> = the
 *                                 first 12 hex digits of its diff_id (short: see lowerDirString)
 *   <store>/meta/<id>.json        that layer's record: full diff_id, size, when
 *   <store>/tmp/                  downloads and unpacks in progress (renamed when complete)
 *   <store>/locks/                one lock file per layer, and the index and GC locks
 *   <store>/checks/<sha256>       a config text the host's parser passed (src/daemons/config.ts)
 *
 * The store is /var/lib/netlab for root, ~/.local/share/netlab
 * ($XDG_DATA_HOME/netlab) for anyone else, or $NETLAB_STORE.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NetlabError } from '../errors.js';
import type { Digest } from './digest.js';

/** The store's root folder (not created here). Pure but for the environment and uid. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.NETLAB_STORE) return resolve(env.NETLAB_STORE);
  if (uid === 0) return '/var/lib/netlab';
  const data = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'netlab');
}

/** Length of a layer's folder name: 12 hex digits of its diff_id (48 bits). */
export const LAYER_ID_LENGTH = 12;

/** A layer's folder name from its diff_id (the digest of the uncompressed tar). Pure. */
export function layerId(diffId: Digest): string {
  return diffId.hex.slice(0, LAYER_ID_LENGTH);
}

/**
 * `path` if it lies inside `root` (after resolving `.`/`..`), else throws.
 * Every path the store builds from a digest, a layer id or a name read from
 * an archive goes through here before it is opened, written or removed. Pure.
 * @throws NetlabError (exit 2) naming the path: something tried to leave the store.
 */
export function insideStore(root: string, path: string): string {
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new NetlabError(`store ${root}`, `refusing the path ${JSON.stringify(path)}: it is not inside the image store`, 'this is a damaged or hostile image name or archive entry', 2);
  }
  return abs;
}

/** The image store: paths of its parts. Creating a Store creates nothing on disk; open() does. */
export class Store {
  readonly root: string;

  constructor(root = defaultStoreRoot()) {
    this.root = resolve(root);
  }

  /** Creates the store's folders (mode 0700 for the store: image contents are root's). */
  open(): this {
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      for (const d of ['blobs/sha256', 'blobs/sha512', 'layers', 'meta', 'tmp', 'locks']) mkdirSync(join(this.root, d), { recursive: true, mode: 0o700 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new NetlabError(`store ${this.root}`, `cannot create the image store: ${e.code ?? e.message}`,
        e.code === 'EACCES' ? 'run as root, or point NETLAB_STORE to a folder you own' : 'check the disk, or point NETLAB_STORE to another folder');
    }
    return this;
  }

  /** `<store>/…` checked to be inside the store. */
  path(...parts: string[]): string {
    return insideStore(this.root, join(...parts));
  }

  /** Where a blob (manifest, index, config) of this digest is kept. */
  blobPath(d: Digest): string {
    return this.path('blobs', d.algorithm, d.hex);
  }

  /** The folder of a layer (the overlay lower). */
  layerPath(id: string): string {
    return this.path('layers', checkLayerId(this.root, id));
  }

  /** The record of a layer. */
  layerMetaPath(id: string): string {
    return this.path('meta', `${checkLayerId(this.root, id)}.json`);
  }

  /** The lock file of a name (`layer-<id>`, `index`, `gc`). */
  lockPath(name: string): string {
    if (!/^[a-z0-9-]+$/.test(name)) throw new NetlabError(`store ${this.root}`, `"${name}" is not a lock name`, 'this is a bug in netlab: please report it');
    return this.path('locks', `${name}.lock`);
  }

  /** A fresh temporary name under <store>/tmp (not created). */
  tmpPath(what: string): string {
    return this.path('tmp', `${what}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
  }

  /** The index file. */
  get indexFile(): string {
    return this.path('images.json');
  }

  /** The store's real path (symlinks resolved), for messages and comparisons. */
  realRoot(): string {
    try { return realpathSync(this.root); } catch { return this.root; }
  }
}

function checkLayerId(root: string, id: string): string {
  if (!/^[0-9a-f]{12}$/.test(id)) throw new NetlabError(`store ${root}`, `"${id}" is not a layer id`, 'this is a bug in netlab: please report it');
  return id;
}
