/**
 * `npm run bench -- --images`: what images cost (issue 15), measured with the
 * real CLI as a user runs it, each measurement under the kernel lock:
 *
 *   import   `netlab image import` of a ~200 MB Docker archive (Debian 12 with
 *            FRR, made by mmdebstrap and skopeo) into an empty store, MB/s;
 *            next to GNU tar unpacking the same layer (the disk's floor)
 *   pull     `netlab image pull` of the same image from docker-registry on
 *            127.0.0.1, MB/s, with a gzip layer (as skopeo pushes it) and
 *            uncompressed; and what its parts cost alone: the HTTP transfer
 *            (curl), inflating (Node's zlib), GNU tar -xzf of the gzip blob
 *   up       N nodes (a ring) on that image vs N on the host's root, A/B
 *            alternated in one run: wall time of `netlab up`, and host memory
 *            per idle node (MemAvailable before up − while idle, / N); the
 *            first image lab on a fresh store imports, the second reads nothing
 *
 *   npm run bench -- --images [--nodes 100] [--repeat 3] [--pull-only] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxRoot, debianFrrTar, skopeo, tarOfDir, writeOciLayout } from '../test/helpers/images.js';
import { pushLayout, startRegistry } from '../test/helpers/registry.js';
import { memAvailableSteadyKiB, runTimed, sleep, waitHostIdle } from './host.js';
import { withKernelLock } from './kernel-lock.js';
import { ring, toYaml } from './topo-gen.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const netlab = join(repoRoot, 'bin/netlab');

interface Options { nodes: number; repeat: number; json: string | null; only: 'all' | 'pull' }

function parse(argv: string[]): Options {
  const o: Options = { nodes: 100, repeat: 3, json: null, only: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--nodes') o.nodes = Number(argv[++i]);
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--json') o.json = argv[++i] ?? null;
    else if (a === '--pull-only') o.only = 'pull';
    else throw new Error(`unknown flag ${a} (npm run bench -- --images [--nodes N] [--repeat R] [--pull-only] [--json FILE])`);
  }
  if (!Number.isInteger(o.nodes) || o.nodes < 2 || !Number.isInteger(o.repeat) || o.repeat < 1) throw new Error('--nodes ≥ 2 and --repeat ≥ 1');
  return o;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const locked = async <T>(fn: () => Promise<T>): Promise<T> => (await withKernelLock(async () => { await waitHostIdle(20_000); return fn(); })).value;

async function cli(args: string[], env: Record<string, string>): Promise<number> {
  const t = await runTimed(netlab, args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeoutMs: 900_000 });
  if (t.code !== 0) throw new Error(`netlab ${args.join(' ')} exited ${t.code}: ${(t.stderr || t.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return t.wallMs;
}

export async function main(argv: string[]): Promise<void> {
  const o = parse(argv);
  if (process.getuid?.() !== 0) throw new Error('the images benchmark needs root');
  const deb = debianFrrTar();
  if (!deb.tar) throw new Error(deb.why);
  const base = mkdtempSync(join(tmpdir(), 'netlab-bench-img-'));
  const out: Record<string, unknown> = { nodes: o.nodes, repeat: o.repeat };
  try {
    writeOciLayout(join(base, 'layout'), [{ layers: [readFileSync(deb.tar)], gzip: false, ref: 'debian' }]);
    const archive = join(base, 'debian.tar');
    skopeo(['copy', `oci:${join(base, 'layout')}:debian`, `docker-archive:${archive}:lab/debian-frr:12`]);
    const size = statSync(archive).size;
    process.stdout.write(`image: Debian 12 + FRR, one layer, archive ${(size / 1e6).toFixed(0)} MB\n\n`);

    // import and the tar floor
    const imports: number[] = [];
    const tars: number[] = [];
    if (o.only === 'all') {
      // Nothing is removed between runs: on a filesystem mounted with `discard`
      // (this VM's ext4) removing 200 MB makes the next minutes of file creation
      // several times slower, for netlab and tar alike. The folders go at the end.
      for (let r = 0; r < o.repeat; r++) {
        const store = join(base, `import-${r}`);
        imports.push(await locked(() => cli(['image', 'import', '-q', archive], { NETLAB_STORE: store })));
        const dir = join(base, `tar-${r}`);
        tars.push(await locked(async () => {
          spawnSync('mkdir', ['-p', dir]);
          const t = await runTimed('tar', ['-xf', deb.tar!, '-C', dir]);
          return t.wallMs;
        }));
      }
      out.importMs = imports;
      out.tarMs = tars;
      process.stdout.write(`| step | median | MB/s |\n|---|---|---|\n`);
      process.stdout.write(`| netlab image import | ${median(imports).toFixed(0)} ms | ${mbps(size, median(imports)).toFixed(0)} |\n`);
      process.stdout.write(`| GNU tar -x of the same layer (floor) | ${median(tars).toFixed(0)} ms | ${mbps(size, median(tars)).toFixed(0)} |\n`);
    }

    // pull from a local registry: the gzip layer skopeo pushes, and the same
    // layer uncompressed (pushed as the layout holds it), next to what each
    // part costs alone: the HTTP transfer (curl to /dev/null), inflating
    // (Node's zlib, one core), and GNU tar unpacking the gzip blob (the floor
    // of a gzip pull: tar -xzf inflates on one core while it writes).
    const reg = await startRegistry();
    try {
      const [img] = writeOciLayout(join(base, 'layout-plain'), [{ layers: [readFileSync(deb.tar)], gzip: false, ref: 'debian' }]);
      skopeo(['copy', '--dest-tls-verify=false', `oci:${join(base, 'layout')}:debian`, `docker://${reg.host}/lab/debian-frr:12`]);
      await pushLayout(reg.host, join(base, 'layout-plain'), img!.manifest, 'lab/debian-frr-plain:12');
      // A 2 MB image: what a pull costs whatever its size (Node's start, the manifest and config, the store).
      const [bb] = writeOciLayout(join(base, 'layout-bb'), [{ layers: [tarOfDir(busyboxRoot(join(base, 'bbroot')))], gzip: false, ref: 'bb' }]);
      await pushLayout(reg.host, join(base, 'layout-bb'), bb!.manifest, 'lab/bb:1');
      const m = await (await fetch(`http://${reg.host}/v2/lab/debian-frr/manifests/12`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).json() as { layers: { digest: string; size: number }[] };
      const gz = m.layers[0]!;
      const urls = { gzip: `http://${reg.host}/v2/lab/debian-frr/blobs/${gz.digest}`, plain: `http://${reg.host}/v2/lab/debian-frr-plain/blobs/${img!.layerDigests[0]}` };
      const gzFile = join(base, 'layer.tar.gz');
      spawnSync('curl', ['-sSf', '-o', gzFile, urls.gzip]);
      process.stdout.write(`\nregistry copy: gzip layer ${(gz.size / 1e6).toFixed(0)} MB (of ${(size / 1e6).toFixed(0)} MB uncompressed)\n`);
      const sh = async (cmd: string): Promise<number> => {
        const t = await runTimed('sh', ['-c', cmd], { timeoutMs: 600_000 });
        if (t.code !== 0) throw new Error(`${cmd}: ${t.stderr.trim()}`);
        return t.wallMs;
      };
      const inflate = `const z=require('zlib'),fs=require('fs');fs.createReadStream(process.argv[1],{highWaterMark:1<<20}).pipe(z.createGunzip({chunkSize:1<<20})).resume()`;
      const steps: Record<string, (r: number) => Promise<number>> = {
        'netlab image pull, gzip layer': (r) => cli(['image', 'pull', '-q', '--insecure', `${reg.host}/lab/debian-frr:12`], { NETLAB_STORE: join(base, `pull-${r}`) }),
        'netlab image pull, uncompressed layer': (r) => cli(['image', 'pull', '-q', '--insecure', `${reg.host}/lab/debian-frr-plain:12`], { NETLAB_STORE: join(base, `pull-plain-${r}`) }),
        'netlab image pull, uncompressed layer, without libcurl (read by Node)': (r) => cli(['image', 'pull', '-q', '--insecure', `${reg.host}/lab/debian-frr-plain:12`], { NETLAB_STORE: join(base, `pull-node-${r}`), NETLAB_LIBCURL: 'libcurl-absent.so.4' }),
        'netlab image pull of a 2 MB image (the fixed cost of a pull)': (r) => cli(['image', 'pull', '-q', '--insecure', `${reg.host}/lab/bb:1`], { NETLAB_STORE: join(base, `pull-bb-${r}`) }),
        'curl | tar -xf - of the uncompressed blob (download and unpack, no digest)': (r) => sh(`mkdir -p ${join(base, `tcurl-${r}`)} && curl -sSf ${urls.plain} | tar -xf - -C ${join(base, `tcurl-${r}`)}`),
        'HTTP alone: curl of the gzip blob to /dev/null': () => sh(`curl -sSf -o /dev/null ${urls.gzip}`),
        'HTTP alone: curl of the uncompressed blob to /dev/null': () => sh(`curl -sSf -o /dev/null ${urls.plain}`),
        'inflate alone: node zlib of the gzip blob (incl. node start)': () => sh(`node -e "${inflate}" ${gzFile}`),
        'GNU tar -xf of the uncompressed layer (floor, uncompressed)': (r) => sh(`mkdir -p ${join(base, `tplain-${r}`)} && tar -xf ${deb.tar!} -C ${join(base, `tplain-${r}`)}`),
        'GNU tar -xzf of the gzip blob (floor, gzip)': (r) => sh(`mkdir -p ${join(base, `tgz-${r}`)} && tar -xzf ${gzFile} -C ${join(base, `tgz-${r}`)}`),
      };
      const times: Record<string, number[]> = {};
      for (let r = 0; r < o.repeat; r++) {
        for (const [k, f] of Object.entries(steps)) (times[k] ??= []).push(await locked(() => f(r)));
      }
      out.pull = times;
      out.pullGzipBytes = gz.size;
      process.stdout.write(`\n| pull step | median of ${o.repeat} | MB/s (of the uncompressed ${(size / 1e6).toFixed(0)} MB) |\n|---|---|---|\n`);
      for (const [k, v] of Object.entries(times)) process.stdout.write(`| ${k} | ${median(v).toFixed(0)} ms | ${mbps(size, median(v)).toFixed(0)} |\n`);
      // The layer's own rate: the pull less what any pull costs, next to tar's.
      const fixed = median(times['netlab image pull of a 2 MB image (the fixed cost of a pull)']!);
      const layerMs = median(times['netlab image pull, uncompressed layer']!) - fixed;
      const tarMs = median(times['GNU tar -xf of the uncompressed layer (floor, uncompressed)']!);
      process.stdout.write(`\nuncompressed layer, beyond the fixed cost: ${layerMs.toFixed(0)} ms = ${mbps(size, layerMs).toFixed(0)} MB/s (GNU tar -xf: ${mbps(size, tarMs).toFixed(0)} MB/s)\n`);
      out.pullLayerMs = layerMs;
      process.stdout.write('\n');
    } finally {
      await reg.stop();
    }

    if (o.only === 'all') {
      // up: N image nodes vs N host-root nodes, alternated
      const g = ring(o.nodes);
      const store = join(base, 'store');
      const files = { host: join(base, 'host.yaml'), image: join(base, 'image.yaml') };
      writeFileSync(files.host, toYaml(g, { name: 'bench-img-host', addressing: false }));
      writeFileSync(files.image, toYaml(g, { name: 'bench-img-image', addressing: false }).replace('\nnodes:\n', `\ndefaults: { image: ${archive} }\nnodes:\n`));
      const env = { NETLAB_STORE: store };
      const ups: Record<'host' | 'image', number[]> = { host: [], image: [] };
      const mem: Record<'host' | 'image', number[]> = { host: [], image: [] };
      let firstImageUp = 0;
      let layersAfterFirst = 0;
      let unpackedLater = 0;
      for (let r = 0; r <= o.repeat; r++) {
        for (const side of ['image', 'host'] as const) {
          const lab = side === 'host' ? 'bench-img-host' : 'bench-img-image';
          await locked(async () => {
            const before = await memAvailableSteadyKiB();
            const ms = await cli(['up', '-q', files[side]], env);
            await sleep(2000);
            const idle = await memAvailableSteadyKiB();
            await cli(['down', lab], env);
            const layers = readdirSync(join(store, 'layers')).length;
            if (side === 'image' && r === 0) { firstImageUp = ms; layersAfterFirst = layers; return; } // the import run
            if (side === 'image') unpackedLater += layers - layersAfterFirst;
            if (r === 0) return; // warm-up of the host side
            ups[side].push(ms);
            mem[side].push((before - idle) / o.nodes);
          });
        }
      }
      out.up = ups;
      out.memPerNodeKiB = mem;
      out.firstImageUpMs = firstImageUp;
      out.layersUnpackedAfterFirst = unpackedLater;
      const ratio = median(ups.image) / median(ups.host);
      process.stdout.write(`| ${o.nodes} nodes | netlab up (median of ${o.repeat}) | host memory per idle node |\n|---|---|---|\n`);
      process.stdout.write(`| on the host's root | ${median(ups.host).toFixed(0)} ms | ${median(mem.host).toFixed(0)} KiB |\n`);
      process.stdout.write(`| on the Debian image | ${median(ups.image).toFixed(0)} ms (${ratio.toFixed(2)}×) | ${median(mem.image).toFixed(0)} KiB |\n`);
      process.stdout.write(`| first image lab, empty store (imports) | ${firstImageUp.toFixed(0)} ms | |\n\n`);
      process.stdout.write(`layers unpacked by image labs after the first: ${unpackedLater}\n`);
      process.stdout.write(`targets: up ≤ 1.2× host-root ${ratio <= 1.2 ? 'met' : 'MISSED'} (${ratio.toFixed(2)}×); `
        + `import ≥ 100 MB/s ${mbps(size, median(imports)) >= 100 ? 'met' : 'MISSED'}; `
        + `memory within 10 % ${median(mem.image) <= median(mem.host) * 1.1 ? 'met' : 'MISSED'}\n`);
    }
    if (o.json) writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
