// The dashboard's entry point: asks whether scanhub wants a signed-in user (GET
// /api/auth/config, README "Authentication") and shows the dashboard (dashboard.js) or the
// sign-in form (signin.js) accordingly.
// - Authentication off (or a server without /api/auth/config): the dashboard at once, no form,
//   no account line; every call goes out as it always did.
// - On: a kept token (session.js) is checked with GET /api/auth/me and used; otherwise the form.
//   After sign-in the header says who is signed in and until when, with a Sign out button.
//   Sign-out, a 401 from any call, or a connection closed for an expired token stop the
//   dashboard's connections and timers and bring the form back ("Your session expired, sign
//   in again." for the latter two). A second sign-in in the same page reloads it, so nothing
//   of the first session's dashboard stays on the page.
import { $ } from './dom.js';
import { startDashboard } from './dashboard.js';
import { session } from './session.js';
import { SignInForm } from './signin.js';

const EXPIRED = 'Your session expired, sign in again.';

let dashboard = null;     // the AbortController of the running dashboard
let dashboardStarted = false;

function showDashboard() {
  $('#signin').hidden = true;
  $('#dashboard').hidden = false;
  $('#connection').hidden = false;
  showAccount();
  if (dashboardStarted) {
    // The page already ran a dashboard for an earlier session: start from a clean page.
    location.reload();
    return;
  }
  dashboardStarted = true;
  dashboard = new AbortController();
  startDashboard(dashboard.signal);
}

function showAccount() {
  const user = session.user;
  const account = $('#account');
  if (!session.required || !session.token()) {
    account.hidden = true;
    return;
  }
  $('#account-name').textContent = user?.name ?? 'unknown';
  const until = session.expiresAt;
  $('#account-until').textContent = until ? `until ${until.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : '';
  $('#account-until').title = until ? `The session ends ${until.toLocaleString()}; sign in again then.` : '';
  account.hidden = false;
}

function showSignIn(message) {
  dashboard?.abort();
  dashboard = null;
  $('#dashboard').hidden = true;
  $('#connection').hidden = true;
  $('#account').hidden = true;
  document.title = 'Sign in · scanhub';
  form.show(message);
}

const form = new SignInForm($('#signin'), {
  onSignedIn: (login, remember) => {
    session.start(login, remember);
    form.hide();
    document.title = 'scanhub';
    showDashboard();
    // The form that had the focus is gone: the dashboard takes it, so keyboard and screen
    // reader users go on from the top of what they came for.
    $('#dashboard').focus();
  },
});
session.onEnd((reason, user) => {
  // An expired session is most often signed in again by the same person: keep their name.
  if (reason === 'expired' && user?.name && !form.username.value) form.username.value = user.name;
  showSignIn(reason === 'expired' ? EXPIRED : '');
});
$('#sign-out').addEventListener('click', () => session.signOut());

/**
 * GET /api/auth/config: {required, localUsers}. A server without the route (404) has no
 * authentication; an unreachable one is asked again every 2 s while the header says
 * "Connecting…".
 */
async function authConfig() {
  for (;;) {
    try {
      const response = await fetch('/api/auth/config', { headers: { accept: 'application/json' } });
      if (response.status === 404) return { required: false };
      if (response.ok) return await response.json();
    } catch {
      // Not reachable (yet): try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** True when the kept token is still accepted (GET /api/auth/me); false on 401. */
async function keptSessionHolds() {
  try {
    const response = await fetch('/api/auth/me', {
      headers: { accept: 'application/json', authorization: `Bearer ${session.token()}` },
    });
    return response.status !== 401;
  } catch {
    return true;  // unreachable: the dashboard's connections retry and check again
  }
}

const config = await authConfig();
session.required = Boolean(config?.required);
if (config?.localUsers === false) {
  // No local user exists: a password cannot work here (tokens come from an identity provider,
  // or nobody has run `scanhub user add` yet).
  form.unavailable('No one can sign in here with a password: there is no local user yet '
                   + '(`scanhub user add NAME` makes one).');
}
if (!session.required) {
  showDashboard();
} else {
  const kept = session.restore();
  if (kept !== 'restored') showSignIn(kept === 'expired' ? EXPIRED : '');
  else if (await keptSessionHolds()) showDashboard();
  else session.expired();
}
