/**
 * `netlab convert`: a containerlab file or a Kathará lab folder as the text of
 * a netlab topology file.
 */
import { UsageError } from '../errors.js';
import { convertLab } from '../frontends/index.js';
import { documentYaml } from '../frontends/write.js';
import { loadDocument } from './load.js';

/**
 * Translates the lab at `path` (a containerlab file or a Kathará lab folder)
 * into the YAML of a netlab topology, with what netlab does differently as
 * comments on top — the same translation `netlab up` runs. The result is
 * loaded once as a check, so the text is always a lab netlab accepts.
 * `outFile` is where the text will be written (paths in it are made relative
 * to that file's folder); undefined for text to print. Reads `path`, writes nothing.
 * @throws UsageError when `path` is a netlab topology already; TopologyError
 *   for a file or folder the front-end cannot translate, or a result the loader refuses.
 */
export function convertToNetlab(path: string, outFile?: string): string {
  const doc = convertLab(path);
  if (!doc) throw new UsageError(path, 'is a netlab topology already', 'netlab convert reads containerlab files and Kathará lab folders');
  loadDocument(doc); // the result must be a lab netlab accepts: check it before anything is written
  return documentYaml(doc, outFile);
}
