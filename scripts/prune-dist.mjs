// Removes compiled files under dist/ whose TypeScript source is gone (a
// renamed or deleted module). tsc's incremental build never deletes them, and
// mocha's globs would still load a stale test or an old module next to the new
// one. Only .js, .js.map and .d.ts files under dist/{src,test,bench} are
// considered, and never a *.generated.* file (the build writes those from the
// schema after this runs); everything else in dist/ (dist/ui) is left.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const compiled = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;
let removed = 0;

function walk(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { walk(p); continue; }
    if (!compiled.test(e.name) || e.name.includes('.generated.')) continue;
    const source = join(root, relative(join(root, 'dist'), p)).replace(compiled, '.ts');
    if (!existsSync(source)) { rmSync(p); removed++; }
  }
}
for (const top of ['src', 'test', 'bench']) walk(join(root, 'dist', top));
if (removed) console.log(`prune-dist: removed ${removed} compiled file(s) whose source is gone`);
