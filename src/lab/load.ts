/**
 * The loaders with netlab's kinds: src/topology's loadTopology and
 * loadTestsFile, and src/frontends' loadLab and loadDocument, given the facts
 * of every registered kind plug-in (src/daemons/registry.ts). What the CLI,
 * the library and tests call; the pure loader and the front-ends take the
 * kinds as an argument and import no plug-in.
 */
import { kindCatalog } from '../daemons/registry.js';
import { loadDocument as documentWith, loadLab as labWith, type LoadLabOptions } from '../frontends/index.js';
import type { LabDocument } from '../frontends/types.js';
import { loadTopology as loadWith, type LoadOptions, type TopologySource } from '../topology/load.js';
import { loadTestsFile as testsWith, type TestsFileOptions } from '../topology/tests-file.js';
import type { TestSpec, Topology } from '../topology/types.js';

export { kindCatalog };

/** Options of loadTopology: src/topology's, with `kinds` defaulting to every registered kind. */
export type LoadTopologyOptions = Omit<LoadOptions, 'kinds'> & Partial<Pick<LoadOptions, 'kinds'>>;

/**
 * Loads a topology from a file path or from text, knowing every registered kind.
 * @throws TopologyError (exit code 2) naming the key path, what is wrong and a hint (src/topology/load.ts).
 */
export function loadTopology(input: string | TopologySource, options: LoadTopologyOptions = {}): Topology {
  return loadWith(input, { ...options, kinds: options.kinds ?? kindCatalog() });
}

/** Loads a topology file (the CLI's entry point). */
export function loadTopologyFile(path: string, options: LoadTopologyOptions = {}): Topology {
  return loadTopology(path, options);
}

/**
 * Reads a tests file and resolves it against `topology`, knowing every registered kind.
 * @throws TopologyError naming the path inside the file and `(FILE:LINE)` (src/topology/tests-file.ts).
 */
export function loadTestsFile(file: string, topology: Pick<Topology, 'name' | 'nodes' | 'links' | 'events'>, opts: Omit<TestsFileOptions, 'kinds'> = {}): TestSpec[] {
  return testsWith(file, topology, { ...opts, kinds: kindCatalog() });
}

/**
 * Any lab path (netlab YAML, containerlab file, Kathará folder) → a checked Topology, knowing every registered kind.
 * @throws TopologyError (exit 2) naming the file, key or line (src/frontends/index.ts).
 */
export function loadLab(path: string, opts: Omit<LoadLabOptions, 'kinds'> & Partial<Pick<LoadLabOptions, 'kinds'>> = {}): Topology {
  return labWith(path, { ...opts, kinds: opts.kinds ?? kindCatalog() });
}

/** Loads a front-end's converted document with the normal loader, knowing every registered kind. */
export function loadDocument(doc: LabDocument, opts: LoadTopologyOptions = {}): Topology {
  return documentWith(doc, { ...opts, kinds: opts.kinds ?? kindCatalog() });
}
