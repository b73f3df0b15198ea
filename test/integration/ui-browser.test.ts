/**
 * netlab ui in a real browser: Debian's chromium, driven by playwright-core,
 * on the README's demo lab (topologies/ospf-triangle.yaml, run as
 * t-ui-triangle). What a student does: see the lab, open a terminal on r1,
 * cut r1:eth1 and watch OSPF route around it, shape a link and watch the
 * counter, run the tests, and see the page say so when the lab goes down.
 * Screenshots go to test-output/ui/ (ignored by git).
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { Lab } from '../../src/lab/lab.js';
import { loadTopology } from '../../src/lab/load.js';
import { libraryBackend } from '../../src/ui/backend.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { CHROMIUM, launchChromium, poll } from '../helpers/chromium.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';

const LAB = 't-ui-triangle';
const SHOTS = join(repoRoot, 'test-output/ui');

/** What the page exposes for tests (src/ui/web/main.ts: window.netlabUi), as far as these tests read it. */
interface PageGlobals {
  netlabUi: {
    terminals: { open: { node: string; term: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } }[] };
    graph: { screenPoint(id: string): { x: number; y: number } | undefined };
    cy: {
      nodes(): { length: number; map<T>(f: (n: { id(): string }) => T): T[] };
      edges(): { map<T>(f: (n: { id(): string; data(k: string): string }) => T): T[] };
      getElementById(id: string): { hasClass(c: string): boolean; style(k: string): string };
    };
  };
}

/** What the page's terminal on `node` shows now (its buffer, lines joined). */
function screenText(page: Page, node: string): Promise<string> {
  return page.evaluate((n) => {
    const ui = (globalThis as unknown as PageGlobals).netlabUi;
    const t = ui.terminals.open.find((x) => x.node === n);
    if (!t) return '';
    const b = t.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }, node);
}

/** Clicks a drawn node or link where cytoscape draws it. */
async function clickElement(page: Page, id: string): Promise<void> {
  const p = await page.evaluate((x) => (globalThis as unknown as PageGlobals).netlabUi.graph.screenPoint(x), id);
  if (!p) throw new Error(`the page draws no ${id}`);
  await page.mouse.click(p.x, p.y);
}

/** Saves a downloaded pcapng as test-output/ui/NAME and checks that tcpdump reads it, with at least three ICMP echo requests to `dst`. */
async function expectEchoRequests(d: Download, name: string, dst: string): Promise<void> {
  const file = join(SHOTS, name);
  mkdirSync(SHOTS, { recursive: true });
  await d.saveAs(file);
  const read = spawnSync('tcpdump', ['-n', '-r', file], { encoding: 'utf8' });
  expect(read.status, read.stderr).to.equal(0);
  expect(read.stdout.match(new RegExp(`> ${dst.replace(/\./g, '\\.')}: ICMP echo request`, 'g')) ?? [], read.stdout).to.have.length.of.at.least(3);
}

function status(server: UiServer, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
}

/** Parses "987 kb/s" / "1.02 Mb/s" back to bits/s. */
function bps(text: string): number {
  const m = /^([\d.]+)\s*(b|kb|Mb|Gb)\/s$/.exec(text.trim());
  if (!m) return 0;
  return Number(m[1]) * ({ b: 1, kb: 1e3, Mb: 1e6, Gb: 1e9 } as Record<string, number>)[m[2]!]!;
}

describe('netlab ui in a browser (real kernel, chromium)', function () {
  this.timeout(120_000);
  leakcheckAround({ labs: ['t-ui'], runDir: true });
  before(function () {
    requireRoot(this);
    if (!existsSync(CHROMIUM)) skip(this, `needs Debian's chromium at ${CHROMIUM} (scripts/install-deps installs it)`);
  });

  describe(`lab ${LAB} (the README demo lab)`, function () {
    let lab: Lab | undefined;
    let server: UiServer;
    let context: BrowserContext | undefined;
    let dir = '';
    let page: Page;
    const shot = async (name: string): Promise<void> => { mkdirSync(SHOTS, { recursive: true }); await page.screenshot({ path: join(SHOTS, `${name}.png`) }); };

    before(async function () {
      this.timeout(300_000);
      lab = await Lab.up(loadTopology(join(repoRoot, 'topologies/ospf-triangle.yaml'), { env: {}, name: LAB }));
      server = await startUiServer({ backend: libraryBackend(), port: 0, lab: LAB });
      ({ context, dir } = await launchChromium());
      page = await context.newPage();
      await page.goto(server.url);
    });
    after(async function () {
      this.timeout(120_000);
      try {
        await context?.close();
        await server?.close();
      } finally {
        await lab?.down();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses every request and WebSocket without the token', async function () {
      for (const path of ['/', '/assets/app.js', '/api/labs', `/api/labs/${LAB}`]) expect(await status(server, path), path).to.equal(403);
      expect(await status(server, '/api/labs', { cookie: `netlab-ui-${server.port}=${'0'.repeat(64)}` })).to.equal(403);
      for (const path of ['/ws/live', `/ws/term?lab=${LAB}&node=r1`]) {
        const code = await new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => { ws.close(); resolve(101); });
          ws.on('error', () => resolve(-1));
        });
        expect(code, path).to.equal(403);
      }
    });

    it('shows every node and link of the lab', async function () {
      const drawn = await poll(() => page.evaluate(() => {
        const cy = (globalThis as unknown as PageGlobals).netlabUi.cy;
        const nodes = cy.nodes().map((n) => n.id()).sort();
        return nodes.length ? { nodes, edges: cy.edges().map((e) => `${e.data('source')}-${e.data('target')}`).sort() } : undefined;
      }), 20_000, 'the drawing');
      expect(drawn.nodes).to.deep.equal(['h1', 'h2', 'r1', 'r2', 'r3']);
      expect(drawn.edges).to.deep.equal(['h1-r1', 'h2-r3', 'r1-r2', 'r2-r3', 'r3-r1']);
      await poll(async () => (await page.textContent('#lab-state')) === 'live', 10_000, 'the live pill');
      await shot('1-lab');
    });

    it('opens a terminal on r1 and reads its routes', async function () {
      await clickElement(page, 'r1');
      await page.click('#open-term');
      await poll(async () => /#\s*$/m.test(await screenText(page, 'r1')), 15_000, 'a shell prompt in r1');
      // OSPF converges within seconds of up: r1 learns r2's loopback over r1:eth1.
      await poll(async () => {
        await page.keyboard.type('ip route show 10.0.0.2\n');
        await new Promise((r) => setTimeout(r, 500));
        return /10\.0\.0\.2 .*dev eth1/.test(await screenText(page, 'r1'));
      }, 60_000, 'r1 to route 10.0.0.2 over eth1 (OSPF converged)');
      await page.keyboard.type('clear; ip route\n');
      const routes = await poll(async () => { const t = await screenText(page, 'r1'); return /10\.0\.0\.3 .*proto ospf/.test(t) ? t : ''; }, 10_000, 'ip route to list r3\'s loopback');
      expect(routes).to.match(/10\.0\.0\.2 .*proto ospf/);
      await shot('2-terminal');
    });

    it('opens terminals on several nodes at once, each its own shell', async function () {
      for (const node of ['r2', 'h1']) {
        await clickElement(page, node);
        await poll(async () => (await page.textContent('#card h2'))?.startsWith(node) ?? false, 5000, `the card of ${node}`);
        await page.click('#open-term');
        await poll(async () => /#\s*$/m.test(await screenText(page, node)), 15_000, `a shell prompt in ${node}`);
      }
      expect(await page.$$eval('.term', (ts) => ts.map((t) => (t as unknown as { dataset: Record<string, string> }).dataset.node))).to.deep.equal(['r1', 'r2', 'h1']);
      await page.click('.term[data-node="h1"] .screen');
      await page.keyboard.type('hostname\n');
      await poll(async () => /^h1$/m.test(await screenText(page, 'h1')), 10_000, 'hostname to print h1 in h1\'s terminal');
      expect(await screenText(page, 'r2'), 'what is typed in h1 stays out of r2').to.not.match(/^h1$/m);
      for (const node of ['h1', 'r2']) await page.click(`.term[data-node="${node}"] .close`);
      expect(await page.$$eval('.term', (ts) => ts.length)).to.equal(1);
    });

    it('copies from a terminal and pastes into it', async function () {
      await context!.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
      await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { writeText(s: string): Promise<void> } } }).navigator.clipboard.writeText('echo pasted-$((6*7))'));
      await page.click('.term[data-node="r1"] .paste');
      await page.click('.term[data-node="r1"] .screen');
      await page.keyboard.press('Enter');
      await poll(async () => /^pasted-42$/m.test(await screenText(page, 'r1')), 10_000, 'the pasted command to run in r1');
      await page.evaluate(() => {
        const t = (globalThis as unknown as { netlabUi: { terminals: { open: { node: string; term: { selectAll(): void } }[] } } }).netlabUi.terminals.open.find((x) => x.node === 'r1')!;
        t.term.selectAll();
      });
      await page.click('.term[data-node="r1"] .copy');
      const copied = await poll(() => page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()).then((x) => (x.includes('pasted-42') ? x : '')), 5000, 'the selection in the clipboard');
      expect(copied).to.match(/^pasted-42$/m);
    });

    it('shows a link\'s interfaces and addresses when the mouse is over it', async function () {
      const p = await page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.graph.screenPoint('L0'));
      await page.mouse.move(p!.x, p!.y);
      const tip = await poll(async () => (await page.isVisible('#tooltip')) && await page.textContent('#tooltip'), 5000, 'the tooltip of L0');
      const r1 = lab!.topology.nodes.find((n) => n.name === 'r1')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!;
      const r2 = lab!.topology.nodes.find((n) => n.name === 'r2')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!;
      expect(tip).to.contain('r1:eth1').and.contain(r1.split('/')[0]).and.contain('r2:eth1').and.contain(r2.split('/')[0]);
      await page.mouse.move(5, 5);
    });

    it('cuts r1:eth1 from the page: the link turns red and the route moves in the terminal', async function () {
      await clickElement(page, 'L0');
      await poll(async () => (await page.textContent('#card h2'))?.includes('r1:eth1') ?? false, 5000, 'the card of r1:eth1 — r2:eth1');
      await page.click('#cut');
      const colour = await poll(() => page.evaluate(() => {
        const e = (globalThis as unknown as PageGlobals).netlabUi.cy.getElementById('L0');
        return e.hasClass('down') ? e.style('line-color') : '';
      }), 10_000, 'link L0 to be drawn as down');
      expect(colour).to.equal('rgb(214,69,69)');
      expect(await lab!.link('r1:eth1').show()).to.have.nested.property('state.adminUp', false);
      await page.click('.term .screen');
      await poll(async () => {
        await page.keyboard.type('clear; ip route show 10.0.0.2\n');
        await new Promise((r) => setTimeout(r, 500));
        return /10\.0\.0\.2 .*dev eth2/.test(await screenText(page, 'r1'));
      }, 30_000, 'r1 to route 10.0.0.2 over eth2 (via r3) after the cut');
      await shot('3-cut');
      await clickElement(page, 'L0');
      await page.click('#restore');
      await poll(() => page.evaluate(() => !(globalThis as unknown as PageGlobals).netlabUi.cy.getElementById('L0').hasClass('down')), 10_000, 'link L0 up again');
      expect(await lab!.link('r1:eth1').show(), 'the kernel has r1:eth1 up again').to.have.nested.property('state.adminUp', true);
    });

    it('sets a rate on h1–r1 from the page, and the counter shows traffic held to it', async function () {
      await clickElement(page, 'L3');
      await poll(async () => (await page.textContent('#card h2'))?.includes('h1:eth1') ?? false, 5000, 'the card of h1:eth1 — r1:eth3');
      await page.fill('#s-rate', '1mbit');
      await page.click('#apply');
      await poll(async () => (await page.textContent('#shaping'))?.includes('rate 1Mbit') ?? false, 10_000, 'the card to show rate 1Mbit');
      // 5 Mbit/s of UDP from h1 to h2 through the 1 Mbit/s egress of h1:eth1.
      const h2 = lab!.topology.nodes.find((n) => n.name === 'h2')!.interfaces[0]!.ipv4!.split('/')[0]!;
      const serverDone = lab!.exec('h2', ['iperf3', '-s', '-1'], { timeoutMs: 60_000 });
      const client = poll(async () => {
        const r = await lab!.exec('h1', ['iperf3', '-c', h2, '-u', '-b', '5M', '-l', '1200', '-t', '8'], { timeoutMs: 30_000 });
        return r.code === 0 ? r : undefined;
      }, 20_000, 'iperf3 to reach h2');
      const seen: number[] = [];
      let drops = 0;
      while (seen.length < 40) {
        seen.push(bps((await page.textContent('#rate-ab')) ?? ''));
        drops = Math.max(drops, Number.parseFloat((await page.textContent('#drops')) ?? '0') || 0);
        if (seen.filter((x) => x > 100_000).length >= 4) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await shot('4-rate');
      await client;
      await serverDone;
      const busy = seen.filter((x) => x > 100_000);
      expect(busy.length, `rates seen: ${seen.join(', ')}`).to.be.at.least(3);
      expect(Math.max(...busy), `rates seen: ${seen.join(', ')}`).to.be.at.most(1_100_000).and.at.least(600_000);
      expect(drops, 'the shaper drops what is above the rate').to.be.greaterThan(0);
      await page.click('#clear');
      await poll(async () => (await page.textContent('#shaping'))?.trim() === 'none', 10_000, 'the shaping to be cleared');
    });

    it('downloads a capture of a link that tcpdump reads', async function () {
      await clickElement(page, 'L0');
      await poll(async () => (await page.textContent('#card h2'))?.includes('r1:eth1') ?? false, 5000, 'the card of r1:eth1 — r2:eth1');
      await page.fill('#cap-s', '4');
      const download = page.waitForEvent('download', { timeout: 20_000 });
      await page.click('#capture');
      const d = await download; // the server answers once the capture runs (lab.capture's ready)
      const r2 = lab!.topology.nodes.find((n) => n.name === 'r2')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!.split('/')[0]!;
      const ping = await lab!.exec('r1', ['ping', '-c', '3', '-i', '0.3', r2], { timeoutMs: 10_000 });
      expect(ping.code, ping.stderr).to.equal(0);
      expect(d.suggestedFilename()).to.equal(`${LAB}-L0.pcapng`);
      await expectEchoRequests(d, 'capture-L0.pcapng', r2);
    });

    it('lists the packets of a link live while a ping crosses it, stops, and the pcapng downloads', async function () {
      await clickElement(page, 'L0');
      await poll(async () => (await page.textContent('#card h2'))?.includes('r1:eth1') ?? false, 5000, 'the card of r1:eth1 — r2:eth1');
      await page.click('#live-capture');
      await poll(() => page.isVisible('#packet-rows'), 15_000, 'the packet list to show');
      const r1 = lab!.topology.nodes.find((n) => n.name === 'r1')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!.split('/')[0]!;
      const r2 = lab!.topology.nodes.find((n) => n.name === 'r2')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!.split('/')[0]!;
      const ping = await lab!.exec('r1', ['ping', '-c', '3', '-i', '0.3', r2], { timeoutMs: 10_000 });
      expect(ping.code, ping.stderr).to.equal(0);
      const rows = await poll(async () => {
        const all = await page.$$eval('#packet-rows tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
        const icmp = all.filter((r) => r[5] === 'ICMP');
        return icmp.filter((r) => r[7]?.startsWith('echo reply')).length >= 3 ? icmp : undefined;
      }, 15_000, 'three ICMP echo replies in the packet list');
      // columns: no., time, interface, source, destination, protocol, length, info
      const requests = rows.filter((r) => r[7]?.startsWith('echo request'));
      expect(requests.length).to.be.at.least(3);
      for (const r of requests) expect([r[2], r[3], r[4], Number(r[6])]).to.deep.equal(['r1:eth1', r1, r2, 98]);
      for (const r of rows.filter((x) => x[7]?.startsWith('echo reply'))) expect([r[3], r[4]]).to.deep.equal([r2, r1]);
      await page.click('#dock-tabs button[data-tab="packets"]');
      await shot('5-packets');
      await page.click('#packet-stop');
      await poll(async () => (await page.textContent('#packet-status'))?.includes('stopped') ?? false, 10_000, 'the capture to stop');
      const download = page.waitForEvent('download', { timeout: 10_000 });
      await page.click('#packet-download');
      await expectEchoRequests(await download, 'live-L0.pcapng', r2);
    });

    it('keeps the packet list bounded under a flood: rows per second capped, the rest counted and saved', async function () {
      await clickElement(page, 'L0');
      await poll(async () => (await page.textContent('#card h2'))?.includes('r1:eth1') ?? false, 5000, 'the card of r1:eth1 — r2:eth1');
      await page.fill('#cap-filter', 'udp');
      await page.click('#live-capture');
      const live = (): Promise<{ id: string; state: string; packets: number; shown: number; notShown: number; notInFile: number }[]> =>
        page.evaluate(() => (globalThis as unknown as { netlabUi: { packets: { list(): { id: string; state: string; packets: number; shown: number; notShown: number; notInFile: number }[] } } }).netlabUi.packets.list());
      const id = await poll(async () => { const c = (await live())[0]; return c && c.state === 'running' && c.id !== 'c1' ? c.id : ''; }, 15_000, 'a second live capture');
      const rss0 = process.memoryUsage().rss;
      // 20 Mbit/s of 100-byte UDP datagrams: ~25,000 packets/s for 3 s.
      const r2 = lab!.topology.nodes.find((n) => n.name === 'r2')!.interfaces.find((i) => i.name === 'eth1')!.ipv4!.split('/')[0]!;
      const serverDone = lab!.exec('r2', ['iperf3', '-s', '-1'], { timeoutMs: 60_000 });
      await poll(async () => {
        const r = await lab!.exec('r1', ['iperf3', '-c', r2, '-u', '-b', '20M', '-l', '100', '-t', '3'], { timeoutMs: 30_000 });
        return r.code === 0 ? r : undefined;
      }, 20_000, 'iperf3 to reach r2');
      await serverDone;
      await page.click('#packet-stop');
      const end = await poll(async () => { const c = (await live()).find((x) => x.id === id); return c?.state === 'stopped' ? c : undefined; }, 15_000, 'the flood capture to stop');
      const rows = await page.$$eval('#packet-rows tr', (trs) => trs.length);
      expect(end.packets, JSON.stringify(end)).to.be.greaterThan(20_000);
      expect(end.notShown, 'most packets are counted, not listed').to.be.greaterThan(end.packets / 2);
      expect(end.shown + end.notShown).to.equal(end.packets);
      expect(rows, 'the page keeps at most 2,000 rows').to.be.at.most(2000);
      expect(end.notInFile, 'a few MB fit in the file').to.equal(0);
      expect(process.memoryUsage().rss - rss0, 'the server\'s memory does not follow the flood').to.be.below(150 << 20);
    });

    it('runs the lab\'s tests from the page and sees each pass', async function () {
      await page.click('#run-tests');
      const summary = await poll(async () => (await page.isVisible('#test-summary')) && await page.textContent('#test-summary'), 100_000, 'the test run to end');
      const statuses = await page.$$eval('#tests tr[data-index]', (rows) => rows.map((r) => `${r.children[1]?.textContent}: ${(r as unknown as { dataset: Record<string, string> }).dataset.status}`));
      await shot('6-tests');
      expect(statuses).to.have.length(11);
      expect(statuses.filter((s) => !s.endsWith(': pass')), String(summary)).to.deep.equal([]);
    });

    it('draws a paused node as paused, and as running once resumed', async function () {
      const paused = (): Promise<boolean> => page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.cy.getElementById('h2').hasClass('paused'));
      await lab!.pause('h2');
      try {
        await poll(paused, 10_000, 'h2 drawn as paused');
      } finally {
        await lab!.resume('h2');
      }
      await poll(async () => !(await paused()), 10_000, 'h2 drawn as running again');
    });

    it('keeps a dragged node where it was dropped, for this lab, also after a reload', async function () {
      const from = await page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.graph.screenPoint('h2'));
      const before = await page.evaluate(() => ({ ...(globalThis as unknown as { netlabUi: { cy: { getElementById(id: string): { position(): { x: number; y: number } } } } }).netlabUi.cy.getElementById('h2').position() }));
      await page.mouse.move(from!.x, from!.y);
      await page.mouse.down();
      for (let i = 1; i <= 8; i++) await page.mouse.move(from!.x + 10 * i, from!.y - 6 * i);
      await page.mouse.up();
      const saved = await poll(async () => { const p = Lab.open(LAB).positions().h2; return p && (p.x !== before.x || p.y !== before.y) ? p : undefined; }, 10_000, 'h2\'s new position saved with the lab');
      await page.reload();
      const after = await poll(() => page.evaluate(() => {
        const cy = (globalThis as unknown as { netlabUi: { cy: { nodes(): { length: number }; getElementById(id: string): { position(): { x: number; y: number } } } } }).netlabUi.cy;
        return cy.nodes().length === 5 ? { ...cy.getElementById('h2').position() } : undefined;
      }), 20_000, 'the drawing after the reload');
      expect(after.x).to.be.closeTo(saved.x, 0.5);
      expect(after.y).to.be.closeTo(saved.y, 0.5);
    });

        it('says so when the lab goes down, and keeps showing it', async function () {
      await lab!.down();
      lab = undefined;
      await poll(async () => (await page.textContent('#lab-state')) === 'not running', 10_000, 'the page to say the lab is not running');
      expect(await page.textContent('#banner')).to.contain(`lab ${LAB}: is not running`);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.cy.nodes().length)).to.equal(5);
      await clickElement(page, 'L0');
      expect(await page.isDisabled('#cut'), 'actions are off while the lab is down').to.equal(true);
      await shot('7-gone');
    });
  });
});
