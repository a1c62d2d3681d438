// The dashboard's job queue (issue 6 item 3; seed 003's dashboard): an external job created,
// moved and failed over HTTP by "another program" (this test, from Node) shows on the page
// live: its progress (percentage, message, detail) while it runs, then its error and attempt
// count among the failed jobs, with the queue stats. Real `scanhub serve`, headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { MS, api, assertNoConsoleErrors, barValues, serve, until, tearDown } from './support/dashboard.mjs';

let dir;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-jobs-'));
  server = await serve(dir);
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

test('an external job shows its progress live, then its error and attempts once it failed', { timeout: 60000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.getByText('No job is running.').waitFor();

  const created = await api(server, 'POST', '/api/jobs', { jobType: 'transcode', videoId: 'v-42', maxAttempts: 3 });
  assert.equal(created.status, 201);
  const { jobId } = created.body;
  const row = page.locator(`#active-jobs li.job[data-job-id="${jobId}"]`);
  await row.waitFor();

  const moved = await api(server, 'POST', `/api/jobs/${jobId}/progress`,
    { current: 2, total: 5, percentage: 40, message: 'Encoding 720p', detail: 'segment 2 of 5' });
  assert.equal(moved.status, 200);
  const bar = row.locator('[role=progressbar]');
  await until(async () => (await barValues(bar)).now === 40, 'the job bar shows 40%');
  assert.equal((await barValues(bar)).max, 100);
  await until(async () => (await row.locator('.job-message').textContent()) === 'Encoding 720p', 'the job message');
  assert.equal(await row.locator('.job-percent').textContent(), '40%');
  await until(async () => (await row.locator('.job-detail').count()) === 1, 'the job detail');
  assert.equal(await row.locator('.job-detail').textContent(), 'segment 2 of 5');
  await saveScreenshot(page, 'dashboard-job-running');

  const failed = await api(server, 'POST', `/api/jobs/${jobId}/fail`, { error: 'ffmpeg exited with code 1: no space left on device' });
  assert.equal(failed.status, 200);
  assert.equal(failed.body.status, 'failed');
  const failedRow = page.locator(`#failed-jobs li.job[data-job-id="${jobId}"]`);
  await failedRow.waitFor();
  assert.equal(await failedRow.locator('.job-error').textContent(), 'ffmpeg exited with code 1: no space left on device');
  assert.equal(await failedRow.locator('.job-attempts').textContent(),
               `attempt ${failed.body.attempts} of ${failed.body.maxAttempts}`);
  assert.ok(failed.body.attempts >= 1);
  await row.waitFor({ state: 'detached' });
  await until(async () => (await page.locator('[data-stat=failed] .stat-value').textContent()) === '1', 'the failed count');
  const stats = (await api(server, 'GET', '/api/queue/stats')).body;
  assert.equal(stats.failed, 1);
  assert.equal(await page.locator('[data-stat=processing] .stat-value').textContent(), String(stats.processing));
  assert.equal(await page.locator(`#recent-jobs tr[data-job-id="${jobId}"] td.status-failed`).textContent(), 'failed');
  await saveScreenshot(page, 'dashboard-job-failed');

  assertNoConsoleErrors(problems);
  await page.close();
});
