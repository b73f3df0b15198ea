import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/kernel.js';

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('src/topology, the pure base', () => {
  it('imports nothing from the layers that apply a lab: only itself, src/errors.ts and libraries', () => {
    const base = join(repoRoot, 'src/topology');
    const outside: string[] = [];
    for (const file of sources(base)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue; // a library or node:
        const target = resolve(dirname(file), spec);
        if (target.startsWith(`${base}/`) || target === join(repoRoot, 'src/errors.js')) continue;
        outside.push(`${relative(repoRoot, file)} imports ${spec}`);
      }
    }
    expect(outside).to.deep.equal([]);
  });
});
