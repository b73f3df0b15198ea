/**
 * `netlab convert`: a containerlab file or a Kathará lab folder as the text of
 * a netlab topology file.
 */
import { UsageError } from '../errors.js';
import { convertLab } from '../frontends/index.js';
import { documentYaml } from '../frontends/write.js';
import { storeImageCatalog } from './images.js';
import { loadDocument } from './load.js';

/** Options of convertToNetlab. */
export interface ConvertOptions {
  /**
   * Keep every image (`netlab convert --pull`): the topology names the lab's
   * own images and `netlab up` pulls what the store lacks. Without it, only
   * images the store holds are kept; the others fall back to the host's FRR
   * or root (docs/containerlab.md, "Images").
   */
  pull?: boolean;
  /** The image store to look in (default: /var/lib/netlab, or $NETLAB_STORE). */
  store?: string;
}

/**
 * Translates the lab at `path` (a containerlab file or a Kathará lab folder)
 * into the YAML of a netlab topology, with what netlab does differently as
 * comments on top — the same translation `netlab up` runs. The result is
 * loaded once as a check, so the text is always a lab netlab accepts.
 * `outFile` is where the text will be written (paths in it are made relative
 * to that file's folder); undefined for text to print. Images the store holds
 * (and with `pull`, every registry image) stay as they are (storeImageCatalog).
 * Reads `path` and the store's index, writes nothing.
 * @throws UsageError when `path` is a netlab topology already; TopologyError
 *   for a file or folder the front-end cannot translate, or a result the loader refuses.
 */
export function convertToNetlab(path: string, outFile?: string, opts: ConvertOptions = {}): string {
  const doc = convertLab(path, { images: storeImageCatalog({ pull: opts.pull, store: opts.store }) });
  if (!doc) throw new UsageError(path, 'is a netlab topology already', 'netlab convert reads containerlab files and Kathará lab folders');
  loadDocument(doc); // the result must be a lab netlab accepts: check it before anything is written
  return documentYaml(doc, outFile);
}
