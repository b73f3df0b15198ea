/**
 * Unpacking one layer (a tar changeset, OCI image spec layer.md) into its own
 * folder, as an overlayfs lower dir:
 *
 *  - whiteouts: `.wh.<name>` becomes an overlayfs whiteout (a character
 *    device 0/0 named <name>), `.wh..wh..opq` makes its directory opaque
 *    (xattr trusted.overlay.opaque=y) — Documentation/filesystems/overlayfs.rst,
 *    "whiteouts and opaque directories". As layer.md says, a whiteout hides
 *    only what lower layers have: a file of the same layer stays.
 *  - safety: no entry lands outside the folder. Names are cleaned (`./`, `/`
 *    stripped) and refused when they hold `..`; every parent of an entry must
 *    be a real directory of this layer (a symlink or a file there is refused,
 *    so "symlink, then a file through it" cannot write elsewhere); hardlinks
 *    must point at a file of this layer; nothing is ever opened through a
 *    symlink (O_NOFOLLOW). Device files other than whiteouts are skipped (a
 *    node gets its /dev from netlab), and so are xattrs other than
 *    security.capability and user.* (a layer must not set trusted.overlay.*).
 *  - integrity: the digest of the bytes read and of the uncompressed tar (the
 *    layer's diff_id) are computed on the way and compared with what the
 *    manifest and the image config say; a truncated or corrupt stream fails.
 *
 * The caller gives an empty temporary folder and renames it into the store
 * only when this resolves (src/image/layers.ts), so a failure leaves nothing.
 */
import {
  chmodSync, closeSync, constants as fsc, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync,
  symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { NetlabError } from '../errors.js';
import { Digester, verifyDigest, type Digest } from './digest.js';
import { mknodChar, mknodFifo, setXattr } from './libc.js';
import { AutoDecompress, decompressor, type Compression } from './media.js';

/** What unpackLayer checks and reports. */
export interface UnpackOptions {
  /** How the bytes are compressed; 'auto' looks at the first bytes. */
  compression: Compression | 'auto';
  /** The layer for messages, e.g. `layer 2 of 5 (sha256:3f2a…) of alpine:3.20`. */
  what: string;
  /** Digest the bytes as read must have (the manifest's layer digest). */
  digest?: Digest;
  /** Digest the uncompressed tar must have (the config's diff_id). */
  diffId?: Digest;
  /** The bytes come from a file the user named: a damaged one exits 2. */
  userInput?: boolean;
  signal?: AbortSignal;
  /** Called with the count of bytes read, as they are read (progress). */
  onBytes?: (n: number) => void;
  /** A note about something skipped (a device file, an xattr). */
  onWarning?: (text: string) => void;
}

/** What a layer turned out to be. */
export interface UnpackResult {
  /** Digest of the bytes as read. */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  /** Bytes read (compressed). */
  bytesIn: number;
  /** Bytes of file contents written. */
  size: number;
  /** Entries applied. */
  entries: number;
}

/**
 * The path components of a tar entry name inside its layer, or undefined for
 * the layer's root (`./`, `/`). Pure.
 * @throws Error when the name holds a `..` component or a NUL byte.
 */
export function entryComponents(name: string): string[] | undefined {
  if (name.includes('\0')) throw new Error(`entry ${JSON.stringify(name)} holds a NUL byte`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`entry ${JSON.stringify(name)} points outside the layer (..)`);
  return parts.length ? parts : undefined;
}

/** Extended attributes a layer may set (the rest is skipped). Pure. */
export function allowedXattr(name: string): boolean {
  return name === 'security.capability' || name.startsWith('user.');
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Applies tar entries to one folder (synchronous file calls: one fewer hop per file). */
export class LayerWriter {
  /** Directories of this layer known to be real directories (relative paths; '' = root). */
  private readonly dirs = new Set<string>(['']);
  /** Whiteouts made by this layer (relative paths). */
  private readonly whiteouts = new Set<string>();
  /** Directory attributes, applied at the end (entries inside change a directory's mtime). */
  private readonly dirAttrs = new Map<string, Header>();
  /** Device files skipped (warned about once, at the end). */
  private readonly devices: string[] = [];
  size = 0;
  entries = 0;

  constructor(private readonly root: string, private readonly warn: (text: string) => void = () => {}) {}

  private abs(rel: string): string {
    return rel ? join(this.root, rel) : this.root;
  }

  /** Makes sure every parent of `parts` is a real directory of this layer (creating missing ones). */
  private parents(parts: string[], name: string, create = true): string {
    let rel = '';
    for (const p of parts.slice(0, -1)) {
      rel = rel ? `${rel}/${p}` : p;
      if (this.dirs.has(rel)) continue;
      let st;
      try { st = lstatSync(this.abs(rel)); } catch { st = undefined; }
      if (!st) {
        if (!create) throw new Error(`entry ${JSON.stringify(name)}: ${rel} is not in this layer`);
        mkdirSync(this.abs(rel), 0o755);
      } else if (!st.isDirectory()) {
        throw new Error(`entry ${JSON.stringify(name)} goes through ${rel}, which is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'} in this layer: refused (it could write outside the layer)`);
      }
      this.dirs.add(rel);
    }
    return parts.join('/');
  }

  /** Removes whatever this layer has at `rel` (duplicate entries: the last one wins, layer.md). */
  private clear(rel: string, keepDir: boolean): boolean {
    let st;
    try { st = lstatSync(this.abs(rel)); } catch { return false; }
    if (st.isDirectory() && keepDir) return true;
    if (st.isDirectory()) {
      rmSync(this.abs(rel), { recursive: true, force: true });
      for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
      for (const d of [...this.dirAttrs.keys()]) if (d === rel || d.startsWith(`${rel}/`)) this.dirAttrs.delete(d);
    } else {
      unlinkSync(this.abs(rel));
    }
    this.whiteouts.delete(rel);
    return false;
  }

  /** Owner, mode, xattrs and times of a non-directory, in the order that keeps each (chown clears setuid and capabilities). */
  private attrs(rel: string, h: Header, isLink = false): void {
    const p = this.abs(rel);
    lchownSync(p, h.uid ?? 0, h.gid ?? 0);
    if (!isLink) chmodSync(p, (h.mode ?? 0o644) & 0o7777);
    this.xattrs(rel, h);
    const t = h.mtime ?? new Date(0);
    lutimesSync(p, t, t);
  }

  private xattrs(rel: string, h: Header): void {
    for (const [key, value] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (!allowedXattr(name)) {
        this.warn(`/${rel}: extended attribute ${name} skipped`);
        continue;
      }
      // tar-stream decodes PAX values as UTF-8: a value that was not valid UTF-8 cannot be restored.
      if (value.includes('\ufffd')) {
        this.warn(`/${rel}: extended attribute ${name} skipped (binary value the tar reader cannot keep)`);
        continue;
      }
      setXattr(this.abs(rel), name, Buffer.from(value, 'utf8'));
    }
  }

  /** Applies one entry; `body` yields a regular file's contents. */
  async apply(h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    this.entries++;
    const parts = entryComponents(h.name);
    if (!parts) {
      if (h.type === 'directory') this.dirAttrs.set('', h);
      return;
    }
    const base = parts[parts.length - 1]!;
    if (base.startsWith(WH)) {
      this.parents(parts, h.name);
      const dir = parts.slice(0, -1).join('/');
      if (base === OPAQUE) {
        setXattr(this.abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
      } else if (!base.startsWith(`${WH}${WH}`)) {
        const target = dir ? `${dir}/${base.slice(WH.length)}` : base.slice(WH.length);
        let exists = true;
        try { lstatSync(this.abs(target)); } catch { exists = false; }
        // A whiteout hides lower layers only; what this layer itself has stays (layer.md).
        if (!exists) {
          mknodChar(this.abs(target), 0);
          this.whiteouts.add(target);
        }
      }
      return;
    }
    const rel = this.parents(parts, h.name);
    switch (h.type) {
      case 'directory': {
        if (!this.clear(rel, true)) mkdirSync(this.abs(rel), 0o700);
        this.dirs.add(rel);
        this.dirAttrs.set(rel, h);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        this.clear(rel, false);
        const fd = openSync(this.abs(rel), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off);
          }
        } finally {
          closeSync(fd);
        }
        this.size += h.size ?? 0;
        this.attrs(rel, h);
        return;
      }
      case 'symlink': {
        this.clear(rel, false);
        symlinkSync(h.linkname ?? '', this.abs(rel));
        this.attrs(rel, h, true);
        return;
      }
      case 'link': {
        const target = entryComponents(h.linkname ?? '');
        if (!target) throw new Error(`hardlink ${JSON.stringify(h.name)} points at the layer's root`);
        const src = this.parents(target, h.linkname!, false);
        let st;
        try { st = lstatSync(this.abs(src)); } catch { st = undefined; }
        if (!st || st.isDirectory() || this.whiteouts.has(src)) {
          throw new Error(`hardlink ${JSON.stringify(h.name)} points at ${JSON.stringify(h.linkname)}, which is not a file of this layer`);
        }
        if (src === rel) return;
        this.clear(rel, false);
        linkSync(this.abs(src), this.abs(rel));
        return;
      }
      case 'character-device': {
        this.clear(rel, false);
        if ((h.devmajor ?? 0) === 0 && (h.devminor ?? 0) === 0) {
          // Already an overlayfs whiteout (layers made from an overlay upper dir).
          mknodChar(this.abs(rel), 0);
          this.whiteouts.add(rel);
          return;
        }
        this.devices.push(`/${rel}`);
        return;
      }
      case 'block-device':
        this.devices.push(`/${rel}`);
        return;
      case 'fifo': {
        this.clear(rel, false);
        mknodFifo(this.abs(rel), (h.mode ?? 0o644) & 0o7777);
        this.attrs(rel, h);
        return;
      }
      default:
        this.warn(`/${rel}: tar entry of type ${h.type ?? 'unknown'} skipped`);
    }
  }

  /** Sets every directory's owner, mode, xattrs and times, deepest first. */
  finish(): void {
    const all = [...this.dirAttrs.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [rel, h] of all) {
      const p = this.abs(rel);
      lchownSync(p, h.uid ?? 0, h.gid ?? 0);
      chmodSync(p, (h.mode ?? 0o755) & 0o7777);
      this.xattrs(rel, h);
      const t = h.mtime ?? new Date(0);
      lutimesSync(p, t, t);
    }
    if (!this.dirAttrs.has('')) chmodSync(this.root, 0o755);
    if (this.devices.length) {
      const shown = this.devices.slice(0, 4).join(', ');
      this.warn(`${this.devices.length} device file${this.devices.length === 1 ? '' : 's'} skipped (${shown}${this.devices.length > 4 ? ', …' : ''}): a node gets its /dev from netlab`);
    }
  }
}

/** A pass-through stream that hashes and counts what flows. */
function tap(d: Digester, onBytes?: (n: number) => void, skip?: () => boolean): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!skip?.()) d.update(chunk);
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Resolves when a writable can take more, or is gone. */
function drained(w: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { w.off('drain', done); w.off('close', done); w.off('error', done); resolve(); };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}

/**
 * Writes every chunk of `input` into the tar reader `ex` (waiting while it is
 * full) and ends it; a failure of `input` is given to `onFail` and destroys
 * `ex`, so that whoever reads its entries stops too. Resolves when done.
 */
export async function feedTar(input: AsyncIterable<Buffer>, ex: Extract, onFail: (err: unknown) => void, onChunk?: (c: Buffer) => void): Promise<void> {
  try {
    for await (const chunk of input) {
      onChunk?.(chunk);
      if (ex.destroyed) break;
      if (!ex.write(chunk)) await drained(ex as unknown as NodeJS.EventEmitter);
    }
    if (!ex.destroyed) ex.end(undefined);
  } catch (err) {
    onFail(err);
    ex.destroy(err as Error);
  }
}

/** Turns a failure while unpacking into the error a user reads. */
function unpackError(err: unknown, opts: UnpackOptions, dest: string): Error {
  if (err instanceof NetlabError) return err;
  if (opts.signal?.aborted && err === opts.signal.reason) return err as Error;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') {
    return new NetlabError(opts.what, `no space left on the image store's disk (${dest.replace(/\/tmp\/.*$/, '')}) while unpacking; the partial layer was removed`,
      'free some space (netlab image prune removes unused images), or point NETLAB_STORE to a bigger disk');
  }
  if (e.code === 'EPERM' && e.syscall === 'mknod') {
    return new NetlabError(opts.what, 'cannot create an overlayfs whiteout (mknod 0/0 was refused)', 'unpacking images needs root (CAP_MKNOD)');
  }
  const msg = e.message ?? String(err);
  const damaged = /unexpected end|invalid tar|incorrect header|invalid block|invalid distance|invalid code|invalid stored|unknown compression|Z_DATA_ERROR|Z_BUF_ERROR|Unexpected end of data|Invalid tar header|checksum/i.test(msg)
    || e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || typeof (e as { code?: unknown }).code === 'number';
  if (damaged) {
    return new NetlabError(opts.what, `the layer is damaged or truncated (${msg}); nothing of it was kept`,
      opts.userInput ? 'the archive is incomplete or corrupt: make it again (docker save, skopeo copy) and import it again' : 'pull again; if it fails again, the registry serves a broken blob', opts.userInput ? 2 : 1);
  }
  if (/points outside|goes through|not a file of this layer|NUL byte|not in this layer|layer's root/.test(msg)) {
    return new NetlabError(opts.what, `unsafe layer: ${msg}; nothing of it was kept`, 'the image is damaged or hostile: do not use it', 2);
  }
  return err as Error;
}

/**
 * Unpacks the layer read from `input` into the empty folder `dest`.
 * @throws NetlabError naming the layer: damaged or truncated data (exit 1, 2
 *   for a user's file), a digest or diff_id that is not what the manifest or
 *   config says, an unsafe entry (exit 2), no space left (the partial folder
 *   must then be removed by the caller, as after any failure).
 */
export async function unpackLayer(input: Readable, dest: string, opts: UnpackOptions): Promise<UnpackResult> {
  const raw = new Digester(opts.digest?.algorithm);
  const diff = new Digester(opts.diffId?.algorithm);
  const decomp = opts.compression === 'auto' ? new AutoDecompress() : decompressor(opts.compression);
  const writer = new LayerWriter(dest, opts.onWarning);
  const ex = tarExtract();
  const onAbort = (): void => { input.destroy(opts.signal!.reason as Error); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let failed: unknown;
  // Uncompressed bytes are hashed once: their digest is the diff_id.
  const plain = (): boolean => raw.algorithm === diff.algorithm && (opts.compression === 'none' || (decomp instanceof AutoDecompress && decomp.found === 'none'));
  const tarred = tap(diff, undefined, plain);
  const stream = pipeline(input, tap(raw, opts.onBytes), decomp, tarred, (err) => { if (err) failed ??= err; });
  const feed = feedTar(stream as AsyncIterable<Buffer>, ex, (err) => { failed ??= err; });
  try {
    for await (const entry of ex) {
      await writer.apply(entry.header, entry as unknown as AsyncIterable<Buffer>);
      entry.resume();
    }
    await feed;
    if (failed) throw failed;
    writer.finish();
  } catch (err) {
    const cause = failed ?? err; // before destroy(): that adds a "premature close" of its own
    stream.destroy();
    await feed.catch(() => {});
    throw unpackError(cause, opts, dest);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const digest = raw.digest();
  const diffId = plain() ? { ...digest } : diff.digest();
  if (opts.digest) verifyDigest(opts.what, opts.digest, digest, opts.userInput);
  if (opts.diffId) verifyDigest(`${opts.what} (uncompressed, the image config's diff_id)`, opts.diffId, diffId, opts.userInput);
  return { digest, diffId, bytesIn: raw.bytes, size: writer.size, entries: writer.entries };
}
