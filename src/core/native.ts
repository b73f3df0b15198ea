/**
 * Where the native helpers are: native/build/ of this checkout, built by
 * `npm run build` (native/Makefile). NETLAB_NATIVE_DIR overrides (packaging).
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlabError } from '../errors.js';

/** native/build of the checkout this module belongs to (dist/src/core → ../../../native/build). */
function nativeDir(): string {
  return process.env.NETLAB_NATIVE_DIR || resolve(dirname(fileURLToPath(import.meta.url)), '../../../native/build');
}

function binary(name: string): string {
  const path = join(nativeDir(), name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new NetlabError(path, `${name} is missing or not executable`, 'build it: npm run build (needs gcc and the libc headers)');
  }
  return path;
}

/** Path of netlab-init (the node launcher and PID 1). @throws NetlabError when it was not built. */
export function initBinary(): string {
  return binary('netlab-init');
}

/** Path of netlab-enter (exec/shell inside a node). @throws NetlabError when it was not built. */
export function enterBinary(): string {
  return binary('netlab-enter');
}

/** Path of netlab-capture (packet capture, src/observe/capture.ts). @throws NetlabError when it was not built. */
export function captureBinary(): string {
  return binary('netlab-capture');
}

/** Path of netlab-unpack (writes an image layer's tar, src/image/unpack.ts). @throws NetlabError when it was not built. */
export function unpackBinary(): string {
  return binary('netlab-unpack');
}
