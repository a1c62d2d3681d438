// Seed 004's test page (section "Step 5: End-to-End Integration Test", test-signalr.html, checked
// in verbatim under fixtures/ except that the CDN <script> now loads the browser bundle scanhub
// serves at /lib/signalr.min.js) in Debian's headless Chromium against a real `scanhub serve`
// that serves the page itself (--web-root), so page and /hubs/job-progress share an origin.
//
// The page subscribes to a job in its own ingestVideo(): it POSTs /api/v1/videos/ingest, reads
// `jobId` from the answer and invokes SubscribeToJob. scanhub ingests no videos, so the test
// answers that one request by starting a real library scan (POST /api/library/scan) and
// returning the scan id as the jobId (a scan is a job on /hubs/job-progress); everything else,
// the button, the subscription, the events and their rendering, is the page's own code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, withTimeout } from '../e2e/support/server_process.mjs';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MS = 10000;

let dir;
let manifest;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-browser-'));
  const root = join(dir, 'library');
  // 21 directories at 250 ms each on one worker: the scan runs about 5 s, long enough for the
  // page to render a dozen distinct percentages.
  execFileSync(process.env.MAKE_LIBRARY, [root, '--tracks', '200', '--seed', '5',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', root, '--web-root', FIXTURES,
    '--directory-delay-for-test', '250', '--workers', '1',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
  browser = await launchChromium();
});

after(async () => {
  // The browser goes first: its connections must not see the server vanish under them.
  if (browser) await withTimeout(browser.close(), MS, 'browser.close()').catch(() => {});
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The page's event log, oldest first (the page inserts new entries at the top). */
async function eventLog(page) {
  const entries = await page.$$eval('#log > div', (divs) => divs.map((d) => ({ className: d.className, text: d.textContent })));
  return entries.reverse().map((e) => ({ ...e, message: e.text.replace(/^\[[^\]]*\] /, '') }));
}

test('seed 004 test-signalr.html connects and shows a real scan, as a job, to its end', { timeout: 90000 }, async () => {
  // The page and the SignalR bundle it loads come from scanhub itself.
  const bundle = await withTimeout(fetch(`${server.url}/lib/signalr.min.js`), MS, 'GET /lib/signalr.min.js');
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get('content-type'), /javascript/);

  const { page, problems, consoleLines } = await openPage(browser, `${server.url}/test-signalr.html`);
  assert.equal(await page.title(), 'SignalR Job Progress Test');

  // window.onload connects by itself; the Connect button then builds a second connection.
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Connected ✅', null, { timeout: MS });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.waitForFunction(
    () => [...document.querySelectorAll('#log > div')].filter((d) => d.textContent.endsWith('Connected to SignalR hub')).length === 2,
    null, { timeout: MS });
  assert.equal(await page.textContent('#status'), 'Connected ✅');
  assert.ok(consoleLines.some((l) => /WebSocket connected to ws:\/\/127\.0\.0\.1:\d+\/hubs\/job-progress/.test(l)),
    'the browser client negotiated WebSockets on /hubs/job-progress');

  // Record every width the progress bar takes (observation only; the page is not changed).
  await page.evaluate(() => {
    window.__progressWidths = [];
    const fill = document.getElementById('progressFill');
    new MutationObserver(() => window.__progressWidths.push(fill.style.width))
      .observe(fill, { attributes: true, attributeFilter: ['style'] });
  });

  let ingestBody;
  let jobId;
  await page.route('**/api/v1/videos/ingest', async (route) => {
    ingestBody = route.request().postDataJSON();
    const response = await fetch(`${server.url}/api/library/scan`, { method: 'POST' });
    ({ scanId: jobId } = await response.json());
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ jobId }) });
  });
  await page.getByRole('button', { name: 'Ingest Video', exact: true }).click();

  await page.waitForFunction(() => document.getElementById('statusMessage').textContent === 'Completed successfully!',
    null, { timeout: 60000 });
  // The bar animates its width (0.3 s): shoot once it is drawn full.
  await page.waitForFunction(() => {
    const fill = document.getElementById('progressFill');
    return Math.abs(fill.getBoundingClientRect().width - fill.parentElement.getBoundingClientRect().width) < 1;
  }, null, { timeout: MS });
  const screenshot = await saveScreenshot(page, 'seed004-test-signalr-completed');

  assert.equal(ingestBody.url, 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'the page sent its own form');
  assert.match(jobId, /^\d+$/);

  // The bar: many distinct widths on the way, ending full.
  const widths = await page.evaluate(() => window.__progressWidths);
  const percents = widths.map((w) => Number.parseFloat(w));
  const between = [...new Set(percents.filter((p) => p > 0 && p < 100))];
  assert.ok(between.length >= 3, `the bar moved through intermediate widths: ${widths.join(' ')}`);
  for (let i = 1; i < percents.length; i += 1) assert.ok(percents[i] >= percents[i - 1], `the bar never shrinks: ${widths.join(' ')}`);
  assert.equal(percents.at(-1), 100);
  assert.equal(await page.$eval('#progressFill', (e) => e.style.width), '100%');
  assert.equal(await page.textContent('#progressFill'), '100%');

  // The log, oldest first: ingestion, subscription, progress moving up to 100, then JobCompleted.
  const log = await eventLog(page);
  const messages = log.map((e) => e.message);
  const started = messages.indexOf(`Video ingestion started. JobId: ${jobId}`);
  const subscribed = messages.indexOf(`Subscribed to job: ${jobId}`);
  assert.ok(started >= 0 && subscribed > started, messages.join('\n'));
  const updates = log.map((e, index) => ({ index, match: e.message.match(/^📊 Progress Update: (\d+)% - (.*)$/) }))
    .filter((e) => e.match);
  const values = updates.map((u) => Number(u.match[1]));
  assert.ok(new Set(values).size >= 4, `JobProgressUpdate values move: ${values.join(', ')}`);
  for (let i = 1; i < values.length; i += 1) assert.ok(values[i] >= values[i - 1], `progress never goes back: ${values}`);
  assert.ok(values.some((v) => v > 0 && v < 100), `intermediate values: ${values}`);
  assert.equal(values.at(-1), 100);
  for (const u of updates) assert.ok(u.match[2].length > 0 && u.match[2] !== 'undefined', `a status message: ${u.match[0]}`);
  const completed = log.findIndex((e) => e.message === `✅ Job Completed: ${jobId}`);
  assert.ok(completed > updates.at(-1).index, 'JobCompleted after the last update');
  assert.equal(log[completed].className, 'log success');
  assert.equal(messages.filter((m) => m.startsWith('✅ Job Completed')).length, 1);
  assert.deepEqual(log.filter((e) => e.className.includes('error')).map((e) => e.message), [], 'no error entries');

  // What the page showed is what the server did.
  const scan = await (await withTimeout(fetch(`${server.url}/api/scans/${jobId}`), MS, 'GET scan')).json();
  assert.equal(scan.status, 'completed');
  assert.equal(scan.tracksFound, manifest.tracks.length);

  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Disconnected', null, { timeout: MS });
  assert.deepEqual(problems, [], 'no console errors or uncaught exceptions');
  console.log(`screenshot: ${screenshot}; ${values.length} progress updates: ${values.join(' ')}`);
  await page.close();
});
