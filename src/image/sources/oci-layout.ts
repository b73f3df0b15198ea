/**
 * Image source: an OCI image layout folder (image-layout.md), as
 * `skopeo copy … oci:DIR`, `podman save --format oci-dir` (after
 * extracting) or `umoci` write it: `oci-layout`, `index.json`, `blobs/`.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlabError } from '../../errors.js';
import type { ImageRecord } from '../catalog.js';
import type { Digest } from '../digest.js';
import { storeImage } from '../put.js';
import { insideStore } from '../store.js';
import type { Store } from '../store.js';
import { fileStamp, importedFrom, recordImport } from './imported.js';
import { layoutImages } from './layout.js';
import type { ImageSource, SourceContext } from './source.js';

export class OciLayoutSource implements ImageSource {
  readonly kind = 'oci-layout' as const;

  /** @param dir absolute path of the layout folder. */
  constructor(readonly name: string, readonly dir: string) {}

  /** `<dir>/blobs/<alg>/<hex>`, checked to stay inside the layout. */
  private blobPath(d: Digest): string {
    return insideStore(this.dir, join('blobs', d.algorithm, d.hex));
  }

  lookup(store: Store): ImageRecord | undefined {
    return importedFrom(store, this.dir, fileStamp(join(this.dir, 'index.json')))?.[0];
  }

  async fetch(ctx: SourceContext): Promise<ImageRecord[]> {
    const stamp = fileStamp(join(this.dir, 'index.json'));
    let version: string | undefined;
    try { version = (JSON.parse(readFileSync(join(this.dir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: string }).imageLayoutVersion; } catch { /* below */ }
    if (!version || !stamp) {
      throw new NetlabError(this.name, 'is not an OCI image layout (no oci-layout and index.json in it)', 'make one with skopeo copy docker://IMAGE oci:DIR, or name an archive or a root filesystem folder', 2);
    }
    const read = async (d: Digest): Promise<Buffer> => {
      try {
        return readFileSync(this.blobPath(d));
      } catch (err) {
        throw new NetlabError(this.name, `blob ${d.algorithm}:${d.hex} is missing (${(err as NodeJS.ErrnoException).code})`, 'the layout is incomplete: copy it again', 2);
      }
    };
    ctx.onProgress?.({ image: this.name, phase: 'resolve' });
    const found = await layoutImages(readFileSync(join(this.dir, 'index.json')), read, this.name);
    const out: ImageRecord[] = [];
    for (const img of found) {
      out.push(await storeImage(ctx.store, {
        name: this.name, ...img,
        openLayer: async (i) => {
          const path = this.blobPath(img.manifest.layers[i]!.digest);
          const s = createReadStream(path, { highWaterMark: 1 << 20 });
          await new Promise<void>((resolve, reject) => {
            s.once('open', () => resolve());
            s.once('error', (err) => reject(new NetlabError(this.name, `layer blob ${img.manifest.layers[i]!.digest.hex} cannot be read (${(err as NodeJS.ErrnoException).code})`, 'the layout is incomplete: copy it again', 2)));
          });
          return s;
        },
        source: `oci-layout ${this.dir}`, userInput: true, signal: ctx.signal, onProgress: ctx.onProgress, onWarning: ctx.onWarning,
      }));
    }
    await recordImport(ctx.store, this.dir, stamp, out);
    return out;
  }
}
