// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by npm playwright-core
// (no downloaded browser). Shared by every test under tests/browser.
//
//   const browser = await launchChromium();
//   const { page, problems } = await openPage(browser, `${server.url}/page.html`);
//   ...
//   assert.deepEqual(problems, [], 'no console errors');
//   await saveScreenshot(page, 'page-done');   // <BROWSER_ARTIFACTS>/page-done.png
//   await browser.close();
//
// Environment (set by tests/browser/CMakeLists.txt): CHROMIUM, the browser executable (default
// /usr/bin/chromium); BROWSER_ARTIFACTS, the folder for screenshots (default the OS temp dir).
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../../e2e/support/server_process.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.BROWSER_ARTIFACTS || join(tmpdir(), 'scanhub-browser-artifacts');

/**
 * Launches headless Chromium and resolves with a playwright-core Browser. As root (containers,
 * CI) Chromium refuses to start without --no-sandbox, so it is added then and only then; a small
 * /dev/shm is common in containers, so shared memory goes to /tmp. Rejects after `timeoutMs`.
 */
export async function launchChromium({ timeoutMs = 30000, args = [] } = {}) {
  const flags = ['--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', ...args];
  if (process.getuid?.() === 0) flags.push('--no-sandbox');
  return withTimeout(chromium.launch({ executablePath: CHROMIUM, headless: true, args: flags, timeout: timeoutMs }),
    timeoutMs + 1000, `launch ${CHROMIUM}`);
}

/**
 * Opens `url` in a new page of `browser` and collects what a developer would see as an error in
 * DevTools: console messages of type "error" and uncaught exceptions (`problems`, one string
 * each, filled as they happen), plus every console line (`consoleLines`, "type: text") for
 * diagnostics. The one error left out is the 404 of the browser's own /favicon.ico request.
 * Resolves once the page's load event has fired.
 */
export async function openPage(browser, url, { timeoutMs = 15000 } = {}) {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  const problems = [];
  const consoleLines = [];
  page.on('console', (message) => {
    consoleLines.push(`${message.type()}: ${message.text()}`);
    if (message.type() !== 'error') return;
    const where = message.location()?.url ?? '';
    // The browser itself asks for /favicon.ico; scanhub has none, and that 404 is no page error.
    if (new URL(where, url).pathname === '/favicon.ico') return;
    problems.push(`console.error: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('crash', () => problems.push('page crashed'));
  await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  return { page, problems, consoleLines };
}

/** Saves a full-page PNG as <ARTIFACTS>/<name>.png and returns its path (non-empty, checked). */
export async function saveScreenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (statSync(path).size === 0) throw new Error(`empty screenshot ${path}`);
  return path;
}
