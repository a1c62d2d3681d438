// A TCP proxy on 127.0.0.1 in front of scanhub, for browser tests that lose a connection the
// way a network does: the page is loaded through the proxy (so it is the page's origin and every
// connection of the page passes it), and the test cuts the connections it names, or refuses new
// ones for a while, without stopping scanhub.
//
//   const proxy = await startProxy(server.port);
//   await openPage(browser, `${proxy.url}/page.html`);
//   proxy.cut(/^GET \/api\/events/);      // destroys the matching live connections, both ways
//   proxy.refuse(/^GET \/ws /);           // new matching requests: the connection is destroyed
//   proxy.allow();
//   proxy.requests                        // every request head seen, oldest first (text)
//   await proxy.close();
//
// A connection is named by its newest request line ("GET /api/events?x=1 HTTP/1.1"): browsers
// reuse kept-alive connections and do not pipeline, so a client chunk that begins with a
// request line is a new request (WebSocket frames after an upgrade never begin with one).
import { createServer, connect } from 'node:net';

const REQUEST = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) \S+ HTTP\/1\.[01]\r\n/;

export async function startProxy(targetPort, { host = '127.0.0.1' } = {}) {
  const live = new Set();
  const requests = [];
  let refused = null;

  const server = createServer((client) => {
    const upstream = connect(targetPort, host);
    const conn = { client, upstream, requestLine: '' };
    live.add(conn);
    const drop = () => {
      live.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      if (REQUEST.test(text)) {
        const end = text.indexOf('\r\n\r\n');
        const head = end >= 0 ? text.slice(0, end) : text;
        conn.requestLine = head.slice(0, head.indexOf('\r\n'));
        requests.push(head);
        if (refused?.test(conn.requestLine)) {
          drop();
          return;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address();

  return {
    port,
    url: `http://${host}:${port}`,
    requests,
    /** Destroys every live connection whose newest request line matches `pattern`; their count. */
    cut(pattern) {
      let n = 0;
      for (const conn of [...live]) {
        if (!pattern.test(conn.requestLine)) continue;
        live.delete(conn);
        conn.client.destroy();
        conn.upstream.destroy();
        n += 1;
      }
      return n;
    },
    /** From now on, a request whose line matches `pattern` loses its connection at once. */
    refuse(pattern) { refused = pattern; },
    allow() { refused = null; },
    /** Live connections whose newest request line matches `pattern`. */
    count(pattern) { return [...live].filter((c) => pattern.test(c.requestLine)).length; },
    close() {
      for (const conn of live) {
        conn.client.destroy();
        conn.upstream.destroy();
      }
      live.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
