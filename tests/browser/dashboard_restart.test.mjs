// The dashboard (issue 6) across a server restart mid-scan: scanhub is killed (SIGKILL, as a
// crash or an OOM kill would) while the page watches a scan, the page says it lost the
// connection, scanhub starts again on the same port and database, and the page reconnects on
// its own and shows the scan's current state at once.
//
// Then the scan resumes on its own (its jobs left processing go back to pending) and the page
// shows it completing with the manifest's counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../e2e/support/server_process.mjs';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import {
  MS, api, assertNoConsoleErrors, barValues, freePort, makeLibrary, phaseBar, serve, until,
} from './support/dashboard.mjs';

let dir;
let library;
let server;
let browser;
let port;

// While scanhub is down, Chromium itself logs each refused request and WebSocket as a console
// error; those are the only errors this test allows.
const DOWNTIME_ERRORS = [/net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|CONNECTION_CLOSED)/,
  /WebSocket connection to '.*' failed/];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-restart-'));
  library = makeLibrary(join(dir, 'library'), { tracks: 200, seed: 11 });
  port = await freePort();
  server = await serve(dir, { port, delayMs: 400, args: ['--library', library.path] });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await withTimeout(browser.close(), MS, 'browser.close()').catch(() => {});
  if (server) await server.stop().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the page reconnects after scanhub restarts mid-scan and shows the scan at once', { timeout: 100000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();
  await page.locator('#scan-all:not([disabled])').click();
  const scan = page.locator('article.scan').first();
  await scan.waitFor();
  const scanId = await scan.getAttribute('data-scan-id');
  const bar = phaseBar(page, scanId, 'scanning');
  await until(async () => (await barValues(bar)).now >= 2, 'the scan is under way', 20000);
  const beforeKill = await barValues(bar);

  server.child.kill('SIGKILL');
  await withTimeout(server.exited, MS, 'scanhub to die');
  await until(async () => (await page.locator('#connection').getAttribute('data-state')) !== 'connected',
              'the page notices the lost connection');
  assert.match(await page.locator('#connection-text').textContent(), /Reconnecting|Disconnected/);
  const banner = page.locator('#offline');
  await banner.waitFor();
  assert.match(await banner.textContent(), /^Lost the connection to scanhub; trying again\. The numbers below\s+are from \S/);
  await saveScreenshot(page, 'dashboard-restart-down');

  server = await serve(dir, { port, delayMs: 400 });
  await page.locator('#connection[data-state=connected]').waitFor({ timeout: 20000 });
  assert.equal(await banner.isHidden(), true, 'the banner goes once the page is connected again');
  // Reconnected: the scan is on the page in the state the server has for it.
  const shown = page.locator(`article.scan[data-scan-id="${scanId}"]`);
  let stored;
  await until(async () => {
    stored = (await api(server, 'GET', `/api/scans/${scanId}`)).body;
    return (await shown.getAttribute('data-status')) === stored.status;
  }, `the page shows scan ${scanId} in the state the server has for it`);
  assert.ok((await barValues(phaseBar(page, scanId, 'scanning'))).now >= Math.min(beforeKill.now, stored.directoriesScanned),
            'no counts lost on the page');
  await saveScreenshot(page, 'dashboard-restart-reconnected');
  assertNoConsoleErrors(problems, DOWNTIME_ERRORS);

  assert.ok(!['failed', 'cancelled'].includes(stored.status),
            `scan ${scanId} resumes after the restart (it is ${stored.status}: ${stored.failure ?? 'no reason'})`);

  // The scan resumed: it completes with every track of the manifest.
  const done = page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`);
  await done.waitFor({ timeout: 60000 });
  const tracks = (await done.locator('.summary [data-field=tracksFound] strong').textContent()).trim();
  assert.match(tracks, new RegExp(`^${library.manifest.tracks.length} `));
  await saveScreenshot(page, 'dashboard-restart-completed');
  assertNoConsoleErrors(problems, DOWNTIME_ERRORS);
  await page.close();
});
