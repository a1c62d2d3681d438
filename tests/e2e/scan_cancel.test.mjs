// POST /api/scans/{id}/cancel against a real `scanhub serve`: a scan that does not exist is
// 404, as GET /api/scans/{id} says; one that has ended is 409.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restClient } from './support/rest.mjs';
import { delay, startServer } from './support/server_process.mjs';

const MS = 5000;

let dir;
let server;
let request;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-cancel-'));
  execFileSync(process.env.MAKE_LIBRARY, [join(dir, 'library'), '--tracks', '4', '--seed', '71', '--no-bad',
    '--template-cache', process.env.TEMPLATE_CACHE], { stdio: ['ignore', 'ignore', 'inherit'] });
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', join(dir, 'library'),
    '--scan-on-start', '--no-watch',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
  ({ request } = restClient(server.url, { ms: MS }));
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0);
  if (dir) rmSync(dir, { recursive: true, force: true });
});


test('cancel answers 404 for a scan that does not exist and 409 for one that ended', async () => {
  const missing = await request('POST', '/api/scans/987654/cancel');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error, 'no scan 987654');
  assert.equal((await request('GET', '/api/scans/987654')).status, 404, 'as GET says');

  const end = Date.now() + 60000;
  let scan;
  for (;;) {
    [scan] = (await request('GET', '/api/scans')).body;
    if (scan && scan.status === 'completed') break;
    if (Date.now() > end) throw new Error(`the start-up scan did not complete: ${JSON.stringify(scan)}`);
    await delay(100);
  }
  const ended = await request('POST', `/api/scans/${scan.scanId}/cancel`);
  assert.equal(ended.status, 409);
  assert.equal(ended.body.error, `scan ${scan.scanId} is not running`);
});
