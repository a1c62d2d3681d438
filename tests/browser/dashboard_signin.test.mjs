// The dashboard with `serve --auth` (issue 16 item 2) in Debian's headless Chromium against a
// real scanhub and a local user made by `scanhub user add` (password on stdin): the page shows
// a sign-in form instead of the dashboard; a wrong password is said in the form; signed in,
// every REST call carries the token, the hubs and /ws get it as access_token, and a scan started
// from the page is watched live; Sign out closes every connection and brings the form back,
// after which the page's calls are refused. A kept token the server refuses (401) brings the
// form back with "Your session expired, sign in again." With authentication off the page shows
// no form and no account line and sends no token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { addUser, removeUser, submitSignIn } from './support/auth.mjs';
import { MS, api, assertNoConsoleErrors, barValues, makeLibrary, phaseBar, serve, until, tearDown } from './support/dashboard.mjs';

const PASSWORD = 'correct horse battery staple';
const EXPIRED = 'Your session expired, sign in again.';
// Chromium logs each 401 the page provoked on purpose (a wrong password, a call after sign-out).
const UNAUTHORIZED = /status of 401 \(Unauthorized\)/;

let dir;
let library;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-signin-'));
  mkdirSync(join(dir, 'media'));
  // 13 directories at 300 ms each on one worker: a few seconds of scanning to watch.
  library = makeLibrary(join(dir, 'media', 'music'), { tracks: 120, seed: 11 });
  addUser(dir, 'alice', PASSWORD, { admin: true });
  addUser(dir, 'bob', 'bobs own password');
  addUser(dir, 'carol', 'carols own password');
  server = await serve(dir, { delayMs: 300, args: ['--auth', '--library-root', join(dir, 'media')] });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

/** What the page sends, as seen by Chromium: REST requests with their Authorization header,
 * and every WebSocket it opens with its close. */
function recordTraffic(page) {
  const rest = [];
  const sockets = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/') || url.pathname.endsWith('/negotiate')) {
      rest.push({ path: url.pathname, authorization: request.headers().authorization ?? null });
    }
  });
  page.on('websocket', (ws) => {
    const entry = { url: new URL(ws.url()), closed: false };
    ws.on('close', () => { entry.closed = true; });
    sockets.push(entry);
  });
  return { rest, sockets };
}

test('a wrong password is refused; signed in, a scan is watched live; sign out closes it all', { timeout: 90000 }, async () => {
  assert.equal((await api(server, 'GET', '/api/libraries')).status, 401, 'the API refuses a call without a token');
  const { page, problems } = await openPage(browser, server.url);
  const traffic = recordTraffic(page);

  // The form, not the dashboard; the focus is in the user name field.
  await page.locator('#signin-username').waitFor();
  assert.equal(await page.locator('#dashboard').isHidden(), true, 'no dashboard before sign-in');
  assert.equal(await page.locator('#account').isHidden(), true, 'no account line before sign-in');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-username', 'typing starts in the user name');
  assert.equal(await page.getByLabel('User name').getAttribute('id'), 'signin-username', 'the fields are labelled');
  assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');

  // A wrong password: the server's message in the alert line, the password selected again.
  await submitSignIn(page, 'alice', 'not the password');
  const message = page.locator('#signin-message');
  assert.equal(await message.textContent(), 'Wrong user name or password.');
  assert.equal(await message.getAttribute('role'), 'alert');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-password', 'focus returns to the password');
  assert.equal(await page.locator('#dashboard').isHidden(), true, 'still no dashboard');
  await saveScreenshot(page, 'signin-wrong-password');

  // The right one (Enter in the field): the dashboard, live, with who is signed in.
  await submitSignIn(page, 'alice', PASSWORD);
  await page.locator('#connection[data-state=connected]').waitFor();
  assert.equal(await page.locator('#account-name').textContent(), 'alice');
  assert.equal(await page.locator('#sign-out').isVisible(), true);
  assert.ok(await page.evaluate(() => sessionStorage.getItem('scanhub.session')), 'the token is kept for this tab');
  assert.equal(await page.evaluate(() => localStorage.getItem('scanhub.session')), null,
               'and not past it without "keep me signed in"');

  // Add a library and watch its scan move.
  await page.locator('#library-path').fill(library.path);
  await page.locator('#library-path').press('Enter');
  const scan = page.locator('article.scan[data-status]');
  await scan.first().waitFor();
  const scanId = await scan.first().getAttribute('data-scan-id');
  const bar = phaseBar(page, scanId, 'scanning');
  const first = await until(async () => {
    const v = await barValues(bar);
    return v.now >= 1 && v.now < v.max ? v : null;
  }, 'the scanning bar starts moving', 20000);
  assert.equal(first.max, library.manifest.directoriesWithAudio);
  await until(async () => (await barValues(bar)).now > first.now, 'the scanning bar advances');
  await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`).waitFor({ timeout: 60000 });
  await saveScreenshot(page, 'signin-scanned');

  // Every call carried the token: REST and negotiate as a header, the sockets in their URL.
  const signedInCalls = traffic.rest.filter((r) => !r.path.startsWith('/api/auth/'));
  assert.ok(signedInCalls.some((r) => r.path === '/api/libraries'), 'the page called the API');
  assert.ok(signedInCalls.some((r) => r.path.endsWith('/negotiate')), 'the page negotiated its hubs');
  for (const call of signedInCalls) assert.match(call.authorization ?? '', /^Bearer \S+$/, `${call.path} carries the token`);
  const paths = traffic.sockets.map((s) => s.url.pathname).sort();
  assert.deepEqual(paths, ['/hubs/job-progress', '/hubs/progress', '/ws']);
  for (const socket of traffic.sockets) assert.ok(socket.url.searchParams.get('access_token'), `${socket.url.pathname} has access_token`);

  // Sign out: every connection closes, the form is back, the token is gone.
  await page.locator('#sign-out').click();
  await page.locator('#signin-username').waitFor();
  assert.equal(await page.locator('#dashboard').isHidden(), true);
  assert.equal(await page.locator('#account').isHidden(), true);
  assert.equal(await message.textContent(), '', 'a sign-out is no error');
  await until(() => traffic.sockets.every((s) => s.closed), 'every socket closed');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('scanhub.session')), null, 'the token is dropped');
  const afterSignOut = await page.evaluate(async () => {
    const { api } = await import('/js/dom.js');
    const page = await api('GET', '/api/libraries').then(() => 'answered', (err) => `refused ${err.status}`);
    const raw = (await fetch('/api/libraries')).status;
    return { page, raw };
  });
  assert.deepEqual(afterSignOut, { page: 'refused 401', raw: 401 }, 'REST from the page fails without the token');
  await saveScreenshot(page, 'signin-signed-out');

  assertNoConsoleErrors(problems, [UNAUTHORIZED]);
  await page.close();
});

test('a kept token the server refuses brings the form back: "Your session expired"', { timeout: 60000 }, async () => {
  // A context of its own, for a second tab sharing its storage (openPage needs only newPage()).
  const context = await browser.newContext();
  const { page, problems } = await openPage(context, server.url);
  await page.locator('#signin-username').waitFor();
  await submitSignIn(page, 'alice', PASSWORD, { remember: true });
  await page.locator('#connection[data-state=connected]').waitFor();
  assert.ok(await page.evaluate(() => localStorage.getItem('scanhub.session')), '"keep me signed in" keeps it past the tab');

  // Another tab of the same browser is signed in by the kept token.
  const other = await context.newPage();
  await other.goto(server.url);
  await other.locator('#connection[data-state=connected]').waitFor();
  assert.equal(await other.locator('#account-name').textContent(), 'alice');
  await other.close();

  // The kept token with a signature of another key: the server answers 401 on the reload.
  await page.evaluate(() => {
    const kept = JSON.parse(localStorage.getItem('scanhub.session'));
    const [header, payload, signature] = kept.token.split('.');
    kept.token = [header, payload, [...signature].reverse().join('')].join('.');
    localStorage.setItem('scanhub.session', JSON.stringify(kept));
  });
  await page.reload({ waitUntil: 'load' });
  await until(async () => (await page.locator('#signin-message').textContent()) === EXPIRED, 'the expiry is said');
  assert.equal(await page.locator('#dashboard').isHidden(), true);
  assert.equal(await page.evaluate(() => localStorage.getItem('scanhub.session')), null, 'the refused token is dropped');
  assert.equal(await page.locator('#signin-username').inputValue(), 'alice', 'the name is kept for signing in again');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'signin-password', 'and the password is asked');
  await saveScreenshot(page, 'signin-expired');

  // Dark mode, like the rest of the page.
  const light = await page.evaluate(() => getComputedStyle(document.querySelector('#signin')).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.querySelector('#signin')).backgroundColor), light);
  await saveScreenshot(page, 'signin-dark');

  assertNoConsoleErrors(problems, [UNAUTHORIZED]);
  await context.close();
});

test('a 401 in the middle of a session (the user was removed) brings the form back', { timeout: 60000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  const traffic = recordTraffic(page);
  await page.locator('#signin-username').waitFor();
  await submitSignIn(page, 'carol', 'carols own password');
  await page.locator('#connection[data-state=connected]').waitFor();
  const scan = page.locator('li.library button', { hasText: 'Scan' }).first();
  await scan.waitFor();

  // scanhub reads a local token's user back on every call: once carol is gone, the next call
  // from her page is answered 401.
  removeUser(dir, 'carol');
  await scan.click();
  await until(async () => (await page.locator('#signin-message').textContent()) === EXPIRED, 'the expiry is said');
  assert.equal(await page.locator('#dashboard').isHidden(), true);
  assert.equal(await page.locator('#account').isHidden(), true);
  await until(() => traffic.sockets.length > 0 && traffic.sockets.every((s) => s.closed), 'the page closed its connections');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('scanhub.session')), null, 'the refused token is dropped');
  assertNoConsoleErrors(problems, [UNAUTHORIZED]);
  await page.close();
});

test('too many wrong passwords: the form says how long to wait and waits', { timeout: 60000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#signin-username').waitFor();
  const message = page.locator('#signin-message');
  const said = [];
  for (let attempt = 0; attempt < 10 && !/^Too many/.test(said.at(-1) ?? ''); attempt += 1) {
    await submitSignIn(page, 'bob', `guess ${attempt}`);
    said.push(await message.textContent());
  }
  const wait = said.at(-1).match(/^Too many failed sign-ins\. Try again in (\d+) (second|minute)s?\.$/);
  assert.ok(wait, `the rate limit is said with its wait: ${JSON.stringify(said)}`);
  assert.ok(said.length > 1 && said.slice(0, -1).every((m) => m === 'Wrong user name or password.'),
            'each wrong password before it was said as such');
  assert.equal(await page.locator('#signin-submit').isDisabled(), true, 'Sign in waits for the limit');
  await saveScreenshot(page, 'signin-rate-limited');
  assertNoConsoleErrors(problems, [UNAUTHORIZED, /status of 429 \(Too Many Requests\)/]);
  await page.close();
});

test('with authentication off: no form, no account line, no token', { timeout: 60000 }, async () => {
  const openDir = mkdtempSync(join(tmpdir(), 'scanhub-signin-off-'));
  const open = await serve(openDir);
  try {
    const { page, problems } = await openPage(browser, open.url);
    // Recorded from a reload: the first load's calls can be over before a listener is set.
    const traffic = recordTraffic(page);
    await page.reload();
    await page.locator('#connection[data-state=connected]').waitFor();
    await page.getByText('No library yet').waitFor();
    assert.equal(await page.locator('#signin').isHidden(), true, 'no sign-in form');
    assert.equal(await page.locator('#account').isHidden(), true, 'no account line, no Sign out');
    assert.equal(await page.locator('#sign-out').isVisible(), false);
    assert.ok(traffic.rest.length > 0);
    assert.deepEqual(traffic.rest.filter((r) => r.authorization || r.path === '/api/auth/me'), [], 'no token is sent');
    assert.deepEqual(traffic.sockets.filter((s) => s.url.searchParams.has('access_token')), []);
    assertNoConsoleErrors(problems);
    await page.close();
  } finally {
    await tearDown({ server: open, dir: openDir });
  }
});
