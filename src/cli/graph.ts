/**
 * `netlab graph FILE [--format dot|mermaid|svg|html] [-o OUT]`: a picture of a
 * topology, without root and without touching the kernel. The format defaults
 * to the extension of OUT (.dot/.gv, .mmd, .svg, .html), else dot; `--format`
 * and the extension are case-insensitive. `-o -` is standard output.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { GRAPH_FORMATS as FORMATS, renderGraph } from '../graph/index.js';
import { storeImageCatalog } from '../lab/images.js';
import { kindCatalog, loadLab } from '../lab/load.js';
import { writeOutput } from '../lab/output.js';
import type { GraphFormat as Format } from '../index.js';

const BY_EXT: Record<string, Format> = { '.dot': 'dot', '.gv': 'dot', '.mmd': 'mermaid', '.mermaid': 'mermaid', '.svg': 'svg', '.html': 'html', '.htm': 'html' };

/** Renders the topology file in a format (the command without its I/O). */
export function renderTopology(file: string, format: Format): string {
  return renderGraph(loadLab(file, { images: storeImageCatalog() }), format, kindCatalog());
}

export function register(program: Command): void {
  program
    .command('graph')
    .description('draw a topology: Graphviz DOT, Mermaid, or a self-contained SVG/HTML picture')
    .argument('<file>', 'topology file (.yaml)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: from -o's extension, else dot)`)
    .option('-o, --output <file>', 'write to this file instead of standard output (-: standard output)')
    .action((file: string, opts: { format?: string; output?: string }) => {
      const output = opts.output === '-' ? undefined : opts.output;
      const ext = output ? extname(output).toLowerCase() : '';
      if (!opts.format && ext && !BY_EXT[ext]) {
        throw new UsageError('-o', `cannot tell the format from "${ext}"`, `name the file .dot, .gv, .mmd, .svg or .html, or give --format (${FORMATS.join(', ')}); for a PNG: netlab graph FILE | dot -Tpng -o out.png`);
      }
      const format = (opts.format?.trim().toLowerCase() ?? BY_EXT[ext] ?? 'dot') as Format;
      if (!FORMATS.includes(format)) throw new UsageError('--format', `unknown format "${opts.format}"`, `use one of ${FORMATS.join(', ')}`);
      const text = renderTopology(file, format);
      if (output) writeOutput(output, text, '-o');
      else process.stdout.write(text);
    });
}
