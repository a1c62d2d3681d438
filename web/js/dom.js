// Small DOM and HTTP helpers shared by the dashboard's panels.
import { percent } from './format.js';
import { session } from './session.js';

/** document.createElement with properties, attributes (attrs) and children in one call. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  const { attrs, dataset, ...rest } = props;
  Object.assign(el, rest);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  Object.assign(el.dataset, dataset || {});
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A bar that assistive technology reads as a progressbar: role, aria-valuemin/max/now and a
 * spoken aria-valuetext. `done`/`total` in items; total 0 or null makes it indeterminate (no
 * aria-valuenow, an animated stripe), as WAI-ARIA asks for progress of unknown size.
 */
export function progressBar(label) {
  const fill = h('div', { className: 'fill' });
  const bar = h('div', { className: 'bar', attrs: { role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0 } }, fill);
  bar.update = (done, total, text) => {
    if (total > 0) {
      const value = Math.min(done, total);
      bar.setAttribute('aria-valuemax', String(total));
      bar.setAttribute('aria-valuenow', String(value));
      bar.classList.remove('indeterminate');
      // The same whole percent as the text beside it (format.js percent): a bar never shows
      // more, or less, than its numbers say.
      fill.style.width = `${percent(value, total)}%`;
    } else {
      bar.removeAttribute('aria-valuemax');
      bar.removeAttribute('aria-valuenow');
      bar.classList.add('indeterminate');
      fill.style.width = '';
    }
    if (text) bar.setAttribute('aria-valuetext', text); else bar.removeAttribute('aria-valuetext');
  };
  return bar;
}

/** An HTTP error with the server's {"error": ...} message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * fetch() for the JSON API: resolves with the parsed body (null for 204), rejects with ApiError
 * carrying the server's error message, or with a network error ("cannot reach scanhub").
 * With authentication on, the session's token goes along as `Authorization: Bearer`; signed
 * out, nothing is sent (ApiError 401 at once: the panels' timers call on after a sign-out); a
 * 401 answer ends the session (session.js), which returns the page to the sign-in form.
 */
export async function api(method, path, body) {
  if (session.signedOut()) throw new ApiError(401, 'Signed out.');
  const init = { method, headers: { accept: 'application/json' } };
  const token = session.token();
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'cannot reach scanhub (is it running?)');
  }
  if (response.status === 204) return null;
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    // A body that is not JSON: keep the status line as the message.
  }
  if (response.status === 401 && token && session.token() === token) session.expired();
  if (!response.ok) {
    throw new ApiError(response.status, parsed?.error || `${response.status} ${response.statusText}`);
  }
  return parsed;
}

/** Calls `fn` at most once per `ms`, always running the last call (leading and trailing). */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0 && !timer) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, Math.max(0, wait));
    }
  };
}
