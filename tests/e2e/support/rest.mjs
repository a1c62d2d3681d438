// REST calls against a scanhub under test, each bounded in time: JSON in (with its content type,
// as the server requires for bodies) and out.
import { delay, withTimeout } from './server_process.mjs';

const TERMINAL = ['completed', 'failed', 'cancelled'];

/** `{ request, scanToEnd }` for the server at `url` (e.g. startServer(...).url); with `token`,
 * every call carries `Authorization: Bearer <token>` (serve --auth). */
export function restClient(url, { ms = 5000, token } = {}) {
  /** `{status, body}`; body is the parsed JSON, or null for an empty answer. */
  async function request(method, path, body) {
    const init = { method, headers: {} };
    if (token !== undefined) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await withTimeout(fetch(`${url}${path}`, init), ms, `${method} ${path}`);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** Polls GET /api/scans/{id} until the scan ended (at most `timeoutMs`); its last answer. */
  async function scanToEnd(scanId, timeoutMs = 60000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await request('GET', `/api/scans/${scanId}`);
      if (status !== 200) throw new Error(`GET /api/scans/${scanId}: ${status} ${JSON.stringify(body)}`);
      if (TERMINAL.includes(body.status)) return body;
      if (Date.now() > end) throw new Error(`scan ${scanId} still ${body.status} after ${timeoutMs} ms`);
      await delay(100);
    }
  }

  return { request, scanToEnd };
}
