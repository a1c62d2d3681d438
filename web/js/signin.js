// The sign-in form (index.html #signin), shown instead of the dashboard when scanhub's
// authentication is on and the page has no valid token. POST /api/auth/login {username,
// password} answers 200 {token, expiresAt, user}, 401 {"error": ...} for a wrong user name or
// password, or 429 with Retry-After (seconds) once too many attempts failed; each is said in
// the form's alert line, and a rate limit keeps the button off until its wait is over.
import { $ } from './dom.js';

/** "in 1 second", "in 40 seconds", "in 3 minutes": the wait of a 429, from Retry-After. */
export function formatWait(seconds) {
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export class SignInForm {
  /**
   * `root` is the #signin section; `onSignedIn(login, remember)` gets the login answer and the
   * "keep me signed in" choice once the server accepted the password.
   */
  constructor(root, { onSignedIn }) {
    this.root = root;
    this.onSignedIn = onSignedIn;
    this.form = $('#signin-form', root);
    this.username = $('#signin-username', root);
    this.password = $('#signin-password', root);
    this.remember = $('#signin-remember', root);
    this.submit = $('#signin-submit', root);
    this.message = $('#signin-message', root);
    this.unavailableText = '';
    this.blockedUntil = 0;
    this.unblockTimer = null;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.signIn();
    });
  }

  /** Shows the form with `message` (or none) and puts the focus where typing starts. */
  show(message = '') {
    this.root.hidden = false;
    if (this.unavailableText) {
      this.say([message, this.unavailableText].filter(Boolean).join(' '), Boolean(message));
      return;
    }
    this.say(message, Boolean(message));
    this.password.value = '';
    (this.username.value ? this.password : this.username).focus();
  }

  /** The server has no local users (localUsers: false): say so instead of asking for a password. */
  unavailable(text) {
    this.form.hidden = true;
    this.unavailableText = text;
  }

  hide() {
    this.root.hidden = true;
    this.say('');
  }

  say(text, isError = true) {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError && Boolean(text));
  }

  async signIn() {
    const username = this.username.value.trim();
    const password = this.password.value;
    if (!username || !password) {
      this.say(username ? 'Enter your password.' : 'Enter your user name.');
      (username ? this.password : this.username).focus();
      return;
    }
    if (Date.now() < this.blockedUntil) return;
    this.submit.disabled = true;
    this.say('Signing in…', false);
    let response;
    let body = null;
    try {
      response = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      body = await response.json().catch(() => null);
    } catch {
      this.submit.disabled = false;
      this.say('Cannot reach scanhub (is it running?).');
      return;
    }
    if (response.ok && typeof body?.token === 'string') {
      this.submit.disabled = false;
      this.password.value = '';
      this.onSignedIn(body, this.remember.checked);
      return;
    }
    if (response.status === 429) {
      const seconds = Math.max(1, Math.ceil(Number(response.headers.get('retry-after')) || 60));
      this.block(seconds);
      this.say(`Too many failed sign-ins. Try again ${formatWait(seconds)}.`);
    } else {
      this.submit.disabled = false;
      this.say(body?.error || (response.status === 401 ? 'Wrong user name or password.'
        : `Cannot sign in: ${response.status} ${response.statusText}`));
    }
    this.password.select();
    this.password.focus();
  }

  /** Keeps the button off for `seconds` (a rate limit's wait), then on again. */
  block(seconds) {
    this.blockedUntil = Date.now() + seconds * 1000;
    this.submit.disabled = true;
    clearTimeout(this.unblockTimer);
    this.unblockTimer = setTimeout(() => {
      this.submit.disabled = false;
      this.say('You can try again now.', false);
    }, seconds * 1000);
  }
}
