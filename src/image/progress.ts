/**
 * Progress of getting an image into the store, layer by layer, for the CLI's
 * progress line (and any other client of the library).
 */

/** One step of a pull or import. */
export interface ImageProgress {
  /** The image as the user named it. */
  image: string;
  /** 'resolve': reading manifests; 'layer': a layer's state changed or bytes flowed; 'done': the image is stored. */
  phase: 'resolve' | 'layer' | 'done';
  /** Layer position (0 = bottom) and count, for 'layer'. */
  layer?: number;
  layers?: number;
  /** For 'layer': 'present' (already in the store), 'waiting' (another pull has its lock), 'reading', 'done'. */
  state?: 'present' | 'waiting' | 'reading' | 'done';
  /** Bytes read so far of this layer, and its size when known (0 = unknown). */
  bytes?: number;
  total?: number;
}

/** A progress callback. */
export type ImageProgressListener = (e: ImageProgress) => void;
