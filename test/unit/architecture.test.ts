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

/** Every import of one layer by another: "src/x/f.ts imports ../y/g.js (y)". */
function crossImports(): { file: string; spec: string; from: string; to: string }[] {
  const out: { file: string; spec: string; from: string; to: string }[] = [];
  for (const file of sources(join(repoRoot, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const from = layerOf(file);
      const to = layerOf(resolve(dirname(file), spec));
      if (from !== to) out.push({ file: relative(repoRoot, file), spec, from, to });
    }
  }
  return out;
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
    const bad = imports.filter((i) => i.to !== 'errors' && !ALLOWED[i.from]?.includes(i.to) && !DEVIATIONS[i.file]?.includes(i.to));
    expect(bad.map((i) => `${i.file} imports ${i.spec} (${i.from} → ${i.to})`)).to.deep.equal([]);
  });

  it('lists no deviation that the code no longer has', () => {
    const stale = Object.entries(DEVIATIONS).flatMap(([file, tos]) => tos.filter((to) => !imports.some((i) => i.file === file && i.to === to)).map((to) => `${file} → ${to}`));
    expect(stale).to.deep.equal([]);
  });
});
