/**
 * What a front-end is: a reader of another tool's lab format (containerlab's
 * `.clab.yml`, a Kathará lab folder) that produces a netlab input document —
 * the same plain data a netlab `.yaml` topology parses to — which the normal
 * loader then checks and resolves. A front-end never builds a Topology itself
 * and never touches the kernel: it is a translation, pure but for reading the
 * lab's own files (DESIGN.md, "The data flow").
 */
import type { Env } from '../topology/expand.js';

/** One thing a front-end did differently from the other tool, ignored, or fell back on. */
export interface Note {
  /** Where in the source: a key path (`topology.nodes.l2.ports`), a file (`lab.conf:12`), or a node. */
  where: string;
  /** One line: what netlab does instead, and why. */
  text: string;
}

/** A lab in another format, turned into a netlab input document. */
export interface LabDocument {
  /** The netlab input document (a mapping with name, nodes, links, …), unchecked: the loader checks it. */
  data: Record<string, unknown>;
  /** Absolute folder the document's relative paths (config, binds, layers, startup) are relative to. */
  dir: string;
  /** Absolute path of what the user named: the .clab.yml, or the lab folder's lab.conf. */
  file: string;
  /** The format's name, for messages: 'containerlab' or 'Kathará'. */
  format: string;
  /** What was mapped differently, ignored or fell back, one line each, in source order. */
  notes: Note[];
}

/**
 * Which images netlab can run as they are: in its image store, or pullable
 * now. The front-ends fall back (to the host's FRR, or the host's root) only
 * for images this says no to. A small interface so the front-ends stay pure
 * and tests can answer for the store.
 */
export interface ImageCatalog {
  /** Whether `ref` (as written in the lab, e.g. `quay.io/frrouting/frr:10.5.1`) can run as an image. */
  available(ref: string): boolean;
  /** Whether `ref` is in the store now (else `up` pulls it); default: available. For the notes. */
  stored?(ref: string): boolean;
  /** True when images the store lacks are pulled (`netlab up --pull`). */
  pull?: boolean;
}

/** The catalog of a machine whose store holds nothing and that pulls nothing. */
export const NO_IMAGES: ImageCatalog = { available: () => false };

/** Options every front-end takes. */
export interface FrontendOptions {
  /** Variables for `${VAR}` in the lab; default process.env. */
  env?: Env;
  /** Default NO_IMAGES. */
  images?: ImageCatalog;
  /**
   * Kathará: a folder of `<device>.startup`, `<device>.shutdown`,
   * `shared.startup` and `shared.shutdown` files kept apart from the lab
   * (a teacher's solutions, or a test's own scripts for a lab published
   * without them); a file there is used instead of the lab folder's file of
   * the same name. Files in it are checked to stay inside it, as the lab's own.
   */
  scripts?: string;
}

/** A lab format netlab reads. One module per format, registered in src/frontends/index.ts. */
export interface Frontend {
  /** Format name for messages and `netlab convert`: 'containerlab', 'Kathará'. */
  readonly name: string;
  /**
   * Whether `path` (absolute) is a lab of this format. `data` is the parsed
   * YAML when `path` is a YAML file (undefined for folders and other files).
   */
  detect(path: string, data?: unknown): boolean;
  /**
   * Reads the lab at `path` and returns its netlab input document.
   * @throws TopologyError naming the source file, key or line, what is wrong
   *   and how to fix it (a vendor network OS, a file outside the lab folder, …).
   */
  convert(path: string, opts: FrontendOptions, parsed?: ParsedSource): LabDocument;
  /** The lab name `netlab down PATH` means, without a full conversion. */
  labName(path: string, opts: FrontendOptions, parsed?: ParsedSource): string;
}

/** A YAML source already parsed by the caller (the loader parses once). */
export interface ParsedSource {
  data: unknown;
  /** 1-based line of a key path in the source, when known. */
  lineOf(path: (string | number)[]): number | undefined;
}
