// The dashboard's shell: sign-in, views, the connection state and the 2-second refresh loop.
import { api, session, whenUnauthorized } from './api.js';
import { Live } from './live.js';
import { Explorer } from './explorer.js';
import { Audit } from './audit.js';

const REFRESH_MS = 2000;

const $ = (id) => document.getElementById(id);

// ---- connection state, shown in the header and the banner ----

let lastSuccess = 0;

/** Records the outcome of a refresh: `live`, or an error that explains why not. */
function setConnection(error) {
  const conn = $('conn'), text = $('conn-text'), banner = $('banner');
  conn.classList.remove('live', 'down', 'stale');
  if (!error) {
    lastSuccess = Date.now();
    conn.classList.add('live');
    text.textContent = `live · ${new Date(lastSuccess).toLocaleTimeString()}`;
    banner.hidden = true;
    return;
  }
  const since = lastSuccess ? ` Last update ${new Date(lastSuccess).toLocaleTimeString()}; figures below are stale.` : '';
  if (error.kind === 'network') {
    conn.classList.add('down');
    text.textContent = 'server down';
    showBanner(`The server cannot be reached — retrying every 2 s.${since}`);
  } else if (error.kind === 'forbidden') {
    conn.classList.add('down');
    text.textContent = 'not an administrator';
    showBanner(`These credentials are not an administrator's: ${error.message}`);
  } else {
    conn.classList.add('stale');
    text.textContent = `error ${error.status}`;
    showBanner(`The server answered ${error.status}: ${error.message}.${since}`, 'warn');
  }
}

function showBanner(message, kind = '') {
  const banner = $('banner');
  banner.className = `banner ${kind}`;
  banner.textContent = message;
  banner.hidden = false;
}

// ---- signing in and out ----

async function signInWith(token, who, errorElement) {
  errorElement.hidden = true;
  try {
    // An admin-only read proves the credential is an administrator's before the page uses it.
    await api('/api/v1/users?limit=1', { token, signOutOn401: false });
  } catch (error) {
    errorElement.textContent = error.kind === 'forbidden'
      ? 'These credentials work but are not an administrator\u2019s.'
      : error.kind === 'unauthorized' ? 'That key or token is not valid.' : error.message;
    errorElement.hidden = false;
    return false;
  }
  session.set(token, who);
  $('signin-notice').hidden = true;
  start();
  return true;
}

async function loginWithPassword(event) {
  event.preventDefault();
  const error = $('login-error');
  const button = event.submitter || event.target.querySelector('button');
  button.disabled = true;
  try {
    const body = { email: $('login-email').value.trim(), password: $('login-password').value };
    const answer = await api('/api/v1/auth/login', { method: 'POST', body, token: null, signOutOn401: false });
    if (answer?.user && answer.user.is_admin === false) {
      // The token is valid but useless here: give it back at once.
      await api('/api/v1/auth/logout', { method: 'POST', token: answer.token, signOutOn401: false }).catch(() => {});
      error.textContent = 'This user is not an administrator; the dashboard needs one.';
      error.hidden = false;
      return;
    }
    if (await signInWith(answer.token, answer.user?.email || body.email, error)) $('login-password').value = '';
  } catch (failure) {
    error.textContent = failure.kind === 'unauthorized' ? 'Wrong email or password.' : failure.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function loginWithKey(event) {
  event.preventDefault();
  const key = $('key-input').value.trim();
  if (await signInWith(key, 'admin API key', $('key-error'))) $('key-input').value = '';
}

/** Forgets the token (logging a user token out on the server) and shows the sign-in form. */
function signOut(notice) {
  const token = session.token;
  const wasUser = session.who !== 'admin API key';
  session.clear();
  stop();
  explorer.deactivate();
  if (token && wasUser && !notice) {
    api('/api/v1/auth/logout', { method: 'POST', token, signOutOn401: false }).catch(() => {});
  }
  showSignIn(notice || 'Signed out.');
}

function showSignIn(notice) {
  for (const id of ['live', 'explorer', 'nav', 'session', 'banner']) $(id).hidden = true;
  $('signin').hidden = false;
  const box = $('signin-notice');
  box.textContent = notice || '';
  box.hidden = !notice;
  $('login-email').focus();
}

// ---- views and the refresh loop ----

const live = new Live();
const explorer = new Explorer();
const audit = new Audit();
let timer = 0;
let running = false;

const TITLES = { live: 'Live', explorer: 'Decision explorer', audit: 'Audit' };

function route() {
  const view = Object.keys(TITLES).find((name) => location.hash === `#${name}`) ?? 'live';
  for (const name of Object.keys(TITLES)) {
    $(name).hidden = view !== name;
    $(`nav-${name}`).toggleAttribute('aria-current', false);
  }
  $(`nav-${view}`).setAttribute('aria-current', 'page');
  document.title = `${TITLES[view]} · Portcullis`;
  if (view === 'audit') audit.activate();
  else audit.deactivate();
}

async function tick() {
  if (!running) return;
  const started = Date.now();
  try {
    await live.refresh();
    setConnection(null);
  } catch (error) {
    if (error.kind !== 'unauthorized') setConnection(error);
  }
  if (running) timer = setTimeout(tick, Math.max(200, REFRESH_MS - (Date.now() - started)));
}

function start() {
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('session').hidden = false;
  $('who').textContent = session.who;
  route();
  running = true;
  clearTimeout(timer);
  live.reset();
  tick();
  explorer.activate();
}

function stop() {
  running = false;
  audit.deactivate();
  clearTimeout(timer);
}

$('login-form').addEventListener('submit', loginWithPassword);
$('key-form').addEventListener('submit', loginWithKey);
$('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => { if (session.token) route(); });
window.addEventListener('hashchange', () => { $('main').focus({ preventScroll: true }); });
// The skip link must not change the hash: the hash names the view.
document.querySelector('.skip-link').addEventListener('click', (event) => { event.preventDefault(); $('main').focus(); });
explorer.bind();
audit.bind();
whenUnauthorized(signOut);

if (session.token) start();
else showSignIn(null);
