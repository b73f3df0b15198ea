/**
 * Content digests (OCI image spec, descriptor.md "Digests"): `algorithm:hex`,
 * here sha256 (64 hex digits) and sha512 (128). Every blob and layer netlab
 * stores is named by its digest and checked against it while it is read.
 */
import { createHash, type Hash } from 'node:crypto';
import { NetlabError } from '../errors.js';

export { digestString, parseDigest, type Digest } from '../topology/image-ref.js';
import { digestString, type Digest } from '../topology/image-ref.js';

/** The first 12 hex digits, as `docker images` shows IDs. Pure. */
export function shortDigest(d: Digest | string): string {
  const s = typeof d === 'string' ? d : digestString(d);
  return s.replace(/^sha(256|512):/, '').slice(0, 12);
}

/** The sha256 digest of bytes in memory. */
export function digestOf(data: Uint8Array | string, algorithm: Digest['algorithm'] = 'sha256'): Digest {
  return { algorithm, hex: createHash(algorithm).update(data).digest('hex') };
}

/**
 * A digest being computed over a stream of chunks (and their byte count), to
 * compare with what a manifest or a file name promises once the stream ends.
 */
export class Digester {
  private readonly hash: Hash;
  bytes = 0;
  constructor(readonly algorithm: Digest['algorithm'] = 'sha256') {
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** The digest of everything seen (call once). */
  digest(): Digest {
    return { algorithm: this.algorithm, hex: this.hash.digest('hex') };
  }
}

/**
 * Throws unless `got` equals `want`. `what` names the object for the user
 * (`layer 3 of alpine:3.20 (sha256:…)`).
 * @throws NetlabError (exit 1; exit 2 when `userInput`, e.g. a damaged archive
 *   the user named) saying both digests: the content is not what its name says.
 */
export function verifyDigest(what: string, want: Digest, got: Digest, userInput = false): void {
  if (want.algorithm === got.algorithm && want.hex === got.hex) return;
  throw new NetlabError(what, `digest mismatch: expected ${digestString(want)}, the content has ${digestString(got)}`,
    userInput ? 'the file is damaged or was changed after it was written: make it again (docker save, skopeo copy)'
      : 'the download was damaged or the registry serves other content under this digest: pull again; nothing of it was stored', userInput ? 2 : 1);
}
