// GET /api/events in headless Chromium's own EventSource, dropped twice mid-scan, loses
// nothing. fixtures/event-stream.html is served by a real `scanhub serve` (--web-root) through a
// TCP proxy (support/tcp_proxy.mjs), so the test can drop the stream as a network would:
// 1. the proxy cuts the stream's connection; the browser reconnects by itself after the
//    server's `retry` and sends Last-Event-ID, the id of the last event it got;
// 2. the page closes its EventSource and, while the scan goes on, opens a new one with
//    ?lastEventId= (a new EventSource cannot set the header).
// Once the scan is over, a third stream replays the server's history from the first id the
// page got: the reference of every event that was sent. The page's events, across its three
// connections: ids strictly increasing, each resume continuing at the next id, every record of
// the reference there with the same data (a progress record may only be missing where a newer
// one of the same key replaced it before it left, which /api/events does by design), and every
// job of the scan (as the database lists them) created, started and completed exactly once,
// in that order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { api, assertNoConsoleErrors, makeLibrary, serve, tearDown, until } from './support/dashboard.mjs';
import { startProxy } from './support/tcp_proxy.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
// Progress records: /api/events may replace an unsent one by a newer one of the same key.
const PROGRESS = new Set(['job:progress', 'scan:progress', 'scanStatus', 'queue:stats']);
const keyOf = (e) => `${e.type}:${e.data.jobId ?? e.data.scanJobId ?? e.data.scanId ?? ''}`;

let dir;
let library;
let server;
let proxy;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-event-source-'));
  library = makeLibrary(join(dir, 'music'), { tracks: 160, seed: 23 });
  server = await serve(dir, { delayMs: 200, args: ['--web-root', FIXTURES] });
  proxy = await startProxy(server.port);
  browser = await launchChromium();
});

after(async () => {
  await proxy?.close();
  await tearDown({ browser, server, dir });
});

const eventsOf = (page, stream) => page.evaluate((name) => window.events.filter((e) => e.stream === name), stream);
const completedJobs = async (page) => (await eventsOf(page, 'main')).filter((e) => e.type === 'job:completed').length;

test('EventSource in Chromium resumes with Last-Event-ID after a dropped stream and loses nothing', { timeout: 110000 }, async () => {
  // Chromium logs the cut stream's failed request once.
  const expected = [/net::ERR_(INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE|CONNECTION_RESET|CONNECTION_CLOSED)/];
  const { page, problems } = await openPage(browser, `${proxy.url}/event-stream.html`);
  await page.evaluate(() => window.openStream('main'));
  await until(() => page.evaluate(() => window.streams[0].opens === 1), 'the stream is open');

  const added = await api(server, 'POST', '/api/libraries', { path: library.path, type: 'music' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const scanId = Number(added.body.scanId);

  // 1. The network drops the stream; the browser resumes it with the Last-Event-ID header.
  // It stays down (the browser's attempts refused) until two more jobs completed, so the
  // resume has to bring back what happened meanwhile.
  await until(async () => (await completedJobs(page)) >= 3, 'three jobs of the scan completed on the page', 30000);
  proxy.refuse(/^GET \/api\/events/);
  assert.equal(proxy.cut(/^GET \/api\/events/), 1, 'the stream\'s connection was cut');
  const beforeCut = (await eventsOf(page, 'main')).at(-1).id;
  const doneAtCut = (await api(server, 'GET', '/api/queue/stats')).body.completed;
  await until(async () => (await api(server, 'GET', '/api/queue/stats')).body.completed >= doneAtCut + 2, 'two jobs completed meanwhile', 20000);
  proxy.allow();
  await until(() => page.evaluate(() => window.streams[0].opens === 2), 'the browser reconnects the stream by itself', 15000);
  const resumed = proxy.requests.filter((head) => head.startsWith('GET /api/events')).at(-1);
  assert.match(resumed, new RegExp(`\\r\\nLast-Event-ID: ${beforeCut}(\\r\\n|$)`, 'i'), `the browser sent Last-Event-ID ${beforeCut}:\n${resumed}`);
  assert.ok(await page.evaluate(() => window.streams[0].errors) >= 1, 'the page saw the stream fail');

  // 2. The page closes its stream, the scan goes on, a new EventSource resumes by the query.
  await until(async () => (await completedJobs(page)) >= 8, 'five more jobs completed on the page', 30000);
  await page.evaluate(() => window.closeStream('main'));
  const beforeClose = (await eventsOf(page, 'main')).at(-1).id;
  const doneAtClose = (await api(server, 'GET', '/api/queue/stats')).body.completed;
  await until(async () => (await api(server, 'GET', '/api/queue/stats')).body.completed >= doneAtClose + 2, 'two jobs completed meanwhile', 20000);
  await page.evaluate((id) => window.openStream('main', { lastEventId: id }), beforeClose);
  await until(() => page.evaluate(() => window.streams[1].opens === 1), 'the new stream is open');
  await saveScreenshot(page, 'event-source-resumed');

  // The scan ends and the queue settles.
  await until(async () => (await eventsOf(page, 'main')).some((e) => e.type === 'scan:progress' && e.data.scanJobId === scanId
    && e.data.phase === 'completed'), 'the page got the scan\'s completion', 60000);
  await until(async () => {
    const stats = (await api(server, 'GET', '/api/queue/stats')).body;
    return stats.pending === 0 && stats.processing === 0;
  }, 'the queue is idle');
  const events = await eventsOf(page, 'main');
  const last = Number(events.at(-1).id);

  // The reference: the server's history from the first id the page got.
  const first = Number(events[0].id);
  await page.evaluate((id) => window.openStream('reference', { lastEventId: id }), first - 1);
  await until(async () => (await eventsOf(page, 'reference')).some((e) => Number(e.id) >= last), 'the reference reaches the page\'s last id');
  const reference = (await eventsOf(page, 'reference')).filter((e) => Number(e.id) <= last);
  assert.equal(Number(reference[0].id), first, 'the history still reaches back to the first id (no resync hint)');

  // Ids: strictly increasing, and each resume went on at the next id.
  const ids = events.map((e) => Number(e.id));
  assert.ok(ids.every((id, i) => Number.isInteger(id) && id > 0 && (i === 0 || id > ids[i - 1])), `ids strictly increasing: ${ids.join(' ')}`);
  assert.ok(!events.some((e) => e.type === 'resync'), 'no resync hint: the history reached back');
  for (const seam of [beforeCut, beforeClose]) {
    const next = events.find((e) => Number(e.id) > Number(seam));
    assert.equal(Number(next.id), Number(seam) + 1, `the stream resumed after ${seam} at the next id`);
  }

  // Every record the server sent is there, with its data; only a replaced progress record may be missing.
  const got = new Map(events.map((e) => [Number(e.id), e]));
  const missing = [];
  for (const record of reference) {
    const mine = got.get(Number(record.id));
    if (mine) {
      assert.equal(mine.type, record.type, `id ${record.id}`);
      assert.deepEqual(mine.data, record.data, `id ${record.id}: the same data`);
      continue;
    }
    const replaced = PROGRESS.has(record.type) && events.some((e) => Number(e.id) > Number(record.id) && keyOf(e) === keyOf(record));
    assert.ok(replaced, `id ${record.id} (${record.type}) never reached the page`);
    missing.push(record.id);
  }
  assert.equal(got.size, ids.length, 'no id twice');

  // Every job of the scan: created, started, completed, once each and in that order.
  const jobs = (await api(server, 'GET', '/api/jobs?status=all&limit=500')).body.filter((j) => j.scanId === scanId);
  const scan = (await api(server, 'GET', `/api/scans/${scanId}`)).body;
  assert.equal(scan.status, 'completed');
  assert.ok(jobs.length >= scan.directoriesTotal + 1, `the scan's jobs: ${jobs.length} for ${scan.directoriesTotal} directories`);
  for (const job of jobs) {
    const lifecycle = events.filter((e) => e.data.jobId === job.jobId && e.type !== 'job:progress').map((e) => e.type);
    assert.deepEqual(lifecycle, ['job:created', 'job:started', `job:${job.status}`], `job ${job.jobId} (${job.type})`);
  }
  const finalScan = events.filter((e) => e.type === 'scan:progress' && e.data.scanJobId === scanId).at(-1);
  assert.equal(finalScan.data.progress.scanning.scanned, scan.directoriesScanned);
  assert.equal(finalScan.data.stats.tracksFound, scan.tracksFound);
  assert.equal(scan.tracksFound, library.manifest.tracks.length);

  console.log(`${events.length} events, ids ${first}..${last}; resumed after ${beforeCut} (Last-Event-ID) and ${beforeClose} (lastEventId); `
    + `${missing.length} progress records replaced before they left: ${missing.join(' ') || 'none'}`);
  await saveScreenshot(page, 'event-source-done');
  await page.evaluate(() => { window.closeStream('main'); window.closeStream('reference'); });
  assertNoConsoleErrors(problems, expected);
  await page.close();
});
