#!/usr/bin/env node
// Bundles the web UI's page (src/ui/web) into dist/ui: app.js, app.css (xterm's
// and ours) and index.html, so `netlab ui` serves everything from the package
// (no CDN; works offline), and the server's layout thread into dist/ui-server.
// Run by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/ui');
mkdirSync(out, { recursive: true });
await build({
  // app: the page; layout: the Web Worker that lays out large labs (src/ui/web/layout-worker.ts).
  // boot: opens the live WebSocket before app.js loads (src/ui/web/boot.ts).
  // xterm: xterm.js, loaded when the first terminal opens (src/ui/web/xterm.ts).
  entryPoints: {
    app: join(root, 'src/ui/web/main.ts'), layout: join(root, 'src/ui/web/layout-worker.ts'),
    boot: join(root, 'src/ui/web/boot.ts'), xterm: join(root, 'src/ui/web/xterm.ts'),
  },
  bundle: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: 'linked',
  outdir: out,
  logLevel: 'warning',
  legalComments: 'linked',
});
copyFileSync(join(root, 'src/ui/web/index.html'), join(out, 'index.html'));
// The server's layout thread (src/ui/web/layout-thread.ts): the same fcose run as the page's, bundled with
// cytoscape.js for Node.js (a worker_thread of `netlab ui`), apart from dist/ui (served to pages).
await build({
  entryPoints: { layout: join(root, 'src/ui/web/layout-thread.ts') },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: ['node20'],
  outExtension: { '.js': '.cjs' },
  minify: true,
  outdir: join(root, 'dist/ui-server'),
  logLevel: 'warning',
  legalComments: 'linked',
});
