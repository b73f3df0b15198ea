/**
 * The layers of src/ (docs/architecture.md), held by the import graph: every
 * import from one folder of src/ into another must be an edge of ALLOWED, or
 * one of the DEVIATIONS, each with the reason docs/architecture.md gives. A
 * new edge fails this test: put the code where the table allows it, or add
 * the edge here and to docs/architecture.md with its reason.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/kernel.js';

/** Layer → the layers it may import. `errors` (src/errors.ts) is allowed everywhere. */
const ALLOWED: Record<string, readonly string[]> = {
  topology: [],
  graph: ['topology'],
  core: ['topology'],
  net: ['core', 'topology'],
  shaping: ['net', 'core', 'topology'],
  image: ['core', 'topology'],
  daemons: ['image', 'topology'],
  frontends: ['topology'],
  validate: ['daemons', 'topology'],
  lab: ['core', 'net', 'shaping', 'image', 'daemons', 'frontends', 'validate', 'graph', 'topology'],
  observe: ['lab', 'core', 'net', 'shaping', 'topology'],
  events: ['lab', 'observe', 'validate', 'daemons', 'core', 'shaping', 'topology'],
  // The command line is a thin shell over the library: what it can do, a script can (src/index.ts).
  cli: ['index'],
  index: ['lab', 'observe', 'events', 'image', 'validate', 'graph', 'daemons', 'frontends', 'shaping', 'core', 'topology'],
  // The web UI is a client of the library API and nothing else (src/ui/backend.ts).
  ui: ['index'],
};

/**
 * Imports against the layering, file → layer, each explained in
 * docs/architecture.md ("Deviations"). Listing a file pins it: a new file
 * that does the same fails.
 */
const DEVIATIONS: Record<string, readonly string[]> = {
  // The run folder's root is decided in one place; the image store's usage records live under it.
  'src/image/usage.ts': ['lab'],
  // `up` starts the lab's events supervisor, `status` reads OOM kills and freezer state: lab → observe/events.
  'src/lab/up.ts': ['events'],
  'src/lab/status.ts': ['observe'],
  // The library's Lab class offers every feature of a running lab, those of observe and events included.
  'src/lab/lab.ts': ['observe', 'events'],
  // `netlab ui` starts the web UI, itself a client of the library: src/index.ts cannot offer it without a cycle.
  'src/cli/ui.ts': ['ui'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** `src/lab/up.ts` → `lab`; `src/index.ts` → `index`; `src/errors.ts` → `errors`. */
function layerOf(file: string): string {
  const parts = relative(join(repoRoot, 'src'), file).split('/');
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.[jt]s$/, '');
}

/** Every import of one layer by another: "src/x/f.ts imports ../y/g.js (y)", static or `await import()`, with the names a static one takes. */
function crossImports(): { file: string; spec: string; from: string; to: string; target: string; names: string[] }[] {
  const out: { file: string; spec: string; from: string; to: string; target: string; names: string[] }[] = [];
  for (const file of sources(join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const found = [
      ...[...text.matchAll(/^\s*(import|export)\b([^'"]*?)from\s+['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[3]!, names: m[1] === 'import' ? importedNames(m[2]!) : [] })),
      ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({ spec: m[1]!, names: [] })),
    ];
    for (const { spec, names } of found) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const from = layerOf(file);
      const to = layerOf(target);
      if (from !== to) out.push({ file: relative(repoRoot, file), spec, from, to, target: relative(repoRoot, target).replace(/\.js$/, '.ts'), names });
    }
  }
  return out;
}

/** The names a static import takes as they are exported (`{ a, b as c, type T }` → a, b; a type-only import → []). */
function importedNames(clause: string): string[] {
  if (/^\s*type\b/.test(clause)) return [];
  const braces = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
  return braces.split(',').map((x) => x.trim()).filter((x) => x && !x.startsWith('type ')).map((x) => x.split(/\s+as\s+/)[0]!);
}

/**
 * The library API by module: src/index.ts's `export { … } from './m.js'`
 * lines as module file → the names it exports from there (as `m` names them).
 * The CLI may import a name from that module directly, so that a command loads
 * only what it uses (docs/architecture.md, "Load on use").
 */
function publicApi(): Map<string, Set<string>> {
  const api = new Map<string, Set<string>>();
  const text = readFileSync(join(repoRoot, 'src/index.ts'), 'utf8');
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
    const file = relative(repoRoot, resolve(join(repoRoot, 'src'), m[3]!)).replace(/\.js$/, '.ts');
    const names = api.get(file) ?? new Set<string>();
    for (const item of m[2]!.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (m[1] || item.startsWith('type ')) continue;
      names.add(item.split(/\s+as\s+/)[0]!);
    }
    api.set(file, names);
  }
  return api;
}

/** The files a module loads before it runs: its static imports, transitively (`import type` and `await import()` excluded). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(join(repoRoot, file), 'utf8').matchAll(/^\s*(import|export)\s+(?!type\b)([^'"]*?)from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm)) {
    const spec = m[3] ?? m[4]!;
    staticClosure(relative(repoRoot, resolve(dirname(join(repoRoot, file)), spec)).replace(/\.js$/, '.ts'), seen);
  }
  return seen;
}

describe('architecture: the layers of src/', () => {
  const imports = crossImports();

  it('sees the import graph (the walk finds the lab → core edge)', () => {
    expect(imports.some((i) => i.from === 'lab' && i.to === 'core')).to.equal(true);
  });

  it('has a row for every folder of src/', () => {
    const layers = new Set(sources(join(repoRoot, 'src')).map(layerOf));
    layers.delete('errors');
    expect([...layers].filter((l) => !(l in ALLOWED))).to.deep.equal([]);
  });

  it('imports only along allowed edges, or the deviations docs/architecture.md explains', () => {
    const api = publicApi();
    // The CLI may also take a public name from the module index.ts exports it from (load on use).
    const isPublic = (i: (typeof imports)[number]): boolean => i.from === 'cli' && api.has(i.target) && i.names.every((n) => api.get(i.target)!.has(n));
    const bad = imports.filter((i) => i.to !== 'errors' && !ALLOWED[i.from]?.includes(i.to) && !DEVIATIONS[i.file]?.includes(i.to) && !isPublic(i));
    expect(bad.map((i) => `${i.file} imports ${i.spec} (${i.from} → ${i.to})`)).to.deep.equal([]);
  });

  it('sees `await import()` too (status.ts loads the kinds on use)', () => {
    expect(imports.some((i) => i.file === 'src/lab/status.ts' && i.target === 'src/daemons/registry.ts')).to.equal(true);
  });

  it('lets the CLI take from a library module only what src/index.ts exports from it', () => {
    const api = publicApi();
    const leaks = imports.filter((i) => i.from === 'cli' && api.has(i.target)).flatMap((i) => i.names.filter((n) => !api.get(i.target)!.has(n)).map((n) => `${i.file}: ${n} from ${i.target}`));
    expect(leaks).to.deep.equal([]);
    expect(api.get('src/lab/lab.ts')?.has('Lab')).to.equal(true);
  });

  it('keeps the loader, the kinds, the image store and `up` out of what `netlab down` loads (load on use)', () => {
    const down = staticClosure('src/cli/down.ts');
    expect(down.has('src/lab/teardown.ts')).to.equal(true);
    expect(['src/lab/up.ts', 'src/topology/load.ts', 'src/daemons/registry.ts', 'src/image/store.ts', 'src/frontends/index.ts'].filter((f) => down.has(f))).to.deep.equal([]);
    expect(down.size).to.be.below(staticClosure('src/index.ts').size / 2);
  });

  it('lists no deviation that the code no longer has', () => {
    const stale = Object.entries(DEVIATIONS).flatMap(([file, tos]) => tos.filter((to) => !imports.some((i) => i.file === file && i.to === to)).map((to) => `${file} → ${to}`));
    expect(stale).to.deep.equal([]);
  });
});
