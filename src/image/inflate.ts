/**
 * Decompressing a layer on a thread of its own (src/image/inflate-worker.ts),
 * as a stream: compressed bytes in, the tar out, both digests computed on
 * that thread. A pull of a gzip layer inflates 200 MB; on the main thread
 * (Node's zlib stream) every 256 KiB of output needed a turn of the main
 * thread's event loop before zlib went on, so inflating and parsing the tar
 * took turns instead of running at once (docs/performance.md, "Images").
 */
import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Digest } from './digest.js';
import type { Compression } from './media.js';

/** Input chunks the thread may hold before the writer waits. */
const IN_AHEAD = 4;
/** Bytes per input piece handed over (socket reads of 64 KiB or less are joined into one). */
const PIECE = 1 << 20;

/** What the thread reported at the end. */
export interface Inflated {
  /** Digest of the bytes as read. */
  digest: Digest;
  /** Digest of the decompressed bytes. */
  diffId: Digest;
  /** Bytes read (compressed). */
  bytesIn: number;
}

/** An error a thread reported (a plain object), rebuilt as the ErrnoException it was (unpackError looks at `code`). */
export function threadError(e: { message: string; code?: string; syscall?: string; errno?: number; path?: string }): NodeJS.ErrnoException {
  const err = new Error(e.message) as NodeJS.ErrnoException;
  if (e.code !== undefined) err.code = e.code;
  if (e.syscall !== undefined) err.syscall = e.syscall;
  if (e.errno !== undefined) err.errno = e.errno;
  if (e.path !== undefined) err.path = e.path;
  return err;
}

/**
 * A Duplex stream: write the layer's bytes as read, read the decompressed
 * tar. `result` is set once the readable side has ended; a damaged or
 * truncated stream destroys it with the decompressor's error.
 */
export class InflateThread extends Duplex {
  private readonly worker: Worker;
  /** The piece being filled, and buffers the thread gave back. */
  private piece = new Uint8Array(new ArrayBuffer(PIECE));
  private fill = 0;
  private readonly free: ArrayBuffer[] = [];
  private inFlight = 0;
  private waitingWrite?: () => void;
  private finalCb?: (err?: Error | null) => void;
  /** Output pieces pushed while the reader was full: acknowledged in _read. */
  private untaken = 0;
  private stopped = false;
  result?: Inflated;

  /**
   * @param compression gzip or zstd
   * @param rawAlgorithm digest of the bytes as read; `diffAlgorithm` of the output
   * @param onBytes called with the count of bytes written, as they come (progress)
   */
  constructor(compression: Exclude<Compression, 'none'>, rawAlgorithm: Digest['algorithm'], diffAlgorithm: Digest['algorithm'], private readonly onBytes?: (n: number) => void) {
    super({ readableHighWaterMark: 4 << 20, writableHighWaterMark: PIECE });
    this.worker = new Worker(new URL('./inflate-worker.js', import.meta.url), { workerData: { compression, rawAlgorithm, diffAlgorithm } });
    this.worker.on('message', (m: { ack?: true; back?: ArrayBuffer; out?: ArrayBuffer; done?: true; digest?: string; diffId?: string; bytesIn?: number; error?: Parameters<typeof threadError>[0] }) => {
      if (m.ack) {
        this.inFlight--;
        if (m.back) this.free.push(m.back);
        const w = this.waitingWrite;
        this.waitingWrite = undefined;
        w?.();
      } else if (m.out) {
        if (this.push(Buffer.from(m.out))) this.worker.postMessage({ took: 1 });
        else this.untaken++;
      } else if (m.done) {
        this.result = { digest: { algorithm: rawAlgorithm, hex: m.digest! }, diffId: { algorithm: diffAlgorithm, hex: m.diffId! }, bytesIn: m.bytesIn! };
        this.push(null);
        this.stop();
        const cb = this.finalCb;
        this.finalCb = undefined;
        cb?.();
      } else if (m.error) {
        this.destroy(threadError(m.error));
      }
    });
    this.worker.on('error', (err) => this.destroy(err));
    this.worker.on('exit', () => { if (!this.stopped) this.destroy(new Error('the layer\'s decompressing thread ended early')); });
  }

  /** Hands the piece being filled to the thread (transferred) and starts the next in a buffer it gave back. */
  private send(): void {
    if (!this.fill) return;
    const ab = this.piece.buffer as ArrayBuffer;
    this.inFlight++;
    this.worker.postMessage({ chunk: ab, len: this.fill }, [ab]);
    this.piece = new Uint8Array(this.free.pop() ?? new ArrayBuffer(PIECE));
    this.fill = 0;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.onBytes?.(chunk.length);
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, PIECE - this.fill);
      this.piece.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === PIECE) this.send();
    }
    if (this.inFlight < IN_AHEAD) cb();
    else this.waitingWrite = () => cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.send();
    this.finalCb = cb;
    this.worker.postMessage({ end: true });
  }

  override _read(): void {
    if (this.untaken) {
      this.worker.postMessage({ took: this.untaken });
      this.untaken = 0;
    }
  }

  /** Ends the thread (it closes itself; never terminated from outside, see unpack-worker.ts). */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage({ stop: true });
    this.worker.unref();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.stop();
    this.finalCb = undefined;
    cb(err);
  }
}
