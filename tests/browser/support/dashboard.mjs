// Shared set-up for the dashboard tests (tests/browser/dashboard*.test.mjs): a generated music
// library, a real `scanhub serve` on 127.0.0.1 serving its embedded page, the JSON API from
// Node, and the browser's console errors that a test expects (a 4xx it provoked on purpose).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startServer, withTimeout } from '../../e2e/support/server_process.mjs';

export const MS = 10000;

/** A test file's after(): closes the browser, stops scanhub (which must exit 0 on SIGTERM) and
 * removes the temporary directory; each step is skipped when it was never set up. */
export async function tearDown({ browser, server, dir }) {
  if (browser) await withTimeout(browser.close(), MS, 'browser.close()').catch(() => {});
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * make-library DIR --tracks N --seed S (or --movies N: a movie library in Kodi's layout);
 * returns {path, manifest}.
 */
export function makeLibrary(path, { tracks = 200, movies = 0, seed = 5, noBad = false } = {}) {
  const size = movies > 0 ? ['--movies', String(movies)] : ['--tracks', String(tracks)];
  execFileSync(process.env.MAKE_LIBRARY, [path, ...size, '--seed', String(seed), ...(noBad ? ['--no-bad'] : []),
                                          '--template-cache', process.env.TEMPLATE_CACHE],
               { stdio: ['ignore', 'ignore', 'inherit'] });
  return { path, manifest: JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) };
}

/**
 * `scanhub serve` on 127.0.0.1 with its database in `dir`, no file-system watcher (unless
 * `watch`), and each directory of a scan slowed by `delayMs` on one worker so a test can watch
 * it run.
 */
export function serve(dir, { port = 0, delayMs = 250, watch = false, args = [] } = {}) {
  // DASHBOARD_WEB_ROOT=web/ tries page edits without rebuilding scanhub; ctest leaves it unset,
  // so the tests check the page embedded in the binary.
  const webRoot = process.env.DASHBOARD_WEB_ROOT ? ['--web-root', process.env.DASHBOARD_WEB_ROOT] : [];
  return startServer(process.env.SCANHUB_BIN, [
    'serve', '--address', '127.0.0.1', '--port', String(port), '--db', join(dir, 'scanhub.db'), ...(watch ? [] : ['--no-watch']),
    '--directory-delay-for-test', String(delayMs), '--workers', '1', ...webRoot, ...args,
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
}

/** A port free right now on 127.0.0.1 (for a server that must come back on the same one). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** One JSON API call from Node: {status, body}. */
export async function api(server, method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const response = await withTimeout(fetch(`${server.url}${path}`, init), MS, `${method} ${path}`);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * Asserts the page logged no console error except those matching one of `expected` (regular
 * expressions for errors the test provoked on purpose, e.g. Chromium's line for a 400 answer).
 */
export function assertNoConsoleErrors(problems, expected = []) {
  const unexpected = problems.filter((p) => !expected.some((re) => re.test(p)));
  assert.deepEqual(unexpected, [], 'no console errors on the page');
}

/** The attributes of the progressbar in phase card `phase` of the scan shown for `scanId`. */
export function phaseBar(page, scanId, phase) {
  return page.locator(`article.scan[data-scan-id="${scanId}"] li.phase[data-phase="${phase}"] [role=progressbar]`);
}

/** Reads aria-valuenow/aria-valuemax of a progressbar locator as numbers (NaN when absent). */
export async function barValues(bar) {
  const [now, max] = await Promise.all([bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuemax')]);
  return { now: Number(now ?? NaN), max: Number(max ?? NaN) };
}

/** Polls `fn` (async, returns truthy when done) every 50 ms, for at most `ms`. */
export async function until(fn, label, ms = MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
