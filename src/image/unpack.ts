/**
 * Unpacking one layer (a tar changeset, OCI image spec layer.md) into its own
 * folder, as an overlayfs lower dir: this thread reads the bytes and hashes
 * them (a gzip or zstd layer is hashed and decompressed on a thread of its
 * own, src/image/inflate.ts), and hands the tar to netlab-unpack
 * (native/unpack-layer.c), which reads it with libarchive (Debian
 * libarchive13, loaded at run time) and writes the layer's files with every
 * safety check (no entry lands outside the folder, OCI whiteouts become
 * overlayfs ones, owners and setuid bits kept). The three run at once, so a
 * layer unpacks at about the speed of the slowest part, and the part per file
 * costs what GNU tar's does (docs/performance.md, "Images"). Without
 * libarchive a layer is refused with the command that installs it
 * (docs/decisions.md, "Images: libarchive reads layers"). An uncompressed
 * layer of a registry skips Node altogether: netlab-unpack downloads and
 * hashes it itself (unpackDownloaded; docs/decisions.md, "Images:
 * netlab-unpack downloads uncompressed layers itself").
 *
 *  - integrity: the digest of the bytes read and of the uncompressed tar (the
 *    layer's diff_id) are computed on the way and compared with what the
 *    manifest and the image config say once netlab-unpack has ended; a
 *    truncated or corrupt stream fails.
 *
 * The caller gives an empty temporary folder and renames it into the store
 * only when this resolves (src/image/layers.ts), so a failure leaves nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pipeline, Transform, type Readable } from 'node:stream';
import { unpackBinary } from '../core/native.js';
import { NetlabError } from '../errors.js';
import { Digester, verifyDigest, type Digest } from './digest.js';
import { InflateThread, threadError } from './inflate.js';
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

/** Turns a failure while unpacking into the error a user reads. */
function unpackError(err: unknown, opts: UnpackOptions, dest: string): Error {
  // Stopped (Ctrl-C): whatever broke on the way down (the helper saw its input end, a stream closed early), the stop is the reason.
  if (opts.signal?.aborted) return opts.signal.reason as Error;
  if (err instanceof NetlabError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'NOLIBARCHIVE') {
    return new NetlabError(opts.what, `cannot read the layer: libarchive, which reads image layers, cannot be loaded (${e.message})`,
      'install it: apt install libarchive13 (scripts/install-deps does); netlab doctor checks it');
  }
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

/** netlab-unpack's report, line by line (its protocol: native/unpack-layer.c). */
interface UnpackRun {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The `D` line: entries and bytes written; with --fetch also the body's SHA-256 and size. */
  done?: { entries: number; size: number; hex?: string; bytes?: number };
  /** The `E` line. */
  report?: Parameters<typeof threadError>[0];
  stderr: string;
}

/**
 * Starts netlab-unpack on `dest` and reads its report as it comes: warnings
 * go to opts.onWarning, `P` (bytes downloaded, --fetch) to opts.onBytes.
 * @throws what spawn throws (the binary is missing).
 */
function startUnpack(dest: string, opts: UnpackOptions, extra: { args?: string[]; env?: NodeJS.ProcessEnv; stdin: 'pipe' | 'ignore' }): UnpackRun {
  const child = spawn(unpackBinary(), [dest, ...(extra.args ?? [])], { stdio: [extra.stdin, 'pipe', 'pipe'], ...(extra.env ? { env: extra.env } : {}) });
  const run: UnpackRun = { child, stderr: '', exited: undefined! };
  const warn = opts.onWarning ?? ((): void => {});
  let shown = 0;
  child.stderr!.setEncoding('utf8').on('data', (t: string) => { run.stderr += t; });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line.startsWith('W ')) warn(line.slice(2));
    else if (line.startsWith('P ')) { const n = Number(line.slice(2)); opts.onBytes?.(n - shown); shown = n; }
    else if (line.startsWith('D ')) {
      const [entries, size, hex, bytes] = line.slice(2).split(' ');
      run.done = { entries: Number(entries), size: Number(size), ...(hex ? { hex, bytes: Number(bytes) } : {}) };
    } else if (line.startsWith('E ')) {
      const [code, syscall, ...rest] = line.slice(2).split('\t');
      run.report = { message: rest.join('\t'), ...(code ? { code } : {}), ...(syscall ? { syscall } : {}) };
    }
  });
  run.exited = new Promise((resolve) => {
    child.on('error', (err) => { run.report ??= threadError(err); resolve({ code: null, signal: null }); });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return run;
}

/** The error for a netlab-unpack that ended without its `D` line nor an `E` line. */
function endedBadly(end: { code: number | null; signal: NodeJS.Signals | null }, run: UnpackRun, note = ''): Error {
  return new Error(`netlab-unpack ended ${end.signal ? `by signal ${end.signal}` : `with exit code ${end.code}`}${note}${run.stderr.trim() ? `: ${run.stderr.trim()}` : ''}`);
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
  // An uncompressed layer whose two digests use one algorithm is hashed once, and no stream stands in between.
  const direct = !inflater && opts.compression === 'none' && raw.algorithm === diff.algorithm;
  const decomp = inflater || direct ? undefined : opts.compression === 'auto' ? new AutoDecompress() : decompressor(opts.compression);
  const onAbort = (): void => { input.destroy(opts.signal!.reason as Error); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let failed: unknown;
  // Uncompressed bytes are hashed once: their digest is the diff_id.
  const plain = (): boolean => raw.algorithm === diff.algorithm && (opts.compression === 'none' || (decomp instanceof AutoDecompress && decomp.found === 'none'));
  // netlab-unpack closed its input early (EPIPE): it failed, and its report says why; the streams' teardown that follows is not the cause.
  let childBroke = false;
  let run: UnpackRun;
  try {
    run = startUnpack(dest, opts, { stdin: 'pipe' });
  } catch (err) {
    input.destroy();
    opts.signal?.removeEventListener('abort', onAbort);
    throw err;
  }
  const { child, exited } = run;
  // The tar goes to netlab-unpack's stdin chunk by chunk (pipe(): no chunks joined into a copy, as a for-await read would).
  let fed!: () => void;
  const feeding = new Promise<void>((resolve) => { fed = resolve; });
  const onEnd = (err: NodeJS.ErrnoException | null): void => { if (err && !childBroke) failed ??= err; fed(); };
  const stdin = child.stdin!;
  // Registered before pipeline's own listener, so it is known before onEnd runs.
  stdin.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE' || err.code === 'ECONNRESET') childBroke = true; });
  const stream = inflater ? pipeline(input, inflater, stdin, onEnd)
    : direct ? pipeline(input, tap(raw, opts.onBytes), stdin, onEnd)
      : pipeline(input, tap(raw, opts.onBytes), decomp!, tap(diff, undefined, plain), stdin, onEnd);
  try {
    await feeding;
    // The bytes failed (damaged, aborted): nothing more is written into the folder once netlab-unpack is gone.
    if (failed) child.kill('SIGKILL');
    const end = await exited;
    // netlab-unpack's own finding (an unsafe entry, a full disk) came first: the streams' errors are its aftermath.
    // An early end of its input is the bytes' failure, which `failed` names better.
    const { report } = run;
    if (report && !report.message.startsWith('Unexpected end of data')) throw threadError(report);
    if (failed) throw failed;
    if (report) throw threadError(report);
    if (end.code !== 0 || !run.done || childBroke) throw endedBadly(end, run, childBroke ? ' before its input' : '');
    if (inflater && !inflater.result) throw new Error('the layer\'s decompressing thread ended without its digests');
  } catch (err) {
    stream.destroy();
    child.kill('SIGKILL');
    await exited;
    throw unpackError(err, opts, dest);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const digest = inflater ? inflater.result!.digest : raw.digest();
  const diffId = inflater ? inflater.result!.diffId : plain() ? { ...digest } : diff.digest();
  if (opts.digest) verifyDigest(opts.what, opts.digest, digest, opts.userInput);
  if (opts.diffId) verifyDigest(`${opts.what} (uncompressed, the image config's diff_id)`, opts.diffId, diffId, opts.userInput);
  return { digest, diffId, bytesIn: inflater ? inflater.result!.bytesIn : raw.bytes, size: run.done!.size, entries: run.done!.entries };
}

/**
 * A layer's blob that netlab-unpack can download itself (a registry's
 * `GET /v2/<name>/blobs/<digest>`, OCI distribution spec "Pulling blobs"):
 * the URL, the request's extra headers (the Authorization the registry
 * client earned), whether to bypass proxies (a registry on this machine),
 * and how the client words a registry's answer other than 2xx.
 */
export interface LayerDownload {
  url: string;
  headers: Record<string, string>;
  direct: boolean;
  /** CA certificates to trust besides the system's (the file NODE_EXTRA_CA_CERTS names: Node's client trusts it too). */
  caFile?: string;
  /** The error for an HTTP status other than 2xx, with the start of the answer's body. */
  answerError(status: number, body: string): Error;
}

/**
 * netlab-unpack cannot download this layer itself: libcurl or libcrypto is
 * missing, the registry wants a new token, or the download failed before its
 * first byte (a TLS certificate only Node trusts, through NODE_EXTRA_CA_CERTS;
 * a proxy libcurl reads differently). Nothing was written, and the caller
 * reads the layer through Node's client instead, which says what is wrong if
 * it fails too.
 */
export class DownloadUnavailable extends Error {}

/**
 * Whether a layer can be downloaded by netlab-unpack: its bytes are the tar
 * itself (no compression), and both digests are SHA-256 (what it computes).
 * Pure.
 */
export function downloadable(opts: Pick<UnpackOptions, 'compression' | 'digest' | 'diffId'>): boolean {
  return opts.compression === 'none' && (opts.digest?.algorithm ?? 'sha256') === 'sha256' && (opts.diffId?.algorithm ?? 'sha256') === 'sha256';
}

/**
 * Unpacks an uncompressed layer that netlab-unpack downloads itself into the
 * empty folder `dest` (native/fetch-blob.c): the bytes never pass through
 * Node, so the layer lands at about `tar -xf`'s speed (docs/performance.md,
 * "Images"). `size` is the manifest's size of the blob: more is refused.
 * @throws DownloadUnavailable before anything is written, when the layer
 *   must be read through Node (see there); otherwise what unpackLayer
 *   throws, the registry client's error for an HTTP status other than 2xx,
 *   and NetlabError (exit 1) for a download that broke off.
 */
export async function unpackDownloaded(blob: LayerDownload, size: number, dest: string, opts: UnpackOptions): Promise<UnpackResult> {
  const headers = Object.entries(blob.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
  // The headers (a token) go in the environment, not the arguments: /proc/<pid>/environ is readable by its owner only.
  const run = startUnpack(dest, opts, {
    stdin: 'ignore',
    args: ['--fetch', blob.url, '--size', String(size), ...(blob.direct ? ['--direct'] : []), ...(blob.caFile ? ['--ca-file', blob.caFile] : [])],
    env: { ...process.env, NETLAB_FETCH_HEADERS: headers },
  });
  const onAbort = (): void => { run.child.kill('SIGKILL'); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let end;
  try {
    end = await run.exited;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (opts.signal?.aborted) throw opts.signal.reason as Error;
  const { report, done } = run;
  if (report?.code === 'NOFETCH') throw new DownloadUnavailable(report.message);
  if (report?.code === 'HTTP') {
    const status = Number(report.syscall);
    // A token that no longer serves (expired, another scope): Node's client asks for a new one.
    if (status === 401) throw new DownloadUnavailable('the registry asks for authentication again');
    throw blob.answerError(status, report.message);
  }
  if (report?.code === 'FETCH') {
    throw new NetlabError(opts.what, `the download broke off: ${report.message}${report.syscall ? ` (libcurl error ${report.syscall})` : ''}; nothing of it was kept`,
      'pull again; if it fails again, check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and the registry');
  }
  if (report) throw unpackError(threadError(report), opts, dest);
  if (end.code !== 0 || !done?.hex) throw endedBadly(end, run);
  const digest: Digest = { algorithm: 'sha256', hex: done.hex };
  if (opts.digest) verifyDigest(opts.what, opts.digest, digest);
  if (opts.diffId) verifyDigest(`${opts.what} (uncompressed, the image config's diff_id)`, opts.diffId, digest);
  return { digest, diffId: { ...digest }, bytesIn: done.bytes!, size: done.size, entries: done.entries };
}
