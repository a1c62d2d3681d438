// scanhub's event socket, GET /ws (seed 003's job events and seed 002's scan:progress in Metarr's
// protocol: one JSON object per text frame, the event name in `type`), kept open the way Metarr's
// browser client (public/frontend/src/services/ResilientWebSocket.ts) keeps its own:
// - handlers by message type (on/off; '*' gets every message), called in the order added;
// - a `ping` every `pingInterval`; no `pong` for two intervals means a dead connection: close it;
// - reconnect after every close with exponential backoff, from `reconnectInterval` doubling to
//   `maxReconnectInterval` (5 s here, as the page's hub connections: a restart of scanhub should
//   not leave the page waiting half a minute).
// Unlike Metarr's client, "connected" waits for the server's `welcome` (the first message: from
// then on every event reaches this socket), and `onConnected` handlers run after each one: that
// is where a caller reloads its state (its resync), so nothing that happened while the socket was
// down is missed. Nothing is queued while the socket is down: the page only sends pings.
//
// With authentication on, `accessToken()` gives the token sent as `access_token` in the URL of
// each attempt (a browser's WebSocket cannot send an Authorization header; seed 004's
// OnMessageReceived reads the same parameter).
//
// Errors are logged with console.warn: a lost connection is expected and shown on the page
// (Chromium itself logs a refused WebSocket as an error; that one is not ours to silence).

/** ws:// or wss:// URL of `path` on this page's origin. */
export function socketUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

export class EventSocket {
  /**
   * `path` e.g. "/ws". State changes go to onStateChange handlers: "connecting" (the first
   * attempt), "connected" (welcome received), "reconnecting" (a later attempt), "disconnected"
   * (closed; the next attempt is scheduled). Call connect() to start. `accessToken()` returns
   * the bearer token to connect with, or null for none.
   */
  constructor(path, { reconnectInterval = 1000, maxReconnectInterval = 5000, pingInterval = 30000,
                      accessToken = () => null } = {}) {
    this.url = socketUrl(path);
    this.options = { reconnectInterval, maxReconnectInterval, pingInterval };
    this.accessToken = accessToken;
    this.ws = null;
    this.state = 'disconnected';
    this.everConnected = false;
    this.attempts = 0;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.lastPong = 0;
    this.pings = 0;
    this.closedOnPurpose = false;
    this.handlers = new Map();
    this.stateHandlers = new Set();
    this.connectedHandlers = new Set();
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

  /** `handler()` after each welcome: the socket is live again. */
  onConnected(handler) { this.connectedHandlers.add(handler); }

  /** Sends `message` (an object) now; false when the socket is not open (nothing is queued). */
  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  connect() {
    if (this.ws || this.reconnectTimer) return;
    this.closedOnPurpose = false;
    this.setState(this.everConnected || this.attempts > 0 ? 'reconnecting' : 'connecting');
    const token = this.accessToken();
    const ws = new WebSocket(token ? `${this.url}${this.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` : this.url);
    this.ws = ws;
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        console.warn(`[ws] a message that is not JSON: ${err.message}`);
        return;
      }
      if (message?.type === 'welcome') this.onWelcome();
      if (message?.type === 'pong') this.lastPong = Date.now();
      this.dispatch(message);
    };
    // The close that follows says the rest; Chromium has logged the reason already.
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      if (event.code !== 1000 && event.code !== 1005 && event.code !== 1006) {
        console.warn(`[ws] closed: ${event.code} ${event.reason}`);
      }
      this.setState('disconnected');
      if (!this.closedOnPurpose) this.scheduleReconnect();
    };
  }

  /** Closes for good (no reconnect). */
  close() {
    this.closedOnPurpose = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    const { ws } = this;
    this.ws = null;
    ws?.close(1000, 'page closed');
    this.setState('disconnected');
  }

  onWelcome() {
    this.attempts = 0;
    this.everConnected = true;
    this.startPing();
    this.setState('connected');
    for (const handler of this.connectedHandlers) {
      try {
        handler();
      } catch (err) {
        console.warn(`[ws] after connecting: ${err.message}`);
      }
    }
  }

  dispatch(message) {
    // A copy: a handler may add or remove handlers (a row that goes unsubscribes its own).
    for (const key of [message?.type, '*']) {
      for (const handler of [...(this.handlers.get(key) || [])]) {
        try {
          handler(message);
        } catch (err) {
          console.warn(`[ws] ${key} handler: ${err.message}`);
        }
      }
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const handler of this.stateHandlers) handler(state);
  }

  scheduleReconnect() {
    const { reconnectInterval, maxReconnectInterval } = this.options;
    const delay = Math.min(reconnectInterval * 2 ** this.attempts, maxReconnectInterval);
    this.attempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  startPing() {
    this.stopPing();
    this.lastPong = Date.now();
    const { pingInterval } = this.options;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > 2 * pingInterval) {
        console.warn('[ws] no pong from scanhub: closing to reconnect');
        this.ws?.close(4000, 'no pong');
        return;
      }
      this.pings += 1;
      this.send({ type: 'ping', requestId: `ping-${this.pings}` });
    }, pingInterval);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
