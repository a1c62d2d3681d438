// The dashboard (issue 6) with a movie library (seed 002's four phases): a person adds a
// library made by `make-library --movies` through the page's form, its scan runs, the caching
// card's bar advances to every asset and its counts (found, cached, failed) match the
// manifest, the enriching card says it had nothing to do (no enricher for movie libraries),
// "Library is ready to use!" shows once scanning is done, and the summary gives the movies,
// assets and every phase's duration. Screenshots at desktop and phone width, light and dark.
// Real `scanhub serve`, real generated library, Debian's headless Chromium.
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
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-movies-'));
  library = makeLibrary(join(dir, 'movies'), { movies: 20, seed: 4 });
  // About 23 directories at 200 ms each on one worker: some 5 s of scanning.
  server = await serve(dir, { delayMs: 200 });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

test('add a movie library from the page, watch caching advance, see the summary match the manifest', { timeout: 60000 }, async () => {
  const { totals } = library.manifest;
  assert.ok(totals.assets > 0 && totals.movies === 20, 'the generated library has assets to cache');
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.getByText('No library yet').waitFor();

  // Every value the caching bar shows, with its card's state, as the page renders it.
  await page.evaluate(() => {
    window.cachingSeen = [];
    new MutationObserver(() => {
      const bar = document.querySelector('li.phase[data-phase=caching] [role=progressbar]');
      if (!bar || !bar.hasAttribute('aria-valuenow')) return;
      const entry = { now: Number(bar.getAttribute('aria-valuenow')), max: Number(bar.getAttribute('aria-valuemax')),
        state: bar.closest('li.phase').dataset.state };
      const last = window.cachingSeen.at(-1);
      if (!last || last.now !== entry.now || last.max !== entry.max || last.state !== entry.state) window.cachingSeen.push(entry);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });

  await page.getByLabel('Folder').fill(library.path);
  await page.getByLabel('Type').selectOption('movie');
  await page.getByRole('button', { name: 'Add and scan' }).click();
  const article = page.locator('article.scan').first();
  await article.waitFor();
  const scanId = await article.getAttribute('data-scan-id');
  const card = (phase) => article.locator(`li.phase[data-phase=${phase}]`);

  // Scanning: movies, not tracks, are counted.
  await until(async () => (await card('scanning').getAttribute('data-state')) === 'running', 'scanning runs', 20000);
  await until(async () => /\d+ movies? found/.test(await card('scanning').locator('.details').textContent()),
              'the scanning card counts movies');
  assert.doesNotMatch(await card('scanning').locator('.details').textContent(), /track/, 'no tracks in a movie library');
  assert.match(await article.locator('.headline').textContent(), /^Scanning… \d+% \(step 2 of 4\)/);
  await until(async () => /^running alongside scanning$/.test(await card('caching').locator('.phase-state').textContent()),
              'caching runs beside scanning and the card says so');
  await saveScreenshot(page, 'dashboard-movies-scanning');

  // Ready once scanning is done; completed at last.
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`).waitFor({ timeout: 40000 });
  assert.equal(await article.locator('.note strong').textContent(), 'Library is ready to use! ');
  assert.equal(await article.locator('.note').isVisible(), true);

  // Caching: the bar went up to every asset of the manifest, never backwards.
  const seen = await page.evaluate(() => window.cachingSeen);
  const shown = seen.filter((e) => e.state === 'running' || e.state === 'done');
  assert.ok(shown.length >= 1, `the caching bar was shown running or done: ${JSON.stringify(seen)}`);
  for (let i = 1; i < shown.length; i += 1) assert.ok(shown[i].now >= shown[i - 1].now, `never backwards: ${JSON.stringify(shown)}`);
  // Cache jobs run beside the directory scans that queue them: the card shows them running then.
  const advancing = new Set(seen.filter((e) => e.state === 'running').map((e) => e.now));
  assert.ok(advancing.size >= 2, `the running caching bar advanced: ${JSON.stringify(seen)}`);
  assert.deepEqual(await barValues(phaseBar(page, scanId, 'caching')), { now: totals.assets, max: totals.assets });
  assert.equal(await card('caching').getAttribute('data-state'), 'done');
  assert.equal(await card('caching').locator('.details').textContent(),
               `${totals.assets} assets found · ${totals.assets} cached · 0 failed`);
  assert.match(await card('caching').locator('.eta').textContent(), /^done .+ after scanning$/);

  // Enriching: nothing to do, and the card says why.
  assert.equal(await card('enriching').getAttribute('data-state'), 'skipped');
  assert.equal(await card('enriching').locator('.phase-state').textContent(), 'skipped');
  assert.equal(await card('enriching').locator('.count').textContent(), 'None: no enricher for movie libraries');

  // The summary matches the manifest and gives every phase's duration.
  const field = async (name) => (await article.locator(`.summary [data-field=${name}] strong`).textContent()).trim();
  assert.equal(await field('moviesFound'), `${totals.movies} (${totals.movies} new, 0 updated)`);
  assert.equal(await field('assetsCached'), `${totals.assets} of ${totals.assets}`);
  assert.equal(await field('directoriesScanned'), `${totals.directories} of ${totals.directories}`);
  assert.equal(Number(await field('errorsCount')), totals.errors);
  assert.equal(await article.locator('.summary [data-field=tracksFound]').count(), 0, 'no track row for movies');
  const took = '(?:under )?[\\d.]+ (?:s|min)(?: [\\d.]+ s)?';
  assert.match(await field('duration'),
               new RegExp(`^${took} \\(discovering ${took}, scanning ${took}, caching assets ${took}, enriching: none\\)$`));
  const stored = (await api(server, 'GET', `/api/scans/${scanId}`)).body;
  assert.equal(stored.moviesFound, totals.movies);
  assert.equal(stored.assetsCached, totals.assets);
  assert.equal(stored.assetsFailed, 0);

  // The library row counts movies.
  const row = page.locator('li.library').first();
  await until(async () => (await row.locator('.library-count').textContent()) === `${totals.movies} movies`,
              'the library row shows its movie count');

  // Desktop light and dark, phone light and dark: readable, nothing wider than the screen.
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    for (const scheme of ['light', 'dark']) {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme: scheme });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
                `nothing wider than ${width} px (${scheme})`);
      await saveScreenshot(page, `dashboard-movies-${width}-${scheme}`);
    }
  }
  assertNoConsoleErrors(problems);
  await page.close();
});
