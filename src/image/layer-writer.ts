/**
 * Applying a layer's tar entries to its folder (OCI image spec layer.md), with
 * synchronous file calls: the LayerWriter on the main thread (the layer's
 * structure and every check), FileWriters on writer threads (regular files),
 * while the main thread also reads, decompresses, hashes and parses the tar
 * (src/image/unpack.ts, src/image/unpack-worker.ts).
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
 *    symlink (O_NOFOLLOW, O_EXCL). Device files other than whiteouts are
 *    skipped (a node gets its /dev from netlab), and so are xattrs other than
 *    security.capability and user.* (a layer must not set trusted.overlay.*).
 *
 * Few system calls per entry (the folder starts empty): a file is
 * open(O_CREAT|O_EXCL) + one write per MiB + fchmod + futimens + close, with
 * fchown only when its owner is not the one it was created with; a name that
 * exists already (a duplicate entry: the last one wins, layer.md) shows up as
 * EEXIST and is only then looked at. Parents are checked once per directory.
 */
import {
  chmodSync, closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, openSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import type { Header } from 'tar-stream';
import { mknodChar, mknodFifo, setXattr } from './libc.js';

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

/** What a FileWriter needs of a file's tar header (less to copy to its thread). */
export type FileHeader = Pick<Header, 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'pax'>;

/** The FileHeader of a tar header. Pure. */
export function fileHeader(h: Header): FileHeader {
  const f: FileHeader = { mode: h.mode, uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime };
  if (h.pax) f.pax = h.pax;
  return f;
}

/**
 * A regular file for a FileWriter: its entry, then its contents in parts,
 * each `len` bytes at `off` in the batch's buffer (`last` on the final part;
 * a file of size 0 has one part of length 0).
 */
export type FileOp =
  | { rel: string; h: FileHeader }
  | { off: number; len: number; last: boolean };

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const S_ISGID = 0o2000;
const CREATE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** What the main writer and the file writers share: the folder, the owner new files get, xattrs. */
class LayerFolder {
  protected readonly root: string;
  /** Owner new files get: this process's (unless the folder is setgid: then always chown). */
  private readonly uid: number;
  private readonly gid: number;
  private readonly chownAll: boolean;

  constructor(root: string, protected readonly warn: (text: string) => void) {
    this.root = resolve(root);
    this.uid = process.geteuid?.() ?? 0;
    this.gid = process.getegid?.() ?? 0;
    this.chownAll = (lstatSync(root).mode & S_ISGID) !== 0;
  }

  /** The absolute path of `rel` (clean components from entryComponents: a plain concatenation). */
  protected abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root;
  }

  protected mustChown(h: FileHeader): boolean {
    return this.chownAll || (h.uid ?? 0) !== this.uid || (h.gid ?? 0) !== this.gid;
  }

  protected xattrs(rel: string, h: FileHeader): void {
    if (!h.pax) return;
    for (const [key, value] of Object.entries(h.pax as Record<string, string>)) {
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
}

/**
 * Writes regular files whose parents the LayerWriter has made and checked
 * (it runs on a writer thread: src/image/unpack-worker.ts). It creates
 * nothing else and removes only a regular file it finds at its own name (a
 * duplicate entry: every entry of one name comes to the same FileWriter, in
 * order).
 */
export class FileWriter extends LayerFolder {
  private file?: { fd: number; rel: string; h: FileHeader };
  /** Bytes of file contents written. */
  size = 0;

  private open(rel: string): number {
    const p = this.abs(rel);
    try {
      return openSync(p, CREATE, 0o600);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      if (!lstatSync(p).isFile()) throw new Error(`/${rel}: a file entry where the layer has something else (netlab bug: the writer threads got out of step)`);
      unlinkSync(p);
      return openSync(p, CREATE, 0o600);
    }
  }

  /** Owner, mode, xattrs and times through the descriptor (chown first: it clears setuid and capabilities); closes it. */
  private close(): void {
    const { fd, rel, h } = this.file!;
    this.file = undefined;
    try {
      if (this.mustChown(h)) fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
      fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      this.xattrs(rel, h);
      const t = h.mtime ?? new Date(0);
      futimesSync(fd, t, t);
    } finally {
      closeSync(fd);
    }
    this.size += h.size ?? 0;
  }

  /**
   * Applies one batch: `ops` in order, contents read from `buf`.
   * @throws ErrnoException from the file calls (ENOSPC …); the open file is closed.
   */
  apply(ops: FileOp[], buf: Uint8Array): void {
    try {
      for (const op of ops) {
        if ('rel' in op) {
          if (this.file) throw new Error('a file entry before the previous file ended');
          this.file = { fd: this.open(op.rel), rel: op.rel, h: op.h };
          continue;
        }
        if (!this.file) throw new Error('file contents without a file entry');
        let off = op.off;
        const end = op.off + op.len;
        while (off < end) off += writeSync(this.file.fd, buf, off, end - off);
        if (op.last) this.close();
      }
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Closes the file being written, if any (after a failure). */
  abort(): void {
    if (this.file) {
      try { closeSync(this.file.fd); } catch { /* already closed */ }
      this.file = undefined;
    }
  }
}

/** Where the LayerWriter sends regular files (the writer threads, src/image/unpack.ts). */
export interface FileSink {
  /** Queues a regular file: its entry (`rel` checked, parents made) and its contents. */
  send(rel: string, h: Header, body: AsyncIterable<Buffer>): Promise<void>;
  /** Resolves when every file sent so far is written (and throws the first error of a writer). */
  barrier(): Promise<void>;
}

/**
 * Applies a layer's tar entries, in order, to one empty folder: itself for
 * directories, symlinks, hardlinks, whiteouts and FIFOs (the layer's
 * structure, and every check), a FileSink for regular files. Files sent and
 * not yet known to be written are "pending": before it looks at or changes
 * a name that is pending (a parent, a hardlink's target, a whiteout's name,
 * a duplicate) and before it removes anything, it waits for the writers
 * (barrier), so a writer never creates a file through a name the structure
 * changes under it, and the last entry of a name wins, as layer.md says.
 */
export class LayerWriter extends LayerFolder {
  /** Directories of this layer known to be real directories (relative paths; '' = root). */
  private readonly dirs = new Set<string>(['']);
  /** Other names this writer made (symlinks, hardlinks, whiteouts, FIFOs). */
  private readonly made = new Set<string>();
  /** Regular files sent to the sink since the last barrier. */
  private readonly pending = new Set<string>();
  /** Whiteouts made by this layer (relative paths). */
  private readonly whiteouts = new Set<string>();
  /** Directory attributes, applied at the end (entries inside change a directory's mtime). */
  private readonly dirAttrs = new Map<string, Header>();
  /** Device files skipped (warned about once, at the end). */
  private readonly devices: string[] = [];
  /** Entries applied. */
  entries = 0;

  constructor(root: string, private readonly files: FileSink, warn: (text: string) => void = () => {}) {
    super(root, warn);
  }

  /** Waits for the writers when `rel` (or, without it, anything) is pending. */
  private async settle(rel?: string): Promise<void> {
    if (rel === undefined ? this.pending.size === 0 : !this.pending.has(rel)) return;
    await this.files.barrier();
    this.pending.clear();
  }

  /** Makes sure every parent of `parts` is a real directory of this layer (creating missing ones). */
  private async parents(parts: string[], name: string, create = true): Promise<string> {
    let rel = '';
    for (const p of parts.slice(0, -1)) {
      rel = rel ? `${rel}/${p}` : p;
      if (this.dirs.has(rel)) continue;
      await this.settle(rel);
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

  /** Removes whatever this layer has at `rel` (duplicate entries: the last one wins, layer.md), once the writers are done. */
  private async clear(rel: string, keepDir: boolean): Promise<boolean> {
    await this.settle();
    let st;
    try { st = lstatSync(this.abs(rel)); } catch { return false; }
    if (st.isDirectory() && keepDir) return true;
    if (st.isDirectory()) {
      rmSync(this.abs(rel), { recursive: true, force: true });
      for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
      for (const d of [...this.dirAttrs.keys()]) if (d === rel || d.startsWith(`${rel}/`)) this.dirAttrs.delete(d);
      for (const d of [...this.made]) if (d.startsWith(`${rel}/`)) this.made.delete(d);
    } else {
      unlinkSync(this.abs(rel));
    }
    this.made.delete(rel);
    this.whiteouts.delete(rel);
    return false;
  }

  /** Runs `make`; when the name exists (EEXIST), removes what is there and runs it again. */
  private async create(rel: string, make: () => void): Promise<void> {
    await this.settle(rel);
    try {
      make();
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      await this.clear(rel, false);
      make();
    }
    this.made.add(rel);
  }

  /** Owner, mode, xattrs and times of a symlink or FIFO, in the order that keeps each (chown clears setuid and capabilities). */
  private attrs(rel: string, h: Header, isLink = false): void {
    const p = this.abs(rel);
    if (this.mustChown(h)) lchownSync(p, h.uid ?? 0, h.gid ?? 0);
    if (!isLink) chmodSync(p, (h.mode ?? 0o644) & 0o7777);
    this.xattrs(rel, h);
    const t = h.mtime ?? new Date(0);
    lutimesSync(p, t, t);
  }

  /**
   * Applies one entry; `body` yields a regular file's contents.
   * @throws Error for an unsafe entry (the messages unpackError recognises),
   *   ErrnoException from the file calls (ENOSPC, EPERM for mknod …), and
   *   whatever the sink throws.
   */
  async apply(h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    this.entries++;
    const parts = entryComponents(h.name);
    if (!parts) {
      if (h.type === 'directory') this.dirAttrs.set('', h);
      return;
    }
    const base = parts[parts.length - 1]!;
    if (base.startsWith(WH)) {
      await this.parents(parts, h.name);
      const dir = parts.slice(0, -1).join('/');
      if (base === OPAQUE) {
        setXattr(this.abs(dir), 'trusted.overlay.opaque', Buffer.from('y'));
      } else if (!base.startsWith(`${WH}${WH}`)) {
        const target = dir ? `${dir}/${base.slice(WH.length)}` : base.slice(WH.length);
        await this.settle(target);
        let exists = true;
        try { lstatSync(this.abs(target)); } catch { exists = false; }
        // A whiteout hides lower layers only; what this layer itself has stays (layer.md).
        if (!exists) {
          mknodChar(this.abs(target), 0);
          this.whiteouts.add(target);
          this.made.add(target);
        }
      }
      return;
    }
    const rel = await this.parents(parts, h.name);
    const p = this.abs(rel);
    switch (h.type) {
      case 'directory': {
        await this.settle(rel);
        try {
          mkdirSync(p, 0o700);
        } catch (err) {
          if (errCode(err) !== 'EEXIST') throw err;
          if (!await this.clear(rel, true)) mkdirSync(p, 0o700);
        }
        this.dirs.add(rel);
        this.dirAttrs.set(rel, h);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        if (this.dirs.has(rel) || this.made.has(rel)) await this.clear(rel, false);
        this.pending.add(rel);
        await this.files.send(rel, h, body);
        return;
      }
      case 'symlink': {
        await this.create(rel, () => symlinkSync(h.linkname ?? '', p));
        this.attrs(rel, h, true);
        return;
      }
      case 'link': {
        const target = entryComponents(h.linkname ?? '');
        if (!target) throw new Error(`hardlink ${JSON.stringify(h.name)} points at the layer's root`);
        const src = await this.parents(target, h.linkname!, false);
        await this.settle(src);
        let st;
        try { st = lstatSync(this.abs(src)); } catch { st = undefined; }
        if (!st || st.isDirectory() || this.whiteouts.has(src)) {
          throw new Error(`hardlink ${JSON.stringify(h.name)} points at ${JSON.stringify(h.linkname)}, which is not a file of this layer`);
        }
        if (src === rel) return;
        await this.create(rel, () => linkSync(this.abs(src), p));
        return;
      }
      case 'character-device': {
        if ((h.devmajor ?? 0) === 0 && (h.devminor ?? 0) === 0) {
          // Already an overlayfs whiteout (layers made from an overlay upper dir).
          await this.create(rel, () => mknodChar(p, 0));
          this.whiteouts.add(rel);
          return;
        }
        await this.settle(rel);
        await this.clear(rel, false);
        this.devices.push(`/${rel}`);
        return;
      }
      case 'block-device':
        this.devices.push(`/${rel}`);
        return;
      case 'fifo': {
        await this.create(rel, () => mknodFifo(p, (h.mode ?? 0o644) & 0o7777));
        this.attrs(rel, h);
        return;
      }
      default:
        this.warn(`/${rel}: tar entry of type ${h.type ?? 'unknown'} skipped`);
    }
  }

  /** Waits for the writers, then sets every directory's owner, mode, xattrs and times, deepest first. */
  async finish(): Promise<void> {
    await this.files.barrier();
    this.pending.clear();
    const all = [...this.dirAttrs.entries()].sort((a, b) => b[0].length - a[0].length);
    for (const [rel, h] of all) {
      const p = this.abs(rel);
      if (this.mustChown(h)) lchownSync(p, h.uid ?? 0, h.gid ?? 0);
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
