/**
 * The page's files, bundled at build time (scripts/build-ui.mjs → dist/ui/)
 * and served from the package: no CDN, works offline. Only the files found
 * there when the server starts are served, by exact name; a request path is
 * never joined onto a directory.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlabError } from '../index.js';

/** One file to serve. */
export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** dist/ui of this package (this file is dist/src/ui/assets.js). */
export function defaultAssetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../ui');
}

/**
 * Reads the bundled page: URL path (`/assets/app.js`, `/` for index.html) → file.
 * @throws NetlabError when the bundle is missing (not built).
 */
export function loadAssets(dir = defaultAssetsDir()): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new NetlabError('netlab ui', `the page is not built (no ${join(dir, 'index.html')})`, 'npm run build bundles it');
  }
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const asset = { body: readFileSync(join(dir, name)), type };
    if (name === 'index.html') out.set('/', asset);
    else out.set(`/assets/${name}`, asset);
  }
  return out;
}
