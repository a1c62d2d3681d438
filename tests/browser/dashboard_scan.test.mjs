// The dashboard (issue 6) in Debian's headless Chromium against a real `scanhub serve` with its
// embedded page: a person adds a library with the keyboard (a bad path first: a clear error),
// the scan it starts is watched phase by phase, the page is reloaded mid-scan and shows the
// scan again at once at its current counts, and the summary matches the generated library's
// manifest. Also: dark mode and phone width render without horizontal scrolling, and counts
// carry the locale's thousands separators.
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
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-'));
  // 21 directories at 300 ms each on one worker: about 6 s of scanning to watch and reload in.
  library = makeLibrary(join(dir, 'library'), { tracks: 200, seed: 5 });
  server = await serve(dir, { delayMs: 300 });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

test('add a library with the keyboard, watch its scan live, reload mid-scan, see the summary', { timeout: 90000 }, async () => {
  const { manifest } = library;
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.getByText('No library yet').waitFor();

  // Keyboard only: Tab to the folder field, type a path that does not exist, Enter.
  for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.id === 'library-path')); i += 1) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'library-path', 'the folder field is reachable by Tab');
  await page.keyboard.type(join(dir, 'no-such-folder'));
  await page.keyboard.press('Enter');
  const message = page.locator('#library-message');
  await until(async () => /no such directory/.test(await message.textContent()), 'the missing path is explained');
  assert.match(await message.textContent(), new RegExp(`no such directory: ${join(dir, 'no-such-folder')}`));
  assert.equal(await message.getAttribute('role'), 'alert');
  assert.equal((await api(server, 'GET', '/api/libraries')).body.length, 0, 'nothing was added');

  // The right path, still by keyboard: the field has focus again after the error.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'library-path', 'focus returns to the field');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(library.path);
  await page.keyboard.press('Enter');
  const scan = page.locator('article.scan[data-status]');
  await scan.first().waitFor();
  const scanId = await scan.first().getAttribute('data-scan-id');
  assert.match(scanId, /^\d+$/);
  const stored = await api(server, 'GET', `/api/scans/${scanId}`);
  assert.equal(stored.body.trigger, 'library-added', 'a library added through the API is scanned with trigger library-added');

  // The scanning bar advances: total = the directories holding audio, done grows.
  const bar = phaseBar(page, scanId, 'scanning');
  const first = await until(async () => {
    const v = await barValues(bar);
    return v.now >= 1 && v.now < v.max ? v : null;
  }, 'the scanning bar starts moving', 20000);
  assert.equal(first.max, manifest.directoriesWithAudio);
  await until(async () => (await barValues(bar)).now > first.now, 'the scanning bar advances');
  assert.match(await bar.getAttribute('aria-valuetext'), new RegExp(`^\\d+ of ${manifest.directoriesWithAudio} directories$`));
  const card = page.locator(`article.scan[data-scan-id="${scanId}"] li.phase[data-phase="scanning"]`);
  assert.equal(await card.getAttribute('data-state'), 'running');
  assert.match(await card.locator('.current').textContent(), /^Now: /, 'the current directory is shown');
  await until(async () => /ETA \d/.test(await card.locator('.eta').textContent()), 'an ETA is shown');
  assert.match(await card.locator('.rate').textContent(), /dirs\/s|dirs\/min/);
  assert.equal(await phaseBar(page, scanId, 'discovering').getAttribute('aria-valuenow'),
               String(manifest.directoriesWithAudio), 'discovering is done with every directory found');
  await until(async () => /^\d+% scanning · scanhub$/.test(await page.title()), 'the tab title shows the progress');
  assert.equal(await page.locator('#scan-announcer').textContent(), `Scan ${scanId}: scanning`,
               'the phase change is announced to screen readers');
  await saveScreenshot(page, 'dashboard-scanning');

  // Reload mid-scan: the scan is back at once (GetActiveScans), at least at its counts before.
  const before = await barValues(bar);
  const reloadedAt = Date.now();
  await page.reload({ waitUntil: 'load' });
  const again = await until(async () => {
    const v = await barValues(phaseBar(page, scanId, 'scanning'));
    return v.now >= before.now ? v : null;
  }, 'the scan is shown again after the reload', 3000);
  const shownAfterMs = Date.now() - reloadedAt;
  assert.ok(again.now < manifest.directoriesWithAudio, `still mid-scan after the reload (${again.now})`);
  assert.equal(again.max, manifest.directoriesWithAudio);
  assert.ok(shownAfterMs < 3000, `shown ${shownAfterMs} ms after the reload`);
  await saveScreenshot(page, 'dashboard-after-reload');

  // The summary matches the manifest.
  const done = page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`);
  await done.waitFor({ timeout: 60000 });
  const field = async (name) => (await done.locator(`.summary [data-field=${name}] strong`).textContent()).trim();
  const number = (text) => Number(text.replace(/[^\d]/g, ''));
  assert.match(await field('tracksFound'), new RegExp(`^${manifest.tracks.length} \\(${manifest.tracks.length} new, 0 updated, 0 removed\\)$`));
  assert.equal(await field('directoriesScanned'), `${manifest.directoriesWithAudio} of ${manifest.directoriesWithAudio}`);
  assert.equal(number(await field('errorsCount')), manifest.errors.length);
  assert.match(await field('duration'), /\d+(\.\d)? s|\d+ min/);
  assert.match(await field('duration'), /discovering .* scanning /, 'per-phase durations');
  assert.equal(await done.locator('.headline').textContent(), 'Scan completed');
  assert.equal(await phaseBar(page, scanId, 'scanning').getAttribute('aria-valuenow'), String(manifest.directoriesWithAudio));
  assert.equal(await done.locator('button', { hasText: 'Cancel scan' }).isHidden(), true, 'no cancel once ended');

  // Errors: the count, the last one, and all of them on request.
  if (manifest.errors.length) {
    assert.match(await done.locator('.error-count').textContent(), new RegExp(`^${manifest.errors.length} errors?:`));
    assert.match(await done.locator('.last-error').textContent(), /^Last error: \S/);
    assert.equal(await done.locator('.errors-link').getAttribute('href'), `/api/scans/${scanId}/errors?limit=1000`);
    await done.locator('.error-list summary').click();
    await until(async () => (await done.locator('.error-list li').count()) === manifest.errors.length, 'every error listed');
  }

  // The library row: its item count and last scan.
  const row = page.locator('li.library').first();
  await until(async () => (await row.locator('.library-count').textContent()) === `${manifest.tracks.length} tracks`,
              'the library shows its track count');
  assert.match(await row.locator('.library-meta').textContent(), /last scan completed/);
  const [listed] = (await api(server, 'GET', '/api/libraries')).body;
  assert.equal(listed.trackCount, manifest.tracks.length);
  assert.equal(listed.lastScan.scanId, scanId);
  assert.equal(listed.lastScan.status, 'completed');
  await saveScreenshot(page, 'dashboard-completed');

  // Thousands separators from the browser's locale.
  const formatted = await page.evaluate(async () => (await import('/js/format.js')).formatCount(1234567));
  assert.equal(formatted, await page.evaluate(() => new Intl.NumberFormat().format(1234567)));
  assert.match(formatted, /^1\D234\D567$/);

  // Dark mode at phone width: no horizontal scrolling, a different background.
  const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 360, height: 800 });
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(dark, light, 'prefers-color-scheme: dark changes the colours');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
            'nothing wider than a 360 px phone');
  await saveScreenshot(page, 'dashboard-phone-dark');

  // Chromium logs the 400 the bad path was answered with; nothing else.
  assertNoConsoleErrors(problems, [/status of 400 \(Bad Request\)/]);
  assert.equal(problems.length, 1, 'exactly the one provoked 400');
  await page.close();
});
