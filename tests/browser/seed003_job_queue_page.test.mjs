// Seed 003's frontend on scanhub's /ws: fixtures/job-queue.html (useJobProgress, JobProgressBar
// and JobQueueDashboard written from the seed's React code as plain JavaScript, and a card per
// scan from seed 002's ScanProgressMessage) in Debian's headless Chromium, served by a real
// `scanhub serve` (--web-root) so page and socket share an origin.
//
// A real music scan runs: every job of the scan (as the database lists them afterwards) appears
// in "Active Jobs" on its job:created and leaves on its job:completed, the scan's scanning bar
// reaches 100% with the database's counts, and the queue stats end at nothing waiting or
// running. Meanwhile another program reports an external job's progress over HTTP (scanhub's
// own scan jobs report none): its JobProgressBar, fed by useJobProgress from job:progress,
// moves through each value to 100%, and the job leaves once completed. Every handler the bars
// added is gone again once their jobs left (the seed's effect cleanups).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { MS, api, assertNoConsoleErrors, makeLibrary, serve, tearDown, until } from './support/dashboard.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-seed003-page-'));
  library = makeLibrary(join(dir, 'music'), { tracks: 120, seed: 21 });
  // Each directory waits 200 ms on one worker: the scan runs a few seconds, jobs one at a time.
  server = await serve(dir, { delayMs: 200, args: ['--web-root', FIXTURES] });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

// Records, as they happen, the rows that enter and leave "Active Jobs" and every width a bar's
// fill takes (observation only: the page is not changed).
function observe() {
  window.__rows = [];
  window.__widths = {};
  const list = document.getElementById('active-jobs');
  const widthOf = (fill) => {
    const row = fill.closest('[data-job-id]');
    if (!row) return;
    (window.__widths[row.dataset.jobId] ||= []).push(fill.style.width);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'childList' && r.target === list) {
        for (const n of r.addedNodes) if (n.dataset?.jobId) window.__rows.push({ id: Number(n.dataset.jobId), what: 'added', at: performance.now() });
        for (const n of r.removedNodes) if (n.dataset?.jobId && !n.isConnected) window.__rows.push({ id: Number(n.dataset.jobId), what: 'removed', at: performance.now() });
      }
      if (r.type === 'childList') for (const n of r.addedNodes) if (n.querySelector) n.querySelectorAll('.fill').forEach(widthOf);
      if (r.type === 'attributes' && r.target.classList.contains('fill')) widthOf(r.target);
    }
  }).observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ['style'] });
}

test('seed 003 job queue page: a scan\'s jobs appear and leave, bars reach 100%', { timeout: 110000 }, async () => {
  const { page, problems } = await openPage(browser, `${server.url}/job-queue.html`);
  await page.locator('#socket-state[data-state=connected]').waitFor();
  await page.getByRole('heading', { name: 'Active Jobs (0)' }).waitFor();
  await page.evaluate(observe);
  const baseline = await page.evaluate(() => ['job:progress', 'job:started', 'job:completed', 'job:failed']
    .map((type) => socket.listenerCount(type)));

  const added = await api(server, 'POST', '/api/libraries', { path: library.path, type: 'music' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const { scanId } = added.body;
  const card = page.locator(`article.scan[data-scan-id="${scanId}"]`);
  await card.waitFor();

  // Another program's job, reported over HTTP while the scan runs.
  await until(async () => (await page.locator('#active-jobs [data-job-type=directory-scan]').count()) > 0, 'the scan\'s jobs are listed');
  await saveScreenshot(page, 'seed003-job-queue-scanning');
  const created = await api(server, 'POST', '/api/jobs', { jobType: 'transcode', videoId: 'v-7', status: 'pending' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { jobId } = created.body;
  const row = page.locator(`#active-jobs [data-job-id="${jobId}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'pending');
  assert.match(await row.textContent(), /Waiting to start\.\.\./);
  const steps = [20, 45, 70, 100];
  for (const [i, percentage] of steps.entries()) {
    const moved = await api(server, 'POST', `/api/jobs/${jobId}/progress`,
      { current: i + 1, total: steps.length, percentage, message: `Encoding pass ${i + 1}`, detail: `segment ${i + 1} of ${steps.length}` });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await until(async () => (await row.locator('.percentage').textContent().catch(() => '')) === `${percentage}%`, `the bar at ${percentage}%`);
    assert.equal(await row.locator('.message').textContent(), `#${jobId} transcode: Encoding pass ${i + 1}`);
    assert.equal(await row.locator('.detail').textContent(), `segment ${i + 1} of ${steps.length}`);
  }
  assert.equal(await row.getAttribute('data-status'), 'processing');
  const shown = await page.locator('#active-jobs').textContent();
  assert.doesNotMatch(shown, /\bnull\b|undefined|NaN/, 'every row reads as words and numbers');
  assert.equal(await row.locator('.fill').evaluate((fill) => fill.style.width), '100%');
  await until(async () => {
    const box = await row.locator('.progress-bar').boundingBox();
    const fill = await row.locator('.fill').boundingBox();
    return box && fill && Math.abs(box.width - fill.width) < 1;
  }, 'the bar drawn full');
  await saveScreenshot(page, 'seed003-job-queue-progress-100');
  const completed = await api(server, 'POST', `/api/jobs/${jobId}/complete`, {});
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  await row.waitFor({ state: 'detached' });

  // The scan ends: its card says completed with the scanning bar full, and no job is left.
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-phase=completed]`).waitFor({ timeout: 60000 });
  await until(async () => (await api(server, 'GET', '/api/queue/stats')).body.pending === 0
    && (await api(server, 'GET', '/api/queue/stats')).body.processing === 0, 'the queue is idle', 30000);
  await page.getByRole('heading', { name: 'Active Jobs (0)' }).waitFor();
  await until(async () => (await page.locator('#queue-stats').textContent()).includes('pending 0processing 0'), 'queue:stats shows an idle queue');
  await page.locator('#active-jobs [data-job-id]').first().waitFor({ state: 'detached' });

  const scan = (await api(server, 'GET', `/api/scans/${scanId}`)).body;
  assert.equal(scan.status, 'completed');
  assert.equal(scan.tracksFound, library.manifest.tracks.length);
  const scanning = card.locator('.phase[data-phase=scanning]');
  assert.equal(await scanning.locator('.pct').textContent(), '100%');
  assert.equal(await scanning.locator('.fill').evaluate((fill) => fill.style.width), '100%');
  assert.equal(await scanning.getAttribute('title'), `${scan.directoriesScanned} / ${scan.directoriesTotal}`);
  assert.equal(await card.locator('.scan-stats').getAttribute('data-tracks-found'), String(scan.tracksFound));
  assert.equal(await card.locator('h3').textContent(), `Library scan: "${added.body.name ?? 'music'}"`);

  // Every job of the scan came and went, in that order.
  const jobs = (await api(server, 'GET', '/api/jobs?status=all&limit=500')).body.filter((j) => j.scanId === Number(scanId));
  assert.ok(jobs.length >= scan.directoriesTotal + 1, `the scan's jobs: ${jobs.length} for ${scan.directoriesTotal} directories`);
  const rows = await page.evaluate(() => window.__rows);
  for (const job of jobs) {
    const mine = rows.filter((r) => r.id === job.jobId).map((r) => r.what);
    assert.deepEqual(mine, ['added', 'removed'], `job ${job.jobId} (${job.type}, ${job.status}) appeared once and left`);
  }
  assert.deepEqual(rows.filter((r) => r.id === jobId).map((r) => r.what), ['added', 'removed'], 'the external job came and went');

  // Its bar took each reported value, in order, ending full.
  const widths = (await page.evaluate(() => window.__widths))[jobId] || [];
  const distinct = widths.filter((w, i) => i === 0 || w !== widths[i - 1]);
  assert.deepEqual(distinct, ['0%', '20%', '45%', '70%', '100%'], `the bar's widths: ${widths.join(' ')}`);

  // The bars' subscriptions went with them.
  const left = await page.evaluate(() => ['job:progress', 'job:started', 'job:completed', 'job:failed']
    .map((type) => socket.listenerCount(type)));
  assert.deepEqual(left, baseline, 'no handler of a removed bar is left subscribed');

  await saveScreenshot(page, 'seed003-job-queue-done');
  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreenshot(page, 'seed003-job-queue-done-dark');
  assertNoConsoleErrors(problems);
  await page.close();
});
