/**
 * Image sources (DESIGN.md's plug-in point "Image sources"): each way of
 * naming an image is one module behind this interface — a registry
 * reference, an OCI image layout folder, an OCI or Docker archive, a root
 * filesystem folder. (The host's `/` is the default when a node names no
 * image, and needs no source.)
 */
import type { ImageRecord } from '../catalog.js';
import type { ImageProgressListener } from '../progress.js';
import type { Store } from '../store.js';

/** What a source needs to do its work. */
export interface SourceContext {
  store: Store;
  /** Plain HTTP to a registry on this machine (registry sources). */
  insecure?: boolean;
  signal?: AbortSignal;
  onProgress?: ImageProgressListener;
  onWarning?: (text: string) => void;
}

/** An image ready for nodes: its lower dirs and, for a stored image, its record. */
export interface ResolvedImage {
  /** As the user wrote it. */
  name: string;
  kind: SourceKind;
  /** Overlay lower dirs, top first. */
  lowerDirs: string[];
  /** The stored image (not for a folder). */
  record?: ImageRecord;
}

export type SourceKind = 'registry' | 'oci-layout' | 'archive' | 'folder';

/** One image source. */
export interface ImageSource {
  readonly kind: SourceKind;
  /** As the user wrote it, for messages. */
  readonly name: string;
  /** The image in the store already, complete; undefined when it must be fetched (or for a folder). */
  lookup(store: Store): ImageRecord | undefined;
  /** Pulls or imports it into the store; returns the images stored, the one named first. */
  fetch(ctx: SourceContext): Promise<ImageRecord[]>;
}
