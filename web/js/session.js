// Who the dashboard acts for when scanhub's authentication is on (README "Authentication"):
// the token from POST /api/auth/login and when it ends. Every REST call (dom.js api), hub
// connection (hub.js accessTokenFactory) and event socket (event_socket.js access_token) asks
// here for the token; nothing else keeps it.
//
// Where it is kept: sessionStorage by default, so it lives as long as the tab and no longer (a
// shared computer forgets it when the tab closes, and another tab signs in by itself); with
// "keep me signed in" in localStorage, so a new tab or a browser restart keeps it until its
// expiresAt. Both are readable by any script on the page, as a cookie-less bearer token must
// be; the page loads no script from elsewhere. The token is never refreshed silently: when it
// ends (expiresAt passed, or the server answers 401) the page returns to the sign-in form.
//
// With authentication off (GET /api/auth/config says required: false) there is no session and
// every call goes out as it always did.

const KEY = 'scanhub.session';
// setTimeout takes at most a signed 32-bit delay; a longer session is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

let required = false;
let current = null;      // {token, expiresAt, user: {id, name, admin}}
let expiryTimer = null;
let checking = null;     // the GET /api/auth/me in flight, if any
const endHandlers = new Set();

function parse(text) {
  try {
    const value = JSON.parse(text);
    if (typeof value?.token !== 'string' || !value.token) return null;
    return value;
  } catch {
    return null;
  }
}

/** Milliseconds since the epoch when `s` ends; Infinity when the server gave no expiresAt. */
function endOf(s) {
  const at = Date.parse(s?.expiresAt ?? '');
  return Number.isNaN(at) ? Infinity : at;
}

function armExpiry() {
  clearTimeout(expiryTimer);
  expiryTimer = null;
  if (!current) return;
  const left = endOf(current) - Date.now();
  if (left === Infinity) return;
  expiryTimer = setTimeout(() => {
    if (endOf(current) <= Date.now()) end('expired'); else armExpiry();
  }, Math.max(0, Math.min(left, MAX_TIMER_MS)));
}

function forget() {
  clearTimeout(expiryTimer);
  expiryTimer = null;
  current = null;
  for (const storage of [sessionStorage, localStorage]) {
    try {
      storage.removeItem(KEY);
    } catch {
      // Storage refused (private mode quota): nothing was kept there.
    }
  }
}

/** Ends the session: forgets the token and tells the handlers why ("expired" | "signed-out")
 * and whose it was. */
function end(reason) {
  if (!current) return;
  const user = current.user ?? null;
  forget();
  for (const handler of endHandlers) {
    try {
      handler(reason, user);
    } catch (err) {
      console.warn(`session end handler: ${err.message}`);
    }
  }
}

// Another tab that shares the kept token signed out (or signed in as someone else): follow it.
window.addEventListener('storage', (event) => {
  if (event.key !== KEY || !current || event.storageArea !== localStorage) return;
  const next = parse(event.newValue);
  if (!next || next.token !== current.token) end('signed-out');
});

export const session = {
  /** Whether the server wants a token (GET /api/auth/config). */
  get required() { return required; },
  set required(value) { required = Boolean(value); },

  /** The signed-in user ({id, name, admin}) or null. */
  get user() { return current?.user ?? null; },

  /** When the session ends, a Date, or null when unknown or signed out. */
  get expiresAt() {
    const at = endOf(current);
    return current && at !== Infinity ? new Date(at) : null;
  },

  /** The bearer token, or null (signed out, or authentication off). */
  token() { return current?.token ?? null; },

  /** True when a call would need a token the page does not have: do not send it. */
  signedOut() { return required && !current; },

  /**
   * Restores a kept session (this tab's, else one kept with "keep me signed in"): "restored",
   * "expired" (one was kept but its expiresAt has passed; it is dropped) or "none".
   */
  restore() {
    let kept = null;
    try {
      kept = parse(sessionStorage.getItem(KEY)) ?? parse(localStorage.getItem(KEY));
    } catch {
      kept = null;
    }
    if (!kept || endOf(kept) <= Date.now()) {
      forget();
      return kept ? 'expired' : 'none';
    }
    current = kept;
    armExpiry();
    return 'restored';
  },

  /** Keeps `login` (POST /api/auth/login's answer); `remember` keeps it past the tab. */
  start(login, remember) {
    forget();
    current = { token: login.token, expiresAt: login.expiresAt, user: login.user ?? null };
    const text = JSON.stringify(current);
    try {
      (remember ? localStorage : sessionStorage).setItem(KEY, text);
    } catch {
      // Storage refused: the session lasts as long as this page.
    }
    armExpiry();
  },

  /** The user signed out. */
  signOut() { end('signed-out'); },

  /** The server answered 401 to the token: the session is over. */
  expired() { end('expired'); },

  /** `handler(reason, user)` when the session ends ("expired" | "signed-out"; the user it was). */
  onEnd(handler) { endHandlers.add(handler); },

  /**
   * Asks the server whether the token still holds (GET /api/auth/me), after a hub or socket
   * closed: a connection refused or closed for an expired token says only that it closed. A
   * 401 ends the session; anything else (the server restarting, a network error) leaves it.
   * One check at a time.
   */
  check() {
    if (!current || checking) return checking ?? Promise.resolve();
    const { token } = current;
    checking = fetch('/api/auth/me', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } })
      .then((response) => {
        if (response.status === 401 && current?.token === token) end('expired');
      })
      .catch(() => {})
      .finally(() => { checking = null; });
    return checking;
  },
};
