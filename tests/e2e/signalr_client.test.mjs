// End-to-end tests of the SignalR server (src/signalr, src/http) with the OFFICIAL JavaScript
// client @microsoft/signalr 8 in its defaults (negotiate v1, WebSockets, JSON), plus raw
// WebSocket clients (package `ws`) for what the official client never sends. The server is
// tests/signalr/hub_test_server (HUB_TEST_SERVER, set by ctest); its hub is at /hubs/test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { invoke, nextEvent } from './support/hub_calls.mjs';
import { RawHubSocket, RS } from './support/raw_hub_socket.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const SERVER = process.env.HUB_TEST_SERVER;
const T = { timeout: 20000 };

function connect(baseUrl, options = {}) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${baseUrl}/hubs/test`, options)
    .configureLogging(signalR.LogLevel.None)
    .build();
}

async function started(connection) {
  await withTimeout(connection.start(), 5000, 'connection.start()');
  return connection;
}


describe('official client', () => {
  let server;
  const connections = [];
  const open = async (options) => {
    const connection = await started(connect(server.url, options));
    connections.push(connection);
    return connection;
  };

  before(async () => { server = await startServer(SERVER); });
  after(async () => {
    await Promise.all(connections.map((c) => withTimeout(c.stop(), 5000, 'stop').catch(() => {})));
    const status = await server.stop();
    assert.equal(status.code, 0, 'test server exits cleanly');
  });

  test('connects with negotiate v1 over WebSockets and invokes', T, async () => {
    const connection = await open();
    assert.equal(connection.state, signalR.HubConnectionState.Connected);
    assert.match(connection.connectionId, /^[A-Za-z0-9_-]{20,}$/);
    assert.deepEqual(await invoke(connection, 'Echo', { a: [1, 'two', null] }), { a: [1, 'two', null] });
    assert.equal(await invoke(connection, 'Add', 40, 2), 42);
    assert.equal(await invoke(connection, 'NoResult'), null);
    const me = await invoke(connection, 'WhoAmI');
    assert.equal(me.connectionId, connection.connectionId);
  });

  test('passes the access token to the hub', T, async () => {
    const connection = await open({ accessTokenFactory: () => 'secret-token-1' });
    const me = await invoke(connection, 'WhoAmI');
    assert.equal(me.accessToken, 'secret-token-1');
  });

  test('unknown method completes with an error', T, async () => {
    const connection = await open();
    await assert.rejects(invoke(connection, 'NoSuchMethod', 1), (error) => {
      assert.equal(error.message,
        "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.");
      return true;
    });
    // The connection survives an error completion.
    assert.equal(await invoke(connection, 'Echo', 'still here'), 'still here');
  });

  test('hub errors: HubError verbatim, other exceptions generic, dropped completion answered', T, async () => {
    const connection = await open();
    await assert.rejects(invoke(connection, 'Fail'), { message: 'Something went wrong on purpose.' });
    await assert.rejects(invoke(connection, 'Crash'), (error) => {
      assert.equal(error.message, "An unexpected error occurred invoking 'Crash' on the server.");
      assert.ok(!error.message.includes('secret'));
      return true;
    });
    await assert.rejects(invoke(connection, 'Add', 'x'), /expected 2 argument/);
    await assert.rejects(invoke(connection, 'Never'), /unexpected error occurred invoking 'Never'/);
  });

  test('a completion from another thread, later, reaches the caller', T, async () => {
    const connection = await open();
    const later = invoke(connection, 'Delayed', 200, 'later');
    // The connection is not blocked while the delayed invocation is pending.
    assert.equal(await invoke(connection, 'Echo', 'now'), 'now');
    assert.equal(await later, 'later');
  });

  test('streaming invocations complete with an error', T, async () => {
    const connection = await open();
    const error = await withTimeout(new Promise((resolve) => {
      connection.stream('Counter', 3).subscribe({ next: () => {}, complete: () => resolve(null), error: resolve });
    }), 3000, 'stream error');
    assert.ok(error instanceof Error);
    assert.match(error.message, /streaming is not supported/);
    assert.equal(await invoke(connection, 'Echo', 1), 1);
  });

  test('groups: only members receive group messages', T, async () => {
    const [a, b] = [await open(), await open()];
    await invoke(a, 'JoinGroup', 'g1');
    const received = nextEvent(a, 'GroupMessage');
    let bGot = 0;
    b.on('GroupMessage', () => { bGot++; });
    await invoke(b, 'SendToGroup', 'g1', { n: 1 });
    assert.deepEqual(await received, ['g1', { n: 1 }]);

    await invoke(a, 'LeaveGroup', 'g1');
    let aGot = 0;
    a.on('GroupMessage', () => { aGot++; });
    await invoke(b, 'SendToGroup', 'g1', { n: 2 });
    await invoke(a, 'Echo', 'sync');  // any group message would have arrived before this result
    await delay(100);
    assert.equal(aGot, 0);
    assert.equal(bGot, 0);
  });

  test('events to all, including non-blocking send', T, async () => {
    const [a, b] = [await open(), await open()];
    const atA = nextEvent(a, 'Broadcast');
    const atB = nextEvent(b, 'Broadcast');
    await withTimeout(a.send('Broadcast', 'hello all'), 3000, 'send');
    assert.deepEqual(await atA, ['hello all']);
    assert.deepEqual(await atB, ['hello all']);
  });

  test('messages to one connection keep their order; conflated ones end with the newest', T, async () => {
    const connection = await open();
    const seen = [];
    connection.on('Progress', (i) => seen.push(i));
    assert.equal(await invoke(connection, 'SendToMe', 300, ''), 300);
    // Sends made before the completion arrive before it: nothing to wait for.
    assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i));

    seen.length = 0;
    assert.equal(await invoke(connection, 'SendToMe', 2000, 'progress'), 2000);
    assert.ok(seen.length >= 1 && seen.length <= 2000);
    assert.equal(seen.at(-1), 1999, 'the newest conflated message is delivered');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'increasing');
  });

  test('skipNegotiation over WebSockets', T, async () => {
    const connection = await open({ skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets });
    assert.equal(await invoke(connection, 'Add', 1, 2), 3);
  });

  test('the hub sees disconnects', T, async () => {
    const watcher = await open();
    const before = (await invoke(watcher, 'Stats')).disconnected;
    const leaving = await started(connect(server.url));
    await withTimeout(leaving.stop(), 3000, 'stop');
    const deadline = Date.now() + 3000;
    let stats;
    do {
      stats = await invoke(watcher, 'Stats');
      if (stats.disconnected > before) break;
      await delay(20);
    } while (Date.now() < deadline);
    assert.ok(stats.disconnected > before, 'on_disconnected ran');
  });
});

describe('server shutdown', () => {
  test('clients get onclose with the server\'s reason and the server exits 0', T, async () => {
    const server = await startServer(SERVER);
    const connection = await started(connect(server.url));
    const closed = withTimeout(new Promise((resolve) => connection.onclose(resolve)), 5000, 'onclose');
    const status = await server.stop();
    const error = await closed;
    assert.ok(error instanceof Error, 'onclose carries an error');
    assert.match(error.message, /Server returned an error on close: Server is shutting down\./);
    assert.equal(status.code, 0);
    assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
  });
});

describe('raw WebSocket protocol handling', () => {
  let server;
  let ws;
  before(async () => {
    server = await startServer(SERVER, ['--keep-alive-ms', '300', '--handshake-timeout-ms', '500',
      '--max-message-size', '1024']);
  });
  after(async () => {
    const status = await server.stop();
    assert.equal(status.code, 0);
  });
  const wsUrl = (query = '') => `ws://127.0.0.1:${server.port}/hubs/test${query}`;
  const negotiate = async () => {
    const response = await withTimeout(fetch(`${server.url}/hubs/test/negotiate?negotiateVersion=1`, { method: 'POST' }), 3000, 'negotiate');
    assert.equal(response.status, 200);
    return response.json();
  };

  test('unknown protocol: handshake error, then close', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    ws.send(JSON.stringify({ protocol: 'messagepack2', version: 1 }) + RS);
    assert.deepEqual(JSON.parse(await ws.nextRecord()), { error: "Requested protocol 'messagepack2' is not available." });
    await ws.waitClosed();
  });

  test('malformed handshake: error, then close', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    ws.send('{"protocol":' + RS);
    const response = JSON.parse(await ws.nextRecord());
    assert.match(response.error, /Invalid handshake request/);
    await ws.waitClosed();
  });

  test('no handshake within the timeout: error, then close', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    const response = JSON.parse(await ws.nextRecord(3000));
    assert.match(response.error, /did not arrive in time/);
    await ws.waitClosed();
  });

  test('handshake split across messages and followed by records in the same message', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    ws.send('{"protocol":"js');
    ws.send('on","version":1}' + RS + JSON.stringify({ type: 1, invocationId: 'a', target: 'Echo', arguments: [1] }) + RS);
    assert.equal(await ws.nextRecord(), '{}');
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: 'a', result: 1 });
    ws.close();
  });

  test('several records in one message, one record split across messages, any property order', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    const one = JSON.stringify({ arguments: ['x'], target: 'Echo', invocationId: '1', type: 1, headers: { h: 'v' } });
    const two = JSON.stringify({ type: 1, invocationId: '2', target: 'Add', arguments: [2, 3] });
    const three = JSON.stringify({ type: 1, invocationId: '3', target: 'Echo', arguments: ['z'] });
    ws.send(one + RS + two + RS + three.slice(0, 10));
    ws.send(three.slice(10, 20));
    ws.send(three.slice(20) + RS);
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: '1', result: 'x' });
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: '2', result: 5 });
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: '3', result: 'z' });
    // Every WebSocket message the server sent is whole records, as Text frames.
    for (const m of ws.messages) {
      assert.equal(m.isBinary, false);
      assert.ok(m.text.endsWith(RS));
    }
    ws.close();
  });

  test('a non-blocking invocation gets no completion', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.sendRecord({ type: 1, target: 'Echo', arguments: ['no answer'] });
    ws.sendRecord({ type: 1, target: 'Nope', arguments: [] });
    ws.sendRecord({ type: 1, invocationId: 'x', target: 'Echo', arguments: ['answer'] });
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: 'x', result: 'answer' });
    ws.close();
  });

  test('stream invocation gets an error completion; cancel and stream items are ignored', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.sendRecord({ type: 4, invocationId: 's', target: 'Counter', arguments: [] });
    const completion = await ws.nextMessage();
    assert.equal(completion.type, 3);
    assert.equal(completion.invocationId, 's');
    assert.match(completion.error, /streaming is not supported/);
    ws.sendRecord({ type: 5, invocationId: 's' });
    ws.sendRecord({ type: 2, invocationId: 'u', item: 1 });
    ws.sendRecord({ type: 1, invocationId: 'e', target: 'Echo', arguments: [7] });
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: 'e', result: 7 });
    ws.close();
  });

  test('the server pings within the keep-alive interval', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    const started = Date.now();
    assert.deepEqual(JSON.parse(await ws.nextRecord(2000)), { type: 6 });
    assert.ok(Date.now() - started < 1500);
    ws.sendRecord({ type: 6 });  // client pings are accepted silently
    assert.deepEqual(JSON.parse(await ws.nextRecord(2000)), { type: 6 });
    ws.close();
  });

  test('invalid JSON: Close with an error, then the socket closes', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.send('{"type":1,"target":' + RS);
    const close = await ws.nextMessage();
    assert.equal(close.type, 7);
    assert.match(close.error, /Invalid JSON/);
    await ws.waitClosed();
  });

  test('wrong-typed field: Close with an error naming it', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.sendRecord({ type: 1, invocationId: '1', target: 'Echo', arguments: 'nope' });
    const close = await ws.nextMessage();
    assert.equal(close.type, 7);
    assert.match(close.error, /'arguments' to be of type Array/);
    await ws.waitClosed();
  });

  test('a message over the size limit: Close with an error, then the socket closes', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.sendRecord({ type: 1, invocationId: '1', target: 'Echo', arguments: ['x'.repeat(2000)] });
    const close = await ws.nextMessage();
    assert.equal(close.type, 7);
    assert.match(close.error, /maximum size of 1024 bytes/);
    await ws.waitClosed();
  });

  test('a message just under the limit is accepted', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    const payload = 'y'.repeat(900);
    ws.sendRecord({ type: 1, invocationId: '1', target: 'Echo', arguments: [payload] });
    assert.deepEqual(await ws.nextMessage(), { type: 3, invocationId: '1', result: payload });
    ws.close();
  });

  test('client Close message ends the connection', T, async () => {
    ws = await RawHubSocket.open(wsUrl());
    await ws.handshake();
    ws.sendRecord({ type: 7 });
    const { code } = await ws.waitClosed();
    assert.equal(code, 1000);
  });

  test('unknown id is 404; a second socket for one connection is 409', T, async () => {
    await assert.rejects(RawHubSocket.open(wsUrl('?id=no-such-connection')), { statusCode: 404 });
    const negotiated = await negotiate();
    assert.notEqual(negotiated.connectionToken, negotiated.connectionId);
    const first = await RawHubSocket.open(wsUrl(`?id=${negotiated.connectionToken}`));
    await assert.rejects(RawHubSocket.open(wsUrl(`?id=${negotiated.connectionToken}`)), { statusCode: 409 });
    // The public connection id does not open the connection.
    await assert.rejects(RawHubSocket.open(wsUrl(`?id=${negotiated.connectionId}`)), { statusCode: 404 });
    await first.handshake();
    first.close();
  });

  test('access_token query reaches the hub', T, async () => {
    ws = await RawHubSocket.open(wsUrl('?access_token=tok%20en'));
    await ws.handshake();
    ws.sendRecord({ type: 1, invocationId: 'w', target: 'WhoAmI', arguments: [] });
    const result = await ws.nextMessage();
    assert.equal(result.result.accessToken, 'tok en');
    ws.close();
  });
});

describe('slow consumers', () => {
  test('a client that stops reading is closed when its outbox overflows; others are unaffected', T, async () => {
    const server = await startServer(SERVER, ['--outbox-max-messages', '16', '--close-timeout-ms', '1000']);
    try {
      const slow = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/test`);
      await slow.handshake();
      const fast = await started(connect(server.url));
      slow.ws._socket.pause();  // stop reading: the kernel buffers fill, then the outbox
      // 4000 unconflatable events of 8 KiB (32 MiB) cannot fit in socket buffers + 16 slots.
      slow.sendRecord({ type: 1, invocationId: 'flood', target: 'SendToMe', arguments: [4000, '', 8192] });
      let counters;
      const deadline = Date.now() + 8000;
      do {
        await delay(50);
        counters = await (await withTimeout(fetch(`${server.url}/api/counters`), 3000, 'counters')).json();
      } while (counters.slowConnectionsClosed < 1 && Date.now() < deadline);
      assert.equal(counters.slowConnectionsClosed, 1);
      // The other client is served meanwhile.
      assert.equal(await invoke(fast, 'Echo', 'fine'), 'fine');
      slow.ws._socket.resume();
      // What the slow client still gets is in order, and the socket ends.
      let last = -1;
      let closeMessage = null;
      for (;;) {
        let record;
        try { record = await slow.nextRecord(5000); } catch { break; }
        const message = JSON.parse(record);
        if (message.type === 1) { assert.equal(message.arguments[0], last + 1); last = message.arguments[0]; }
        if (message.type === 7) { closeMessage = message; }
      }
      assert.ok(last < 3999, 'not everything was delivered');
      assert.ok(closeMessage, 'a Close message follows what was already in flight');
      assert.match(closeMessage.error, /keep up/);
      assert.equal(closeMessage.allowReconnect, true);
      await slow.waitClosed(5000);
      await withTimeout(fast.stop(), 3000, 'stop');
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe('back-pressure', () => {
  test('invocations beyond the pending limit wait, none is lost, order of dispatch is kept', T, async () => {
    const server = await startServer(SERVER, ['--max-pending-invocations', '4']);
    try {
      const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/test`);
      await ws.handshake();
      let batch = '';
      for (let i = 0; i < 12; i++) {
        batch += JSON.stringify({ type: 1, invocationId: `d${i}`, target: 'Delayed', arguments: [100, i] }) + RS;
      }
      batch += JSON.stringify({ type: 1, invocationId: 'echo', target: 'Echo', arguments: ['last'] }) + RS;
      const started = Date.now();
      ws.send(batch);
      const seen = new Map();
      while (seen.size < 13) {
        const m = await ws.nextMessage(3000);
        assert.equal(m.type, 3);
        seen.set(m.invocationId, { result: m.result, at: Date.now() - started });
      }
      for (let i = 0; i < 12; i++) assert.equal(seen.get(`d${i}`).result, i);
      // With 4 in flight, 12 delayed calls take three rounds; the Echo is dispatched only
      // once the first rounds completed.
      assert.ok(seen.get('echo').at >= 190, `echo answered after ${seen.get('echo').at} ms`);
      ws.close();
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe('invocation flood', () => {
  test('a burst far beyond the outbox bound is answered in full: the sender is slowed, not closed', T, async () => {
    // 5,000 invocations in one WebSocket message against an outbox of 256 messages: completing
    // them all at once would overflow it, so the server stops reading until completions drain.
    const server = await startServer(SERVER, ['--outbox-max-messages', '256']);
    try {
      const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/test`);
      await ws.handshake();
      const N = 5000;
      let batch = '';
      for (let i = 0; i < N; i++) {
        batch += JSON.stringify({ type: 1, invocationId: String(i), target: 'Add', arguments: [i, 1] }) + RS;
      }
      ws.send(batch);
      for (let i = 0; i < N; i++) {
        const m = await ws.nextMessage(5000);
        assert.deepEqual(m, { type: 3, invocationId: String(i), result: i + 1 }, `completion ${i} in order`);
      }
      assert.equal(ws.isClosed, false, 'still connected');
      const counters = await (await fetch(`${server.url}/api/counters`)).json();
      assert.equal(counters.slowConnectionsClosed, 0);
      ws.close();
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});

describe('client timeout', () => {
  test('a silent client is closed after the client timeout', T, async () => {
    const server = await startServer(SERVER, ['--client-timeout-ms', '400', '--keep-alive-ms', '100']);
    try {
      const ws = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/test`);
      await ws.handshake();
      const close = await ws.nextMessage(3000);  // pings are skipped
      assert.equal(close.type, 7);
      assert.match(close.error, /timeout/i);
      await ws.waitClosed();
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });
});
