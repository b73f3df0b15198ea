/**
 * Image source: a registry reference (`alpine:3.20`, `quay.io/frrouting/frr:10.2.1`,
 * `ghcr.io/o/r@sha256:…`). Pulls the manifest (picking this machine's
 * platform from a multi-platform index), the config, and each missing layer.
 */
import { NetlabError } from '../../errors.js';
import { findImage, readCatalog, type ImageRecord } from '../catalog.js';
import { digestString } from '../digest.js';
import { keepBlob, storedBlob, storeImage } from '../put.js';
import { hostPlatform, parseManifestDoc, selectPlatform, type Manifest } from '../manifest.js';
import { formatReference, parseReference, type ImageReference } from '../reference.js';
import type { Store } from '../store.js';
// The registry client loads on the first pull, not at every netlab start (netlab --help included); the undici package only when it needs it.
import type { RegistryClient as Client } from './registry-client.js';
import type { ImageSource, SourceContext } from './source.js';

export class RegistrySource implements ImageSource {
  readonly kind = 'registry' as const;
  readonly ref: ImageReference;

  constructor(readonly name: string) {
    this.ref = parseReference(name);
  }

  lookup(store: Store): ImageRecord | undefined {
    return findImage(readCatalog(store), this.name);
  }

  async fetch(ctx: SourceContext): Promise<ImageRecord[]> {
    const ref = this.ref;
    const { RegistryClient } = await import('./registry-client.js') as { RegistryClient: typeof Client };
    const client = new RegistryClient(ref.registry, ref.repository, { insecure: ctx.insecure, signal: ctx.signal });
    ctx.onProgress?.({ image: this.name, phase: 'resolve' });
    let fetched = await client.manifest(ref.digest ? digestString(ref.digest) : ref.tag!, ref.digest);
    let doc = parseManifestDoc(fetched.bytes, fetched.mediaType, this.name);
    let indexDigest;
    for (let depth = 0; 'index' in doc; depth++) {
      if (depth > 2) throw new NetlabError(this.name, 'has indexes nested more than two deep', 'this is not a container image', 2);
      const pick = selectPlatform(doc.index, hostPlatform(), this.name);
      keepBlob(ctx.store, fetched.digest, fetched.bytes);
      indexDigest ??= fetched.digest;
      fetched = await client.manifest(digestString(pick.digest), pick.digest);
      doc = parseManifestDoc(fetched.bytes, pick.mediaType, this.name);
    }
    const manifest: Manifest = doc.manifest;
    const configBytes = storedBlob(ctx.store, manifest.config.digest) ?? await client.smallBlob(manifest.config.digest, 'its config');
    const refs = ref.tag ? [formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag })]
      : [formatReference(ref)];
    const rec = await storeImage(ctx.store, {
      name: this.name, manifest, manifestBytes: fetched.bytes, manifestDigest: fetched.digest, indexDigest, configBytes,
      openLayer: async (i) => (await client.blob(manifest.layers[i]!.digest, `layer ${i + 1}`)).stream,
      downloadLayer: (i) => client.download(manifest.layers[i]!.digest, `layer ${i + 1}`),
      refs, source: 'registry', signal: ctx.signal, onProgress: ctx.onProgress, onWarning: ctx.onWarning,
    });
    return [rec];
  }
}
