/**
 * Media types of the OCI image spec (media-types.md) and their Docker
 * equivalents (Docker Image Manifest V2, Schema 2), and the decompressors for
 * layers: gzip (zlib), zstd (Node's own where it has one, else fzstd), or none.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What the registry is asked for (Accept), most wanted first. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** How a layer's bytes are compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

/** Is this media type an index (multi-platform)? */
export function isIndexType(t: string | undefined): boolean {
  return t === MEDIA.ociIndex || t === MEDIA.dockerList;
}

/** Is this media type an image manifest? */
export function isManifestType(t: string | undefined): boolean {
  return t === MEDIA.ociManifest || t === MEDIA.dockerManifest;
}

/** Is this a container image config (not a Helm chart, an artifact, a signature)? */
export function isConfigType(t: string | undefined): boolean {
  return t === MEDIA.ociConfig || t === MEDIA.dockerConfig;
}

/**
 * The compression of a layer media type, or undefined for a type that is not
 * a layer netlab can unpack (foreign Windows layers, artifacts, encrypted
 * layers, a bzip2 or xz layer). Pure.
 */
export function layerCompression(mediaType: string): Compression | undefined {
  const m = /^application\/vnd\.oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(\+gzip|\+zstd)?$/.exec(mediaType);
  if (m) return m[1] === '+gzip' ? 'gzip' : m[1] === '+zstd' ? 'zstd' : 'none';
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return 'gzip';
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  return undefined;
}

/** The compression a stream starts with, from its magic bytes (RFC 1952 gzip, RFC 8878 zstd). Pure. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** zstd through fzstd (pure JavaScript), for Node versions without zlib zstd. */
class FzstdTransform extends Transform {
  private readonly z = new ZstdStream((data) => { this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)); });
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try { this.z.push(chunk); cb(); } catch (err) { cb(err as Error); }
  }
  override _flush(cb: TransformCallback): void {
    try { this.z.push(new Uint8Array(0), true); cb(); } catch (err) { cb(err as Error); }
  }
}

/** A stream that decompresses `c`; gzip's output comes in pieces of `chunkSize` bytes. */
export function decompressor(c: Compression, chunkSize = 256 * 1024): Transform {
  if (c === 'gzip') return zlib.createGunzip({ chunkSize });
  if (c === 'zstd') {
    const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    return native ? native() : new FzstdTransform();
  }
  return new Transform({ transform(chunk, _enc, cb) { cb(null, chunk); } });
}

/**
 * A decompressor that picks gzip, zstd or none from the first bytes (Docker
 * archives do not say how their layer files are compressed).
 */
export class AutoDecompress extends Transform {
  private inner?: Transform;
  private head: Buffer = Buffer.alloc(0);
  /** What the first bytes said, once they came. */
  found?: Compression;

  private start(): void {
    this.found = sniffCompression(this.head);
    this.inner = decompressor(this.found);
    this.inner.on('data', (d: Buffer) => { this.push(d); });
    this.inner.on('error', (err) => { this.destroy(err); });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.inner) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 4) return cb();
      this.start();
      chunk = this.head;
    }
    if (this.inner!.write(chunk)) cb();
    else this.inner!.once('drain', () => cb());
  }

  override _flush(cb: TransformCallback): void {
    if (!this.inner) {
      this.start();
      if (this.head.length) this.inner!.write(this.head);
    }
    this.inner!.once('end', () => cb());
    this.inner!.once('error', (err) => cb(err));
    this.inner!.end();
  }
}
