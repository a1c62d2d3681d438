// GET /api/albums/{id} (issue 4 "Music libraries: ... album art as assets"): after a served scan
// of a make-library music library, every album of the manifest is there with its tags and its
// art (files and embedded pictures), each art's cache path names a cached file whose bytes hash
// to the manifest's sha256, and unknown ids are 404 with a JSON error.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { delay, startServer, withTimeout } from './support/server_process.mjs';

const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;

let dir;
let music;
let manifest;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-albums-'));
  music = join(dir, 'music');
  execFileSync(process.env.MAKE_LIBRARY, [music, '--tracks', '110', '--seed', '3',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(music, 'manifest.json'), 'utf8'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function get(url) {
  const response = await withTimeout(fetch(url), 5000, `GET ${url}`);
  return { status: response.status, body: await response.json() };
}

test('every album of the manifest with its art, cached', { timeout: 120000 }, async () => {
  const server = await startServer(process.env.SCANHUB_BIN,
    ['serve', '--port', '0', '--db', join(dir, 'data', 'scanhub.db'), '--library', music,
     '--no-watch', '--no-embeddings', '--scan-on-start'], { portPattern: PORT_LINE });
  try {
    let scan;
    for (const deadline = Date.now() + 60000; Date.now() < deadline;) {
      const scans = (await get(`${server.url}/api/scans`)).body;
      scan = scans[0];
      if (scan && ['completed', 'failed', 'cancelled'].includes(scan.status)) break;
      await delay(100);
    }
    assert.equal(scan.status, 'completed');

    // Album ids are dense from 1 in a fresh database; the first 404 ends the list.
    const albums = new Map();
    for (let id = 1; ; id += 1) {
      const { status, body } = await get(`${server.url}/api/albums/${id}`);
      if (status === 404) {
        assert.equal(body.error, `no album ${id}`);
        break;
      }
      assert.equal(status, 200);
      assert.equal(body.id, id);
      albums.set(body.directory, body);
    }
    assert.deepEqual([...albums.keys()].sort(), manifest.albums.map((a) => a.path).sort());

    const cache = join(dir, 'data', 'cache');
    for (const want of manifest.albums) {
      const got = albums.get(want.path);
      assert.equal(got.title, want.title, want.path);
      assert.equal(got.albumArtist, want.albumArtist, want.path);
      assert.equal(got.year, want.year, want.path);
      assert.equal(got.trackCount, want.trackCount, want.path);
      const key = (a) => `${a.path} ${a.kind} ${a.source} ${a.sha256}`;
      assert.deepEqual(got.art.map(key).sort(), want.art.map(key).sort(), want.path);
      for (const art of got.art) {
        const bytes = readFileSync(join(cache, art.cachePath));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), art.sha256, art.path);
      }
    }

    for (const id of ['0', 'abc', '999999']) {
      const { status, body } = await get(`${server.url}/api/albums/${id}`);
      assert.equal(status, 404, id);
      assert.equal(body.error, `no album ${id}`);
    }
  } finally {
    await server.stop().catch(() => {});
  }
});
