// A client that behaves as Metarr's browser client does (jsaddiction/Metarr,
// public/frontend/src/services/ResilientWebSocket.ts), written for these tests on the `ws`
// package, since Node 20 has no global WebSocket:
//   - on(type, handler) / off(type, handler): handlers per `message.type`, and '*' for every
//     message; messages that are not JSON are dropped;
//   - send(message): JSON text while connected, otherwise queued and flushed on the next open;
//   - its heartbeat: a JSON {type: 'ping'} every pingInterval; a connection with no pong for two
//     intervals is closed (and so reconnected);
//   - reconnect on every close it did not ask for, after reconnectInterval * 2^attempts
//     (at most maxReconnectInterval), the attempts reset by a successful open;
//   - disconnect(): closes and stops reconnecting.
// States: 'connecting', 'connected', 'disconnected', 'error'. Besides Metarr's interface it keeps
// every message received (`messages`) and its closes (`closes`: {code, reason}) for the tests.
import WebSocket from 'ws';
import { withTimeout } from './server_process.mjs';

export class MetarrSocket {
  constructor({ url, reconnectInterval = 1000, maxReconnectInterval = 30000, pingInterval = 30000 }) {
    this.url = url;
    this.reconnectInterval = reconnectInterval;
    this.maxReconnectInterval = maxReconnectInterval;
    this.pingInterval = pingInterval;
    this.ws = null;
    this.state = 'disconnected';
    this.attempts = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.queue = [];
    this.handlers = new Map();
    this.stateHandlers = new Set();
    this.lastPong = 0;
    this.stopped = false;
    this.messages = [];
    this.closes = [];
    this.opens = 0;
    this.waiters = new Set();
  }

  connect() {
    if (this.state === 'connecting' || this.ws?.readyState === WebSocket.OPEN) return;
    this.stopped = false;
    this.setState('connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      this.attempts = 0;
      this.opens += 1;
      this.setState('connected');
      this.startHeartbeat();
      const queued = this.queue.splice(0);
      for (const message of queued) this.send(message);
    });
    ws.on('message', (data, binary) => {
      if (binary) return;
      let message;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      this.dispatch(message);
    });
    ws.on('error', () => this.setState('error'));
    ws.on('close', (code, reason) => {
      this.closes.push({ code, reason: reason.toString() });
      if (this.ws === ws) this.ws = null;
      this.stopHeartbeat();
      this.setState('disconnected');
      if (!this.stopped) this.scheduleReconnect();
      this.wake();
    });
  }

  disconnect() {
    this.stopped = true;
    this.stopHeartbeat();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.ws?.close();
    this.ws = null;
    this.setState('disconnected');
  }

  send(message) {
    if (this.state === 'connected' && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    } else {
      this.queue.push(message);
    }
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
  }

  off(type, handler) {
    const set = this.handlers.get(type);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.handlers.delete(type);
  }

  onStateChange(handler) { this.stateHandlers.add(handler); }

  getState() { return this.state; }

  dispatch(message) {
    if (message.type === 'pong') this.lastPong = Date.now();
    this.messages.push(message);
    for (const handler of this.handlers.get(message.type) ?? []) handler(message);
    for (const handler of this.handlers.get('*') ?? []) handler(message);
    this.wake();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const handler of this.stateHandlers) handler(state);
  }

  scheduleReconnect() {
    clearTimeout(this.reconnectTimer);
    const wait = Math.min(this.reconnectInterval * 2 ** this.attempts, this.maxReconnectInterval);
    this.reconnectTimer = setTimeout(() => {
      this.attempts += 1;
      this.connect();
    }, wait);
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.lastPong = Date.now();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > this.pingInterval * 2) {
        this.ws?.close();
        return;
      }
      this.send({ type: 'ping' });
    }, this.pingInterval);
  }

  stopHeartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  // ---- For the tests --------------------------------------------------------------------

  wake() {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves with the first message (from index `from` on) for which `predicate` holds. */
  until(predicate, label, ms = 30000, from = 0) {
    let check;
    const found = new Promise((resolve) => {
      check = () => {
        const hit = this.messages.slice(from).find(predicate);
        if (hit) resolve(hit);
      };
    });
    this.waiters.add(check);
    check();
    return withTimeout(found, ms, label).finally(() => this.waiters.delete(check));
  }

  /** Resolves once `condition()` holds (checked on every message and close). */
  whenever(condition, label, ms = 30000) {
    let check;
    const done = new Promise((resolve) => {
      check = () => { if (condition()) resolve(); };
    });
    this.waiters.add(check);
    check();
    return withTimeout(done, ms, label).finally(() => this.waiters.delete(check));
  }
}
