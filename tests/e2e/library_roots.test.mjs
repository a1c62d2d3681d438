// Library roots and the links inside them, through the REST API of a real `scanhub serve`:
// POST /api/libraries refuses the system's own trees and a link loop with a 400 and its
// reason; a symbolic link out of a library is not followed (and counted in the scan's
// symlinksSkipped) unless the library says followSymlinks, also among a movie folder's files
// (its poster is then never copied into the asset cache).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { restClient } from './support/rest.mjs';
import { startServer } from './support/server_process.mjs';

const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 5000;

const SECRET = Buffer.from('\xFF\xD8\xFF outside the movie library', 'latin1');

let dir;
let server;
let request;
let scanToEnd;
let inside;   // manifest of the library
let outside;  // manifest of the tree its links point into

function makeLibrary(path, tracks, seed) {
  execFileSync(process.env.MAKE_LIBRARY, [path, '--tracks', String(tracks), '--seed', String(seed), '--no-bad',
    '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8'));
}



before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-roots-'));
  inside = makeLibrary(join(dir, 'library'), 12, 41);
  outside = makeLibrary(join(dir, 'elsewhere'), 8, 42);
  // Out of the library: a directory link (to the other tree), a file link, a link to / (which,
  // followed, would walk the whole disk); inside it: a link to one of its own directories.
  const someTrack = outside.tracks[0].path;
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'library', 'Elsewhere'));
  symlinkSync(join(dir, 'elsewhere', someTrack), join(dir, 'library', `linked-out${extname(someTrack)}`));
  // A movie folder whose poster.jpg and movie.nfo are links out of the library.
  execFileSync(process.env.MAKE_LIBRARY, [join(dir, 'movies'), '--movies', '6', '--seed', '1', '--no-bad',
    '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'poster.jpg'), SECRET);
  writeFileSync(join(dir, 'secrets', 'movie.nfo'), '<movie><title>Read From Outside</title></movie>\n');
  const folder = join(dir, 'movies', 'Se7en (1995)');  // make-library's showcase: no .nfo, a poster.jpg
  unlinkSync(join(folder, 'poster.jpg'));
  symlinkSync(join(dir, 'secrets', 'poster.jpg'), join(folder, 'poster.jpg'));
  symlinkSync(join(dir, 'secrets', 'movie.nfo'), join(folder, 'movie.nfo'));
  mkdirSync(join(dir, 'loop'));
  symlinkSync(join(dir, 'loop', 'b'), join(dir, 'loop', 'a'));
  symlinkSync(join(dir, 'loop', 'a'), join(dir, 'loop', 'b'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--workers', '2',
  ], { portPattern: SERVE });
  ({ request, scanToEnd } = restClient(server.url, { ms: MS }));
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the system itself, its pseudo file systems and a link loop are refused with reasons', async () => {
  const cases = [
    ['/', /^\/ cannot be a library/],
    ['/proc', /^\/proc is on a proc file system .*cannot be a library/],
    ['/sys/class', /^\/sys\/class is on a sysfs file system/],
    ['/dev', /^\/dev .*cannot be a library/],
    ['/run', /^\/run .*cannot be a library/],
    [join(dir, 'loop', 'a'), new RegExp(`^symbolic link loop: ${join(dir, 'loop', 'a')}`)],
    [join(dir, 'loop', 'a', 'music'), /^symbolic link loop/],
  ];
  for (const [path, reason] of cases) {
    const { status, body } = await request('POST', '/api/libraries', { path, type: 'music' });
    assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
    assert.match(body.error, reason, path);
  }
  const { body: libraries } = await request('GET', '/api/libraries');
  assert.deepEqual(libraries, [], 'nothing was added');
});

test('a link out of the library is not followed but counted, unless the library follows symlinks', async () => {
  const path = join(dir, 'library');
  const added = await request('POST', '/api/libraries', { path, type: 'music' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.equal(added.body.followSymlinks, false, 'off by default');
  const scan = await scanToEnd(added.body.scanId);
  assert.equal(scan.status, 'completed');
  assert.equal(scan.tracksFound, inside.tracks.length, 'only what lies inside');
  assert.equal(scan.symlinksSkipped, 2, 'the directory link and the file link');
  const { body: [listed] } = await request('GET', '/api/libraries');
  assert.equal(listed.followSymlinks, false);

  assert.equal((await request('DELETE', `/api/libraries/${added.body.id}`)).status, 204);
  const again = await request('POST', '/api/libraries', { path, type: 'music', followSymlinks: true });
  assert.equal(again.status, 201, JSON.stringify(again.body));
  assert.equal(again.body.followSymlinks, true);
  const followed = await scanToEnd(again.body.scanId);
  assert.equal(followed.status, 'completed');
  assert.equal(followed.tracksFound, inside.tracks.length + outside.tracks.length + 1);
  assert.equal(followed.symlinksSkipped, 0);

  const wrong = await request('POST', '/api/libraries', { path: join(dir, 'elsewhere'), type: 'music', followSymlinks: 'yes' });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body.error, /followSymlinks must be true or false/);
});

// Whether a file of the server's asset cache holds exactly `bytes`.
function cacheHolds(bytes) {
  const cache = join(dir, 'cache');
  if (!existsSync(cache)) return false;
  return readdirSync(cache, { recursive: true, withFileTypes: true })
    .some((e) => e.isFile() && readFileSync(join(e.parentPath ?? e.path, e.name)).equals(bytes));
}

test('a movie folder\'s poster and .nfo out of the library are not read nor cached, unless followed', async () => {
  const path = join(dir, 'movies');
  const added = await request('POST', '/api/libraries', { path, type: 'movie' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const scan = await scanToEnd(added.body.scanId);
  assert.equal(scan.status, 'completed');
  assert.equal(scan.moviesFound, 6);
  assert.equal(scan.symlinksSkipped, 2, 'poster.jpg and movie.nfo');
  assert.equal(cacheHolds(SECRET), false, 'the poster out of the library was copied into the cache');

  assert.equal((await request('DELETE', `/api/libraries/${added.body.id}`)).status, 204);
  const again = await request('POST', '/api/libraries', { path, type: 'movie', followSymlinks: true });
  assert.equal(again.status, 201, JSON.stringify(again.body));
  const followed = await scanToEnd(again.body.scanId);
  assert.equal(followed.status, 'completed');
  assert.equal(followed.symlinksSkipped, 0);
  assert.equal(cacheHolds(SECRET), true, 'a library that follows symlinks caches the poster');
});
