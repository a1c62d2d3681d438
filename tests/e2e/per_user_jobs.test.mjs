// Per-user jobs (issue 16 item 4; seed 004 sections 10 and 11) against `scanhub serve --auth`
// with an RS256 identity provider (support/jwt.mjs): two users each create an external job over
// REST and see only their own, over REST and on /hubs/job-progress with the OFFICIAL client's
// accessTokenFactory; subscribing to the other's job gets seed 004's Error event and an error
// completion; an admin sees both; UserNotification reaches only the owner's connections, and
// POST /api/notifications (admin only) sends one to a user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout } from './support/server_process.mjs';
import { identityProvider } from './support/jwt.mjs';
import { restClient } from './support/rest.mjs';
import { invoke, nextEvent } from './support/hub_calls.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');

const MS = 5000;
let dir;
let server;
let idp;
const tokens = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-users-'));
  idp = identityProvider(dir);
  tokens.alice = idp.token('alice');
  tokens.bob = idp.token('bob');
  tokens.root = idp.token('root', { roles: ['admin'] });
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--no-watch', '--no-embeddings',
    '--auth', '--jwt-issuer', idp.issuer, '--jwt-audience', idp.audience, '--jwt-key', idp.keyFile,
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) assert.equal((await server.stop()).code, 0, 'scanhub serve exits 0 on SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One REST call as `user`: {status, body}. */
const api = (user, method, path, body) =>
  restClient(server.url, { ms: MS, token: tokens[user] }).request(method, path, body);

/** A /hubs/job-progress connection of `user`, recording the events named. */
async function connectAs(user) {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}/hubs/job-progress`, { accessTokenFactory: () => tokens[user] })
    .configureLogging(signalR.LogLevel.None)
    .build();
  const log = [];
  for (const name of ['UserNotification', 'Error', 'JobProgressUpdate']) {
    connection.on(name, (payload) => log.push({ name, payload }));
  }
  await withTimeout(connection.start(), MS, `${user} connects`);
  return { connection, log };
}

test("connection-info answers with the caller's user id and exactly the hub's events", async () => {
  const info = await api('alice', 'GET', '/api/signalr/connection-info');
  assert.equal(info.status, 200);
  assert.equal(info.body.userId, 'alice');
  assert.deepEqual(info.body.events.map((e) => e.split(' - ')[0]),
                   ['JobProgressUpdate', 'JobCompleted', 'JobFailed', 'VideoProgressUpdate', 'UserNotification',
                    'BroadcastNotification', 'Error']);
});

const externalIds = (jobs) => jobs.filter((j) => j.type === 'external').map((j) => j.jobId).sort();

test('two users see only their own external jobs; an admin sees both', async (t) => {
  const a = await api('alice', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-a' });
  const b = await api('bob', 'POST', '/api/jobs', { jobType: 'Transcription', videoId: 'video-b' });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  const [jobA, jobB] = [a.body, b.body];

  // REST: lists, reads and reports.
  assert.deepEqual(externalIds((await api('alice', 'GET', '/api/jobs?status=all')).body), [jobA.jobId]);
  assert.deepEqual(externalIds((await api('bob', 'GET', '/api/jobs?status=all')).body), [jobB.jobId]);
  assert.deepEqual(externalIds((await api('root', 'GET', '/api/jobs?status=all')).body),
                   [jobA.jobId, jobB.jobId].sort((x, y) => x - y));
  assert.equal((await api('bob', 'GET', `/api/jobs/${jobA.jobId}`)).status, 404, "another user's job is not found");
  assert.equal((await api('root', 'GET', `/api/jobs/${jobA.jobId}`)).status, 200);
  const report = await api('bob', 'POST', `/api/jobs/${jobA.jobId}/progress`, { current: 1, total: 2, message: 'x' });
  assert.equal(report.status, 404, "reporting on another user's job is refused");
  assert.equal((await api('alice', 'GET', `/api/jobs/${jobA.jobId}`)).body.progress, null,
               'the refused report changed nothing');

  // The hub: the other's job is refused with the Error event and an error completion.
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  const root = await connectAs('root');
  t.after(() => Promise.all([alice, bob, root].map((c) => c.connection.stop())));

  await invoke(alice.connection, 'SubscribeToJob', jobA.hubJobId);
  const error = nextEvent(bob.connection, 'Error');
  await assert.rejects(invoke(bob.connection, 'SubscribeToJob', jobA.hubJobId), /not found/);
  assert.deepEqual((await error)[0], { code: 'NOT_FOUND', message: `Job ${jobA.hubJobId} not found` });
  await assert.rejects(invoke(bob.connection, 'GetJobProgress', jobA.hubJobId), /not found/);
  await assert.rejects(invoke(bob.connection, 'GetVideoProgress', 'video-a'), /not found/);
  assert.equal((await invoke(bob.connection, 'GetJobProgress', jobB.hubJobId)).jobId, jobB.hubJobId);

  // An admin sees both.
  for (const job of [jobA, jobB]) {
    assert.equal((await invoke(root.connection, 'GetJobProgress', job.hubJobId)).jobId, job.hubJobId);
    await invoke(root.connection, 'SubscribeToJob', job.hubJobId);
  }
  assert.equal((await invoke(root.connection, 'GetVideoProgress', 'video-a')).videoId, 'video-a');

  // UserNotification reaches only the owner's connections: alice's job completes first, then
  // bob's; each notification is sent to its owner's group in that order, so bob, having his
  // own, would already hold alice's had it reached him.
  const aliceNote = nextEvent(alice.connection, 'UserNotification');
  assert.equal((await api('alice', 'POST', `/api/jobs/${jobA.jobId}/complete`, {})).status, 200);
  const [note] = await aliceNote;
  assert.equal(note.type, 'JobCompleted');
  assert.equal(note.data.jobId, jobA.hubJobId);
  assert.match(note.timestamp, /Z$/);
  const bobNote = nextEvent(bob.connection, 'UserNotification');
  assert.equal((await api('bob', 'POST', `/api/jobs/${jobB.jobId}/fail`, { error: 'no audio' })).status, 200);
  assert.equal((await bobNote)[0].type, 'JobFailed');
  const bobs = bob.log.filter((e) => e.name === 'UserNotification').map((e) => e.payload.data.jobId);
  assert.deepEqual(bobs, [jobB.hubJobId], 'bob got his own notification only');
  assert.deepEqual(alice.log.filter((e) => e.name === 'UserNotification').map((e) => e.payload.data.jobId),
                   [jobA.hubJobId], 'alice got hers only');
  assert.equal(root.log.filter((e) => e.name === 'UserNotification').length, 0,
               "an admin's connection is not the owner's");
  assert.equal(bob.log.filter((e) => e.name === 'JobProgressUpdate' && e.payload.jobId === jobA.hubJobId).length, 0,
               "bob never received alice's job");
});

test('POST /api/notifications: an admin sends a UserNotification to one user', async (t) => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  t.after(() => Promise.all([alice, bob].map((c) => c.connection.stop())));

  const refused = await api('alice', 'POST', '/api/notifications', { userId: 'bob', type: 'Hello', message: 'hi' });
  assert.equal(refused.status, 403, 'only an admin sends notifications');
  assert.equal((await api('root', 'POST', '/api/notifications', { userId: 'bob', message: 'no type' })).status, 400);

  const toBob = nextEvent(bob.connection, 'UserNotification');
  const sent = await api('root', 'POST', '/api/notifications',
                         { userId: 'bob', type: 'Maintenance', message: 'Back at noon', data: { at: '12:00' } });
  assert.equal(sent.status, 202);
  const [note] = await toBob;
  assert.equal(note.type, 'Maintenance');
  assert.equal(note.message, 'Back at noon');
  assert.deepEqual(note.data, { at: '12:00' });
  // Then one to alice: had bob's reached her, it would have come first.
  const toAlice = nextEvent(alice.connection, 'UserNotification');
  await api('root', 'POST', '/api/notifications', { userId: 'alice', type: 'Ping', message: 'p' });
  assert.equal((await toAlice)[0].type, 'Ping');
  assert.deepEqual(alice.log.filter((e) => e.name === 'UserNotification').map((e) => e.payload.type), ['Ping']);
});
