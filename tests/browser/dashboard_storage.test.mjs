// The dashboard when the disk under the database fills (issue 14): a banner says that scans
// are paused and why (the server's reason from GET /healthz: the disk holding the database is
// full), and the running scan shows the reason as its last error; once space returns the
// banner goes away and the scan completes by itself. Real `scanhub serve` with its database on
// a small tmpfs (mounting needs root, as CI runs; support/tmpfs.mjs), real generated library,
// Debian's headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillDisk, mountTmpfs, unmountAll } from '../e2e/support/tmpfs.mjs';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { api, assertNoConsoleErrors, makeLibrary, serve, until } from './support/dashboard.mjs';

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-storage-'));
  library = makeLibrary(join(dir, 'library'), { tracks: 800, seed: 9 });
  const data = join(dir, 'data');
  mountTmpfs(data, '16m');
  // Only the database runs out of space; the asset cache beside it lives on the ordinary disk.
  mkdirSync(join(dir, 'cache'));
  symlinkSync(join(dir, 'cache'), join(data, 'cache'));
  server = await serve(data, { delayMs: 0, args: ['--library', library.path, '--no-embeddings'] });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  unmountAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a full disk shows a banner with the reason, and the scan completes once space returns', { timeout: 150000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  const banner = page.locator('#storage');
  assert.equal(await banner.isHidden(), true, 'no banner while the database can be written');

  const filler = fillDisk(join(dir, 'data'), 64 * 1024);
  await page.getByRole('button', { name: 'Scan all music' }).click();
  const scan = page.locator('article.scan').first();
  await scan.waitFor();
  const scanId = await scan.getAttribute('data-scan-id');

  await banner.waitFor({ state: 'visible', timeout: 30000 });
  assert.equal(await banner.getAttribute('data-storage'), 'paused');
  assert.match(await banner.textContent(),
               /Scans are paused\.\s+The disk holding the database .*scanhub\.db is full.*They go on by themselves once it can be written again/s);
  await until(async () => /is full/.test(await scan.locator('.last-error').textContent()),
              'the scan shows the reason as its last error', 15000);
  assert.notEqual(await scan.getAttribute('data-status'), 'failed', 'paused, not failed');
  await saveScreenshot(page, 'dashboard-storage-paused');

  rmSync(filler);
  await banner.waitFor({ state: 'hidden', timeout: 60000 });
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`).waitFor({ timeout: 60000 });
  const stored = (await api(server, 'GET', `/api/scans/${scanId}`)).body;
  assert.equal(stored.status, 'completed');
  assert.equal(stored.tracksNew, library.manifest.tracks.length, 'each track once');
  assert.equal(stored.directoriesScanned, library.manifest.directoriesWithAudio);
  await saveScreenshot(page, 'dashboard-storage-resumed');

  // Chromium logs each 503 from /healthz; nothing else may be wrong on the page.
  assertNoConsoleErrors(problems, [/status of 503/]);
  await page.close();
});
