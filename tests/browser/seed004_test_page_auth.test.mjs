// Seed 004's test page (fixtures/test-signalr.html) against `scanhub serve --auth`: with no
// token it cannot connect (negotiate answers 401, the page logs its connection error); once its
// HubConnectionBuilder line is given a token in `accessTokenFactory`, exactly as seed 004's
// "Basic Connection" shows for authenticated users, the page connects, subscribes to a real
// scan (a job on /hubs/job-progress) and shows it to its end. Tokens come from an RS256
// identity provider made with node's crypto (tests/e2e/support/jwt.mjs). The page is the
// fixture with only that line changed; everything else is its own code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, withTimeout } from '../e2e/support/server_process.mjs';
import { identityProvider } from '../e2e/support/jwt.mjs';
import { launchChromium, openPage } from './support/browser.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MS = 10000;
const BUILDER_LINE = ".withUrl('/hubs/job-progress')";

let dir;
let server;
let browser;
let idp;

/** The fixture page, its withUrl line given `token` as seed 004 shows (none: unchanged). */
function writePage(name, token) {
  const html = readFileSync(join(FIXTURES, 'test-signalr.html'), 'utf8');
  assert.ok(html.includes(BUILDER_LINE), 'the fixture builds its connection as expected');
  const page = token === undefined ? html : html.replace(BUILDER_LINE,
    `.withUrl('/hubs/job-progress', {\n                    accessTokenFactory: () => '${token}'\n                })`);
  writeFileSync(join(dir, 'web', name), page);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-browser-auth-'));
  mkdirSync(join(dir, 'web'));
  idp = identityProvider(dir);
  const root = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [root, '--tracks', '60', '--seed', '5',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
  writePage('anonymous.html', undefined);
  writePage('signed-in.html', idp.token('ada'));
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', root, '--web-root', join(dir, 'web'),
    '--auth', '--jwt-issuer', idp.issuer, '--jwt-audience', idp.audience, '--jwt-key', idp.keyFile,
    '--directory-delay-for-test', '150', '--workers', '1', '--no-watch', '--no-embeddings',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await withTimeout(browser.close(), MS, 'browser.close()').catch(() => {});
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('without a token the page cannot connect: negotiate answers 401', { timeout: 60000 }, async () => {
  const { page } = await openPage(browser, `${server.url}/anonymous.html`);
  await page.waitForFunction(
    () => [...document.querySelectorAll('#log > div')].some((d) => /Connection error/i.test(d.textContent)),
    null, { timeout: MS });
  assert.notEqual(await page.textContent('#status'), 'Connected ✅');
  const log = await page.$$eval('#log > div', (divs) => divs.map((d) => d.textContent).join('\n'));
  assert.match(log, /401/);
  await page.close();
});

test('with a token in accessTokenFactory the page shows a real scan to its end', { timeout: 90000 }, async () => {
  const { page, problems } = await openPage(browser, `${server.url}/signed-in.html`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Connected ✅', null, { timeout: MS });

  let jobId;
  await page.route('**/api/v1/videos/ingest', async (route) => {
    // The scan is started by an admin (the page's user only watches it).
    const response = await fetch(`${server.url}/api/library/scan`, {
      method: 'POST', headers: { Authorization: `Bearer ${idp.token('root', { roles: ['admin'] })}` },
    });
    assert.equal(response.status, 200);
    ({ scanId: jobId } = await response.json());
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ jobId }) });
  });
  await page.getByRole('button', { name: 'Ingest Video', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('statusMessage').textContent === 'Completed successfully!',
    null, { timeout: 60000 });

  const log = await page.$$eval('#log > div', (divs) => divs.map((d) => d.textContent).reverse());
  assert.ok(log.some((line) => line.endsWith(`Subscribed to job: ${jobId}`)), log.join('\n'));
  assert.ok(log.some((line) => line.endsWith(`✅ Job Completed: ${jobId}`)), log.join('\n'));
  assert.equal(await page.textContent('#progressFill'), '100%');
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Disconnected', null, { timeout: MS });
  assert.deepEqual(problems, [], 'no console errors or uncaught exceptions');
  await page.close();
});
