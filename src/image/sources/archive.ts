/**
 * Image source: an archive of one or more images, read in one pass —
 *
 *  - a Docker archive (`docker save`, `podman save`, `skopeo copy …
 *    docker-archive:`): manifest.json lists each image's config and layer
 *    files and its tags (RepoTags); layer files are tars, usually
 *    uncompressed;
 *  - an OCI archive (`podman save --format oci-archive`, `skopeo copy …
 *    oci-archive:`): an OCI layout in a tar. (Docker 25+ writes both.)
 *
 * Members are read in archive order: small ones (JSON, and blobs up to
 * 4 MiB) are kept in memory, big ones can only be layers and are unpacked
 * into temporary folders as they stream by. Once the archive has been read,
 * its manifests say which member is which layer; each is checked against its
 * digest and diff_id and only then moved into the store. A damaged or
 * truncated archive leaves nothing behind.
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
// tar-stream (and streamx, fast-fifo, text-decoder, b4a) loads when an archive is read, not at every pull.
import type { Extract } from 'tar-stream';
import { NetlabError } from '../../errors.js';
import type { ImageRecord } from '../catalog.js';
import { digestOf, digestString, parseDigest, verifyDigest, type Digest } from '../digest.js';
import { commitUnpacked, discardUnpacked, unpackUnknown, type UnpackedLayer } from '../layers.js';
import { MEDIA, sniffCompression } from '../media.js';
import type { Descriptor, Manifest } from '../manifest.js';
import { storeImage } from '../put.js';
import { formatReference, parseReference } from '../reference.js';
import type { Store } from '../store.js';
import { fileStamp, importedFrom, recordImport } from './imported.js';
import { layoutImages, type LayoutImage } from './layout.js';
import type { ImageSource, SourceContext } from './source.js';

/** Members up to this size are kept in memory (manifests, configs, small layers). */
const SMALL = 4 * 1024 * 1024;

/** What one pass over the archive found. */
interface Members {
  small: Map<string, Buffer>;
  big: Map<string, UnpackedLayer>;
}

/** A member name without `./` and leading slashes. Pure. */
export function memberName(name: string): string {
  return name.replace(/^(?:\.?\/)+/, '');
}

/** The digest a member's name promises: `blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`, `<hex>/layer.tar`…; undefined when none. Pure. */
export function digestInName(name: string): Digest | undefined {
  const m = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/.exec(name);
  if (m) return parseDigest(`${m[1]}:${m[2]}`);
  const h = /^([0-9a-f]{64})\.json$/.exec(name);
  return h ? parseDigest(`sha256:${h[1]}`) : undefined;
}

export class ArchiveSource implements ImageSource {
  readonly kind = 'archive' as const;

  /** @param file absolute path of the archive. */
  constructor(readonly name: string, readonly file: string) {}

  lookup(store: Store): ImageRecord | undefined {
    return importedFrom(store, this.file)?.[0];
  }

  private damaged(what: string): NetlabError {
    return new NetlabError(this.name, what, 'the archive is incomplete or not an image archive: make it again (docker save IMAGE -o FILE, skopeo copy docker://IMAGE docker-archive:FILE)', 2);
  }

  /** One pass over the archive. */
  private async read(ctx: SourceContext): Promise<Members> {
    const total = statSync(this.file).size;
    const { extract: tarExtract } = await import('tar-stream');
    const input = createReadStream(this.file, { highWaterMark: 1 << 20 });
    const ex = tarExtract();
    const m: Members = { small: new Map(), big: new Map() };
    let bytes = 0;
    const report = (): void => ctx.onProgress?.({ image: this.name, phase: 'layer', layer: 0, layers: 1, state: 'reading', bytes, total });
    const onAbort = (): void => { input.destroy(ctx.signal!.reason as Error); };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    let failed: unknown;
    const feed = feedTar(input as AsyncIterable<Buffer>, ex, (err) => { failed ??= err; }, (chunk) => { bytes += chunk.length; report(); });
    try {
      for await (const entry of ex) {
        const h = entry.header;
        const name = memberName(h.name);
        if (h.type !== 'file' && h.type !== 'contiguous-file') { entry.resume(); continue; }
        if (h.size <= SMALL) {
          const chunks: Buffer[] = [];
          for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
          m.small.set(name, Buffer.concat(chunks));
        } else {
          const u = await unpackUnknown(ctx.store, Readable.from(entry as AsyncIterable<Buffer>), {
            compression: 'auto', what: `${this.name}: ${name}`, userInput: true, signal: ctx.signal, onWarning: ctx.onWarning,
          });
          m.big.set(name, u);
        }
      }
      await feed;
      if (failed) throw failed;
    } catch (err) {
      input.destroy();
      await feed.catch(() => {});
      for (const u of m.big.values()) discardUnpacked(u);
      if (err instanceof NetlabError) throw err;
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      throw this.damaged(`cannot be read as a tar archive: ${(failed as Error | undefined)?.message ?? (err as Error).message}`);
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
    }
    return m;
  }

  /** Checks a big member against what the manifest says, then moves it into the store. */
  private async commit(ctx: SourceContext, m: Members, member: string, want: { digest?: Digest; diffId: Digest }, what: string): Promise<void> {
    const u = m.big.get(member)!;
    if (want.digest) verifyDigest(what, want.digest, u.result.digest, true);
    verifyDigest(`${what} (uncompressed, the image config's diff_id)`, want.diffId, u.result.diffId, true);
    await commitUnpacked(ctx.store, u, ctx.signal);
    m.big.delete(member);
  }

  /** The images of a Docker archive (manifest.json). */
  private async dockerImages(ctx: SourceContext, m: Members): Promise<ImageRecord[]> {
    let list: { Config?: string; RepoTags?: string[] | null; Layers?: string[] }[];
    try { list = JSON.parse(m.small.get('manifest.json')!.toString('utf8')) as typeof list; } catch { throw this.damaged('its manifest.json is not JSON'); }
    if (!Array.isArray(list) || !list.length) throw this.damaged('its manifest.json lists no image');
    const out: ImageRecord[] = [];
    for (const [n, entry] of list.entries()) {
      const what = `${this.name}: image ${n + 1}`;
      const cfgName = memberName(entry.Config ?? '');
      const configBytes = m.small.get(cfgName);
      if (!configBytes) throw this.damaged(`its config ${cfgName || '(none)'} is missing`);
      const cfgDigest = digestInName(cfgName);
      const configDigest = digestOf(configBytes, cfgDigest?.algorithm);
      if (cfgDigest) verifyDigest(`${what}: config ${cfgName}`, cfgDigest, configDigest, true);
      let diffIds: Digest[];
      try {
        diffIds = ((JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? []).map((d) => parseDigest(d)!);
      } catch { throw this.damaged(`its config ${cfgName} is not JSON`); }
      const layerNames = (entry.Layers ?? []).map(memberName);
      if (diffIds.length !== layerNames.length || diffIds.some((d) => !d)) throw this.damaged(`${cfgName} lists ${diffIds.length} diff_ids for ${layerNames.length} layers`);
      const layers: Descriptor[] = [];
      for (const [i, ln] of layerNames.entries()) {
        const lwhat = `layer ${i + 1} of ${layerNames.length} (${ln}) of ${this.name}`;
        const small = m.small.get(ln);
        if (small) {
          const c = sniffCompression(small);
          layers.push({ mediaType: c === 'gzip' ? `${MEDIA_LAYER}+gzip` : c === 'zstd' ? `${MEDIA_LAYER}+zstd` : MEDIA_LAYER, digest: digestOf(small), size: small.length });
        } else if (m.big.has(ln)) {
          const u = m.big.get(ln)!;
          const plain = u.result.digest.hex === u.result.diffId.hex;
          layers.push({ mediaType: plain ? MEDIA_LAYER : `${MEDIA_LAYER}+gzip`, digest: u.result.digest, size: u.result.bytesIn });
          await this.commit(ctx, m, ln, { diffId: diffIds[i]! }, lwhat);
        } else if (!layers.length || !layerNames.slice(0, i).includes(ln)) {
          throw this.damaged(`${ln}, layer ${i + 1} of image ${n + 1}, is missing`);
        } else {
          layers.push(layers[layerNames.indexOf(ln)]!);
        }
      }
      const manifest: Manifest = {
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: configBytes.length },
        layers,
      };
      const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, digest: digestString(configDigest), size: configBytes.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: digestString(l.digest), size: l.size })) }));
      const refs = (entry.RepoTags ?? []).flatMap((t) => { try { return [formatReference(parseReference(t))]; } catch { return []; } });
      out.push(await storeImage(ctx.store, {
        name: this.name, manifest, manifestBytes, manifestDigest: digestOf(manifestBytes), configBytes,
        openLayer: async (i) => Readable.from([m.small.get(layerNames[i]!)!]),
        refs, source: `archive ${this.file}`, userInput: true, signal: ctx.signal, onProgress: ctx.onProgress, onWarning: ctx.onWarning,
      }));
    }
    return out;
  }

  /** The images of an OCI archive (index.json). */
  private async ociImages(ctx: SourceContext, m: Members): Promise<ImageRecord[]> {
    const read = async (d: Digest): Promise<Buffer> => {
      const b = m.small.get(`blobs/${d.algorithm}/${d.hex}`);
      if (!b) throw this.damaged(`blob ${digestString(d)} is missing`);
      return b;
    };
    const found: LayoutImage[] = await layoutImages(m.small.get('index.json')!, read, this.name);
    const out: ImageRecord[] = [];
    for (const img of found) {
      const diffIds = (JSON.parse(img.configBytes.toString('utf8')) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids.map((d) => parseDigest(d)!);
      for (const [i, l] of img.manifest.layers.entries()) {
        const member = `blobs/${l.digest.algorithm}/${l.digest.hex}`;
        if (m.big.has(member)) await this.commit(ctx, m, member, { digest: l.digest, diffId: diffIds[i]! }, `layer ${i + 1} of ${img.manifest.layers.length} (${digestString(l.digest)}) of ${this.name}`);
      }
      out.push(await storeImage(ctx.store, {
        name: this.name, ...img,
        openLayer: async (i) => {
          const l = img.manifest.layers[i]!;
          const b = m.small.get(`blobs/${l.digest.algorithm}/${l.digest.hex}`);
          if (!b) throw this.damaged(`layer blob ${digestString(l.digest)} is missing`);
          return Readable.from([b]);
        },
        source: `archive ${this.file}`, userInput: true, signal: ctx.signal, onProgress: ctx.onProgress, onWarning: ctx.onWarning,
      }));
    }
    return out;
  }

  async fetch(ctx: SourceContext): Promise<ImageRecord[]> {
    const stamp = fileStamp(this.file);
    if (!stamp) throw new NetlabError(this.name, 'cannot be read', 'check the path', 2);
    ctx.onProgress?.({ image: this.name, phase: 'resolve' });
    const m = await this.read(ctx);
    try {
      let out: ImageRecord[];
      if (m.small.has('manifest.json')) out = await this.dockerImages(ctx, m);
      else if (m.small.has('index.json')) out = await this.ociImages(ctx, m);
      else throw this.damaged('is not an image archive: it has neither manifest.json (Docker) nor index.json (OCI)');
      await recordImport(ctx.store, this.file, stamp, out);
      return out;
    } finally {
      for (const u of m.big.values()) discardUnpacked(u);
    }
  }
}

const MEDIA_LAYER = 'application/vnd.oci.image.layer.v1.tar';

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
async function feedTar(input: AsyncIterable<Buffer>, ex: Extract, onFail: (err: unknown) => void, onChunk?: (c: Buffer) => void): Promise<void> {
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
