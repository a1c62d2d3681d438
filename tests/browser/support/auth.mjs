// Signing in for the browser tests of `serve --auth` (README "Authentication"): a local user
// made by the real `scanhub user add` (the password as one line on stdin, as a script would
// give it), and the page's sign-in form driven by the keyboard.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MS } from './dashboard.mjs';

/** `scanhub user add NAME [--admin] --db DIR/scanhub.db` with `password` on stdin. */
export function addUser(dir, name, password, { admin = false } = {}) {
  execFileSync(process.env.SCANHUB_BIN, ['user', 'add', name, ...(admin ? ['--admin'] : []), '--db', join(dir, 'scanhub.db')],
               { input: `${password}\n`, stdio: ['pipe', 'ignore', 'inherit'], timeout: MS });
}

/** `scanhub user remove NAME --db DIR/scanhub.db` (the server may be running). */
export function removeUser(dir, name) {
  execFileSync(process.env.SCANHUB_BIN, ['user', 'remove', name, '--db', join(dir, 'scanhub.db')],
               { stdio: ['ignore', 'ignore', 'inherit'], timeout: MS });
}

/**
 * Fills the page's sign-in form by keyboard (user name, Tab, password, Enter) and waits for the
 * form's answer: resolves once the form is gone (signed in) or its alert line has an error.
 */
export async function submitSignIn(page, username, password, { remember = false } = {}) {
  const user = page.locator('#signin-username');
  await user.fill(username);
  await user.focus();
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  if (remember) await page.locator('#signin-remember').check();
  await page.locator('#signin-password').press('Enter');
  await page.waitForFunction(() => document.querySelector('#signin').hidden
    || document.querySelector('#signin-message').classList.contains('error'), null, { timeout: MS });
}
