// End-to-end tests of the MessagePack hub protocol (src/signalr/msgpack_hub_protocol.hpp) with
// the OFFICIAL clients @microsoft/signalr 8 and @microsoft/signalr-protocol-msgpack 8, over
// WebSockets and Long Polling (the transports with the Binary transfer format). The server is
// tests/signalr/hub_test_server (HUB_TEST_SERVER, set by ctest); its hub is at /hubs/test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';
import { invoke, nextEvent } from './support/hub_calls.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');

const WebSocket = require('ws');

const SERVER = process.env.HUB_TEST_SERVER;
const HANDSHAKE = JSON.stringify({ protocol: 'messagepack', version: 1 }) + '\x1e';
const T = { timeout: 20000 };

function build(baseUrl, transport, protocol = new MessagePackHubProtocol()) {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/test`, { transport })
    .configureLogging(signalR.LogLevel.None);
  if (protocol) builder.withHubProtocol(protocol);
  return builder.build();
}


// A raw WebSocket (skipNegotiation) for bytes the official client never sends. Collects every
// message; `until(predicate)` waits, bounded, for the collected messages to satisfy it.
async function rawSocket(baseUrl) {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/hubs/test`);
  const received = [];
  let wake = () => {};
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.on('error', () => {});
  ws.on('message', (data) => { received.push(Buffer.from(data)); wake(); });
  ws.once('close', () => wake());
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  }), 3000, 'raw WebSocket open');
  const until = (predicate, label) => withTimeout((async () => {
    while (!predicate(Buffer.concat(received))) {
      await new Promise((resolve) => { wake = resolve; });
    }
    return Buffer.concat(received);
  })(), 3000, label);
  return { ws, until, closed };
}

// The hub messages after the JSON handshake response in `bytes`.
function hubMessages(bytes) {
  const end = bytes.indexOf(0x1e);
  assert.equal(bytes.subarray(0, end).toString(), '{}', 'handshake accepted');
  const rest = bytes.subarray(end + 1);
  if (rest.length === 0) return [];
  const view = rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.length);
  return new MessagePackHubProtocol().parseMessages(view, signalR.NullLogger.instance);
}

describe('MessagePack protocol', () => {
  let server;
  const connections = [];
  const open = async (transport, protocol) => {
    const connection = build(server.url, transport, protocol);
    connections.push(connection);
    await withTimeout(connection.start(), 5000, 'connection.start()');
    return connection;
  };

  before(async () => { server = await startServer(SERVER); });
  after(async () => {
    await Promise.all(connections.map((c) => withTimeout(c.stop(), 5000, 'stop').catch(() => {})));
    const status = await server.stop();
    assert.equal(status.code, 0, 'test server exits cleanly');
  });

  for (const [name, transport] of [['WebSockets', signalR.HttpTransportType.WebSockets],
    ['LongPolling', signalR.HttpTransportType.LongPolling]]) {
    describe(name, () => {
      test('connects and invokes with every argument type', T, async () => {
        const connection = await open(transport);
        assert.equal(connection.state, signalR.HubConnectionState.Connected);
        assert.equal(await invoke(connection, 'Add', 40, 2), 42);
        assert.equal(await invoke(connection, 'Add', -1.5, 0.25), -1.25);
        const value = {
          s: 'text é ✓', n: null, t: true, f: false, i: -300, u: 70000, big: 2 ** 40,
          d: 3.5, a: [1, 'two', null, [3]], o: { nested: { deep: 'yes' } }, long: 'x'.repeat(300),
        };
        assert.deepEqual(await invoke(connection, 'Echo', value), value);
        assert.equal(await invoke(connection, 'Echo', new Uint8Array([1, 2, 3])), 'AQID');
        assert.ok((await invoke(connection, 'NoResult')) == null);
        const me = await invoke(connection, 'WhoAmI');
        assert.equal(me.connectionId, connection.connectionId);
      });

      test('unknown method and hub errors complete with an error', T, async () => {
        const connection = await open(transport);
        await assert.rejects(invoke(connection, 'NoSuchMethod', 1),
          /Failed to invoke 'NoSuchMethod' due to an error on the server\. HubException: Method does not exist\./);
        await assert.rejects(invoke(connection, 'Fail'), /Something went wrong on purpose\./);
        assert.equal(await invoke(connection, 'Add', 1, 2), 3, 'the connection survives');
      });

      test('receives events, conflated progress and group messages', T, async () => {
        const a = await open(transport);
        const b = await open(transport);
        const broadcast = nextEvent(b, 'Broadcast');
        await withTimeout(a.send('Broadcast', { hello: 'all' }), 3000, 'send');
        assert.deepEqual(await broadcast, [{ hello: 'all' }]);

        const seen = [];
        a.on('Progress', (i) => seen.push(i));
        assert.equal(await invoke(a, 'SendToMe', 50, ''), 50);
        assert.ok(seen.length > 0);

        await invoke(a, 'JoinGroup', 'mp-group');
        const received = nextEvent(a, 'GroupMessage');
        let bGot = 0;
        b.on('GroupMessage', () => { bGot++; });
        await invoke(b, 'SendToGroup', 'mp-group', { n: 1 });
        assert.deepEqual(await received, ['mp-group', { n: 1 }]);
        assert.equal(bGot, 0, 'non-members get nothing');
      });
    });
  }

  test('one broadcast reaches JSON and MessagePack clients alike', T, async () => {
    const mp = await open(signalR.HttpTransportType.WebSockets);
    const js = await open(signalR.HttpTransportType.WebSockets, null);
    const lp = await open(signalR.HttpTransportType.LongPolling);
    const events = [mp, js, lp].map((c) => nextEvent(c, 'Broadcast'));
    await invoke(js, 'Broadcast', [1, 'mixed']);
    for (const args of await Promise.all(events)) assert.deepEqual(args, [[1, 'mixed']]);
  });

  test('the first message may share the handshake\'s frame', T, async () => {
    const raw = await rawSocket(server.url);
    const invocation = new MessagePackHubProtocol().writeMessage({
      type: signalR.MessageType.Invocation, invocationId: '1', target: 'Add', arguments: [2, 3], headers: {},
    });
    raw.ws.send(Buffer.concat([Buffer.from(HANDSHAKE), Buffer.from(invocation)]));
    const bytes = await raw.until((b) => { try { return hubMessages(b).length > 0; } catch { return false; } },
      'completion');
    const { type, invocationId, result, error } = hubMessages(bytes)[0];
    assert.deepEqual({ type, invocationId, result, error }, { type: 3, invocationId: '1', result: 5, error: undefined });
    raw.ws.close();
  });

  for (const [name, garbage, reason] of [
    ['invalid MessagePack', [0x03, 0xc1, 0x00, 0x00], /Invalid MessagePack type byte 0xc1/],
    ['an oversize length prefix', [0xff, 0xff, 0x03], /exceeds the maximum size/],
    ['a message that is no array', [0x01, 0x2a], /Expected a MessagePack array/],
  ]) {
    test(`${name} closes the connection with an error`, T, async () => {
      const raw = await rawSocket(server.url);
      raw.ws.send(HANDSHAKE);
      await raw.until((b) => b.includes(0x1e), 'handshake response');
      raw.ws.send(Buffer.from(garbage));
      const bytes = await raw.until((b) => {
        try { return hubMessages(b).some((m) => m.type === signalR.MessageType.Close); } catch { return false; }
      }, 'Close message');
      const close = hubMessages(bytes).find((m) => m.type === signalR.MessageType.Close);
      assert.match(close.error, reason);
      await withTimeout(raw.closed, 3000, 'socket closed');
    });
  }

  test('the client refuses Server-Sent Events for MessagePack', T, async () => {
    const connection = build(server.url, signalR.HttpTransportType.ServerSentEvents);
    await assert.rejects(withTimeout(connection.start(), 5000, 'connection.start()'));
  });

  test('the server refuses a MessagePack handshake over Server-Sent Events', T, async () => {
    const hub = `${server.url}/hubs/test`;
    const negotiated = await withTimeout(fetch(`${hub}/negotiate?negotiateVersion=1`, { method: 'POST' }), 3000, 'negotiate');
    const { connectionToken: token } = await negotiated.json();
    const controller = new AbortController();
    const stream = await withTimeout(fetch(`${hub}?id=${token}`,
      { headers: { accept: 'text/event-stream' }, signal: controller.signal }), 3000, 'sse');
    assert.equal(stream.status, 200);
    const handshake = JSON.stringify({ protocol: 'messagepack', version: 1 }) + '\x1e';
    await withTimeout(fetch(`${hub}?id=${token}`, { method: 'POST', body: handshake }), 3000, 'post');
    const reader = stream.body.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const deadline = Date.now() + 3000;
    while (!/"error":"Cannot use the 'messagepack' protocol/.test(received) && Date.now() < deadline) {
      const { value, done } = await withTimeout(reader.read(), 3000, 'sse read');
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    controller.abort();
    assert.match(received, /"error":"Cannot use the 'messagepack' protocol on the current transport/);
  });
});
