// A raw WebSocket speaking SignalR's JSON framing by hand (package `ws`), for tests that send
// what the official client never would. Records are split on 0x1E; every wait is bounded.
import { createRequire } from 'node:module';
import { withTimeout } from './server_process.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

export const RS = '\x1e';

export class RawHubSocket {
  /** `options` go to `ws` (headers, localAddress, ...). */
  static async open(url, options = {}) {
    const socket = new RawHubSocket(new WebSocket(url, options));
    await withTimeout(new Promise((resolve, reject) => {
      socket.ws.once('open', resolve);
      socket.ws.once('error', reject);
      socket.ws.once('unexpected-response', (_req, res) => reject(Object.assign(
        new Error(`unexpected response ${res.statusCode}`), { statusCode: res.statusCode })));
    }), 5000, `WebSocket open ${url}`);
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.records = [];
    this.waiters = [];
    this.partial = '';
    this.messages = [];  // raw WebSocket messages, for framing assertions
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this._wake();
    }));
    this.isClosed = false;
    ws.once('close', () => { this.isClosed = true; });
    ws.on('error', () => {});
    ws.on('message', (data, binaryFlag) => {
      // ws 8 passes the frame kind as the second argument; ws 7 delivered Text frames as
      // strings and Binary frames as Buffers.
      const isBinary = typeof binaryFlag === 'boolean' ? binaryFlag : typeof data !== 'string';
      const text = data.toString();
      this.messages.push({ text, isBinary });
      const parts = (this.partial + text).split(RS);
      this.partial = parts.pop();
      for (const part of parts) this.records.push(part);
      this._wake();
    });
  }

  _wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  send(text) { this.ws.send(text); }
  sendRecord(object) { this.ws.send(JSON.stringify(object) + RS); }
  async handshake() {
    this.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS);
    const response = await this.nextRecord(3000);
    if (response !== '{}') throw new Error(`handshake failed: ${response}`);
  }

  /** The next record (string), skipping none. Rejects if the socket closes first. */
  async nextRecord(ms = 3000) {
    return withTimeout((async () => {
      for (;;) {
        if (this.records.length) return this.records.shift();
        if (this.isClosed) throw new Error('socket closed before a record arrived');
        await new Promise((resolve) => this.waiters.push(resolve));
      }
    })(), ms, 'next SignalR record');
  }

  /** The next parsed message that is not a Ping. */
  async nextMessage(ms = 3000) {
    for (;;) {
      const message = JSON.parse(await this.nextRecord(ms));
      if (message.type !== 6) return message;
    }
  }

  async waitClosed(ms = 3000) { return withTimeout(this.closed, ms, 'server to close the socket'); }
  close() { this.ws.close(); }
  terminate() { this.ws.terminate(); }
}
