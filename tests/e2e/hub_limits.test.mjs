// Per-connection and per-client limits of the SignalR hubs, against a real `scanhub serve`:
// one connection cannot make the server keep what it sends (groups per connection, id length),
// and one client address cannot lock the others out of negotiate. Memory is the server's
// resident set (/proc/PID/status VmRSS), measured before, during and after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { delay, startServer, withTimeout } from './support/server_process.mjs';
import { RawHubSocket } from './support/raw_hub_socket.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const PORT_LINE = /serving http:\/\/[^:]+:(\d+)\//;
const MS = 5000;
const SUBSCRIBES = 3000;
const ID_BYTES = 30000;    // under the 32 KiB message limit with the invocation around it
const GROUP_LIMIT = 100;   // HubOptions::max_groups_per_connection's default
const FLOOD = 10000;       // negotiates: the hub's whole pending cap before the per-client one
const CLIENT_PENDING = 1000;  // HubOptions::max_pending_negotiations_per_client's default
// Growth of the server's resident set that a misbehaving client may cause. Without the limits
// 3,000 subscribes with 30 KB ids kept 185 MB (78 MB still after the close); with them under
// 1.5 MB was measured, allocator slack from parsing 90 MB of invocations included.
const RSS_BOUND_KB = 8 * 1024;
const IDLE_CONNECTIONS = 1000;

let dir;
let root;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-limits-'));
  root = join(dir, 'library');
  execFileSync(process.env.MAKE_LIBRARY, [root, '--tracks', '12', '--seed', '5',
                                          '--template-cache', process.env.TEMPLATE_CACHE]);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)[1]);
}

async function serve(name, args = []) {
  return startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, `${name}.db`), '--no-watch', '--no-embeddings', ...args,
  ], { portPattern: PORT_LINE });
}

/** POST with node:http, so the client's address can be chosen (`localAddress`). */
function post(port, path, { agent, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, localAddress,
                                   headers: { 'content-length': 0 } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    request.once('error', reject);
    request.end();
  });
}

/** Completions (type 3) by invocation id until `ids` are all in; pings and events skipped. */
async function completions(ws, ids, label) {
  const wanted = new Set(ids);
  const got = new Map();
  while (got.size < wanted.size) {
    const message = await ws.nextMessage(MS);
    if (message.type === 3 && wanted.has(message.invocationId)) got.set(message.invocationId, message);
  }
  assert.equal(got.size, wanted.size, label);
  return got;
}

/** VmRSS once it is within the bound of `before`, or after 3 s, whichever comes first. */
async function settledRss(pid, before) {
  let rss = rssKb(pid);
  for (const deadline = Date.now() + 3000; rss - before >= RSS_BOUND_KB && Date.now() < deadline; await delay(50)) {
    rss = rssKb(pid);
  }
  return rss;
}

async function scanEnded(server) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline; await delay(100)) {
    const [scan] = await (await fetch(`${server.url}/api/scans`)).json();
    if (scan && ['completed', 'failed', 'cancelled'].includes(scan.status)) return scan;
  }
  throw new Error('the scan did not end in 60 s');
}

for (const { hub, subscribe } of [{ hub: '/hubs/progress', subscribe: 'SubscribeToScan' },
                                  { hub: '/hubs/job-progress', subscribe: 'SubscribeToJob' }]) {
  test(`${subscribe}: 3,000 calls with 30 KB ids and joins past the group limit get error completions, memory stays bounded, others are served`,
       { timeout: 120000 }, async () => {
    const server = await serve(`subscribes-${subscribe}`, ['--library', root, '--scan-on-start']);
    try {
      const scan = await scanEnded(server);
      const pid = server.child.pid;
      // The baseline after one connection came and went: what any client costs is in it.
      const warm = await RawHubSocket.open(`ws://127.0.0.1:${server.port}${hub}`);
      await warm.handshake();
      warm.sendRecord({ type: 1, invocationId: 'w', target: subscribe, arguments: ['warm'] });
      await completions(warm, ['w'], 'warm-up');
      warm.close();
      await warm.waitClosed();
      const before = rssKb(pid);

      const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}${hub}`);
      await ws.handshake();
      // Distinct ids: a server that kept them could not share one copy.
      const longId = (i) => `${i}-`.padEnd(ID_BYTES, 'x');
      const ids = [];
      for (let i = 0; i < SUBSCRIBES; i += 1) {
        ids.push(String(i));
        ws.sendRecord({ type: 1, invocationId: String(i), target: subscribe, arguments: [longId(i)] });
      }

      // Meanwhile another client of the hub subscribes to the real, ended scan and gets its end.
      const other = new signalR.HubConnectionBuilder().withUrl(`${server.url}${hub}`)
        .configureLogging(signalR.LogLevel.Error).build();
      const ended = new Promise((resolve) => {
        for (const name of ['ScanCompleted', 'JobCompleted']) other.on(name, (payload) => resolve({ name, payload }));
      });
      await withTimeout(other.start(), MS, 'second client connects during the flood');
      await withTimeout(other.invoke(subscribe, String(scan.id)), MS, 'second client subscribes');
      const event = await withTimeout(ended, MS, 'second client gets the end of the real scan');
      assert.ok(['ScanCompleted', 'JobCompleted'].includes(event.name));

      const answers = await completions(ws, ids, 'a completion for every long-id subscribe');
      for (const [id, message] of answers) {
        assert.match(message.error ?? '', /longer than 128 bytes/, `invocation ${id}`);
        assert.ok(message.error.length < 200, 'the error does not echo the id');
      }
      assert.equal(ws.isClosed, false, 'the connection stays open');

      // Short ids: the first 100 groups are joined, further ones refused; rejoining a group the
      // connection is in does not count, and leaving one frees its place.
      const joins = Array.from({ length: GROUP_LIMIT + 20 }, (_, i) => `g${i}`);
      for (const id of joins) ws.sendRecord({ type: 1, invocationId: id, target: subscribe, arguments: [`group-${id}`] });
      const joined = await completions(ws, joins, 'a completion for every join');
      for (const [index, id] of joins.entries()) {
        const { error } = joined.get(id);
        if (index < GROUP_LIMIT) assert.equal(error, undefined, `join ${index}`);
        else assert.match(error ?? '', /in 100 groups/, `join ${index}`);
      }
      const unsubscribe = subscribe.replace('SubscribeTo', 'UnsubscribeFrom');
      ws.sendRecord({ type: 1, invocationId: 'again', target: subscribe, arguments: ['group-g0'] });
      ws.sendRecord({ type: 1, invocationId: 'leave', target: unsubscribe, arguments: ['group-g1'] });
      ws.sendRecord({ type: 1, invocationId: 'new', target: subscribe, arguments: [`group-g${GROUP_LIMIT}`] });
      ws.sendRecord({ type: 1, invocationId: 'full', target: subscribe, arguments: ['group-g1'] });
      const last = await completions(ws, ['again', 'leave', 'new', 'full'], 'rejoin, leave, join');
      assert.equal(last.get('again').error, undefined, 'rejoining does not count');
      assert.equal(last.get('leave').error, undefined);
      assert.equal(last.get('new').error, undefined, 'a place freed by leaving is taken');
      assert.match(last.get('full').error ?? '', /in 100 groups/);

      const during = rssKb(pid);
      ws.close();
      await ws.waitClosed();
      await withTimeout(other.stop(), MS, 'second client stops');
      // The server frees the connection on its strand after the close, a moment later.
      const afterClose = await settledRss(pid, before);
      console.log(`${subscribe}: VmRSS ${before} kB before, ${during} kB after ${SUBSCRIBES} ` +
                  `subscribes, ${afterClose} kB after close`);
      assert.ok(during - before < RSS_BOUND_KB, `during: +${during - before} kB`);
      assert.ok(afterClose - before < RSS_BOUND_KB, `after close: +${afterClose - before} kB`);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
}

test('connections that each sent one 30 KB message keep no buffer for it while idle', { timeout: 120000 }, async () => {
  const server = await serve('idle');
  const sockets = [];
  try {
    const pid = server.child.pid;
    for (let i = 0; i < IDLE_CONNECTIONS; i += 1) {
      const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/progress`);
      await ws.handshake();
      sockets.push(ws);
    }
    const before = rssKb(pid);
    await withTimeout(Promise.all(sockets.map(async (ws, i) => {
      // An argument error: nothing of it is stored, only the connection's read buffer could be.
      ws.sendRecord({ type: 1, invocationId: '1', target: 'GetActiveScans', arguments: ['x'.repeat(ID_BYTES)] });
      const [answer] = (await completions(ws, ['1'], `connection ${i}`)).values();
      assert.match(answer.error ?? '', /argument/);
    })), 60000, 'every connection answered');
    const idle = rssKb(pid);
    console.log(`idle: VmRSS ${before} kB with ${IDLE_CONNECTIONS} connections, ${idle} kB after each sent 30 KB`);
    // Kept, each connection's read buffer would be 32 KB: 32 MB for 1,000.
    assert.ok(idle - before < RSS_BOUND_KB, `+${idle - before} kB`);
  } finally {
    for (const ws of sockets) ws.terminate();
    assert.equal((await server.stop()).code, 0);
  }
});

test('a negotiate flood from one address gets 429 and leaves other addresses served at once', { timeout: 120000 }, async () => {
  const server = await serve('flood');
  try {
    const pid = server.child.pid;
    const negotiatePath = '/hubs/progress/negotiate?negotiateVersion=1';
    const warm = await post(server.port, negotiatePath);
    assert.equal(warm.status, 200);
    const before = rssKb(pid);

    // 10,000 negotiates from 127.0.0.1 over four keep-alive connections.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const statuses = new Map();
    let refusal;
    let sent = 0;
    const worker = async () => {
      while (sent < FLOOD) {
        sent += 1;
        const reply = await post(server.port, negotiatePath, { agent });
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 429) refusal = reply;
      }
    };
    await withTimeout(Promise.all(Array.from({ length: 4 }, worker)), 60000, 'the flood');
    agent.destroy();

    // Another address negotiates and connects at once, and is served.
    const started = Date.now();
    const negotiated = await withTimeout(post(server.port, negotiatePath, { localAddress: '127.0.0.2' }),
                                         MS, 'negotiate from 127.0.0.2');
    assert.equal(negotiated.status, 200, negotiated.body);
    const { connectionToken } = JSON.parse(negotiated.body);
    const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/progress?id=${encodeURIComponent(connectionToken)}`,
                                       { localAddress: '127.0.0.2' });
    await ws.handshake();
    ws.sendRecord({ type: 1, invocationId: '1', target: 'GetActiveScans', arguments: [] });
    const [answer] = (await completions(ws, ['1'], 'GetActiveScans from 127.0.0.2')).values();
    assert.deepEqual(answer.result, []);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `negotiated, connected and answered in ${elapsed} ms`);
    ws.close();
    await ws.waitClosed();

    // The flooding address got its share and then 429s (the warm-up negotiate came from it too
    // and is still pending), with Retry-After and a JSON reason.
    assert.deepEqual(Object.fromEntries(statuses), { 200: CLIENT_PENDING - 1, 429: FLOOD - CLIENT_PENDING + 1 });
    assert.ok(Number(refusal.headers['retry-after']) >= 1, `Retry-After: ${refusal.headers['retry-after']}`);
    assert.match(JSON.parse(refusal.body).error, /from this address/);
    // It is still refused, and the official client reports the status.
    const again = await post(server.port, negotiatePath);
    assert.equal(again.status, 429);
    const official = new signalR.HubConnectionBuilder().withUrl(`${server.url}/hubs/progress`)
      .configureLogging(signalR.LogLevel.None).build();
    await assert.rejects(withTimeout(official.start(), MS, 'official client start'), /429/);

    const afterFlood = rssKb(pid);
    console.log(`negotiate flood: VmRSS ${before} kB before, ${afterFlood} kB after`);
    assert.ok(afterFlood - before < RSS_BOUND_KB, `after the flood: +${afterFlood - before} kB`);
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
});
