// A web page from another origin cannot drive scanhub (README "Security",
// src/http/request_policy.hpp). A tiny Node server on 127.0.0.1 at another port serves an
// "attacker" page to headless Chromium; the page tries what any site a user visits could try
// against a local scanhub: a hub connection with the official browser client (negotiate, and a
// WebSocket straight away with skipNegotiation) that then calls StartLibraryScan, a no-cors
// text/plain fetch POST to /api/library/scan, and form POSTs to /api/libraries (urlencoded, and
// text/plain carrying a JSON body). Afterwards the API shows no scan and no new library. The same
// page served by scanhub itself (--web-root) does connect and start a scan, so the test would
// see an attack that worked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../e2e/support/server_process.mjs';
import { launchChromium } from './support/browser.mjs';
import { MS, api, serve, tearDown } from './support/dashboard.mjs';

const CLIENT = readFileSync('node_modules/@microsoft/signalr/dist/browser/signalr.min.js');

// The attacker's page: every attempt, each reported as a string. `target` is scanhub's origin.
const PAGE = `<!doctype html>
<meta charset="utf-8"><title>attacker</title>
<script src="/lib/signalr.min.js"></script>
<iframe name="sink"></iframe>
<script>
async function hub(target, libraryId, options) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(target + '/hubs/indexer', options)
    .configureLogging(signalR.LogLevel.None)
    .build();
  try {
    await connection.start();
  } catch (e) {
    return 'refused';
  }
  try {
    await connection.invoke('StartLibraryScan', String(libraryId));
    return 'connected, scan started';
  } catch (e) {
    return 'connected: ' + e.message;
  } finally {
    await connection.stop();
  }
}

function submitForm(action, enctype, fields) {
  return new Promise((resolve) => {
    const sink = document.querySelector('iframe[name=sink]');
    sink.addEventListener('load', () => resolve('submitted'), { once: true });
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = action;
    form.enctype = enctype;
    form.target = 'sink';
    for (const [name, value] of fields) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  });
}

window.attack = async (target, libraryId, newLibrary) => {
  const results = {};
  results.negotiate = await hub(target, libraryId, {});
  results.webSocket = await hub(target, libraryId,
    { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets });
  try {
    await fetch(target + '/api/library/scan', { method: 'POST', mode: 'no-cors', body: '{}' });
    results.fetch = 'sent';
  } catch (e) {
    results.fetch = 'failed';
  }
  results.form = await submitForm(target + '/api/libraries', 'application/x-www-form-urlencoded',
    [['path', newLibrary], ['type', 'music']]);
  // name + '=' + value is a JSON document: {"path": ..., "type": "music", "x": "="}
  results.jsonForm = await submitForm(target + '/api/libraries', 'text/plain',
    [['{"path":' + JSON.stringify(newLibrary) + ',"type":"music","x":"', '"}']]);
  return results;
};
</script>`;

let dir;
let server;
let attacker;
let browser;
let library;
let newLibrary;

before(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'scanhub-cross-origin-')));
  library = join(dir, 'music');
  newLibrary = join(dir, 'more-music');
  const web = join(dir, 'web');
  for (const folder of [library, newLibrary, web]) mkdirSync(folder);
  writeFileSync(join(web, 'attack.html'), PAGE);
  // scanhub serves the page too (--web-root), for the same-origin control.
  server = await serve(dir, { delayMs: 0, args: ['--library', library, '--web-root', web] });
  attacker = createServer((request, response) => {
    if (request.url === '/lib/signalr.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(CLIENT);
    } else if (request.url === '/attack.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  if (attacker) await new Promise((resolve) => attacker.close(resolve));
  await tearDown({ browser, server, dir });
});

async function runAttack(pageUrl) {
  const page = await browser.newPage();
  try {
    await page.goto(pageUrl, { waitUntil: 'load', timeout: MS });
    const { body: [{ id }] } = await api(server, 'GET', '/api/libraries');
    return await withTimeout(page.evaluate(([target, libraryId, path]) => window.attack(target, libraryId, path),
      [server.url, id, newLibrary]), MS * 2, 'the page to finish its attempts');
  } finally {
    await page.close();
  }
}

test('a page from another origin opens no hub connection, starts no scan and adds no library', { timeout: 60000 }, async () => {
  const results = await runAttack(`http://127.0.0.1:${attacker.address().port}/attack.html`);
  assert.equal(results.negotiate, 'refused', JSON.stringify(results));
  assert.equal(results.webSocket, 'refused');
  assert.deepEqual((await api(server, 'GET', '/api/scans')).body, [], `no scan: ${JSON.stringify(results)}`);
  const libraries = (await api(server, 'GET', '/api/libraries')).body;
  assert.deepEqual(libraries.map((l) => l.path), [library], 'no library added');
});

test('the same page on scanhub\'s own origin connects and starts a scan', { timeout: 60000 }, async () => {
  const results = await runAttack(`${server.url}/attack.html`);
  assert.equal(results.negotiate, 'connected, scan started', JSON.stringify(results));
  assert.ok((await api(server, 'GET', '/api/scans')).body.length >= 1);
});
