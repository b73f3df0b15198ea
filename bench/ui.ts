/**
 * netlab ui with a large lab — issue 19's speed targets, measured on a real
 * lab and a real browser:
 *   - the page of a 1,000-node lab is interactive within 2 s (navigation start
 *     → drawn and laid out, then a click on a node shows its card);
 *   - live counters of 1,000 links cost under 5 % of one core in the server
 *     (CPU time of the `netlab ui` process, from /proc/PID/stat, over a window
 *     while one page watches, against the same window with no page);
 *   - keystroke to echo in a node terminal under 30 ms (xterm's onData → the
 *     echo parsed into the screen, in the page: src/ui/web/terminals.ts echoMs).
 *
 * Brings up a generated lab of plain linux nodes (bench/topo-gen.ts), runs
 * `bin/netlab ui LAB --port 0` as its own process, drives Debian's chromium
 * through playwright-core, and takes the lab down at the end, also on failure.
 * It makes kernel objects: run it under the kernel lock (it does not take it).
 *
 *   npm run build && sudo flock /tmp/netlab-kernel.lock node dist/bench/ui.js \
 *     [--n 1000] [--kind ring|grid|fattree] [--name bench-ui-N] [--window-s 20] [--rounds R] [--keys 33] [--echo-rounds 1]
 *     [--bins A/bin/netlab,B/bin/netlab] [--at-once]
 * The saved positions are removed before each `netlab ui` starts (a lab nobody
 * opened yet). The page opens 5.5 s after the server printed its URL (its idle
 * CPU is measured first), or with --at-once as soon as it printed it (the idle
 * CPU is measured after the page closed): `netlab ui LAB`, then the URL opened
 * at once, while the server may still be laying the lab out.
 * Echo: `--keys` keys typed into a shell on n1, one every 150 ms (a command of
 * that many characters, then Enter), in the first `--echo-rounds` rounds.
 * With --bins, each round runs each checkout's `netlab ui` in turn on the same lab (A B A B …);
 * the lab and the browser are this checkout's. Prints one JSON line and a line of medians per checkout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Lab } from '../src/lab/lab.js';
import { loadTopology } from '../src/lab/load.js';
import { labPath } from '../src/lab/paths.js';
import { generate, toYaml, type TopoKind } from './topo-gen.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** utime + stime of a process, seconds (proc(5): fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Share of one core a process used over `ms`. */
async function coreShare(pid: number, ms: number): Promise<number> {
  const c0 = cpuSeconds(pid), t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! : NaN;
}

/** What the page exposes (src/ui/web/main.ts: window.netlabUi), as far as this reads it. */
interface Ui {
  netlabUi: {
    /** Absent in builds before the benchmark (A/B against them). */
    perf?: { topologyAt: number; drawnAt: number; firstLiveAt: number; applyLiveMs: number[] };
    state: { live?: unknown };
    graph: { laidOutAt: number; screenPoint(id: string): { x: number; y: number } | undefined };
    terminals: { open: { node: string; echoMs: number[]; text(): string }[] };
    cy: { nodes(): { length: number }; edges(): { length: number } };
  };
}

type Row = Record<string, number | string>;

/**
 * Clicks node `id` where it is drawn and waits for its card; ms from the click
 * that showed it. A node the worker's layout moved under the pointer is
 * clicked again where it is now.
 */
async function clickNode(page: import('playwright-core').Page, id: string): Promise<number> {
  for (let tries = 0; ; tries++) {
    // Zoomed in on it first: at 1,000 nodes a fitted node is a dot (and a layout that ends fits the drawing again).
    const p = await page.evaluate((x) => {
      const u = (globalThis as unknown as Ui & { netlabUi: { cy: { zoom(level: number): void; center(el: unknown): void; getElementById(id: string): unknown } } }).netlabUi;
      u.cy.zoom(1);
      u.cy.center(u.cy.getElementById(x));
      return u.graph.screenPoint(x);
    }, id);
    await new Promise((r) => setTimeout(r, 200)); // the viewport settles (cytoscape draws a moved viewport from a texture first)
    const c0 = performance.now();
    await page.mouse.click(p!.x, p!.y);
    try {
      await page.waitForFunction((x) => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#card h2')?.textContent ?? '').startsWith(`${x} `), id, { timeout: 3000, polling: 10 });
      return performance.now() - c0;
    } catch (err) {
      if (tries >= 4) throw err;
    }
  }
}

/**
 * One round with the `netlab ui` of `bin` (a netlab checkout's bin/netlab):
 * starts it on `lab`, measures its idle CPU, opens the page and times it,
 * measures its CPU while the page watches, and (with `echo`) keystroke echo.
 */
async function round(bin: string, lab: string, nodes: number, windowMs: number, profile: string, echo: number, atOnce: boolean): Promise<Row> {
  const out: Row = { bin };
  // A first look at the lab: no positions saved by an earlier page (nor by an earlier server's layout).
  rmSync(labPath(lab, 'ui-positions.json'), { force: true });
  const ui = spawn(bin, ['ui', lab, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      ui.stdout!.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        const m = /http:\/\/\S+\?token=\w+/.exec(text);
        if (m) resolve(m[0]);
      });
      ui.once('exit', (code) => reject(new Error(`netlab ui ended with ${code}: ${text}`)));
    });
    const pid = ui.pid!;
    if (!atOnce) {
      await new Promise((r) => setTimeout(r, 500));
      out.serverIdleCore = await coreShare(pid, Math.min(5000, windowMs / 2));
    }
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 880 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await context.newPage();
    const t = performance.now();
    await page.goto(url);
    // Drawn (laid out, or on a grid while a worker lays it out) with its live state.
    await page.waitForFunction((count) => {
      const u = (globalThis as unknown as Ui).netlabUi;
      return u.cy.nodes().length === count && !!u.state.live && (u.perf ? u.perf.drawnAt > 0 : u.graph.laidOutAt > 0);
    }, nodes, { timeout: 120_000, polling: 20 });
    const seenAt = performance.now() - t;
    const marks = await page.evaluate(() => {
      const u = (globalThis as unknown as Ui).netlabUi;
      return { ...(u.perf ?? {}), laidOutAt: u.graph.laidOutAt, now: performance.now() };
    });
    const drawnMs = marks.drawnAt || marks.laidOutAt;
    out.drawnMs = drawnMs;
    if (marks.topologyAt) out.topologyMs = marks.topologyAt;
    out.firstLiveMs = marks.firstLiveAt || marks.now;
    // Interactive: a click on a node shows its card (zoomed in on it first: at 1,000 nodes a fitted node is a dot),
    // at once, while a worker may still lay the lab out.
    out.clickToCardMs = await clickNode(page, 'n1');
    out.interactiveMs = Math.max(drawnMs, out.firstLiveMs) + out.clickToCardMs;
    out.pageSeenWallMs = seenAt;
    await page.waitForFunction(() => (globalThis as unknown as Ui).netlabUi.graph.laidOutAt > 0, undefined, { timeout: 120_000, polling: 20 });
    out.laidOutMs = await page.evaluate(() => (globalThis as unknown as Ui).netlabUi.graph.laidOutAt);
    // When its links were drawn (a large lab's come after its nodes; a build without the mark: with the layout).
    out.linksMs = await page.evaluate(() => { const g = (globalThis as unknown as Ui).netlabUi.graph as { linksAt?: number; laidOutAt: number }; return g.linksAt || g.laidOutAt; });
    // The next look (a reload, another student's laptop): positions saved by then, if this build saves them.
    await new Promise((r) => setTimeout(r, 1000));
    const r0 = performance.now();
    await page.reload();
    await page.waitForFunction((count) => {
      const u = (globalThis as unknown as Ui).netlabUi;
      return u.cy.nodes().length === count && u.graph.laidOutAt > 0 && !!u.state.live;
    }, nodes, { timeout: 120_000, polling: 20 });
    out.reloadSeenWallMs = performance.now() - r0;
    const again = await page.evaluate(() => {
      const u = (globalThis as unknown as Ui).netlabUi;
      return { ...(u.perf ?? {}), laidOutAt: u.graph.laidOutAt, now: performance.now() };
    });
    out.reloadLaidOutMs = again.laidOutAt;
    out.reloadFirstLiveMs = again.firstLiveAt || again.now;
    await clickNode(page, 'n1');
    // Live counters while one page watches.
    out.serverWatchedCore = await coreShare(pid, windowMs);
    const apply = await page.evaluate(() => (globalThis as unknown as Ui).netlabUi.perf?.applyLiveMs ?? []);
    if (apply.length) { out.applyLiveMedianMs = median(apply); out.applyLiveP95Ms = p95(apply); }
    if (echo) {
      // Keystroke to echo: one key every 150 ms into a shell on n1.
      await page.click('#open-term');
      await page.waitForFunction(() => /[#$]\s*$/.test((globalThis as unknown as Ui).netlabUi.terminals.open[0]?.text() ?? ''), undefined, { timeout: 60_000 });
      const line = `echo ${'netlab-ui-keystroke-latency-'.repeat(Math.ceil(echo / 28))}`.slice(0, echo);
      for (const ch of line) await page.keyboard.type(ch, { delay: 150 });
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 500));
      const e = await page.evaluate(() => (globalThis as unknown as Ui).netlabUi.terminals.open[0]?.echoMs ?? []);
      out.echoKeys = e.length;
      out.echoMedianMs = median(e);
      out.echoP95Ms = p95(e);
      out.echoMs = JSON.stringify(e.map((x) => Math.round(x * 10) / 10)); // every key, to pool rounds
    }
    if (atOnce) {
      await context.close();
      context = undefined;
      await new Promise((r) => setTimeout(r, 500));
      out.serverIdleCore = await coreShare(pid, Math.min(5000, windowMs / 2));
    }
  } finally {
    await context?.close().catch(() => undefined);
    if (ui.exitCode === null) {
      ui.kill('SIGINT');
      await new Promise((r) => ui.once('exit', r));
    }
  }
  return out;
}

async function main(): Promise<void> {
  const n = Number(arg('n', '1000'));
  const kind = arg('kind', 'ring') as TopoKind;
  const name = arg('name', `bench-ui-${n}`);
  const windowMs = Number(arg('window-s', '20')) * 1000;
  const rounds = Number(arg('rounds', '1'));
  const keys = Number(arg('keys', '33'));
  const echoRounds = Number(arg('echo-rounds', '1'));
  const atOnce = process.argv.includes('--at-once');
  // A/B: several netlab checkouts' bin/netlab, alternated round by round on the same lab.
  const bins = arg('bins', join(root, 'bin/netlab')).split(',');
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-ui-'));
  const file = join(dir, 'lab.yaml');
  const g = generate(kind, n);
  writeFileSync(file, toYaml(g, { name, addressing: true }));
  const head: Row = { kind: g.shape, nodes: g.nodes.length, links: g.links.length, load1Before: loadavg()[0]! };
  const rows: Row[] = [];
  let lab: Lab | undefined;
  try {
    const t = performance.now();
    lab = await Lab.up(loadTopology(file, { env: {}, name }));
    head.upS = (performance.now() - t) / 1000;
    for (let r = 0; r < rounds; r++) {
      for (const bin of bins) {
        const row = await round(bin, name, g.nodes.length, windowMs, join(dir, `chromium-${r}-${rows.length}`), r < echoRounds ? keys : 0, atOnce);
        rows.push({ round: r, ...row });
        process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
      }
    }
  } finally {
    const t = performance.now();
    await lab?.down();
    head.downS = (performance.now() - t) / 1000;
    head.load1After = loadavg()[0]!;
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ ...head, rows })}\n`);
  for (const bin of bins) {
    const mine = rows.filter((x) => x.bin === bin);
    const med = (k: string): string => { const v = mine.map((x) => x[k]).filter((x): x is number => typeof x === 'number'); return v.length ? median(v).toFixed(k.endsWith('Core') ? 4 : 0) : '-'; };
    process.stdout.write(`${bin}: rounds ${mine.length}; medians: drawn ${med('drawnMs')} ms, laidOut ${med('laidOutMs')} ms, firstLive ${med('firstLiveMs')} ms, interactive ${med('interactiveMs')} ms, `
      + `reload: laidOut ${med('reloadLaidOutMs')} ms, firstLive ${med('reloadFirstLiveMs')} ms, `
      + `server idle ${med('serverIdleCore')} core, watched ${med('serverWatchedCore')} core, applyLive ${med('applyLiveMedianMs')} ms, echo ${med('echoMedianMs')} ms (p95 ${med('echoP95Ms')} ms)\n`);
  }
}

main().catch((err: unknown) => { process.stderr.write(`bench/ui: ${(err as Error).stack ?? String(err)}\n`); process.exit(1); });
