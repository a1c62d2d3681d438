// One SignalR hub connection that never gives up: the official browser client
// (/lib/signalr.min.js, global `signalR`) with automatic reconnect, retried forever with a
// capped backoff (a server restart can take longer than the client's default 0/2/10/30 s), and
// a fresh start() whenever the connection closes. `onConnected` runs after every (re)connect,
// where the caller re-subscribes (a reconnected connection has a new id and no groups).
// With authentication on, the session's token goes to the hub through the client's
// accessTokenFactory (a header on negotiate and the HTTP transports, `access_token` in the
// WebSocket's URL, as seed 004 documents); a connection that closes or cannot start has the
// session checked (session.check), so one refused or closed for an expired token returns the
// page to the sign-in form instead of retrying forever.
import { session } from './session.js';

/** Delays between reconnect attempts: 0, 1, 2, 4 s, then every 5 s, forever. */
const retryPolicy = {
  nextRetryDelayInMilliseconds: ({ previousRetryCount }) => Math.min(5000, previousRetryCount === 0 ? 0 : 1000 * 2 ** (previousRetryCount - 1)),
};

// The client's own log: a lost connection is expected here and shown on the page, so its
// messages go to console.warn/console.info rather than console.error.
const logger = {
  log(level, message) {
    if (level >= signalR.LogLevel.Warning) console.warn(`[signalr] ${message}`);
  },
};

/**
 * Starts a connection to `url` (e.g. "/hubs/progress"). `handlers` maps client-method names to
 * functions; `onState(state, detail)` gets "connecting" | "connected" | "reconnecting" |
 * "disconnected"; `onConnected(connection)` runs after each successful (re)connect. When
 * `signal` (an AbortSignal) aborts, the connection stops for good (sign-out).
 * Returns the HubConnection (invoke() on it only while connected).
 */
export function openHub(url, { handlers = {}, onState = () => {}, onConnected = async () => {}, signal = null }) {
  // Only with authentication on: without it the client is built exactly as before.
  const options = session.required ? { accessTokenFactory: () => session.token() ?? '' } : {};
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, options)
    .withAutomaticReconnect(retryPolicy)
    .configureLogging(logger)
    .build();
  for (const [name, fn] of Object.entries(handlers)) connection.on(name, fn);

  const connected = async () => {
    onState('connected');
    try {
      await onConnected(connection);
    } catch (err) {
      console.warn(`${url}: after connecting: ${err.message || err}`);
    }
  };
  connection.onreconnecting((err) => {
    onState('reconnecting', err?.message);
    session.check();
  });
  connection.onreconnected(connected);

  let attempt = 0;
  let retry = null;
  const start = async () => {
    retry = null;
    if (signal?.aborted) return;
    onState(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      await connection.start();
      attempt = 0;
      await connected();
    } catch (err) {
      if (signal?.aborted) return;
      attempt += 1;
      onState('disconnected', err?.message);
      session.check();
      retry = setTimeout(start, Math.min(5000, 500 * 2 ** attempt));
    }
  };
  connection.onclose((err) => {
    if (signal?.aborted) return;
    onState('disconnected', err?.message);
    session.check();
    retry = setTimeout(start, 1000);
  });
  signal?.addEventListener('abort', () => {
    clearTimeout(retry);
    connection.stop().catch(() => {});
  }, { once: true });
  start();
  return connection;
}
