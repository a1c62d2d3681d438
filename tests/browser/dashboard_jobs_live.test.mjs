// The dashboard's job section on seed 003's events pushed over /ws (issue 15 item 3): a real
// `scanhub serve` with its embedded page, loaded through a TCP proxy (support/tcp_proxy.mjs) so
// the test can take the socket away, and jobs made by "another program" (this test) over HTTP.
// 1. While the socket is up the section moves on the pushed events alone: an external job's bar
//    takes every reported value and the job's end moves it and the counters, with no request
//    for GET /api/queue for longer than the old 3 s poll.
// 2. When the socket is lost the page says so and falls back to polling: a job created then
//    shows up. With the poll failing too, jobs created, completed and failed meanwhile are
//    all on the page once the socket is back (the snapshot after every reconnect).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { MS, api, assertNoConsoleErrors, barValues, serve, tearDown, until } from './support/dashboard.mjs';
import { startProxy } from './support/tcp_proxy.mjs';

const WS = /^GET \/ws /;
const QUEUE = /^GET \/api\/queue\?/;
// While the test refuses them, Chromium logs the lost socket and requests as errors.
const DOWNTIME_ERRORS = [/net::ERR_(EMPTY_RESPONSE|CONNECTION_RESET|CONNECTION_CLOSED)/, /WebSocket connection to '.*' failed/];

let dir;
let server;
let proxy;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-jobs-live-'));
  server = await serve(dir);
  proxy = await startProxy(server.port);
  browser = await launchChromium();
});

after(async () => {
  await proxy?.close();
  await tearDown({ browser, server, dir });
});

const stat = (page, name) => page.locator(`[data-stat=${name}] .stat-value`).textContent();

test('the job section follows pushed events, and catches up after the socket was lost', { timeout: 100000 }, async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const snapshots = [];
  page.on('request', (request) => { if (new URL(request.url()).pathname === '/api/queue') snapshots.push(Date.now()); });
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.getByText('No job is running.').waitFor();

  // 1. Pushed events alone.
  const snapshotsBefore = snapshots.length;
  const created = await api(server, 'POST', '/api/jobs', { jobType: 'transcode', videoId: 'v-1' });
  assert.equal(created.status, 201);
  const { jobId } = created.body;
  const row = page.locator(`#active-jobs li.job[data-job-id="${jobId}"]`);
  await row.waitFor();
  // The job was listed from its event; the snapshots that fill in its details come at once.
  await until(async () => (await row.locator('.job-status').textContent()).startsWith('processing'), 'the job runs');
  // The event lists the job without its payload, so one snapshot follows (throttled to one a
  // second): wait for it to have come and gone before watching for quiet.
  await until(() => snapshots.length > snapshotsBefore && Date.now() - snapshots.at(-1) > 1500,
              'the snapshot that fills in the job, then none for 1.5 s');
  const quietFrom = Date.now();
  const bar = row.locator('[role=progressbar]');
  for (const percentage of [10, 25, 40, 55, 70, 85, 95]) {
    const moved = await api(server, 'POST', `/api/jobs/${jobId}/progress`, { percentage, message: `Encoding ${percentage}`, detail: 'pass 1' });
    assert.equal(moved.status, 200);
    await until(async () => (await barValues(bar)).now === percentage, `the bar at ${percentage}%`);
    assert.equal(await row.locator('.job-message').textContent(), `Encoding ${percentage}`);
    await new Promise((resolve) => setTimeout(resolve, 600));
  }
  await saveScreenshot(page, 'dashboard-jobs-live-running');
  const completedBefore = Number(await stat(page, 'completed'));
  assert.equal((await api(server, 'POST', `/api/jobs/${jobId}/complete`, {})).status, 200);
  await row.waitFor({ state: 'detached' });
  await until(async () => Number(await stat(page, 'completed')) === completedBefore + 1, 'the completed counter moves');
  assert.equal(await stat(page, 'processing'), '0');
  assert.equal(await page.locator(`#recent-jobs tr[data-job-id="${jobId}"] td.status-completed`).textContent(), 'completed');
  const quietFor = Date.now() - quietFrom;
  assert.ok(quietFor > 3500, `watched for ${quietFor} ms`);
  assert.deepEqual(snapshots.filter((t) => t >= quietFrom), [], `no GET /api/queue in ${quietFor} ms of pushed events`);
  assert.ok(sockets.some((url) => new URL(url).pathname === '/ws'), `the page opened /ws: ${sockets.join(' ')}`);

  // 2. The socket is lost: the page says so and polls.
  proxy.refuse(WS);
  assert.equal(proxy.cut(WS), 1, 'the page had one /ws connection');
  await until(async () => (await page.locator('#connection').getAttribute('data-state')) !== 'connected', 'the page notices');
  await page.locator('#offline').waitFor();
  const polled = (await api(server, 'POST', '/api/jobs', { jobType: 'thumbnail', videoId: 'v-2' })).body.jobId;
  await page.locator(`#active-jobs li.job[data-job-id="${polled}"]`).waitFor({ timeout: 8000 });
  await saveScreenshot(page, 'dashboard-jobs-live-polling');

  // The poll fails too: only the snapshot after the reconnect can bring what happens now.
  proxy.refuse(/^GET \/(ws |api\/queue\?)/);
  const shownSnapshots = snapshots.length;
  const done = (await api(server, 'POST', '/api/jobs', { jobType: 'transcode', videoId: 'v-3' })).body.jobId;
  assert.equal((await api(server, 'POST', `/api/jobs/${done}/complete`, { message: 'ok' })).status, 200);
  const running = (await api(server, 'POST', '/api/jobs', { jobType: 'transcode', videoId: 'v-4', progress: { current: 3, total: 10 } })).body.jobId;
  const failing = (await api(server, 'POST', '/api/jobs', { jobType: 'upload', videoId: 'v-5' })).body.jobId;
  assert.equal((await api(server, 'POST', `/api/jobs/${failing}/fail`, { error: 'quota exceeded' })).status, 200);
  assert.equal((await api(server, 'POST', `/api/jobs/${polled}/complete`, {})).status, 200);
  await until(() => snapshots.length > shownSnapshots, 'the page tried to poll', 8000);
  assert.equal(await page.locator(`#active-jobs li.job[data-job-id="${running}"]`).count(), 0, 'not shown while cut off');

  proxy.allow();
  await page.locator('#connection[data-state=connected]').waitFor({ timeout: 20000 });
  const runningRow = page.locator(`#active-jobs li.job[data-job-id="${running}"]`);
  await runningRow.waitFor();
  assert.deepEqual(await barValues(runningRow.locator('[role=progressbar]')), { now: 30, max: 100 });
  await page.locator(`#active-jobs li.job[data-job-id="${polled}"]`).waitFor({ state: 'detached' });
  await page.locator(`#failed-jobs li.job[data-job-id="${failing}"] .job-error`).getByText('quota exceeded').waitFor();
  assert.equal(await page.locator(`#recent-jobs tr[data-job-id="${done}"] td.status-completed`).textContent(), 'completed');
  assert.equal(await page.locator(`#recent-jobs tr[data-job-id="${polled}"] td.status-completed`).textContent(), 'completed');
  const stats = (await api(server, 'GET', '/api/queue/stats')).body;
  for (const name of ['pending', 'processing', 'completed', 'failed']) {
    assert.equal(await stat(page, name), String(stats[name]), `the ${name} counter`);
  }
  assert.equal(await page.locator('#offline').isHidden(), true, 'the banner goes');
  assert.equal(sockets.filter((url) => new URL(url).pathname === '/ws').length >= 2, true, 'the page opened /ws again');
  await saveScreenshot(page, 'dashboard-jobs-live-reconnected');
  await page.emulateMedia({ colorScheme: 'dark' });
  await saveScreenshot(page, 'dashboard-jobs-live-reconnected-dark');
  assertNoConsoleErrors(problems, DOWNTIME_ERRORS);
  await page.close();
});
