// The dashboard (issue 6): removing a library while a scan of it runs. DELETE
// /api/libraries/{id} refuses then (409 with the scan's id, nothing removed); the page asks
// whether to cancel that scan first, and on yes cancels it, waits for it to end, removes the
// library and says what it did. No job of the scan is left pending or running. On no, nothing
// changes and the scan goes on. Real `scanhub serve`, real generated library, Debian's
// headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { api, assertNoConsoleErrors, barValues, makeLibrary, phaseBar, serve, until, tearDown } from './support/dashboard.mjs';

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-remove-'));
  library = makeLibrary(join(dir, 'library'), { tracks: 200, seed: 9 });
  // 500 ms per directory: some 10 s of scanning, time enough to try removing mid-scan.
  server = await serve(dir, { delayMs: 500, args: ['--library', library.path] });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

test('remove a library mid-scan: the page cancels the scan first, then removes it', { timeout: 60000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  const row = page.locator('li.library').first();
  await row.waitFor();
  const [{ id: libraryId, name }] = (await api(server, 'GET', '/api/libraries')).body;

  await row.getByRole('button', { name: /^Scan / }).click();
  const article = page.locator('article.scan').first();
  await article.waitFor();
  const scanId = await article.getAttribute('data-scan-id');
  await until(async () => (await barValues(phaseBar(page, scanId, 'scanning'))).now >= 1, 'the scan is scanning', 20000);
  await until(async () => /scan \d+ running/.test(await row.locator('.library-meta').textContent()),
              'the row says a scan is running');

  // The API refuses with the scan's id; nothing is removed.
  const refused = await api(server, 'DELETE', `/api/libraries/${libraryId}`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error, `scan ${scanId} is scanning this library: cancel it first`);
  assert.equal(refused.body.scanId, scanId);

  // "No" on the page: nothing changes, the scan goes on.
  let question = null;
  page.once('dialog', (dialog) => { question = dialog.message(); dialog.dismiss(); });
  await row.getByRole('button', { name: /^Remove / }).click();
  await until(async () => question !== null, 'the page asks first');
  assert.match(question, new RegExp(`^Scan ${scanId} is scanning "${name}" now\\. Cancel that scan and remove the library\\?`));
  assert.equal((await api(server, 'GET', '/api/libraries')).body.length, 1);
  assert.equal((await api(server, 'GET', `/api/scans/${scanId}`)).body.status, 'scanning');

  // "Yes": cancelled, then removed, and the page says so.
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: /^Remove / }).click();
  const message = page.locator('#library-message');
  await until(async () => (await message.textContent()) === `Cancelled scan ${scanId} and removed ${name}.`,
              'the page says it cancelled and removed', 20000);
  assert.equal(await message.evaluate((el) => el.classList.contains('error')), false);
  await page.getByText('No library yet').waitFor();
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=cancelled]`).waitFor();
  assert.equal(await article.locator('.headline').textContent(), 'Scan cancelled');
  assert.deepEqual((await api(server, 'GET', '/api/libraries')).body, []);
  // The scan went with its library (its row is deleted with it): its id names nothing now.
  assert.equal((await api(server, 'GET', `/api/scans/${scanId}`)).status, 404);

  // No orphan jobs: none of the scan's jobs is still waiting or running.
  for (const status of ['pending', 'processing']) {
    const jobs = (await api(server, 'GET', `/api/jobs?status=${status}&limit=500`)).body;
    const left = jobs.filter((j) => String(j.scanId) === scanId);
    assert.deepEqual(left.map((j) => `${j.type} ${j.status}`), [], `no ${status} job of scan ${scanId}`);
  }
  // The server is fine afterwards: a new library can be added and scanned.
  const again = await api(server, 'POST', '/api/libraries', { path: library.path, type: 'music' });
  assert.equal(again.status, 201);
  assert.match(again.body.scanId, /^\d+$/);
  await saveScreenshot(page, 'dashboard-removed-mid-scan');

  assertNoConsoleErrors(problems);
  await page.close();
});
