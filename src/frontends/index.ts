/**
 * src/frontends: the lab formats netlab reads, one module each, registered
 * here — and the one entry point that turns any lab path into a Topology.
 *
 * A path is
 *   - a Kathará lab: a folder holding lab.conf, or a path to a lab.conf;
 *   - a containerlab lab: a YAML file with a top-level `topology:` key, or
 *     named `*.clab.yml` / `*.clab.yaml`;
 *   - otherwise a netlab topology file.
 * Each front-end produces a netlab input document; the normal loader checks
 * and resolves it (DESIGN.md, "The data flow"). ipspace netlab's and
 * Mininet's formats are not read (docs/containerlab.md says why).
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { TopologyError } from '../errors.js';
import { loadTopology, type LoadOptions } from '../topology/load.js';
import type { Topology } from '../topology/types.js';
import { readTextFile } from '../topology/read.js';
import { parseYaml } from '../topology/yaml.js';
import { containerlab } from './containerlab.js';
import { kathara } from './kathara.js';
import type { Frontend, FrontendOptions, ImageCatalog, LabDocument, ParsedSource } from './types.js';

export type { Frontend, FrontendOptions, ImageCatalog, LabDocument, Note } from './types.js';
export { NO_IMAGES } from './types.js';

/** Every front-end, in the order detection tries them. A new format is one module and one line here. */
export const FRONTENDS: readonly Frontend[] = [kathara, containerlab];

/** What a lab path is: another tool's lab (with its parsed source), or a netlab file's text. */
export type LabSource =
  | { frontend: Frontend; path: string; parsed?: ParsedSource }
  | { frontend: undefined; path: string; text: string; parsed: ParsedSource };

/**
 * Reads what `path` is. Folders are Kathará labs or nothing.
 * @throws TopologyError for a path that does not exist, a folder without
 *   lab.conf, or a YAML syntax error.
 */
export function identifyLab(path: string): LabSource {
  const abs = resolve(path);
  if (path !== '' && isDirectory(abs)) {
    if (kathara.detect(abs)) return { frontend: kathara, path: abs };
    throw new TopologyError(path, 'is a folder without lab.conf', 'give a topology file, or a Kathará lab folder (one with a lab.conf)');
  }
  if (path !== '' && kathara.detect(abs)) return { frontend: kathara, path: abs };
  // The loader's own reader: refuses an empty path, FIFOs, devices, huge files and bad UTF-8 with a clear error.
  const text = readTextFile(path, 'topology', path || 'FILE');
  let parsed: ParsedSource;
  try {
    parsed = parseYaml(text, abs);
  } catch (err) {
    // An error about the whole file (several documents, …) names the file, as the loader does.
    if (err instanceof TopologyError && err.path === '') throw new TopologyError(basename(abs), err.message, err.hint);
    throw err;
  }
  for (const f of FRONTENDS) if (f.detect(abs, parsed.data)) return { frontend: f, path: abs, parsed };
  return { frontend: undefined, path: abs, text, parsed };
}

/** Whether `path` is a folder (false for anything stat(2) refuses). */
function isDirectory(path: string): boolean {
  try { return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false; } catch { return false; }
}

/**
 * A lab in another format as a netlab input document (what `netlab convert` prints).
 * @returns undefined for a netlab topology file.
 */
export function convertLab(path: string, opts: FrontendOptions = {}): LabDocument | undefined {
  const src = identifyLab(path);
  if (!src.frontend) return undefined;
  return src.frontend.convert(src.path, opts, src.parsed);
}

/** Options of loadLab: the loader's and the front-ends'. */
export interface LoadLabOptions extends LoadOptions {
  images?: ImageCatalog;
  /** Kathará: a folder of startup/shutdown scripts kept apart from the lab (FrontendOptions.scripts). */
  scripts?: string;
}

/**
 * Any lab path → a checked Topology: netlab files through the loader, other
 * formats through their front-end and then the same loader. A converted lab
 * carries `imported` (its format, file and notes) for `up` to print.
 * @throws TopologyError (exit 2) naming the file, key or line.
 */
export function loadLab(path: string, opts: LoadLabOptions): Topology {
  const src = identifyLab(path);
  if (!src.frontend) return loadTopology({ text: src.text, file: src.path, parsed: src.parsed }, opts);
  const doc = src.frontend.convert(src.path, { env: opts.env, images: opts.images, ...(opts.scripts === undefined ? {} : { scripts: opts.scripts }) }, src.parsed);
  return loadDocument(doc, opts);
}

/** Loads a converted document with the normal loader. */
export function loadDocument(doc: LabDocument, opts: LoadOptions): Topology {
  return loadTopology({ data: doc.data, file: doc.file, dir: doc.dir, origin: { format: doc.format, notes: doc.notes } }, opts);
}
