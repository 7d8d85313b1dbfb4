// The dashboard's shell: sign-in, views, the connection state and the 2-second refresh loop.
import { api, session, whenUnauthorized } from './api.js';
import { Live } from './live.js';
import { Explorer } from './explorer.js';
import { Audit } from './audit.js';
import { UsersView } from './console-users.js';
import { TeamsView } from './console-teams.js';
import { ProjectsView } from './console-projects.js';
import { KeysView } from './console-keys.js';

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
  // Nothing the console showed outlives the session: lists, forms and a secret on screen are cleared.
  for (const view of Object.values(consoleViews)) view.deactivate();
  if (token && wasUser && !notice) {
    api('/api/v1/auth/logout', { method: 'POST', token, signOutOn401: false }).catch(() => {});
  }
  showSignIn(notice || 'Signed out.');
}

function showSignIn(notice) {
  for (const id of ['live', 'explorer', 'nav', 'session', 'banner', ...Object.keys(consoleViews)]) $(id).hidden = true;
  const dialog = $('confirm-dialog');
  if (dialog.open) dialog.close('cancel');
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

/**
 * Opens the decision explorer from the console: a user's "what can this user access?" (`access`), or a generation's
 * check and "who can access it?" (`generation`, checked for `user` unless the check form already names one).
 */
function openExplorer({ user, access, generation }) {
  location.hash = '#explorer';
  const setType = (id, type) => { $(id).value = type; $(id).dispatchEvent(new Event('change')); };
  if (access) {
    $('res-user').value = user;
    $('resources-form').requestSubmit();
    $('check-user').value = user;
    $('resources-title').scrollIntoView({ block: 'start' });
  }
  if (generation) {
    setType('check-type', 'generation');
    $('check-resource').value = generation;
    if (!$('check-user').value.trim()) $('check-user').value = user || '';
    if ($('check-user').value.trim()) $('check-form').requestSubmit();
    setType('sub-type', 'generation');
    $('sub-resource').value = generation;
    $('subjects-form').requestSubmit();
  }
}

const consoleViews = {
  users: new UsersView(openExplorer),
  teams: new TeamsView(),
  projects: new ProjectsView(openExplorer),
  keys: new KeysView(),
};

const TITLES = { live: 'Live', explorer: 'Decision explorer', audit: 'Audit', users: 'Users', teams: 'Teams', projects: 'Projects', keys: 'Keys' };

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
  for (const [name, consoleView] of Object.entries(consoleViews)) {
    if (name === view) consoleView.activate();
    // A secret shown once does not wait on a hidden view.
    else if (name === 'keys') consoleView.hideSecret();
  }
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
for (const view of Object.values(consoleViews)) view.bind();
whenUnauthorized(signOut);

if (session.token) start();
else showSignIn(null);
