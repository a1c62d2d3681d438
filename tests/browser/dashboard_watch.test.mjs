// The dashboard (issue 6) with the file-system watcher on (issue 4): a music library added
// through the page while scanhub serves is watched at once (its row says so), so a track
// copied into it on disk later shows up on the page (a scan with trigger file-system-event,
// the library's track count one higher) without anyone pressing Scan. Once the library is
// removed from the page it is no longer watched: a file added then starts no scan.
// Real `scanhub serve` (watcher on), real generated library, Debian's headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { api, assertNoConsoleErrors, makeLibrary, serve, until, tearDown } from './support/dashboard.mjs';

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-watch-'));
  library = makeLibrary(join(dir, 'music'), { tracks: 30, seed: 11, noBad: true });
  server = await serve(dir, { delayMs: 20, watch: true });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

/** Copies a track of the library to `name` under a new directory, whole (written outside, renamed in). */
function addTrack(directory, name) {
  const source = join(library.path, library.manifest.tracks[0].path);
  const staged = join(dir, `staged${extname(source)}`);
  copyFileSync(source, staged);
  mkdirSync(join(library.path, directory), { recursive: true });
  const target = join(library.path, directory, `${name}${extname(source)}`);
  renameSync(staged, target);
  return target;
}

const ended = (scan) => ['completed', 'failed', 'cancelled'].includes(scan.status);

test('a library added from the page is watched: a new file on disk updates the page on its own', { timeout: 60000 }, async () => {
  const tracks = library.manifest.tracks.length;
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.getByText('No library yet').waitFor();

  await page.getByLabel('Folder').fill(library.path);
  await page.getByRole('button', { name: 'Add and scan' }).click();
  const row = page.locator('li.library').first();
  await until(async () => (await row.locator('.library-count').textContent()) === `${tracks} tracks`,
              'the library-added scan finishes and the row counts the tracks', 30000);
  assert.match(await row.locator('.library-meta').textContent(), /watching for changes/, 'the row says it is watched');
  const [listed] = (await api(server, 'GET', '/api/libraries')).body;
  assert.equal(listed.watched, true);
  const scansBefore = (await api(server, 'GET', '/api/scans')).body;
  assert.equal(scansBefore.length, 1);

  // A new track on disk; nobody presses Scan.
  addTrack('Added Later', 'new track');
  await until(async () => (await row.locator('.library-count').textContent()) === `${tracks + 1} tracks`,
              'the page shows the new track without a click', 20000);
  const scans = (await api(server, 'GET', '/api/scans')).body;
  const watcherScan = scans.find((s) => s.trigger === 'file-system-event');
  assert.ok(watcherScan, `a file-system-event scan ran: ${JSON.stringify(scans.map((s) => s.trigger))}`);
  assert.equal(watcherScan.tracksNew, 1);
  // The page showed that scan too (announced to every /hubs/job-progress connection).
  await page.locator(`article.scan[data-scan-id="${watcherScan.scanId}"][data-status=completed]`)
    .waitFor({ timeout: 10000 });
  await saveScreenshot(page, 'dashboard-watch-new-file');

  // Removed from the page: no longer watched, a later file starts nothing.
  page.once('dialog', (dialog) => dialog.accept());
  await row.getByRole('button', { name: /^Remove / }).click();
  await page.getByText('No library yet').waitFor();
  // The library's scans went with it: 404, or ended if asked before the removal committed.
  await until(async () => {
    const scan = await api(server, 'GET', `/api/scans/${watcherScan.scanId}`);
    return scan.status === 404 || ended(scan.body);
  }, 'nothing running');
  const count = (await api(server, 'GET', '/api/scans')).body.length;
  addTrack('Added After Removal', 'ignored');
  // The watcher's quiet period is 1 s; three seconds without a new scan means none came.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal((await api(server, 'GET', '/api/scans')).body.length, count, 'no scan of a removed library');
  assert.deepEqual((await api(server, 'GET', '/api/libraries')).body, []);

  assertNoConsoleErrors(problems);
  await page.close();
});
