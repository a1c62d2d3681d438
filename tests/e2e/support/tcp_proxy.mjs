// A loopback TCP proxy in the test process (node:net): every accepted connection is piped to
// 127.0.0.1:`targetPort`. `cut()` resets every open pair at once, so a client sees its socket
// dropped mid-stream while the proxy keeps accepting new connections (a reconnect gets through).
import net from 'node:net';
import { withTimeout } from './server_process.mjs';

export class TcpProxy {
  static async open(targetPort) {
    const proxy = new TcpProxy(targetPort);
    await withTimeout(new Promise((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    }), 3000, 'proxy to listen');
    proxy.port = proxy.server.address().port;
    proxy.url = `http://127.0.0.1:${proxy.port}`;
    return proxy;
  }

  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.accepted = 0;
    this.server = net.createServer((client) => {
      this.accepted += 1;
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', drop);
        socket.on('close', drop);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  /** Resets every open connection (RST on both sides); returns how many were cut. */
  cut() {
    const pairs = [...this.pairs];
    this.pairs.clear();
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    return pairs.length;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
