// Issue 4's crash test: one scan of a music library (a few thousand tracks) and a movie library
// (Kodi layout, with assets) is interrupted by `kill -9` at random moments, 20 times in a row,
// the server restarted each time without being asked to scan. The scan resumes on its own, its
// counters never go backwards across the restarts, and when it completes its counters, the
// database (GET /api/libraries) and the asset cache equal the manifests exactly: nothing lost,
// nothing counted twice.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { delay, startServer, withTimeout } from './support/server_process.mjs';

const KILLS = 20;
const TRACKS = 2000;
const MOVIES = 40;
const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;

let dir;
let music;
let movies;
let musicManifest;
let movieManifest;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-crash-'));
  music = join(dir, 'music');
  movies = join(dir, 'movies');
  execFileSync(process.env.MAKE_LIBRARY, [music, '--tracks', String(TRACKS), '--seed', '4',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  execFileSync(process.env.MAKE_LIBRARY, [movies, '--movies', String(MOVIES), '--seed', '4',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  musicManifest = JSON.parse(readFileSync(join(music, 'manifest.json'), 'utf8'));
  movieManifest = JSON.parse(readFileSync(join(movies, 'manifest.json'), 'utf8'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function getJson(url) {
  const response = await withTimeout(fetch(url), 5000, `GET ${url}`);
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

function serve(first) {
  const args = ['serve', '--port', '0', '--db', join(dir, 'data', 'scanhub.db'), '--library', music,
                '--movies', movies, '--no-watch', '--directory-delay-for-test', '60', '--workers', '2',
                // 20 kills could hit one job (the discovery on a slow machine) more than the
                // default 5 times; what is tested here is that nothing is lost or counted twice.
                '--max-stalled', '100'];
  if (first) args.push('--scan-on-start');
  return startServer(process.env.SCANHUB_BIN, args, { portPattern: PORT_LINE });
}

const COUNTERS = ['directoriesScanned', 'tracksFound', 'tracksNew', 'moviesFound', 'moviesNew',
                  'assetsQueued', 'assetsCached', 'errorsCount'];

function filesUnder(root) {
  let n = 0;
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue;  // the cache's .incoming
    const path = join(root, name);
    n += statSync(path).isDirectory() ? filesUnder(path) : 1;
  }
  return n;
}

test('a scan killed 20 times resumes on its own and ends with the manifest\'s exact counts',
     { timeout: 300000 }, async () => {
  let server = await serve(true);
  let scanId;
  let last = null;
  let killedMidScan = 0;
  try {
    // The scan is created before the port is printed; it is the only one.
    const scans = await getJson(`${server.url}/api/scans`);
    assert.equal(scans.length, 1);
    scanId = scans[0].id ?? scans[0].scanId;

    for (let i = 0; i < KILLS; i += 1) {
      await delay(120 + Math.floor(Math.random() * 250));
      const scan = await getJson(`${server.url}/api/scans/${scanId}`);
      if (last) {
        for (const key of COUNTERS) {
          assert.ok(scan[key] >= last[key], `${key} went backwards after restart ${i}: ${last[key]} -> ${scan[key]}`);
        }
      }
      last = scan;
      if (!['completed', 'failed', 'cancelled'].includes(scan.status)) killedMidScan += 1;
      server.child.kill('SIGKILL');
      await withTimeout(server.exited, 10000, 'the killed server to exit');
      server = await serve(false);
    }

    let scan;
    for (const deadline = Date.now() + 120000; Date.now() < deadline;) {
      scan = await getJson(`${server.url}/api/scans/${scanId}`);
      if (['completed', 'failed', 'cancelled'].includes(scan.status)) break;
      await delay(200);
    }
    assert.equal(scan.status, 'completed', `the scan completed (last seen ${scan.status})`);
    assert.equal(killedMidScan, KILLS, `every kill hit the running scan (${killedMidScan} of ${KILLS})`);

    const musicTracks = musicManifest.tracks.length;
    const movieTotals = movieManifest.totals;
    const directories = musicManifest.directoriesWithAudio + movieTotals.directories;
    assert.equal(scan.directoriesTotal, directories, 'directories discovered');
    assert.equal(scan.directoriesScanned, directories, 'each directory counted once');
    assert.equal(scan.tracksFound, musicTracks);
    assert.equal(scan.tracksNew, musicTracks, 'each track inserted once');
    assert.equal(scan.tracksUpdated, 0);
    assert.equal(scan.tracksRemoved, 0);
    assert.equal(scan.moviesFound, movieTotals.movies);
    assert.equal(scan.moviesNew, movieTotals.movies, 'each movie inserted once');
    // Movie assets and music album art (files and embedded pictures).
    const assets = movieTotals.assets + musicManifest.albumTotals.assets;
    assert.equal(scan.assetsQueued, assets, 'each asset queued once');
    assert.equal(scan.assetsCached, assets, 'each asset cached once');
    assert.equal(scan.assetsFailed, 0);
    const errors = musicManifest.errors.length + movieTotals.errors;
    assert.equal(scan.errorsCount, errors, 'each error counted once');
    const errorList = await getJson(`${server.url}/api/scans/${scanId}/errors?limit=1000`);
    const listed = Array.isArray(errorList) ? errorList : errorList.errors;
    assert.equal(listed.length, errors, 'each error stored once');

    const libraries = await getJson(`${server.url}/api/libraries`);
    const byType = Object.fromEntries(libraries.map((l) => [l.type, l]));
    assert.equal(byType.music.trackCount, musicTracks, 'tracks in the database');
    assert.equal(byType.movie.movieCount, movieTotals.movies, 'movies in the database');
    const distinct = new Set([
      ...movieManifest.movies.flatMap((m) => m.assets.map((a) => a.sha256)),
      ...musicManifest.albums.flatMap((a) => a.art.map((art) => art.sha256)),
    ]);
    assert.equal(filesUnder(join(dir, 'data', 'cache')), distinct.size,
                 'the asset cache holds each distinct content once');
  } finally {
    await server.stop().catch(() => {});
  }
});
