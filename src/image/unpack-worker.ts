/**
 * A thread that writes a layer's regular files (src/image/unpack.ts starts
 * them): it takes batches of FileOp with a buffer holding their contents,
 * applies them with a FileWriter, and answers each batch with the buffer (for
 * the next batch) and the warnings it had, or with the first error (after
 * which it applies nothing more).
 *
 * Messages in: `{ ops: FileOp[]; buf: ArrayBuffer }`, and `{ stop: true }`,
 * which ends the thread once what came before it is done (the thread is
 * never terminated from outside: that could stop it half-way through loading
 * a native module, which aborts the process). Out:
 * `{ buf?: ArrayBuffer; warnings: string[]; size: number; error?: { message, code, syscall, errno, path } }`
 * (`size`: bytes of file contents written so far).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileWriter, type FileOp } from './layer-writer.js';

const warnings: string[] = [];
const writer = new FileWriter((workerData as { root: string }).root, (text) => { warnings.push(text); });
let failed = false;

parentPort!.on('message', (msg: { ops: FileOp[]; buf: ArrayBuffer } | { stop: true }) => {
  if ('stop' in msg) {
    // Every batch sent before has been applied (messages come in order): end the thread.
    parentPort!.close();
    return;
  }
  if (failed) return;
  try {
    writer.apply(msg.ops, new Uint8Array(msg.buf));
    parentPort!.postMessage({ buf: msg.buf, warnings: warnings.splice(0), size: writer.size }, [msg.buf]);
  } catch (err) {
    failed = true;
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ warnings: warnings.splice(0), size: writer.size, error: { message: e.message ?? String(err), code: e.code, syscall: e.syscall, errno: e.errno, path: e.path } });
  }
});
