// The libraries' REST API the dashboard uses (api/library_routes.hpp), over plain HTTP against a
// real `scanhub serve` and real directories: every bad request gets a 4xx with a message a
// person can act on and changes nothing; adding a library scans it (trigger library-added);
// listing shows item counts and the last scan; a running scan blocks removal (409 naming the
// scan); remove is 204.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../e2e/support/server_process.mjs';
import { MS, api, makeLibrary, serve, until } from './support/dashboard.mjs';

let dir;
let library;
let server;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-library-api-'));
  library = makeLibrary(join(dir, 'music'), { tracks: 40, seed: 3 });
  server = await serve(dir, { delayMs: 200 });
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rawPost(path, text) {
  const response = await withTimeout(fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: text,
  }), MS, `POST ${path}`);
  return { status: response.status, body: await response.json() };
}

test('bad requests to POST /api/libraries are 400 with a clear error and add nothing', async () => {
  writeFileSync(join(dir, 'a-file'), 'not a directory');
  const cases = [
    [{ type: 'music' }, /path is required/],
    [{ path: '', type: 'music' }, /path is required/],
    [{ path: 42, type: 'music' }, /path is required/],
    [{ path: 'relative/music', type: 'music' }, /absolute path/],
    [{ path: join(dir, 'missing'), type: 'music' }, new RegExp(`no such directory: ${join(dir, 'missing')}`)],
    [{ path: join(dir, 'a-file'), type: 'music' }, new RegExp(`not a directory: ${join(dir, 'a-file')}`)],
    [{ path: library.path }, /type is required/],
    [{ path: library.path, type: 'books' }, /type must be "music" or "movie", not "books"/],
    [{ path: library.path, type: 'music', name: 7 }, /name must be a string/],
    [{ path: library.path, type: 'music', name: 'x'.repeat(201) }, /name is longer than 200 bytes/],
    [{ path: library.path, type: 'music', recursive: true }, /unknown field 'recursive'/],
  ];
  for (const [body, error] of cases) {
    const response = await api(server, 'POST', '/api/libraries', body);
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.match(response.body.error, error, JSON.stringify(body));
  }
  for (const text of ['not json', '[1]', '']) {
    const response = await rawPost('/api/libraries', text);
    assert.equal(response.status, 400, text);
    assert.match(response.body.error, /not JSON|must be a JSON object/);
  }
  assert.deepEqual((await api(server, 'GET', '/api/libraries')).body, []);
});

test('add, list with counts and last scan, rescan, refuse removal mid-scan, remove', { timeout: 60000 }, async () => {
  const added = await api(server, 'POST', '/api/libraries', { path: `${library.path}/`, type: 'music', name: 'My music' });
  assert.equal(added.status, 201);
  assert.equal(added.body.path, library.path, 'stored canonical');
  assert.equal(added.body.name, 'My music');
  assert.equal(added.body.type, 'music');
  assert.match(added.body.scanId, /^\d+$/);
  assert.equal(added.body.scanError, null);
  assert.equal(added.body.watched, false, 'this server runs with --no-watch');
  const scan = (await api(server, 'GET', `/api/scans/${added.body.scanId}`)).body;
  assert.equal(scan.trigger, 'library-added');
  assert.equal(scan.libraryId, added.body.id);

  // The same directory again, even through a symlink: 409.
  symlinkSync(library.path, join(dir, 'link'));
  for (const path of [library.path, join(dir, 'link')]) {
    const again = await api(server, 'POST', '/api/libraries', { path, type: 'music' });
    assert.equal(again.status, 409, path);
    assert.match(again.body.error, /is a library already/);
  }

  // While the scan runs: the row says so, removal is refused, a second scan joins it.
  const [running] = (await api(server, 'GET', '/api/libraries')).body;
  assert.equal(running.activeScanId, added.body.scanId);
  const refused = await api(server, 'DELETE', `/api/libraries/${added.body.id}`);
  assert.equal(refused.status, 409);
  assert.match(refused.body.error, new RegExp(`scan ${added.body.scanId} is scanning this library: cancel it first`));
  assert.equal(refused.body.scanId, added.body.scanId, 'the 409 names the scan, so the page can offer to cancel it');
  const joined = await api(server, 'POST', `/api/libraries/${added.body.id}/scan`);
  assert.equal(joined.status, 202);
  assert.deepEqual(joined.body, { scanId: added.body.scanId, alreadyRunning: true });

  await until(async () => (await api(server, 'GET', `/api/scans/${added.body.scanId}`)).body.status === 'completed',
              'the scan completes', 30000);
  const [row] = (await api(server, 'GET', '/api/libraries')).body;
  assert.equal(row.trackCount, library.manifest.tracks.length);
  assert.equal(row.movieCount, 0);
  assert.equal(row.activeScanId, null);
  assert.equal(row.lastScan.scanId, added.body.scanId);
  assert.equal(row.lastScan.status, 'completed');
  assert.equal(row.lastScan.tracksFound, library.manifest.tracks.length);
  assert.equal(row.lastScan.errorsCount, library.manifest.errors.length);
  assert.match(row.lastScanAt ?? '', /Z$/);

  // A rescan with seed 002's ScanOptions; bad options are 400; unknown libraries 404.
  const rescan = await api(server, 'POST', `/api/libraries/${added.body.id}/scan`, { enableEnrichment: false });
  assert.equal(rescan.status, 202);
  assert.notEqual(rescan.body.scanId, added.body.scanId);
  assert.equal(rescan.body.alreadyRunning, false);
  const options = (await api(server, 'GET', `/api/scans/${rescan.body.scanId}`)).body.options;
  assert.equal(options.enableEnrichment, false);
  await until(async () => (await api(server, 'GET', `/api/scans/${rescan.body.scanId}`)).body.status === 'completed',
              'the rescan completes', 30000);
  const bad = await api(server, 'POST', `/api/libraries/${added.body.id}/scan`, { enrichmentMode: 'everything' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /enrichmentMode/);
  for (const path of ['/api/libraries/999/scan', '/api/libraries/abc/scan']) {
    const missing = await api(server, 'POST', path);
    assert.equal(missing.status, 404, path);
    assert.match(missing.body.error, /no library/);
  }

  const removed = await api(server, 'DELETE', `/api/libraries/${added.body.id}`);
  assert.equal(removed.status, 204);
  assert.equal(removed.body, null);
  assert.deepEqual((await api(server, 'GET', '/api/libraries')).body, []);
  const gone = await api(server, 'DELETE', `/api/libraries/${added.body.id}`);
  assert.equal(gone.status, 404);
});

test('a movie library is added, listed and scanned as a movie library', async () => {
  const movies = join(dir, 'movies');
  mkdirSync(movies);
  const added = await api(server, 'POST', '/api/libraries', { path: movies, type: 'movie' });
  assert.equal(added.status, 201);
  assert.equal(added.body.type, 'movie');
  assert.equal(added.body.name, 'movies');
  assert.equal(added.body.movieCount, 0);
  assert.equal(typeof added.body.scanId, 'string', 'adding a library scans it (library-added)');
  let scan;
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    scan = (await api(server, 'GET', `/api/scans/${added.body.scanId}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(scan.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(scan.status, 'completed');
  assert.equal(scan.trigger, 'library-added');
  assert.equal(scan.moviesFound, 0);
  assert.equal((await api(server, 'DELETE', `/api/libraries/${added.body.id}`)).status, 204);
});
