// The file-system watcher (issue 4's acceptance: "adding, changing and removing files under a
// served library produces an incremental scan that brings the database up to date within a few
// seconds"), against a real `scanhub serve --library DIR` over a library made by make-library.
// What a user sees: GET /api/scans lists scans with trigger "file-system-event" (seed 001's
// FileSystemEvent) whose counters are exactly one new, one updated and one removed track, each
// of just the changed directories, and GET /api/libraries the new track count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { delay, startServer, withTimeout } from './support/server_process.mjs';

const T = { timeout: 60000 };
const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const CAUGHT_UP_MS = 10000;  // "within a few seconds": the default quiet period is 1 s

let dir;
let manifest;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-watcher-'));
  for (const name of ['watched', 'unwatched']) {
    execFileSync(process.env.MAKE_LIBRARY, [join(dir, name), '--tracks', '40', '--seed', '31', '--no-bad',
      '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  manifest = JSON.parse(readFileSync(join(dir, 'watched', 'manifest.json'), 'utf8'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const serve = (name, ...flags) => startServer(process.env.SCANHUB_BIN, [
  'serve', '--port', '0', '--db', join(dir, `${name}.db`), '--library', join(dir, name),
  '--scan-on-start', '--workers', '1', ...flags,
], { portPattern: SERVE });

async function getJson(url) {
  const response = await withTimeout(fetch(url), 5000, `GET ${url}`);
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

/** Polls `check` (async, returns a value or undefined) every 100 ms for at most `ms`. */
async function until(check, ms, label) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${label}`);
    await delay(100);
  }
}

const ended = (scan) => ['completed', 'failed', 'cancelled'].includes(scan.status);

/** Tracks of one directory of the manifest, by album directory. */
function albums() {
  const byAlbum = new Map();
  for (const track of manifest.tracks) {
    const album = dirname(track.path);
    if (!byAlbum.has(album)) byAlbum.set(album, []);
    byAlbum.get(album).push(track.path);
  }
  return [...byAlbum.entries()];
}

test('adding, changing and removing files brings the database up to date', T, async () => {
  const server = await serve('watched');
  try {
    const library = join(dir, 'watched');
    // The first scan (manual, --scan-on-start) completes and finds every track.
    const first = await until(async () => {
      const scans = await getJson(`${server.url}/api/scans`);
      return scans.find((s) => s.trigger === 'manual' && ended(s));
    }, 30000, 'the first scan');
    assert.equal(first.status, 'completed');
    assert.equal(first.tracksNew, manifest.tracks.length);

    // Three albums: one gets a sibling album with a track added, one a track overwritten by
    // another file (new contents and tags), one loses a track.
    const [[addAlbum, addTracks], [changeAlbum, changeTracks], [removeAlbum, removeTracks]] = albums();
    assert.ok(addAlbum && changeAlbum && removeAlbum, 'the library has three albums');
    const newAlbum = join(dirname(addAlbum), 'Watcher Album');
    const added = join(newAlbum, `01 - Added${extname(addTracks[0])}`);
    const changedAt = Date.now();
    mkdirSync(join(library, newAlbum));
    copyFileSync(join(library, addTracks[0]), join(library, added));
    copyFileSync(join(library, changeTracks[1]), join(library, changeTracks[0]));
    unlinkSync(join(library, removeTracks[0]));

    // The watcher's scans run and together count exactly what changed.
    const watcherScans = await until(async () => {
      const scans = (await getJson(`${server.url}/api/scans`)).filter((s) => s.trigger === 'file-system-event');
      if (scans.length === 0 || !scans.every(ended)) return undefined;
      const sum = (key) => scans.reduce((n, s) => n + s[key], 0);
      if (sum('tracksNew') < 1 || sum('tracksUpdated') < 1 || sum('tracksRemoved') < 1) return undefined;
      return scans;
    }, CAUGHT_UP_MS, 'an incremental scan with trigger file-system-event');
    const caughtUpMs = Date.now() - changedAt;
    const sum = (key) => watcherScans.reduce((n, s) => n + s[key], 0);
    assert.equal(sum('tracksNew'), 1);
    assert.equal(sum('tracksUpdated'), 1);
    assert.equal(sum('tracksRemoved'), 1);
    assert.equal(sum('errorsCount'), 0);
    for (const scan of watcherScans) {
      assert.equal(scan.status, 'completed');
      assert.equal(scan.libraryId, first.libraryId);
      // Incremental: the changed directories, never the whole library (5 albums + 1 new).
      assert.ok(scan.directoriesTotal < manifest.directoriesWithAudio + 1,
        `scan ${scan.id} walked ${scan.directoriesTotal} directories`);
    }
    const [libraryRow] = await getJson(`${server.url}/api/libraries`);
    assert.equal(libraryRow.trackCount, manifest.tracks.length);  // +1 added -1 removed
    console.log(`watcher: database up to date ${caughtUpMs} ms after the changes, ` +
                `${watcherScans.length} scan(s), directories ${watcherScans.map((s) => s.directoriesTotal).join('+')}`);

    const stopped = await server.stop();
    assert.equal(stopped.code, 0);
  } finally {
    await server.stop().catch(() => {});
  }
});

test('--no-watch starts no scan when files change', T, async () => {
  const server = await serve('unwatched', '--no-watch');
  try {
    await until(async () => {
      const scans = await getJson(`${server.url}/api/scans`);
      return scans.find((s) => ended(s));
    }, 30000, 'the first scan');
    const [[album, tracks]] = albums();
    unlinkSync(join(dir, 'unwatched', tracks[0]));
    await delay(2500);  // the watcher would have scanned after its 1 s quiet period
    const scans = await getJson(`${server.url}/api/scans`);
    assert.deepEqual(scans.map((s) => s.trigger), ['manual'], `no watcher scan for ${album}`);
    const [libraryRow] = await getJson(`${server.url}/api/libraries`);
    assert.equal(libraryRow.trackCount, manifest.tracks.length);
  } finally {
    await server.stop().catch(() => {});
  }
});
