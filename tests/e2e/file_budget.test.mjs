// Per-file limits with the real binary: a 500 MB sparse .mp3 no longer holds a scan for a
// minute and a half. `scanhub scan` ends with it counted as an error whose reason names the
// per-file time budget (`--file-time-budget`), and a file of zeros is refused after 1 MiB; a
// cancel (POST /api/scans/{id}/cancel, Ctrl-C in `scanhub scan`) and SIGTERM to `serve` stop the
// file being read at once. "At once" is measured as a user would: the process's CPU time
// (utime + stime of /proc/PID/stat) stops growing, and the process exits within its grace.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { delay, startServer, withTimeout } from './support/server_process.mjs';

const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const BIG = 500 * 1024 * 1024;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

let dir;

/**
 * An MPEG frame header and then zeros (sparse): it passes the MP3 frame-sync pre-check, and
 * TagLib then searches all of it for a second frame, byte by byte.
 */
function headerThenZeros(path, size) {
  writeFileSync(path, Buffer.from([0xff, 0xfb, 0x90, 0x00]));
  truncateSync(path, size);
}

/** `truncate -s SIZE path`: a sparse file of zeros. */
function zeros(path, size) {
  writeFileSync(path, '');
  truncateSync(path, size);
}

/** A library holding only Huge/frames.mp3 (500 MB): the one thing the worker can be busy with. */
function hugeOnlyLibrary(name) {
  const library = join(dir, name);
  mkdirSync(join(library, 'Huge'), { recursive: true });
  headerThenZeros(join(library, 'Huge', 'frames.mp3'), BIG);
  return library;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after "(comm)": state is field 3, utime 14 and stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resolves once the process has used `seconds` of CPU: it is deep in the file. */
async function untilBusy(pid, seconds, ms = 60000) {
  const start = cpuSeconds(pid);
  await withTimeout((async () => {
    while (cpuSeconds(pid) - start < seconds) await delay(100);
  })(), ms, `${seconds} s of CPU in the huge file`);
}

/**
 * Resolves once the process's CPU time grows by less than 0.05 s over half a second (idle);
 * rejects if that does not happen within `ms`.
 */
async function untilIdle(pid, ms) {
  await withTimeout((async () => {
    for (;;) {
      const before = cpuSeconds(pid);
      await delay(500);
      if (cpuSeconds(pid) - before < 0.05) return;
    }
  })(), ms, 'the worker to go idle');
}

/** Runs `scanhub ARGS` to its end; resolves {code, stdout, seconds}. */
function runScanhub(args, ms) {
  const started = Date.now();
  const child = spawn(process.env.SCANHUB_BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk.toString(); });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    done: withTimeout(exited, ms, `scanhub ${args[0]} to end`)
      .then((code) => ({ code, stdout, seconds: (Date.now() - started) / 1000 }))
      .catch((e) => { child.kill('SIGKILL'); throw e; }),
  };
}

async function getJson(url) {
  const response = await withTimeout(fetch(url), 5000, `GET ${url}`);
  assert.equal(response.status, 200, `GET ${url}`);
  return response.json();
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-budget-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('scanhub scan counts a 500 MB .mp3 as an error naming the budget and scans the rest',
     { timeout: 120000 }, async () => {
  const library = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [library, '--tracks', '12', '--seed', '14', '--no-bad',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  const manifest = JSON.parse(readFileSync(join(library, 'manifest.json'), 'utf8'));
  mkdirSync(join(library, 'Huge'));
  headerThenZeros(join(library, 'Huge', 'frames.mp3'), BIG);
  zeros(join(library, 'Huge', 'zeros.mp3'), BIG);

  const budget = 4;
  const { done } = runScanhub(['scan', library, '--db', join(dir, 'scan.db'), '--no-embeddings',
                               '--file-time-budget', String(budget)], 90000);
  const { code, stdout, seconds } = await done;
  assert.equal(code, 0, `the scan completes (a bad file is no failure):\n${stdout}`);
  assert.match(stdout, /Huge\/frames\.mp3: reading took longer than the 4 s budget/);
  assert.match(stdout, /Huge\/zeros\.mp3: not an MP3 file: no MPEG audio frame within 1 MiB after its tags/);
  assert.match(stdout, /errors:\s+2\n/);
  assert.match(stdout, new RegExp(`tracks:\\s+${manifest.tracks.length} found`));
  // Each huge file costs at most the budget (the zeros far less): an honest bound, not a race.
  assert.ok(seconds < budget * 3, `the scan took ${seconds} s with a ${budget} s budget`);
});

test('Ctrl-C in scanhub scan stops the file being read and exits at once', { timeout: 120000 },
     async () => {
  const library = hugeOnlyLibrary('ctrl-c');
  const run = runScanhub(['scan', library, '--db', join(dir, 'ctrl-c.db'), '--no-embeddings',
                          '--file-time-budget', '300'], 90000);
  await untilBusy(run.child.pid, 1);
  const interrupted = Date.now();
  run.child.kill('SIGINT');
  const { code, stdout } = await run.done;
  assert.equal(code, 130, `cancelled with Ctrl-C:\n${stdout}`);
  const seconds = (Date.now() - interrupted) / 1000;
  assert.ok(seconds < 5, `exited ${seconds} s after Ctrl-C`);
  assert.match(stdout, /cancelled/);
});

test('a cancel over HTTP leaves the worker idle within a couple of seconds', { timeout: 120000 },
     async () => {
  const library = hugeOnlyLibrary('cancel');
  const server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'cancel.db'), '--library', library, '--no-watch',
    '--no-embeddings', '--scan-on-start', '--file-time-budget', '300',
  ], { portPattern: PORT_LINE });
  try {
    const [scan] = await getJson(`${server.url}/api/scans`);
    await untilBusy(server.child.pid, 1);
    assert.equal((await getJson(`${server.url}/api/scans/${scan.id}`)).status, 'scanning');

    const response = await withTimeout(fetch(`${server.url}/api/scans/${scan.id}/cancel`, { method: 'POST' }),
                                       5000, 'cancel');
    assert.equal(response.status, 202, "the cancel is accepted");
    await untilIdle(server.child.pid, 3000);
    assert.equal((await getJson(`${server.url}/api/scans/${scan.id}`)).status, 'cancelled');
    const errors = await getJson(`${server.url}/api/scans/${scan.id}/errors`);
    assert.deepEqual(errors, [], 'a cancel is no error of the file');
  } finally {
    // Not asserted here: a failure above is the one to report.
    await server.stop(10000).catch(() => {});
  }
});

test('SIGTERM to serve while a file is being read exits within the shutdown grace',
     { timeout: 120000 }, async () => {
  const library = hugeOnlyLibrary('sigterm');
  const server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'sigterm.db'), '--library', library, '--no-watch',
    '--no-embeddings', '--scan-on-start', '--file-time-budget', '300',
  ], { portPattern: PORT_LINE });
  await untilBusy(server.child.pid, 1);
  const stopping = Date.now();
  const { code } = await server.stop(5000);
  assert.equal(code, 0, 'a clean stop');
  const seconds = (Date.now() - stopping) / 1000;
  assert.ok(seconds < 5, `exited ${seconds} s after SIGTERM`);
});
