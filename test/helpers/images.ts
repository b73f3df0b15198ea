/**
 * Test images made on the spot from what Debian packages put on this machine
 * (busybox-static; mmdebstrap for a Debian root): layers as tars, packed into
 * OCI layouts by hand (so a test can make any layer it needs: whiteouts,
 * opaque directories, hostile entries), and converted with skopeo into Docker
 * archives and registry pushes. No network beyond Debian's own mirrors.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** One entry of a hand-made layer. */
export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

/** A tar of `entries`, as tar-stream writes it. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = e.content !== undefined ? Buffer.from(e.content) : type === 'file' ? Buffer.alloc(0) : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0,
        mtime: new Date(1_700_000_000_000), linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor,
        ...(e.pax ? { pax: e.pax } : {}), ...(content ? { size: content.length } : { size: 0 }),
      };
      if (content) p.entry(header, content, (err) => (err ? reject(err) : resolve()));
      else p.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A tar of a folder, as GNU tar writes it (numeric owners, xattrs). */
export function tarOfDir(dir: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '--numeric-owner', '--xattrs', '--xattrs-include=*', '-cf', '-', '.'], { maxBuffer: 2 ** 31 });
  if (r.status !== 0) throw new Error(`tar of ${dir} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/**
 * A minimal root filesystem from busybox-static: /bin/busybox with a symlink
 * per applet, /etc/passwd and /etc/group with root and a `nobody`-like user
 * 1000 (`app`), and empty /tmp, /root, /home/app.
 */
export function busyboxRoot(dir: string): string {
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app', 'usr/bin', 'sbin']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'bin/busybox'), readFileSync('/bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const a of list) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
  return dir;
}

/** sha256:hex of bytes. */
export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** One image to put in a layout. */
export interface FixtureImage {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  /** gzip the layers (default true). */
  gzip?: boolean;
  /** zstd the layers instead (the zstd program). */
  zstd?: boolean;
  /** The config's "config" (Env, Cmd, …). */
  run?: Record<string, unknown>;
  architecture?: string;
  /** org.opencontainers.image.ref.name in index.json. */
  ref?: string;
  /** Override a layer's media type (for the unsupported-media-type test). */
  layerMediaType?: string;
}

/** What writeOciLayout wrote for one image. */
export interface WrittenImage { manifest: string; config: string; diffIds: string[]; layerDigests: string[] }

function putBlob(dir: string, b: Buffer): string {
  const d = sha256(b);
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), b);
  return d;
}

/** Writes an OCI image layout with `images` (index.json lists each manifest). */
export function writeOciLayout(dir: string, images: FixtureImage[]): WrittenImage[] {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const out: WrittenImage[] = [];
  const manifests = [];
  for (const img of images) {
    const gz = !img.zstd && (img.gzip ?? true);
    const diffIds = img.layers.map(sha256);
    const blobs = img.layers.map((l) => (img.zstd ? spawnSync('zstd', ['-q', '-c'], { input: l, maxBuffer: 2 ** 31 }).stdout : gz ? gzipSync(l) : l));
    const suffix = img.zstd ? '+zstd' : gz ? '+gzip' : '';
    const layerDigests = blobs.map((b) => putBlob(dir, b));
    const config = Buffer.from(JSON.stringify({
      architecture: img.architecture ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
      config: img.run ?? {}, rootfs: { type: 'layers', diff_ids: diffIds },
    }));
    const configDigest = putBlob(dir, config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: blobs.map((b, i) => ({ mediaType: img.layerMediaType ?? `application/vnd.oci.image.layer.v1.tar${suffix}`, digest: layerDigests[i], size: b.length })),
    }));
    const manifestDigest = putBlob(dir, manifest);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      ...(img.ref ? { annotations: { 'org.opencontainers.image.ref.name': img.ref } } : {}) });
    out.push({ manifest: manifestDigest, config: configDigest, diffIds, layerDigests });
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  return out;
}

/** Runs skopeo (Debian's), throwing with its stderr on failure. */
export function skopeo(args: string[]): string {
  const r = spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** True when skopeo is installed. */
export function haveSkopeo(): boolean {
  return spawnSync('skopeo', ['--version']).status === 0;
}

/**
 * Writes an OCI layout whose index.json names one multi-platform image index
 * (ref `ref`) listing one manifest per entry of `images` (each with its platform).
 */
export function writeMultiArchLayout(dir: string, images: FixtureImage[], ref: string): { index: string; manifests: WrittenImage[] } {
  const tmp = `${dir}.parts`;
  const written = writeOciLayout(tmp, images);
  const index = JSON.parse(readFileSync(join(tmp, 'index.json'), 'utf8')) as { manifests: Record<string, unknown>[] };
  const list = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: index.manifests.map((m, i) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { os: 'linux', architecture: images[i]!.architecture ?? 'amd64' } })),
  }));
  mkdirSync(dir, { recursive: true });
  spawnSync('cp', ['-a', join(tmp, 'blobs'), dir]);
  spawnSync('rm', ['-rf', tmp]);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const d = putBlob(dir, list);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: d, size: list.length, annotations: { 'org.opencontainers.image.ref.name': ref } }] }));
  return { index: d, manifests: written };
}

/** Where slow-to-make test images are kept between runs ($NETLAB_TEST_CACHE, else /var/tmp/netlab-test-cache). */
export function testCacheDir(): string {
  return process.env.NETLAB_TEST_CACHE || '/var/tmp/netlab-test-cache';
}

/**
 * A minimal Debian 12 root with FRR, BIRD 2, iproute2 and ping, as one tar (one
 * layer), made by mmdebstrap from Debian's mirrors the first time (about two
 * minutes, 200 MB) and kept in testCacheDir(). undefined when mmdebstrap is
 * missing or fails (no mirror reachable): the caller skips with `why`.
 */
export function debianFrrTar(): { tar?: string; why?: string } {
  const dir = testCacheDir();
  const tar = join(dir, 'debian12-frr-bird-v2.tar');
  if (existsSync(tar)) {
    if (statSync(tar).isFile()) return { tar };
    // A folder of that name: left by an older version of this helper (mmdebstrap
    // took "x.tar.tmpPID" for a folder). Made again below.
    rmSync(tar, { recursive: true, force: true });
  }
  if (spawnSync('sh', ['-c', 'command -v mmdebstrap']).status !== 0) return { why: 'mmdebstrap is not installed (scripts/install-deps installs it)' };
  mkdirSync(dir, { recursive: true });
  // mmdebstrap picks its output format from the name's extension: say tar, and keep .tar.
  const tmp = join(dir, `.tmp${process.pid}-debian12-frr-bird-v2.tar`);
  const r = spawnSync('mmdebstrap', ['--mode=unshare', '--format=tar', '--variant=minbase', '--include=frr,bird2,iproute2,iputils-ping,procps', 'bookworm', tmp], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return { why: `mmdebstrap failed (are Debian's mirrors reachable?): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  }
  renameSync(tmp, tar);
  return { tar };
}
