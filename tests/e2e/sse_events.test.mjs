// The event stream GET /api/events (issue 15; Server-Sent Events, HTML "Server-sent events"),
// read by the `eventsource` package (Node 20 has no EventSource) against a real `scanhub serve`
// scanning a real library:
//   - one stream that never drops and one whose connection is cut mid-scan (a TCP proxy resets
//     it): the second reconnects by itself with Last-Event-ID and ends with exactly the first
//     one's events, ids contiguous, nothing lost or repeated;
//   - lastEventId in the query resumes the same for clients that cannot set the header, and the
//     header wins over it; an id the history does not reach gets the `resync` hint event;
//   - the filters jobId, scanId and types; a malformed filter is a 400;
//   - keep-alive comments, and CORS headers only for an allowed origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { TcpProxy } from './support/tcp_proxy.mjs';

const require = createRequire(import.meta.url);
const EventSource = require('eventsource');

const TYPES = ['job:created', 'job:started', 'job:progress', 'job:completed', 'job:failed', 'queue:stats',
               'scan:progress', 'scanStatus', 'libraryChanged', 'moviesChanged', 'resync'];
const ALLOWED = 'http://dashboard.example:8080';
const MS = 30000;

let dir;
let server;
let manifest;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-sse-'));
  const library = join(dir, 'music');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '40', '--seed', '16',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', library, '--no-watch',
    '--directory-delay-for-test', '60', '--workers', '1', '--events-keep-alive', '0.2',
    '--cors-origin', ALLOWED,
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An EventSource on `url` recording every event {id, type, data} and each open. */
function listen(url, init) {
  const source = new EventSource(url, init);
  const log = { source, events: [], opens: 0, errors: 0 };
  source.onopen = () => { log.opens += 1; };
  source.onerror = () => { log.errors += 1; };
  for (const type of TYPES) {
    source.addEventListener(type, (e) => {
      log.events.push({ id: e.lastEventId, type: e.type, data: JSON.parse(e.data) });
    });
  }
  return log;
}

async function until(condition, label, ms = MS) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${label}`);
    await delay(10);
  }
}

/**
 * GET `path` raw until `enough(text)` or `ms`: {status, headers, text}. The connection is closed
 * by this side (an event stream does not end by itself).
 */
function rawGet(path, headers = {}, enough = () => false, ms = 3000) {
  return withTimeout(new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: server.port, path, headers }, (response) => {
      let text = '';
      const done = () => { request.destroy(); resolve({ status: response.statusCode, headers: response.headers, text }); };
      const timer = setTimeout(done, ms);
      response.on('data', (chunk) => {
        text += chunk.toString();
        if (enough(text)) { clearTimeout(timer); done(); }
      });
      response.on('end', () => { clearTimeout(timer); done(); });
    });
    request.on('error', reject);
  }), ms + 2000, `GET ${path}`);
}

/** The events of a raw text/event-stream body: [{id, event, data}], comments dropped. */
function parseStream(text) {
  return text.split('\n\n').filter((block) => block.includes('data: ')).map((block) => {
    const field = (name) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) };
  });
}

/** The id of the scan's last scan:progress. */
const idAtEnd = (log) => Number(log.events.filter((e) => e.type === 'scan:progress').at(-1).id);

/** Resolves once none of `logs` got an event for 500 ms. */
async function quiet(logs) {
  let counts = logs.map((l) => l.events.length);
  let since = Date.now();
  while (Date.now() - since < 500) {
    await delay(50);
    const now = logs.map((l) => l.events.length);
    if (now.some((n, i) => n !== counts[i])) {
      counts = now;
      since = Date.now();
    }
  }
}

let scanId;
let complete;  // the uninterrupted stream's events of the whole scan

test('a stream cut mid-scan resumes with Last-Event-ID and loses nothing', { timeout: 90000 }, async (t) => {
  const proxy = await TcpProxy.open(server.port);
  const steady = listen(`${server.url}/api/events`);
  const resumed = listen(`${proxy.url}/api/events`);
  await until(() => steady.opens === 1 && resumed.opens === 1, 'both streams open');

  const response = await fetch(`${server.url}/api/library/scan`, { method: 'POST' });
  scanId = Number((await response.json()).scanId);
  const ended = (log) => log.events.some((e) => e.type === 'scan:progress' && e.data.scanJobId === scanId
                                             && e.data.phase === 'completed');
  // Cut it once it has some of the scan, well before the end.
  await until(() => resumed.events.filter((e) => e.type === 'job:completed').length >= 3, 'some jobs done');
  assert.ok(!ended(resumed), 'the cut comes before the scan ends');
  const idBeforeCut = resumed.events.at(-1).id;
  assert.equal(proxy.cut(), 1, 'the stream\'s connection is cut');
  await until(() => resumed.opens === 2, 'the EventSource reconnects by itself', 10000);
  await until(() => ended(steady) && ended(resumed), 'both streams see the scan end');
  // Then the queue empties (queue:stats, coalesced) and the streams fall quiet.
  await until(() => steady.events.some((e) => e.type === 'queue:stats' && e.data.pending === 0
                                            && e.data.processing === 0 && Number(e.id) > idAtEnd(steady)),
              'queue:stats with no active job');
  await quiet([steady, resumed]);
  steady.source.close();
  resumed.source.close();
  await proxy.close();

  const ids = (log) => log.events.map((e) => Number(e.id));
  for (const log of [steady, resumed]) {
    ids(log).forEach((id, i, all) => { if (i > 0) assert.equal(id, all[i - 1] + 1, `ids contiguous at ${i}`); });
  }
  assert.deepEqual(resumed.events, steady.events, 'the resumed stream has exactly the same events');
  assert.ok(resumed.errors >= 1, 'the cut was seen as an error');
  const missed = ids(resumed).filter((id) => id > Number(idBeforeCut)).length;
  t.diagnostic(`${steady.events.length} events; the cut came after id ${idBeforeCut}, ${missed} came after it`);
  const last = steady.events.filter((e) => e.type === 'scan:progress').at(-1).data;
  assert.equal(last.stats.tracksFound, manifest.tracks.length);
  complete = steady.events;
});

test('lastEventId in the query resumes too; the header wins; a lost id gets a resync hint', async () => {
  assert.ok(complete, 'the first test ran');
  const from = complete[4];
  const wanted = complete.slice(5);
  const enough = (count) => (text) => parseStream(text).length >= count;
  const byQuery = await rawGet(`/api/events?lastEventId=${from.id}`, {}, enough(wanted.length));
  assert.equal(byQuery.status, 200);
  assert.match(byQuery.headers['content-type'], /^text\/event-stream/);
  const replay = parseStream(byQuery.text);
  assert.deepEqual(replay.map((e) => e.id), wanted.map((e) => e.id));
  assert.deepEqual(replay.map((e) => e.data), wanted.map((e) => e.data));
  assert.deepEqual(replay.map((e) => e.event), wanted.map((e) => e.type));

  // A browser reconnecting sends the header with its newest id and the URL with the old one.
  const later = complete[complete.length - 3];
  const both = await rawGet(`/api/events?lastEventId=${from.id}`, { 'Last-Event-ID': later.id }, enough(2));
  assert.deepEqual(parseStream(both.text).map((e) => e.id), complete.slice(-2).map((e) => e.id));

  for (const id of ['999999999', 'not-a-number']) {
    const lost = await rawGet(`/api/events?lastEventId=${id}`, {}, enough(1));
    const [hint] = parseStream(lost.text);
    assert.equal(hint.event, 'resync', `id ${id}`);
    assert.equal(hint.id, undefined, 'the hint has no id: the client\'s last id stays');
    assert.match(hint.data.reason, /no longer kept/);
    assert.equal(typeof hint.data.oldestEventId, 'number');
  }
});

test('filters by scan, job and type; a malformed one is refused', async () => {
  const first = complete[0].id;
  const count = (filter) => complete.filter(filter).length;
  const scanOnly = complete.filter((e) => e.type === 'scan:progress');
  const types = await rawGet(`/api/events?lastEventId=${Number(first) - 1}&types=scan:progress`, {},
                             (text) => parseStream(text).length >= scanOnly.length);
  assert.deepEqual(parseStream(types.text).map((e) => e.id), scanOnly.map((e) => e.id));

  const job = complete.find((e) => e.type === 'job:completed').data.jobId;
  const jobEvents = complete.filter((e) => e.data.jobId === job);
  const byJob = await rawGet(`/api/events?lastEventId=${Number(first) - 1}&jobId=job-${job}`, {},
                             (text) => parseStream(text).length >= jobEvents.length);
  assert.deepEqual(parseStream(byJob.text).map((e) => e.event), jobEvents.map((e) => e.type));
  assert.ok(jobEvents.length >= 3);

  const byScan = await rawGet(`/api/events?lastEventId=${Number(first) - 1}&scanId=${scanId}&types=job:created`,
                              {}, (text) => parseStream(text).length >= count((e) => e.type === 'job:created'));
  const created = parseStream(byScan.text);
  assert.ok(created.length > 3 && created.every((e) => e.event === 'job:created' && e.data.scanId === scanId));

  for (const query of ['jobId=abc', 'scanId=-1', 'types=', 'types=a,,b']) {
    const refused = await fetch(`${server.url}/api/events?${query}`);
    assert.equal(refused.status, 400, query);
    assert.match((await refused.json()).error, /\S/);
  }
  const post = await fetch(`${server.url}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(post.status, 405);
});

test('keep-alive comments, and CORS headers only for an allowed origin', async () => {
  const allowed = await rawGet('/api/events', { Origin: ALLOWED }, (text) => text.includes(': keep-alive'));
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
  assert.equal(allowed.headers['cache-control'], 'no-cache');
  assert.match(allowed.text, /\n: keep-alive\n\n/);
  const other = await rawGet('/api/events', { Origin: 'http://evil.example' }, () => true);
  assert.equal(other.status, 200, 'a GET is not refused: the browser withholds the body');
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const stats = await (await fetch(`${server.url}/api/events/stats`)).json();
  assert.ok(stats.sse.accepted >= 8, JSON.stringify(stats.sse));
  assert.equal(stats.history.lastEventId >= Number(complete.at(-1).id), true);
});
