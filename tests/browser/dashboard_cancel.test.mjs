// The dashboard (issue 6): a library registered at start-up is scanned with its own "Scan"
// button, the running scan is cancelled with the page's "Cancel scan" button and ends as
// cancelled (page and API agree), then the library is removed from the page. Real
// `scanhub serve`, real generated library, Debian's headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { MS, api, assertNoConsoleErrors, barValues, makeLibrary, phaseBar, serve, until, tearDown } from './support/dashboard.mjs';

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-cancel-'));
  library = makeLibrary(join(dir, 'library'), { tracks: 200, seed: 7 });
  // 500 ms per directory: the scan runs for about 10 s, so there is time to cancel it.
  server = await serve(dir, { delayMs: 500, args: ['--library', library.path] });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

test('scan one library from its row, cancel the scan, then remove the library', { timeout: 90000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  const row = page.locator('li.library').first();
  await row.waitFor();
  assert.match(await row.locator('.library-path').textContent(), /\/library$/);
  assert.match(await row.locator('.library-meta').textContent(), /never scanned/);

  await row.getByRole('button', { name: /^Scan / }).click();
  const scan = page.locator('article.scan').first();
  await scan.waitFor();
  const scanId = await scan.getAttribute('data-scan-id');
  const stored = await api(server, 'GET', `/api/scans/${scanId}`);
  assert.equal(stored.body.trigger, 'manual');
  assert.deepEqual(stored.body.libraries.map((l) => l.path), [library.path]);

  const bar = phaseBar(page, scanId, 'scanning');
  await until(async () => (await barValues(bar)).now >= 1, 'the scan is in its scanning phase', 20000);
  await saveScreenshot(page, 'dashboard-cancel-running');

  // Keyboard: focus the cancel button and press Enter.
  const cancel = scan.getByRole('button', { name: 'Cancel scan' });
  await cancel.focus();
  await page.keyboard.press('Enter');
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=cancelled]`).waitFor({ timeout: 15000 });
  assert.equal(await scan.locator('.headline').textContent(), 'Scan cancelled');
  assert.equal(await scan.locator('li.phase[data-phase=scanning]').getAttribute('data-state'), 'stopped');
  assert.match(await scan.locator('.summary h4').textContent(), /Cancelled/);
  const scanned = (await barValues(bar)).now;
  assert.ok(scanned < library.manifest.directoriesWithAudio, `stopped part-way (${scanned})`);
  const after_ = await api(server, 'GET', `/api/scans/${scanId}`);
  assert.equal(after_.body.status, 'cancelled');
  assert.ok(after_.body.directoriesScanned <= library.manifest.directoriesWithAudio);
  await until(async () => /last scan cancelled/.test(await row.locator('.library-meta').textContent()),
              'the library row shows the cancelled scan');
  await saveScreenshot(page, 'dashboard-cancelled');

  // Remove the library (the page asks first).
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: /^Remove / }).click();
  await page.getByText('No library yet').waitFor();
  assert.deepEqual((await api(server, 'GET', '/api/libraries')).body, []);
  await saveScreenshot(page, 'dashboard-removed');

  assertNoConsoleErrors(problems);
  await page.close();
});
