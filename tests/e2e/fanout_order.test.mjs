// End-to-end: a fan-out to many connections keeps each connection's order (issue 3, item 7:
// "stay in order"). HubEndpoint::deliver (src/signalr) appends a message to every recipient's
// inbox in call order and drains the recipients in chunks of 128 per io_context task; a
// completion must not overtake a message sent before it, and no recipient may miss or reorder
// one. Official client @microsoft/signalr against tests/signalr/hub_test_server
// (HUB_TEST_SERVER), whose SendToGroup and Broadcast send first and complete after.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { invoke } from './support/hub_calls.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const SERVER = process.env.HUB_TEST_SERVER;
const MEMBERS = 300;   // more than two delivery chunks of 128
const MESSAGES = 30;
const T = { timeout: 60000 };

const range = (n) => Array.from({ length: n }, (_, i) => i + 1);

async function waitFor(condition, ms, label) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${label}`);
    await delay(20);
  }
}

describe('fan-out order', () => {
  let server;
  const connections = [];

  before(async () => {
    server = await startServer(SERVER);
    for (let started = 0; started < MEMBERS; started += 50) {
      const batch = range(Math.min(50, MEMBERS - started)).map(async () => {
        const connection = new signalR.HubConnectionBuilder()
          .withUrl(`${server.url}/hubs/test`)
          .configureLogging(signalR.LogLevel.None)
          .build();
        await withTimeout(connection.start(), 10000, 'connection.start()');
        connections.push(connection);
      });
      await Promise.all(batch);
    }
  });

  after(async () => {
    await Promise.all(connections.map((c) => withTimeout(c.stop(), 5000, 'stop').catch(() => {})));
    const status = await server.stop();
    assert.equal(status.code, 0, 'test server exits cleanly');
  });

  test(`a group message to ${MEMBERS} members arrives before the completion of the call that sent it, in order everywhere`, T, async () => {
    const got = connections.map(() => []);
    connections.forEach((connection, i) => {
      connection.on('GroupMessage', (group, payload) => {
        assert.equal(group, 'order');
        got[i].push(payload.n);
      });
    });
    await Promise.all(connections.map((c) => invoke(c, 'JoinGroup', 'order')));

    const sender = 0;
    for (const n of range(MESSAGES)) {
      await invoke(connections[sender], 'SendToGroup', 'order', { n });
      // The sender is a member: its copy was queued before the completion, so it came first.
      assert.equal(got[sender].at(-1), n, `the sender saw message ${n} before its completion`);
    }
    await waitFor(() => got.every((list) => list.length >= MESSAGES), 20000,
                  'every member has every message');
    got.forEach((list, i) => assert.deepEqual(list, range(MESSAGES), `member ${i} in order`));
  });

  test(`a broadcast to ${MEMBERS} connections arrives before the completion of the call that sent it`, T, async () => {
    const got = connections.map(() => []);
    connections.forEach((connection, i) => {
      connection.on('Broadcast', (n) => { got[i].push(n); });
    });
    const sender = connections.length - 1;
    for (const n of range(MESSAGES)) {
      await invoke(connections[sender], 'Broadcast', n);
      assert.equal(got[sender].at(-1), n, `the sender saw broadcast ${n} before its completion`);
    }
    await waitFor(() => got.every((list) => list.length >= MESSAGES), 20000,
                  'every connection has every broadcast');
    got.forEach((list, i) => assert.deepEqual(list, range(MESSAGES), `connection ${i} in order`));
  });
});
