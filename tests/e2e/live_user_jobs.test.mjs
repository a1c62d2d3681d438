// Per-user job events on Metarr's /ws socket and the /api/events stream (issue 16 item 4)
// against `scanhub serve --auth` with an RS256 identity provider (support/jwt.mjs): two users
// each create an external job over REST, report progress and complete it; each user's socket
// and stream carry only their own job's job:* events, an admin's carry both; a Last-Event-ID
// resume replays by the same rule; ?jobId= of another user's job gets what a job that does not
// exist gets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, withTimeout } from './support/server_process.mjs';
import { identityProvider } from './support/jwt.mjs';
import { restClient } from './support/rest.mjs';

const MS = 10000;
let dir;
let server;
const tokens = {};
const closers = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-live-users-'));
  const idp = identityProvider(dir);
  tokens.alice = idp.token('alice');
  tokens.bob = idp.token('bob');
  tokens.root = idp.token('root', { roles: ['admin'] });
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--no-embeddings',
    '--auth', '--jwt-issuer', idp.issuer, '--jwt-audience', idp.audience, '--jwt-key', idp.keyFile,
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  for (const close of closers) close();
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One REST call as `user`: {status, body}. */
const api = (user, method, path, body) =>
  restClient(server.url, { ms: MS, token: tokens[user] }).request(method, path, body);

/** Something that fills `messages` and can be waited on. */
function recorder() {
  const r = { messages: [], waiters: new Set() };
  r.push = (m) => {
    r.messages.push(m);
    for (const w of r.waiters) w();
  };
  r.until = (condition, label) => withTimeout(new Promise((resolve) => {
    const check = () => {
      if (condition(r.messages)) {
        r.waiters.delete(check);
        resolve();
      }
    };
    r.waiters.add(check);
    check();
  }), MS, label);
  return r;
}

/** `user`'s /ws socket, open (its welcome received): every JSON message. */
async function socketOf(user) {
  const r = recorder();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?access_token=${encodeURIComponent(tokens[user])}`);
  ws.on('message', (data) => r.push(JSON.parse(data.toString())));
  closers.push(() => ws.terminate());
  await r.until((ms) => ms.some((m) => m.type === 'welcome'), `${user}: /ws welcome`);
  return r;
}

/** `user`'s /api/events stream from `query`: every event as {id, event, data}; `head`: the
 * text that came with the response head (the replay of a resume). */
async function streamOf(user, query = '', headers = {}) {
  const r = recorder();
  const controller = new AbortController();
  closers.push(() => controller.abort());
  const response = await withTimeout(fetch(`${server.url}/api/events${query}`, {
    headers: { accept: 'text/event-stream', Authorization: `Bearer ${tokens[user]}`, ...headers },
    signal: controller.signal,
  }), MS, `${user}: GET /api/events${query}`);
  assert.equal(response.status, 200);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  r.head = '';
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = {};
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          event[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
        }
        if (event.data !== undefined) r.push({ id: event.id, event: event.event, ...JSON.parse(event.data) });
      }
    }
  })().catch(() => {});
  return r;
}

const jobIds = (messages) => [...new Set(messages.filter((m) => m.type?.startsWith('job:')).map((m) => m.jobId))]
  .sort((x, y) => x - y);
const createdOf = (id) => (ms) => ms.some((m) => m.type === 'job:created' && m.jobId === id);
const completedOf = (id) => (ms) => ms.some((m) => m.type === 'job:completed' && m.jobId === id);

test("a user's /ws socket and /api/events stream carry only their own jobs' events", { timeout: 60000 }, async () => {
  const clients = {};
  for (const user of ['alice', 'bob', 'root']) {
    clients[user] = { ws: await socketOf(user), sse: await streamOf(user) };
  }

  const a = (await api('alice', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-a' })).body;
  const b = (await api('bob', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-b' })).body;
  for (const [user, job] of [['alice', a], ['bob', b]]) {
    const report = await api(user, 'POST', `/api/jobs/${job.jobId}/progress`, { current: 1, total: 2, message: 'half' });
    assert.equal(report.status, 200);
  }
  assert.equal((await api('alice', 'POST', `/api/jobs/${a.jobId}/complete`, {})).status, 200);
  assert.equal((await api('bob', 'POST', `/api/jobs/${b.jobId}/complete`, {})).status, 200);
  // A last job of each user: everything before it in the feed's order has reached a client that
  // has its job:created (one order for every client).
  const a2 = (await api('alice', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-a2' })).body;
  const b2 = (await api('bob', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-b2' })).body;

  const expected = { alice: [a.jobId, a2.jobId], bob: [b.jobId, b2.jobId],
                     root: [a.jobId, b.jobId, a2.jobId, b2.jobId].sort((x, y) => x - y) };
  for (const user of ['alice', 'bob', 'root']) {
    for (const surface of ['ws', 'sse']) {
      const r = clients[user][surface];
      const last = expected[user].at(-1);
      await r.until(createdOf(last), `${user} ${surface}: job:created of ${last}`);
      assert.deepEqual(jobIds(r.messages), expected[user], `${user} ${surface}: the job ids of job:* events`);
    }
  }
  // The owner sees the whole lifecycle of their job, progress included.
  for (const [user, job] of [['alice', a], ['bob', b]]) {
    for (const surface of ['ws', 'sse']) {
      const types = clients[user][surface].messages.filter((m) => m.jobId === job.jobId).map((m) => m.type);
      for (const type of ['job:created', 'job:progress', 'job:completed']) {
        assert.ok(types.includes(type), `${user} ${surface}: ${type} of their job (got ${types})`);
      }
    }
  }
  // queue:stats stays for every signed-in user.
  await clients.bob.ws.until((ms) => ms.some((m) => m.type === 'queue:stats'), 'bob: queue:stats');

  // A Last-Event-ID resume from before the first job replays by the same rule.
  const first = clients.root.sse.messages.find((m) => m.type === 'job:created');
  const from = String(Number(first.id) - 1);
  for (const user of ['alice', 'bob', 'root']) {
    const resumed = await streamOf(user, '', { 'Last-Event-ID': from });
    const last = expected[user].at(-1);
    await resumed.until(createdOf(last), `${user}: the resume replays to job:created of ${last}`);
    assert.deepEqual(jobIds(resumed.messages), expected[user], `${user}: the job ids replayed`);
    await resumed.until(completedOf(expected[user][0]), `${user}: replays the completion of their job`);
  }

  // ?jobId= of another user's job: as a job that does not exist (a stream with nothing in it).
  // The replay of a resume comes in one piece with the head, before any live event; bob's own
  // next job is the live event that bounds what could have come before it.
  const others = await streamOf('bob', `?jobId=${a.jobId}&lastEventId=${from}`);
  const missing = await streamOf('bob', `?jobId=99999&lastEventId=${from}`);
  const mine = await streamOf('bob', `?jobId=${b.jobId}&lastEventId=${from}`);
  await mine.until(completedOf(b.jobId), "bob: ?jobId= of his own job replays it");
  const b3 = (await api('bob', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-b3' })).body;
  await clients.bob.sse.until(createdOf(b3.jobId), 'bob: job:created of his third job');
  await clients.root.sse.until(createdOf(b3.jobId), 'root: job:created of the third job');
  assert.deepEqual(others.messages, missing.messages, "another user's job is as a job that does not exist");
  assert.deepEqual(others.messages, []);
});
