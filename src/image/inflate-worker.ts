/**
 * A thread that decompresses one layer (src/image/inflate.ts starts it): it
 * hashes the bytes as read (the layer's digest), decompresses them (gzip with
 * zlib, zstd as src/image/media.ts does), hashes what comes out (the diff_id)
 * and hands it back, so the main thread only parses the tar.
 *
 * workerData: `{ compression: 'gzip' | 'zstd'; rawAlgorithm; diffAlgorithm }`.
 * Messages in: `{ chunk: ArrayBuffer; len }` (`len` bytes as read, transferred), `{ end:
 * true }` (no more bytes), `{ took: number }` (the reader consumed that many
 * output pieces), `{ stop: true }` (end now: the pull failed or was stopped).
 * Out: `{ ack: true; back: ArrayBuffer }` (one input chunk is consumed: its buffer, given back), `{ out: ArrayBuffer }`
 * (decompressed bytes, transferred), `{ done: true; digest; diffId; bytesIn }`
 * (hex digests), `{ error: { message, code, errno } }` (after which it sends
 * nothing more). The thread is never terminated from outside (see
 * unpack-worker.ts); `stop` closes it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Digester } from './digest.js';
import { decompressor, type Compression } from './media.js';

const data = workerData as { compression: Compression; rawAlgorithm: 'sha256' | 'sha512'; diffAlgorithm: 'sha256' | 'sha512' };
const raw = new Digester(data.rawAlgorithm);
const diff = new Digester(data.diffAlgorithm);
const port = parentPort!;
/** Output pieces sent and not yet taken by the reader; above OUT_AHEAD the decompressor pauses. */
const OUT_AHEAD = 8;
let ahead = 0;
let failed = false;
let paused = false;

const inflate = decompressor(data.compression, 1 << 20);
inflate.on('data', (b: Buffer) => {
  diff.update(b);
  let ab: ArrayBuffer;
  if (data.compression === 'gzip' && b.byteOffset === 0 && b.length === b.buffer.byteLength) {
    // A whole output buffer: Node's zlib stream fills one buffer per
    // `chunkSize` and starts a new one once it is full (lib/zlib.js,
    // processCallback), so it is ours to hand over without a copy.
    ab = b.buffer as ArrayBuffer;
  } else {
    // Part of a buffer zlib still writes into (or fzstd's): a copy.
    ab = new ArrayBuffer(b.length);
    new Uint8Array(ab).set(b);
  }
  port.postMessage({ out: ab }, [ab]);
  if (++ahead >= OUT_AHEAD && !paused) { paused = true; inflate.pause(); }
});
inflate.on('end', () => {
  if (failed) return;
  port.postMessage({ done: true, digest: raw.digest().hex, diffId: diff.digest().hex, bytesIn: raw.bytes });
});
inflate.on('error', (err: NodeJS.ErrnoException) => {
  if (failed) return;
  failed = true;
  port.postMessage({ error: { message: err.message, code: err.code, errno: err.errno } });
});

port.on('message', (m: { chunk?: ArrayBuffer; len?: number; end?: true; took?: number; stop?: true }) => {
  if (m.stop) {
    failed = true;
    inflate.destroy();
    port.close();
    return;
  }
  if (m.took !== undefined) {
    ahead -= m.took;
    if (paused && ahead < OUT_AHEAD) { paused = false; inflate.resume(); }
    return;
  }
  if (failed) return;
  if (m.chunk) {
    const chunk = m.chunk;
    const b = Buffer.from(chunk, 0, m.len);
    raw.update(b);
    // Once zlib has consumed it, the buffer goes back to the reader for the next bytes.
    inflate.write(b, () => { if (!failed) port.postMessage({ ack: true, back: chunk }, [chunk]); });
    return;
  }
  if (m.end) inflate.end();
});
