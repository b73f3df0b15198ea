/**
 * `netlab image pull | import | ls | inspect | rm | prune`: the image store
 * (docs/images.md). A thin shell over src/image: parse flags, print results.
 */
import type { Command } from 'commander';
import { NetlabError } from '../errors.js';
import { importImage, inspectImage, listImages, pruneImages, pullImage, removeImage } from '../image/index.js';
import type { ImageRecord } from '../index.js';
import { colors } from './output.js';
import { fmtBytes, imageProgressPrinter } from './progress.js';

/** Aborts on Ctrl-C/SIGTERM (a pull keeps the layers it finished; the next one resumes from there). */
function interruptible(): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    controller.abort(new NetlabError('', `interrupted by ${sig}; layers already complete stay in the store, and the next pull or import goes on from there`, '', sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, done: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}

function summary(verb: string, rec: ImageRecord): string {
  const names = rec.refs.length ? rec.refs.join(', ') : '(no name)';
  return `${colors.green('✓')} ${verb} ${names}\n  id ${rec.id}  ${rec.platform}  ${rec.layers.length} layer${rec.layers.length === 1 ? '' : 's'}  ${fmtBytes(rec.size)}\n`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

export function register(program: Command): void {
  const image = program.command('image').description('images for nodes: pull, import, list, inspect, remove (docs/images.md)');

  image.command('pull')
    .description('download an image from its registry into the store (layers the store has are skipped)')
    .argument('<ref>', 'image reference, e.g. alpine:3.20, quay.io/frrouting/frr:10.2.1, ghcr.io/o/r@sha256:…')
    .option('--insecure', 'plain HTTP, for a registry on this machine only (localhost, 127.0.0.1, [::1])')
    .option('-q, --quiet', 'no progress, only the result')
    .action(async (ref: string, flags: { insecure?: boolean; quiet?: boolean }) => {
      const { signal, done } = interruptible();
      try {
        const rec = await pullImage(ref, { insecure: flags.insecure, signal, onProgress: flags.quiet ? undefined : imageProgressPrinter('pull'), onWarning: (t) => process.stderr.write(`${colors.yellow('warning:')} ${t}\n`) });
        process.stdout.write(summary('pulled', rec));
      } finally {
        done();
      }
    });

  image.command('import')
    .description('store the images of an archive (docker save, podman save, skopeo copy … docker-archive:/oci-archive:) or OCI layout folder')
    .argument('<path>', 'archive file or OCI layout folder')
    .option('--tag <ref>', 'also name the imported image REF (e.g. frr:local)')
    .option('-q, --quiet', 'no progress, only the result')
    .action(async (path: string, flags: { tag?: string; quiet?: boolean }) => {
      const { signal, done } = interruptible();
      try {
        const recs = await importImage(path, { tag: flags.tag, signal, onProgress: flags.quiet ? undefined : imageProgressPrinter('import'), onWarning: (t) => process.stderr.write(`${colors.yellow('warning:')} ${t}\n`) });
        for (const r of recs) process.stdout.write(summary('imported', r));
      } finally {
        done();
      }
    });

  image.command('ls')
    .alias('list')
    .description('list the images in the store, with their size and the labs using them')
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) => {
      const { images, usage } = listImages();
      if (flags.json) { process.stdout.write(`${JSON.stringify({ images, usage }, null, 2)}\n`); return; }
      const rows = images.flatMap((i) => i.names.map((n, k) => [n, k ? '' : i.id.slice(7, 19), k ? '' : i.platform, k ? '' : String(i.layers), k ? '' : fmtBytes(i.size), k ? '' : i.usedBy.join(',')]));
      const head = ['IMAGE', 'ID', 'PLATFORM', 'LAYERS', 'SIZE', 'USED BY'];
      const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)) + 2);
      process.stdout.write(`${colors.dim(head.map((h, c) => pad(h, w[c]!)).join('').trimEnd())}\n`);
      for (const r of rows) process.stdout.write(`${r.map((x, c) => pad(x, w[c]!)).join('').trimEnd()}\n`);
      process.stdout.write(`${colors.dim(`${usage.images} image${usage.images === 1 ? '' : 's'}, ${usage.layers} layer${usage.layers === 1 ? '' : 's'}: ${fmtBytes(usage.bytes)} on disk`
        + `${usage.unshared > usage.bytes ? ` (${fmtBytes(usage.unshared)} without shared layers)` : ''}; store ${usage.root}`)}\n`);
    });

  image.command('inspect')
    .description('an image in detail: names, digests, layers (folders and sizes), config (Env, Entrypoint, Cmd, …)')
    .argument('<ref>', 'reference or ID (a unique prefix is enough)')
    .option('--json', 'everything, as JSON (with the stored config and manifest)')
    .action((ref: string, flags: { json?: boolean }) => {
      const d = inspectImage(ref);
      if (flags.json) { process.stdout.write(`${JSON.stringify(d, null, 2)}\n`); return; }
      const run = d.run;
      const lines = [
        `${colors.bold(d.names.join(', '))}`,
        `  id        ${d.id}`,
        `  manifest  ${d.manifest}`,
        `  platform  ${d.platform}${d.created ? `   created ${d.created}` : ''}`,
        `  source    ${d.source}   stored ${d.storedAt}`,
        `  size      ${fmtBytes(d.size)} in ${d.layers.length} layer${d.layers.length === 1 ? '' : 's'}${d.usedBy.length ? `   used by ${d.usedBy.join(', ')}` : ''}`,
        ...(run.Entrypoint ? [`  entrypoint ${JSON.stringify(run.Entrypoint)}`] : []),
        ...(run.Cmd ? [`  cmd       ${JSON.stringify(run.Cmd)}`] : []),
        ...(run.WorkingDir ? [`  workdir   ${run.WorkingDir}`] : []),
        ...(run.User ? [`  user      ${run.User}`] : []),
        ...(run.Env?.length ? ['  env', ...run.Env.map((e) => `    ${e}`)] : []),
        ...(run.ExposedPorts ? [`  ports     ${Object.keys(run.ExposedPorts).join(' ')}`] : []),
        '  layers (bottom first)',
        ...d.layerDirs.map((l) => `    ${l.diffId.slice(0, 19)}…  ${fmtBytes(l.size).padStart(8)}  ${l.present ? l.dir : colors.red('missing')}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  image.command('rm')
    .alias('remove')
    .description('remove images (a name, when the image has others; else the image and the layers no other image needs)')
    .argument('<ref...>', 'references or IDs')
    .action(async (refs: string[]) => {
      for (const ref of refs) {
        const r = await removeImage(ref);
        if (!r.images.length) process.stdout.write(`untagged ${ref}\n`);
        else process.stdout.write(`${colors.green('✓')} removed ${ref}: ${r.layers} layer${r.layers === 1 ? '' : 's'}, ${fmtBytes(r.bytes)} freed\n`);
      }
    });

  image.command('prune')
    .description('free space: unnamed images, layers no image needs, leftovers of interrupted pulls; --all: every image no running lab uses')
    .option('-a, --all', 'also remove named images that no running lab uses')
    .action(async (flags: { all?: boolean }) => {
      const r = await pruneImages({ all: flags.all });
      process.stdout.write(`${colors.green('✓')} removed ${r.images.length} image${r.images.length === 1 ? '' : 's'} and ${r.layers} layer${r.layers === 1 ? '' : 's'}: ${fmtBytes(r.bytes)} freed\n`);
    });
}
