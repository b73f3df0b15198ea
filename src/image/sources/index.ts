/**
 * Which source an image name belongs to: a path (`/…`, `./…`, `../…`, `~/…`)
 * is an archive (a file), an OCI layout (a folder with `oci-layout`) or a
 * root filesystem folder (any other folder); anything else is a registry
 * reference. One line per source here is the registry of sources.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { looksLikePath } from '../reference.js';
import { ArchiveSource } from './archive.js';
import { OciLayoutSource } from './oci-layout.js';
import { RegistrySource } from './registry.js';
import type { ImageSource } from './source.js';

export type { ImageSource, ResolvedImage, SourceContext, SourceKind } from './source.js';
export { ArchiveSource, OciLayoutSource, RegistrySource };

/** A root filesystem folder: used as it is, as the single lower dir (today's `rootfs:`). */
export class FolderSource {
  readonly kind = 'folder' as const;
  constructor(readonly name: string, readonly dir: string) {}
}

/** `~/x` → $HOME/x; relative → against `baseDir`. Pure but for $HOME. */
export function expandPath(text: string, baseDir: string): string {
  return text.startsWith('~/') ? join(process.env.HOME || homedir(), text.slice(2)) : resolve(baseDir, text);
}

/**
 * The source of `text`. Paths must exist.
 * @throws UsageError (exit 2) for a path that does not exist or is neither a
 *   file nor a folder, and for a malformed reference (parseReference).
 */
export function sourceFor(text: string, baseDir = process.cwd()): ImageSource | FolderSource {
  if (!looksLikePath(text)) return new RegistrySource(text);
  const path = expandPath(text, baseDir);
  let st;
  try { st = statSync(path); } catch {
    throw new UsageError(`image ${text}`, `${path} does not exist`, 'name an archive (docker save, skopeo copy … docker-archive:), an OCI layout folder or a root filesystem folder; a registry image is written without ./ (alpine:3.20)');
  }
  if (st.isFile()) return new ArchiveSource(text, path);
  if (st.isDirectory()) return existsSync(join(path, 'oci-layout')) ? new OciLayoutSource(text, path) : new FolderSource(text, path);
  throw new UsageError(`image ${text}`, `${path} is neither a file nor a folder`, 'name an image archive, an OCI layout folder or a root filesystem folder');
}
