/**
 * Debian's chromium for the browser tests (playwright-core drives it and
 * downloads nothing), and a poll for what a page shows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium with the flags of a quiet, private, headless run (no GPU, no network of its own); `dir` is its profile, to remove after. */
export async function launchChromium(): Promise<{ context: BrowserContext; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 880 },
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { context, dir };
}

/** Polls `probe` every 200 ms until it returns something truthy; fails with `what` and the last value after `ms`. */
export async function poll<T>(probe: () => Promise<T> | T, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
