/**
 * netlab ui's teacher's view in a real browser (issue 19; docs/ui.md, "For
 * the teacher"): a real user (useradd, subordinate ids) runs a small lab
 * without root; root's `netlab ui --all-users` page lists it with its owner,
 * draws its nodes and live state, refuses a cut while the lab is read-only,
 * and cuts and restores it once root ticks "act on …'s lab". The user, its
 * ids, keeper and home are removed after the suite, also when it fails.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { teacherBackend } from '../../src/ui/backend.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { CHROMIUM, launchChromium, poll } from '../helpers/chromium.js';
import { leakcheckAround, repoRoot, requireRoot, skip } from '../helpers/kernel.js';
import { netlabBin } from '../helpers/lab.js';
import { addUsers, asUser, removeUsers, usernsForbidden } from '../helpers/users.js';

const USER = 'nlt-ui-a';
const LAB = 't-uit';
const KEY = `${USER}/${LAB}`;
const SHOTS = join(repoRoot, 'test-output/ui');
/** Subordinate ids: 65,536 of their own, past the rootless suite's (2013265920 + 3 × 65536). */
const SUB_START = 2_013_265_920 + 8 * 65_536;

interface PageGlobals {
  netlabUi: {
    graph: { screenPoint(id: string): { x: number; y: number } | undefined };
    cy: {
      nodes(): { map<T>(f: (n: { id(): string }) => T): T[] };
      getElementById(id: string): { length: number; hasClass(c: string): boolean };
    };
    state: { live?: { lab: string; nodes: Record<string, { state: string }> } };
  };
}

/** Whether a:eth1 is administratively up in the user's lab (its flags list UP). */
function adminUp(): boolean {
  const r = asUser(USER, ['exec', '--lab', LAB, 'a', '--', 'ip', '-o', 'link', 'show', 'eth1']);
  if (r.code !== 0) throw new Error(`exec as ${USER}: ${r.stderr}`);
  return /[<,]UP[,>]/.test(r.stdout);
}

describe('netlab ui --all-users: the teacher\'s view (real user, real kernel, chromium)', function () {
  this.timeout(300_000);
  after(() => removeUsers([USER])); // before leakcheck compares: the keeper holds namespaces of its own
  leakcheckAround({ labs: [LAB] });
  let work = '';
  let server: UiServer | undefined;
  let context: BrowserContext | undefined;
  let dir = '';
  let page: Page;

  before(async function () {
    requireRoot(this);
    const why = usernsForbidden();
    if (why) skip(this, why);
    if (!existsSync(CHROMIUM)) skip(this, `needs Debian's chromium at ${CHROMIUM} (scripts/install-deps installs it)`);
    if (spawnSync('sh', ['-c', 'command -v newuidmap']).status !== 0) throw new Error('newuidmap is missing: scripts/install-deps installs uidmap');
    removeUsers([USER]); // a previous run killed half-way
    addUsers([USER], SUB_START);
    work = mkdtempSync(join(tmpdir(), 'netlab-uit-'));
    chmodSync(work, 0o755);
    const file = join(work, `${LAB}.yaml`);
    writeFileSync(file, `name: ${LAB}\nnodes: { a: {}, b: {} }\nlinks: [[a:eth1, b:eth1]]\n`);
    chmodSync(file, 0o644);
    const up = asUser(USER, ['up', file]);
    if (up.code !== 0) throw new Error(`netlab up as ${USER} (${netlabBin}): ${up.stderr}`);
    server = await startUiServer({ backend: teacherBackend(), port: 0 });
    ({ context, dir } = await launchChromium());
    page = await context.newPage();
    await page.goto(server.url);
  });
  after(async function () {
    try {
      await context?.close();
      await server?.close();
    } finally {
      asUser(USER, ['down', LAB]);
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (work) rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses --all-users to the user (exit 2): only root sees other users\' labs', function () {
    const r = asUser(USER, ['ui', '--all-users', '--port', '0']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('error: --all-users: only root may see or act on other users\' labs');
  });

  it('lists the user\'s lab with its owner and draws its nodes, running', async function () {
    await page.waitForSelector(`#lab-select option[value="${KEY}"]`, { state: 'attached', timeout: 20_000 });
    expect(await page.textContent(`#lab-select option[value="${KEY}"]`)).to.equal(`${USER}: ${LAB} (read-only)`);
    await page.selectOption('#lab-select', KEY);
    await poll(() => page.evaluate((k) => (globalThis as unknown as PageGlobals).netlabUi.state.live?.lab === k, KEY), 20_000, 'the live state of the user\'s lab');
    const ui = await page.evaluate(() => {
      const g = (globalThis as unknown as PageGlobals).netlabUi;
      return { nodes: g.cy.nodes().map((n) => n.id()).sort(), edge: g.cy.getElementById('L0').length, live: Object.entries(g.state.live?.nodes ?? {}).map(([n, x]) => `${n} ${x.state}`).sort() };
    });
    expect(ui.nodes).to.deep.equal(['a', 'b']);
    expect(ui.edge).to.equal(1);
    expect(ui.live).to.deep.equal(['a running', 'b running']);
    expect(await page.textContent('#owner')).to.equal(`owner ${USER} · read-only`);
  });

  it('refuses a cut from the page while the lab is read-only: the button is off and the server says 403', async function () {
    const p = await page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.graph.screenPoint('L0'));
    await page.mouse.click(p!.x, p!.y);
    await page.waitForSelector('#cut', { timeout: 5000 });
    expect(await page.isDisabled('#cut')).to.equal(true);
    expect(await page.isDisabled('#apply')).to.equal(true);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'teacher-read-only.png') });
    const r = await page.evaluate((k) => fetch(`/api/labs/${encodeURIComponent(k)}/links/L0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"cut"}' })
      .then(async (x) => ({ status: x.status, body: await x.json() as { error: string } })), KEY);
    expect(r.status).to.equal(403);
    expect(r.body.error).to.equal(`lab ${KEY} is ${USER}'s: read-only in the teacher's view`);
    expect(adminUp(), 'a:eth1 is still up in the user\'s lab').to.equal(true);
  });

  it('cuts and restores the user\'s link once root ticks "act on …\'s lab", as the user\'s own netlab', async function () {
    page.once('dialog', (d) => { void d.accept(); });
    await page.check('#act');
    await poll(() => page.isEnabled('#cut'), 5000, 'the cut button to turn on');
    await page.click('#cut');
    await poll(() => !adminUp(), 30_000, 'a:eth1 down in the user\'s lab');
    await poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).netlabUi.cy.getElementById('L0').hasClass('down')), 10_000, 'the link drawn cut');
    await page.click('#restore');
    await poll(() => page.evaluate(() => !(globalThis as unknown as PageGlobals).netlabUi.cy.getElementById('L0').hasClass('down')), 10_000, 'the link drawn up again');
    await page.screenshot({ path: join(SHOTS, 'teacher-acting.png') });
    await poll(() => adminUp(), 30_000, 'a:eth1 up again');
    // The user's own netlab made the change: the user's lab state is the user's, and the user still changes it.
    const again = asUser(USER, ['link', 'down', 'a:eth1', '--lab', LAB]);
    expect(again.code, again.stderr).to.equal(0);
    expect(asUser(USER, ['link', 'up', 'a:eth1', '--lab', LAB]).code).to.equal(0);
  });
});
