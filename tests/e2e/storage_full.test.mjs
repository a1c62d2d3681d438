// A full disk (issue 14). Under the database: `scanhub serve` keeps its database on a small
// tmpfs, which a filler file leaves almost full, and a scan of a generated library (2,000
// tracks) runs into it. The scan must pause with a reason that says the disk is full, visible
// in GET /api/scans/{id} and GET /healthz (503), while the process stays idle (CPU from
// /proc/PID/stat) and quiet (its log lines counted); once the filler is deleted, the scan
// completes by itself with the manifest's exact counts. Under the asset cache: each asset that
// does not fit fails with the reason (No space left on device) and counts as failed, and the
// scan completes.
//
// Mounting a tmpfs needs root (CI runs the tests as root): without it the test fails and says
// so, rather than skipping silently (support/tmpfs.mjs). It is unmounted on every way out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { delay, startServer, withTimeout } from './support/server_process.mjs';
import { fillDisk, mountTmpfs, unmountAll } from './support/tmpfs.mjs';

const TRACKS = 2000;
const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const LEFT_FREE = 256 * 1024;  // bytes left on the tmpfs: far less than the scan writes

let dir;
let server;
let library;
let manifest;
process.on('exit', () => server?.child.kill('SIGKILL'));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-full-'));
  library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', String(TRACKS), '--seed', '14',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
});

after(async () => {
  if (server) await server.stop().catch(() => server.child.kill('SIGKILL'));
  unmountAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function serve(db) {
  return startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', db, '--library', library, '--no-watch', '--no-embeddings', '--workers', '2',
  ], { portPattern: PORT_LINE, stderr: 'pipe' });
}

// Collects the server's stderr, one entry a line.
function collectLog(child) {
  const log = [];
  let partial = '';
  child.stderr.on('data', (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop();
    log.push(...lines);
  });
  return log;
}

async function get(url) {
  const response = await withTimeout(fetch(url), 5000, `GET ${url}`);
  return { status: response.status, body: await response.json() };
}

async function waitFor(what, fn, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(100);
  }
}

// CPU time of a process in seconds (utime + stime, /proc/PID/stat fields 14 and 15).
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // fields from 3 on
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

test('a scan that fills the disk pauses with the reason, idles quietly, and completes exactly once space returns',
     { timeout: 240000 }, async () => {
  const mnt = join(dir, 'full');
  mountTmpfs(mnt, '16m');
  // Only the database is short of space: the asset cache (next to it by default) lives on the
  // ordinary disk through a symbolic link, so what is measured is the database's behaviour.
  mkdirSync(join(dir, 'cache'));
  symlinkSync(join(dir, 'cache'), join(mnt, 'cache'));
  server = await serve(join(mnt, 'scanhub.db'));
  const log = collectLog(server.child);
  assert.deepEqual((await get(`${server.url}/healthz`)).body, { status: 'ok' });

  const filler = fillDisk(mnt, LEFT_FREE);

  const started = await withTimeout(fetch(`${server.url}/api/library/scan`, { method: 'POST' }), 5000, 'POST scan');
  assert.equal(started.status, 200);
  const { scanId } = await started.json();

  const health = await waitFor('GET /healthz to say degraded', async () => {
    const h = await get(`${server.url}/healthz`);
    return h.status === 503 ? h.body : null;
  }, 60000);
  assert.equal(health.status, 'degraded');
  assert.match(health.reason, /disk holding the database .*scanhub\.db is full/);
  assert.ok(!Number.isNaN(Date.parse(health.since)), `since is a time: ${health.since}`);

  const paused = (await get(`${server.url}/api/scans/${scanId}`)).body;
  assert.ok(['discovering', 'scanning', 'caching'].includes(paused.status), `still running: ${paused.status}`);
  assert.equal(paused.failure, null);
  assert.match(paused.currentOperation, /^Paused: the disk holding the database .* is full/);
  assert.match(paused.lastError, /is full/);

  // Idle and quiet while paused: a few seconds of CPU and log lines.
  const linesBefore = log.length;
  const cpuBefore = cpuSeconds(server.child.pid);
  const measuredMs = 4000;
  await delay(measuredMs);
  const cpuShare = (cpuSeconds(server.child.pid) - cpuBefore) / (measuredMs / 1000);
  const newLines = log.length - linesBefore;
  assert.ok(cpuShare < 0.10, `CPU while paused: ${(cpuShare * 100).toFixed(1)}% of a core`);
  assert.ok(newLines <= 2, `log lines while paused: ${newLines}\n${log.slice(linesBefore).join('\n')}`);
  assert.equal((await get(`${server.url}/healthz`)).status, 503, 'still paused: the disk is still full');

  rmSync(filler);
  // The queue retries with backoff (1 s doubling): the scan goes on within a retry or two.
  const done = await waitFor('the scan to end', async () => {
    const scan = (await get(`${server.url}/api/scans/${scanId}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(scan.status) ? scan : null;
  }, 150000);
  assert.equal(done.status, 'completed', `completed (failure: ${done.failure})`);
  assert.equal(done.directoriesTotal, manifest.directoriesWithAudio);
  assert.equal(done.directoriesScanned, manifest.directoriesWithAudio, 'each directory counted once');
  assert.equal(done.tracksFound, manifest.tracks.length);
  assert.equal(done.tracksNew, manifest.tracks.length, 'each track inserted once');
  assert.equal(done.errorsCount, manifest.errors.length, 'the bad files, and nothing for the full disk');
  assert.equal(done.assetsQueued, manifest.albumTotals.assets);
  assert.equal(done.assetsCached, manifest.albumTotals.assets);
  assert.equal(done.assetsFailed, 0);
  const libraries = (await get(`${server.url}/api/libraries`)).body;
  assert.equal(libraries[0].trackCount, manifest.tracks.length);
  assert.deepEqual((await get(`${server.url}/healthz`)).body, { status: 'ok' });

  // Few lines in all: the pause, perhaps a retry that got through and failed again, the
  // resumption (never one per failed write).
  const storageLines = log.filter((l) => l.includes('storage:'));
  assert.ok(log.length <= 12, `log lines in all: ${log.length}\n${log.join('\n')}`);
  assert.ok(storageLines.some((l) => /job queue pauses/.test(l)), log.join('\n'));
  assert.ok(storageLines.some((l) => /writes succeed again/.test(l)), log.join('\n'));

  const { code } = await server.stop();
  server = null;
  assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  unmountAll();
});

test('the asset cache on a full disk fails each asset with the reason and the scan completes',
     { timeout: 240000 }, async () => {
  // The database on the ordinary disk, the asset cache (next to it) on a tmpfs of 16 KiB.
  mkdirSync(join(dir, 'data'));
  mountTmpfs(join(dir, 'data', 'cache'), '16k');
  server = await serve(join(dir, 'data', 'scanhub.db'));
  collectLog(server.child);
  const started = await withTimeout(fetch(`${server.url}/api/library/scan`, { method: 'POST' }), 5000, 'POST scan');
  const { scanId } = await started.json();
  const done = await waitFor('the scan to end', async () => {
    const scan = (await get(`${server.url}/api/scans/${scanId}`)).body;
    return ['completed', 'failed', 'cancelled'].includes(scan.status) ? scan : null;
  }, 180000);
  assert.equal(done.status, 'completed', `completed (failure: ${done.failure})`);
  assert.equal(done.tracksFound, manifest.tracks.length, 'the tracks are all there');
  assert.equal(done.assetsQueued, manifest.albumTotals.assets);
  assert.ok(done.assetsFailed > 0, 'some assets did not fit');
  assert.equal(done.assetsCached + done.assetsFailed, done.assetsQueued, 'each asset counted once');
  assert.equal(done.errorsCount, manifest.errors.length + done.assetsFailed, 'each failed asset is an error');
  const errors = (await get(`${server.url}/api/scans/${scanId}/errors?limit=1000`)).body;
  const full = errors.filter((e) => /cache-asset failed: .*No space left on device/.test(e.reason));
  assert.equal(full.length, done.assetsFailed, JSON.stringify(errors.slice(0, 5)));
  assert.deepEqual((await get(`${server.url}/healthz`)).body, { status: 'ok' }, 'the database is fine');
  const { code } = await server.stop();
  server = null;
  assert.equal(code, 0);
  unmountAll();
});
