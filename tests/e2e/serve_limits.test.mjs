// `scanhub serve` at its limits: the descriptor limit raised at start, and the connection cap
// (--max-connections: one more connection gets 503 at once, HTTP and hub connections counted
// together, room again once some close). Every wait is bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { RawHubSocket } from './support/raw_hub_socket.mjs';

const BIN = process.env.SCANHUB_BIN;
const SERVE = /serving http:\/\/[^:]+:(\d+)\//;
const T = { timeout: 60000 };
const MS = 5000;
let dir;

before(() => { dir = mkdtempSync(join(tmpdir(), 'scanhub-e2e-limits-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const serveArgs = (name, ...args) => [
  'serve', '--port', '0', '--db', join(dir, `${name}.db`), '--no-watch', '--no-embeddings', ...args,
];

/** One request on a new connection; resolves with the raw answer, once the server closes it or `ms` pass. */
function rawGet(port, path = '/healthz', { host = '127.0.0.1', ms = 3000 } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}$/.test(data)) socket.destroy();  // a JSON answer read whole
    });
    socket.on('close', () => resolve(data));
    socket.on('error', (e) => (data ? resolve(data) : reject(e)));
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
  }), ms, `GET ${path}`);
}
const statusOf = (data) => Number((data.match(/^HTTP\/1\.1 (\d{3})/) || [])[1]);

/** An idle TCP connection (it sends nothing), once connected. */
function idle(port) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  }), MS, 'idle connection');
}

describe('descriptors and connections', () => {
  test('the soft descriptor limit is raised to the hard limit at start', T, async () => {
    // Start with a low soft limit, as a login shell's default of 1,024 would be.
    const server = await startServer('bash', ['-c', 'ulimit -Sn 256 && exec "$@"', 'bash', BIN, ...serveArgs('limits')],
      { portPattern: SERVE });
    try {
      const limits = readFileSync(`/proc/${server.child.pid}/limits`, 'utf8');
      const [, soft, hard] = limits.match(/Max open files\s+(\S+)\s+(\S+)/);
      assert.equal(soft, hard, limits);
      assert.notEqual(soft, '256');
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('past --max-connections a new connection gets 503 at once; closing some lets new ones in', T, async () => {
    const server = await startServer(BIN, serveArgs('cap', '--max-connections', '50'), { portPattern: SERVE });
    const sockets = [];
    const hubs = [];
    try {
      // Hub connections count with HTTP ones: 2 WebSockets (their HTTP session ended with the
      // upgrade) and 48 idle connections fill the cap.
      for (let i = 0; i < 2; i++) {
        const hub = await RawHubSocket.open(`ws://127.0.0.1:${server.port}/hubs/progress`);
        await hub.handshake();
        hubs.push(hub);
      }
      for (let i = 0; i < 48; i++) sockets.push(await idle(server.port));

      const started = Date.now();
      const refused = await rawGet(server.port);
      assert.equal(statusOf(refused), 503, refused);
      assert.match(refused, /\r\nRetry-After: \d+\r\n/i);
      assert.match(refused, /\r\nConnection: close\r\n/i);
      assert.match(refused, /Too many connections/);
      assert.ok(Date.now() - started < 2000, `answered at once, not after a wait (${Date.now() - started} ms)`);

      // A hub connection that closes makes room as well as an HTTP one.
      hubs.pop().close();
      for (const socket of sockets.splice(0, 9)) socket.destroy();
      const deadline = Date.now() + MS;
      let answer;
      for (;;) {
        answer = await rawGet(server.port);
        if (statusOf(answer) === 200 || Date.now() > deadline) break;
        await delay(50);
      }
      assert.equal(statusOf(answer), 200, `a new connection is served once others closed: ${answer}`);
      const health = await withTimeout(fetch(`${server.url}/healthz`), MS, 'fetch /healthz');
      assert.equal(health.status, 200);
      await health.text();
    } finally {
      for (const socket of sockets) socket.destroy();
      for (const hub of hubs) hub.close();
      assert.equal((await server.stop()).code, 0);
    }
  });
});
