// Bounded waits on an official-client HubConnection, shared by the SignalR e2e tests.
import { withTimeout } from './server_process.mjs';

/** Resolves with the arguments of the next `name` event on `connection`. */
export function nextEvent(connection, name, ms = 3000) {
  return withTimeout(new Promise((resolve) => {
    const handler = (...args) => {
      connection.off(name, handler);
      resolve(args);
    };
    connection.on(name, handler);
  }), ms, `event ${name}`);
}

/** connection.invoke(method, ...args), failing after 5 s. */
export const invoke = (connection, method, ...args) =>
  withTimeout(connection.invoke(method, ...args), 5000, `invoke ${method}`);
