/**
 * The page of netlab ui with a large lab in memory: what the browser spends
 * before a 1,000-node lab's first page is interactive, without the kernel
 * (no lab is brought up: the server runs on the unit tests' in-memory lab,
 * test/helpers/ui-fake.ts), so it needs no root and no kernel lock and can
 * A/B two checkouts' pages in alternation. bench/ui.ts measures the same page
 * on a real lab (and the server's CPU and terminal echo).
 *
 *   npm run build && node dist/bench/ui-page.js [--n 1000] [--pairs 6] [--checkouts A,B]
 *
 * Per run, a new browser context opens the page of a lab nobody opened yet
 * (nothing saved) and reports, in ms from the navigation's start
 * (performance.now() in the page): `hello` (the server's first message
 * handled), `topology` (the drawn lab received), `drawn` (handed to
 * cytoscape.js), `frame` (the end of its first frame, where cytoscape styles
 * and measures every element; 0 for a build without that mark), `firstLive`
 * (the first live state applied), then the time from a click on n1 (zoomed in on
 * first, as bench/ui.ts does) to its card, and `interactive` =
 * max(drawn, firstLive) + click, as bench/ui.ts defines it. That sum misses
 * the first frame when the live state comes before it (the click then waits
 * for the frame before the bench even sends it): `card` is when n1's card
 * showed, from the navigation's start, the click sent as soon as the bench saw
 * the lab drawn with its live state — the figure to compare. Prints a JSON line
 * per run, A B A B …, and the load average before and after.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { generate, toYaml } from './topo-gen.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface PageMarks { scriptAt: number; helloAt: number; topologyAt: number; drawnAt: number; frameAt?: number; firstLiveAt: number }
interface UiGlobals { netlabUi: { perf: PageMarks; state: { live?: unknown }; cy: { nodes(): { length: number } }; graph: { linksAt?: number; screenPoint(id: string): { x: number; y: number } | undefined } } }

/** One first page of the lab, served by `checkout`'s server and page (its dist/). */
async function run(checkout: string, file: string, n: number): Promise<Record<string, number>> {
  const dist = resolve(checkout, 'dist');
  const { FakeLab, FakeBackend } = await import(join(dist, 'test/helpers/ui-fake.js')) as typeof import('../test/helpers/ui-fake.js');
  const { startUiServer } = await import(join(dist, 'src/ui/server.js')) as typeof import('../src/ui/server.js');
  const { loadTopology } = await import(join(dist, 'src/lab/load.js')) as typeof import('../src/lab/load.js');
  const lab = new FakeLab(loadTopology(file, { env: {} }));
  lab.savePositions = (p) => p as never; // nothing is kept: every run is a lab's first page
  const server = await startUiServer({ backend: new FakeBackend(lab), port: 0, lab: lab.name, assetsDir: join(dist, 'ui') });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 880 } })).newPage();
    await page.goto(server.url);
    await page.waitForFunction((count) => {
      const u = (globalThis as unknown as UiGlobals).netlabUi;
      return !!u && u.cy.nodes().length === count && !!u.state.live && u.perf.drawnAt > 0;
    }, n, { timeout: 60_000, polling: 50 });
    const m = await page.evaluate(() => ({ ...(globalThis as unknown as UiGlobals).netlabUi.perf }));
    const t0 = Date.now();
    // Zoomed in on n1 first, as bench/ui.ts does: laid out and fitted, a node of a 1,000-node lab is a dot no click finds.
    const p = await page.evaluate(() => new Promise<{ x: number; y: number } | undefined>((done) => {
      const u = (globalThis as unknown as UiGlobals & { netlabUi: { cy: { zoom(level: number): void; center(el: unknown): void; getElementById(id: string): unknown } } }).netlabUi;
      u.cy.zoom(1);
      u.cy.center(u.cy.getElementById('n1'));
      // After the frame that draws the new viewport.
      (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => setTimeout(() => done(u.graph.screenPoint('n1'))));
    }));
    await page.mouse.click(p!.x, p!.y);
    const shown = await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#card h2')?.textContent ?? '').startsWith('n1 ') && performance.now(), null, { timeout: 20_000, polling: 20 });
    const click = Date.now() - t0;
    const cardAt = await shown.jsonValue() as number;
    // The first frame's end, read after the click (waiting for it before the click would hide the frame from `click`).
    m.frameAt = await page.evaluate(() => (globalThis as unknown as UiGlobals).netlabUi.perf.frameAt ?? 0);
    const linksAt = await page.evaluate(() => (globalThis as unknown as UiGlobals).netlabUi.graph.linksAt ?? 0);
    const r = { script: m.scriptAt, links: linksAt, hello: m.helloAt, topology: m.topologyAt, drawn: m.drawnAt, frame: m.frameAt ?? 0, firstLive: m.firstLiveAt, click, interactive: Math.max(m.drawnAt, m.firstLiveAt) + click, card: cardAt };
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]));
  } finally {
    await browser.close();
    await server.close();
  }
}

const n = Number(arg('n', '1000'));
const pairs = Number(arg('pairs', '6'));
const checkouts = arg('checkouts', resolve('.')).split(',');
const dir = mkdtempSync(join(tmpdir(), 'netlab-ui-page-'));
try {
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, toYaml(generate('ring', n), { name: `bench-ui-page-${n}`, addressing: true }));
  process.stdout.write(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  for (let i = 0; i < pairs; i++) {
    for (const c of checkouts) process.stdout.write(`${JSON.stringify({ checkout: c, ...await run(c, file, n) })}\n`);
  }
  process.stdout.write(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
