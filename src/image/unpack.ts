/**
 * Unpacking one layer (a tar changeset, OCI image spec layer.md) into its own
 * folder, as an overlayfs lower dir, on three threads (four for a gzip or
 * zstd layer): this one reads the bytes, parses the tar (tar-stream) and
 * applies the layer's structure with a LayerWriter (src/image/layer-writer.ts:
 * directories, symlinks, hardlinks, whiteouts, every safety check); two
 * writer threads (src/image/unpack-worker.ts) create the regular files; a
 * compressed layer is hashed and decompressed on a thread of its own
 * (src/image/inflate.ts), an uncompressed one is hashed here. They run at
 * once, so a layer unpacks at about the speed of the slowest part, not of
 * their sum, when the machine has cores to spare.
 *
 *  - integrity: the digest of the bytes read and of the uncompressed tar (the
 *    layer's diff_id) are computed on the way and compared with what the
 *    manifest and the image config say; a truncated or corrupt stream fails.
 *
 * The caller gives an empty temporary folder and renames it into the store
 * only when this resolves (src/image/layers.ts), so a failure leaves nothing.
 */
import { availableParallelism } from 'node:os';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { NetlabError } from '../errors.js';
import { Digester, verifyDigest, type Digest } from './digest.js';
import { fileHeader, LayerWriter, type FileOp, type FileSink } from './layer-writer.js';
import { InflateThread, threadError } from './inflate.js';
import { AutoDecompress, decompressor, type Compression } from './media.js';

export { allowedXattr, entryComponents } from './layer-writer.js';

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

/** Bytes of file contents per batch (one buffer, handed to a writer thread and back). */
const BATCH_BYTES = 1 << 20;
/** A batch is also sent when it holds this many files. */
const BATCH_FILES = 256;
/** Batches a writer thread may have queued before the reader waits (memory: this many MiB per thread). */
const IN_FLIGHT = 4;
/**
 * Writer threads per layer: file creation is mostly kernel work, and two
 * threads keep both cores of a small machine busy with it while this thread
 * reads and hashes (docs/performance.md, "Images").
 */
const THREADS = Math.max(1, Math.min(2, availableParallelism()));

/**
 * The main thread's side of one writer thread (src/image/unpack-worker.ts):
 * queues FileOps in batches whose contents fill one buffer, hands the buffer
 * over without a copy (transferred) and gets it back with the answer, and
 * holds the reader back while the thread is IN_FLIGHT batches behind. The
 * thread's first error is thrown by the next room() or idle().
 */
class WriterThread {
  private readonly worker: Worker;
  private ops: FileOp[] = [];
  private buf: Buffer;
  private fill = 0;
  private readonly free: ArrayBuffer[] = [];
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private error?: Error;
  private stopped = false;
  private readonly exited: Promise<void>;
  /** Bytes of file contents written (as of the last answer). */
  size = 0;

  constructor(root: string, warn: (text: string) => void) {
    this.buf = Buffer.from(new ArrayBuffer(BATCH_BYTES));
    this.worker = new Worker(new URL('./unpack-worker.js', import.meta.url), { workerData: { root } });
    this.worker.on('message', (m: { buf?: ArrayBuffer; warnings: string[]; size: number; error?: Parameters<typeof threadError>[0] }) => {
      for (const w of m.warnings) warn(w);
      if (m.error) this.error ??= threadError(m.error);
      if (m.buf) this.free.push(m.buf);
      this.size = m.size;
      this.inFlight--;
      this.wake();
    });
    this.worker.on('error', (err) => { this.error ??= err; this.wake(); });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', () => {
        if (!this.stopped) this.error ??= new Error('a layer writer thread ended early');
        this.wake();
        resolve();
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(ok: () => boolean): Promise<void> {
    while (!ok() && !this.error) await new Promise<void>((r) => this.waiters.push(r));
    if (this.error) throw this.error;
  }

  /** Sends the batch; the next one fills a buffer that came back (or a new one). */
  flush(): void {
    if (!this.ops.length) return;
    this.inFlight++;
    const ab = this.buf.buffer as ArrayBuffer;
    this.worker.postMessage({ ops: this.ops, buf: ab }, [ab]);
    this.ops = [];
    this.buf = Buffer.from(this.free.pop() ?? new ArrayBuffer(BATCH_BYTES));
    this.fill = 0;
  }

  /** Queues a regular file and its contents (copied into the batch's buffer, in parts across batches). */
  async send(rel: string, h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    this.ops.push({ rel, h: fileHeader(h) });
    let left = h.size ?? 0;
    let start = this.fill;
    for await (const chunk of body) {
      let off = 0;
      while (off < chunk.length && left > 0) {
        const n = Math.min(chunk.length - off, BATCH_BYTES - this.fill, left);
        chunk.copy(this.buf, this.fill, off, off + n);
        this.fill += n;
        off += n;
        left -= n;
        if (this.fill === BATCH_BYTES && left > 0) {
          this.ops.push({ off: start, len: this.fill - start, last: false });
          this.flush();
          await this.room();
          start = 0;
        }
      }
    }
    if (left > 0) throw new Error('Unexpected end of data');
    this.ops.push({ off: start, len: this.fill - start, last: true });
    if (this.fill >= BATCH_BYTES || this.ops.length >= BATCH_FILES * 2) this.flush();
    await this.room();
  }

  /** Resolves when the thread can take more; throws its error. */
  async room(): Promise<void> {
    if (this.inFlight < IN_FLIGHT && !this.error) return;
    await this.until(() => this.inFlight < IN_FLIGHT);
  }

  /** Sends what is queued; resolves when all of it is written. */
  async idle(): Promise<void> {
    this.flush();
    await this.until(() => this.inFlight === 0);
  }

  /**
   * Ends the thread once it has done (or, after an error, skipped) what it
   * was sent; nothing writes into the folder once this resolves.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.worker.postMessage({ stop: true });
    }
    await this.exited;
  }
}

/**
 * The writer threads of one layer, as the LayerWriter's FileSink: every file
 * of one name goes to the same thread (a hash of the name), so duplicates are
 * written in order.
 */
class WriterThreads implements FileSink {
  private readonly threads: WriterThread[];

  constructor(root: string, warn: (text: string) => void, count = THREADS) {
    this.threads = Array.from({ length: count }, () => new WriterThread(root, warn));
  }

  send(rel: string, h: Header, body: AsyncIterable<Buffer>): Promise<void> {
    let hash = 0;
    for (let i = 0; i < rel.length; i++) hash = (hash * 31 + rel.charCodeAt(i)) | 0;
    return this.threads[(hash >>> 0) % this.threads.length]!.send(rel, h, body);
  }

  async barrier(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.idle()));
  }

  /** Bytes of file contents written. */
  get size(): number {
    return this.threads.reduce((s, t) => s + t.size, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
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
  // A layer whose compression the manifest names is decompressed (and hashed) on a thread of its own.
  const inflater = opts.compression === 'gzip' || opts.compression === 'zstd'
    ? new InflateThread(opts.compression, raw.algorithm, diff.algorithm, opts.onBytes) : undefined;
  const decomp = inflater ? undefined : opts.compression === 'auto' ? new AutoDecompress() : decompressor(opts.compression);
  const warn = opts.onWarning ?? ((): void => {});
  const threads = new WriterThreads(dest, warn);
  const writer = new LayerWriter(dest, threads, warn);
  const ex = tarExtract();
  const onAbort = (): void => { input.destroy(opts.signal!.reason as Error); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let failed: unknown;
  // Uncompressed bytes are hashed once: their digest is the diff_id.
  const plain = (): boolean => raw.algorithm === diff.algorithm && (opts.compression === 'none' || (decomp instanceof AutoDecompress && decomp.found === 'none'));
  const onEnd = (err: NodeJS.ErrnoException | null): void => { if (err) failed ??= err; };
  const stream = inflater ? pipeline(input, inflater, onEnd) : pipeline(input, tap(raw, opts.onBytes), decomp!, tap(diff, undefined, plain), onEnd);
  const feed = feedTar(stream as AsyncIterable<Buffer>, ex, (err) => { failed ??= err; });
  try {
    for await (const entry of ex) {
      await writer.apply(entry.header, entry as unknown as AsyncIterable<Buffer>);
      entry.resume();
    }
    await feed;
    if (failed) throw failed;
    await writer.finish();
  } catch (err) {
    const cause = failed ?? err; // before destroy(): that adds a "premature close" of its own
    stream.destroy();
    await feed.catch(() => {});
    await threads.stop();
    throw unpackError(cause, opts, dest);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  await threads.stop();
  const digest = inflater ? inflater.result!.digest : raw.digest();
  const diffId = inflater ? inflater.result!.diffId : plain() ? { ...digest } : diff.digest();
  if (opts.digest) verifyDigest(opts.what, opts.digest, digest, opts.userInput);
  if (opts.diffId) verifyDigest(`${opts.what} (uncompressed, the image config's diff_id)`, opts.diffId, diffId, opts.userInput);
  return { digest, diffId, bytesIn: inflater ? inflater.result!.bytesIn : raw.bytes, size: threads.size, entries: writer.entries };
}
