// `scanhub serve` at its limits and on other addresses: the descriptor limit raised at start,
// the connection cap (--max-connections: one more connection gets 503 at once, HTTP and hub
// connections counted together, room again once some close), and --address with host names,
// IPv6 and all interfaces (a usable URL, a warning beyond loopback). Every wait is bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, withTimeout, delay } from './support/server_process.mjs';
import { RawHubSocket } from './support/raw_hub_socket.mjs';

const BIN = process.env.SCANHUB_BIN;
const SERVE = /serving http:\/\/(?:\[[^\]]+\]|[^:/]+):(\d+)\//;
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

/** Serves with stdout and stderr captured; resolves once the URL line is printed. */
async function serveCaptured(args) {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stderr.on('data', (d) => { out.stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out.stdout += d;
      const match = out.stdout.match(SERVE);
      if (match) resolve(Number(match[1]));
    });
    exited.then((code) => reject(new Error(`exited ${code}: ${out.stderr}`)));
  }), MS * 2, `${args.join(' ')} to serve`);
  return {
    port, out,
    async stop() {
      child.kill('SIGTERM');
      return withTimeout(exited, MS * 2, 'exit after SIGTERM');
    },
  };
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

describe('--address', () => {
  const cases = [
    { address: 'localhost', url: /serving http:\/\/localhost:\d+\//, reach: ['127.0.0.1'], warns: false },
    { address: '::1', url: /serving http:\/\/\[::1\]:\d+\//, reach: ['::1'], warns: false },
    { address: '127.0.0.1', url: /serving http:\/\/127\.0\.0\.1:\d+\//, reach: ['127.0.0.1'], warns: false },
    { address: '::', url: /serving http:\/\/localhost:\d+\/.*all interfaces/, reach: ['127.0.0.1', '::1'], warns: true },
    { address: '0.0.0.0', url: /serving http:\/\/localhost:\d+\/.*all interfaces/, reach: ['127.0.0.1'], warns: true },
  ];
  for (const { address, url, reach, warns } of cases) {
    test(`${address}: ${warns ? 'a warning and ' : ''}a URL to open`, T, async () => {
      // Beyond loopback without --auth, serve starts only when told --allow-anonymous.
      const allow = warns ? ['--allow-anonymous'] : [];
      const server = await serveCaptured(serveArgs(`address-${address.replace(/[^a-z0-9]/gi, '_')}`, '--address', address, ...allow));
      try {
        assert.match(server.out.stdout, url);
        for (const host of reach) {
          assert.equal(statusOf(await rawGet(server.port, '/healthz', { host })), 200, `reachable on ${host}`);
        }
      } finally {
        assert.equal(await server.stop(), 0);
      }
      const warning = /warning: listening on .*anyone who can reach port \d+ can start scans/;
      if (warns) assert.match(server.out.stderr, warning);
      else assert.doesNotMatch(server.out.stderr, warning);
    });
  }

  test('all interfaces without --auth or --allow-anonymous: refused with one line', T, async () => {
    const child = spawn(BIN, serveArgs('anonymous-refused', '--address', '0.0.0.0'), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await withTimeout(new Promise((resolve) => child.once('exit', resolve)), MS * 2, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /^scanhub: refusing to listen on all interfaces without authentication: use --auth, or --allow-anonymous.*$/m);
  });

  test('a name that does not resolve is a one-line error', T, async () => {
    const child = spawn(BIN, serveArgs('unresolved', '--address', 'no-such-host.invalid'), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await withTimeout(new Promise((resolve) => child.once('exit', resolve)), MS * 2, 'exit');
    assert.equal(code, 1);
    assert.match(stderr, /cannot listen on no-such-host\.invalid.*cannot resolve/);
  });
});
