// Stateful reconnect (issue 3 item 5) with the official @microsoft/signalr 8 client and
// `withStatefulReconnect()`: negotiate answers useStatefulReconnect, the handshake is version 2,
// and when a loopback TCP proxy resets the WebSocket mid-stream the client reconnects with the
// same connection token. The server replays what the client had not acknowledged and drops the
// client's resent duplicates, so both directions see every message exactly once, in order,
// without onreconnecting ever firing. Server: tests/signalr/hub_test_server (HUB_TEST_SERVER),
// hub /hubs/test (see tests/signalr/test_hub.hpp).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { invoke } from './support/hub_calls.mjs';
import { TcpProxy } from './support/tcp_proxy.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');

const SERVER = process.env.HUB_TEST_SERVER;
const T = { timeout: 30000 };

function build(url, { stateful = true, msgpack = false } = {}) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(`${url}/hubs/test`, { transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.None);
  if (stateful) builder = builder.withStatefulReconnect();
  if (msgpack) builder = builder.withHubProtocol(new MessagePackHubProtocol());
  return builder.build();
}

/** Starts `connection`, recording its lifecycle callbacks in `connection.lifecycle`. */
async function start(connection) {
  connection.lifecycle = [];
  connection.onreconnecting(() => connection.lifecycle.push('reconnecting'));
  connection.onclose((error) => connection.lifecycle.push(`closed: ${error?.message ?? ''}`));
  await withTimeout(connection.start(), 5000, 'start()');
  return connection;
}

/** Collects the payloads of `GroupMessage(group, payload)` events in arrival order. */
function collect(connection, group) {
  const received = [];
  let wake = () => {};
  connection.on('GroupMessage', (g, payload) => {
    if (g !== group) return;
    received.push(payload);
    wake();
  });
  received.until = (count, ms = 10000) => withTimeout(new Promise((resolve) => {
    const check = () => { if (received.length >= count) resolve(); else wake = check; };
    check();
  }), ms, `${count} messages in ${group} (got ${received.length})`);
  return received;
}

const range = (n) => Array.from({ length: n }, (_, i) => i + 1);

/** Asserts `received` is exactly 1..n; on failure names the missing and repeated values. */
function assertExactlyOnceInOrder(received, n, label) {
  const seen = new Map();
  for (const value of received) seen.set(value, (seen.get(value) ?? 0) + 1);
  const missing = range(n).filter((i) => !seen.has(i));
  const repeated = [...seen].filter(([, count]) => count > 1).map(([value]) => value);
  const firstOutOfOrder = received.findIndex((value, i) => value !== i + 1);
  assert.deepEqual({ missing, repeated, length: received.length, firstOutOfOrder },
                   { missing: [], repeated: [], length: n, firstOutOfOrder: -1 }, label);
}

async function expectStatus(promise, status) {
  const response = await withTimeout(promise, 5000, 'fetch');
  assert.equal(response.status, status);
  return response;
}

describe('stateful reconnect', () => {
  let server;
  let proxy;
  const connections = [];
  const open = async (url, options) => {
    const connection = await start(build(url, options));
    connections.push(connection);
    return connection;
  };

  before(async () => {
    server = await startServer(SERVER, ['--reconnect-grace-ms', '1500']);
    proxy = await TcpProxy.open(server.port);
  });
  after(async () => {
    await Promise.all(connections.map((c) => withTimeout(c.stop(), 5000, 'stop').catch(() => {})));
    await proxy.close();
    const status = await server.stop();
    assert.equal(status.code, 0, 'test server exits cleanly');
  });

  test('negotiate offers it only to a client that asks', T, async () => {
    const asked = await expectStatus(
      fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: 'POST' }), 200);
    assert.equal((await asked.json()).useStatefulReconnect, true);
    const plain = await expectStatus(
      fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1`, { method: 'POST' }), 200);
    assert.equal((await plain.json()).useStatefulReconnect, undefined);
  });

  for (const msgpack of [false, true]) {
    const protocol = msgpack ? 'MessagePack' : 'JSON';

    test(`${protocol}: a WebSocket reset mid-stream loses and repeats nothing, both ways`, T, async () => {
      const group = `g-${protocol}`;
      const back = `back-${protocol}`;
      // The watcher goes through the proxy (its socket gets cut); the sender connects directly.
      const watcher = await open(proxy.url, { msgpack });
      const sender = await open(server.url, { stateful: false });
      const idBefore = watcher.connectionId;
      await invoke(watcher, 'JoinGroup', group);
      await invoke(sender, 'JoinGroup', back);
      const toWatcher = collect(watcher, group);
      const fromWatcher = collect(sender, back);

      const N = 300;
      const sending = (async () => {
        for (const i of range(N)) {
          // Server -> watcher: group messages sent while the watcher's socket is down must be
          // queued and replayed. Watcher -> server: fire-and-forget sends buffered by the client
          // and resent after the reconnect; the server must drop the ones it already processed.
          await sender.send('SendToGroup', group, i);
          watcher.send('SendToGroup', back, i).catch(() => {});
          if (i % 10 === 0) await delay(5);
        }
      })();
      await toWatcher.until(N / 3);
      assert.ok(proxy.cut() >= 1, 'the watcher socket was cut');
      await sending;
      await toWatcher.until(N);
      await fromWatcher.until(N);
      await delay(300);  // anything duplicated would arrive by now

      assertExactlyOnceInOrder(toWatcher, N, 'server -> client: every message once, in order');
      assertExactlyOnceInOrder(fromWatcher, N, 'client -> server: every message once, in order');
      assert.ok(proxy.accepted >= 2, 'the client reconnected through the proxy');
      assert.deepEqual(watcher.lifecycle, [], 'no reconnecting or close event: the drop is invisible');
      assert.equal(watcher.connectionId, idBefore, 'same connection');
      assert.equal(watcher.state, signalR.HubConnectionState.Connected);
      assert.equal(await invoke(watcher, 'Add', 2, 3), 5, 'invocations work after the reconnect');
    });
  }

  test('completions of invocations in flight during the drop arrive after it', T, async () => {
    const watcher = await open(proxy.url);
    const pending = invoke(watcher, 'Delayed', 400, 'late');
    await delay(50);
    proxy.cut();
    assert.equal(await pending, 'late');
    assert.deepEqual(watcher.lifecycle, []);
  });

  test('a connection that does not come back within the grace period ends for the hub', T, async () => {
    const direct = await open(server.url, { stateful: false });
    const before = await invoke(direct, 'Stats');
    const lone = await TcpProxy.open(server.port);
    const watcher = await start(build(lone.url));
    await invoke(watcher, 'JoinGroup', 'lonely');
    // The proxy stops accepting: the client's reconnect fails and it closes; the server keeps
    // the connection for the grace period (1.5 s here), then disconnects it from the hub.
    lone.server.close();  // stop accepting (its callback would wait for the cut below)
    lone.cut();
    await withTimeout((async () => {
      while (!watcher.lifecycle.some((e) => e.startsWith('closed'))) await delay(20);
    })(), 10000, 'client to give up');
    const during = await invoke(direct, 'Stats');
    assert.equal(during.disconnected, before.disconnected, 'still kept during the grace period');
    await withTimeout((async () => {
      for (;;) {
        const now = await invoke(direct, 'Stats');
        if (now.disconnected > before.disconnected) return;
        await delay(100);
      }
    })(), 8000, 'the hub to see the disconnect after the grace period');
  });

  test('without it (server option off) the client falls back to a plain connection', T, async () => {
    const plainServer = await startServer(SERVER, ['--no-stateful-reconnect']);
    try {
      const connection = await start(build(plainServer.url));
      assert.equal(await invoke(connection, 'Echo', 'x'), 'x');
      await withTimeout(connection.stop(), 5000, 'stop');
    } finally {
      await plainServer.stop();
    }
  });
});
