// What the console's views share: confirmations, field errors, the revision of each write, UTC time inputs, paging.
import { api } from './api.js';
import { h, empty } from './ui.js';

export const $ = (id) => document.getElementById(id);

/**
 * Asks before a change: the dialog says what will change (`lines`) and returns true only on the confirm button.
 * Cancel has the focus, so Enter or Escape on a dialog opened by mistake changes nothing.
 */
export function confirmChange({ title, lines, action = 'Confirm' }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-body').replaceChildren(...lines.map((line) => h('p', {}, line)));
  $('confirm-ok').textContent = action;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

/** The field an API error names: `field: why` messages, and the conflicts on an id or an email. */
export function fieldOf(error) {
  const message = error?.message || '';
  const named = message.match(/^([a-z_]+)(?:\[\d+\])?:/);
  if (named) return named[1];
  if (error?.code === 'conflict' && /^email /.test(message)) return 'email';
  if (error?.code === 'conflict' && /already exists$/.test(message)) return 'id';
  return null;
}

/** Clears a form's error messages. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid]')) {
    node.removeAttribute('aria-invalid');
    node.removeAttribute('aria-describedby');
  }
  const general = form.querySelector('[data-form-error]');
  if (general) general.hidden = true;
}

let errorCount = 0;

/**
 * Shows an API error next to the field it names (marked invalid and described by the message, and focused), or under
 * the form when it names none of the form's fields.
 */
export function showError(form, error) {
  clearErrors(form);
  if (error.kind === 'unauthorized') return;
  const message = error.kind === 'network' ? 'The server cannot be reached.' : error.message;
  const field = fieldOf(error);
  const input = field && [...form.querySelectorAll('[data-field]')].find((node) => node.dataset.field.split(' ').includes(field));
  if (input) {
    const id = `field-error-${++errorCount}`;
    const note = h('p', { class: 'field-error error', id, 'data-error-for': field }, message);
    input.after(note);
    const target = input.matches('fieldset') ? input.querySelector('input') : input;
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', id);
    target.focus();
    return;
  }
  const general = form.querySelector('[data-form-error]');
  if (general) {
    general.textContent = message;
    general.hidden = false;
  }
}

/** Says what a write did and the revision it produced (a check at that revision or later reflects it). */
export function saved(statusId, text, revision) {
  const status = $(statusId);
  status.replaceChildren(h('span', { class: 'badge is-ok' }, 'saved'), ' ', text,
    revision ? h('span', { class: 'revision' }, ` — revision ${revision}`) : '');
  status.dataset.revision = revision || '';
}

/** `2026-01-31T12:00` (a datetime-local input, read as UTC) → `2026-01-31T12:00:00Z`; empty → null. */
export function utcFromInput(value) {
  if (!value) return null;
  return value.length === 16 ? `${value}:00Z` : `${value}Z`;
}

/** `2026-01-31T12:00:00.000Z` → `2026-01-31T12:00:00` for a datetime-local input (UTC). */
export function inputFromUtc(value) {
  return value ? value.replace(/\.\d+Z$|Z$/, '').slice(0, 19) : '';
}

/** Whether a membership grants now: `in_effect`, `pending`, `expired` or `inactive` (as the server says it). */
export function membershipState(member, now = Date.now()) {
  if (member.state) return member.state;
  if (!member.is_active) return 'inactive';
  if (member.starts_at && Date.parse(member.starts_at) > now) return 'pending';
  if (member.expires_at && Date.parse(member.expires_at) <= now) return 'expired';
  return 'in_effect';
}

export const STATE_BADGE = { in_effect: ['allow', 'in effect'], pending: ['warn', 'pending'], expired: ['deny', 'expired'], inactive: ['skip', 'inactive'] };

/** A UTC time for tables: `2026-01-31 12:00:00 UTC`. */
export function utc(value) {
  return value ? `${String(value).replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC` : '—';
}

/**
 * A management list with cursor paging: `load(params)` fetches the first page of `path(params)`; Previous goes back
 * through the cursors already seen. `render(items)` builds the page's content.
 */
export class Pager {
  constructor(container, path, render, limit = 25) {
    Object.assign(this, { container, path, render, limit });
  }

  async load(params) {
    this.params = params;
    this.cursors = [null];
    await this.fetch();
  }

  /** Forgets the list: empties its container, and an answer still on its way is dropped. */
  clear() {
    this.latest = (this.latest || 0) + 1;
    delete this.params;
    delete this.cursors;
    this.container.removeAttribute('aria-busy');
    this.container.replaceChildren();
  }

  async reload() {
    if (this.cursors) await this.fetch();
  }

  /**
   * Fetches the current page. Only the latest request may draw: a slower answer to an earlier one (the full list that
   * was still loading when a search was typed, a page left behind) is dropped, not shown over the newer result.
   * `data-settled` counts the requests that have finished, drawn or dropped.
   */
  async fetch() {
    const query = new URLSearchParams({ ...this.params, limit: this.limit });
    const cursor = this.cursors.at(-1);
    if (cursor) query.set('cursor', cursor);
    const request = this.latest = (this.latest || 0) + 1;
    this.container.setAttribute('aria-busy', 'true');
    try {
      const page = await api(`${this.path}?${query}`);
      if (request === this.latest) this.show(page?.items || [], page?.next_cursor);
    } catch (error) {
      if (request !== this.latest) return;
      if (error.kind !== 'unauthorized') this.container.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
      throw error;
    } finally {
      if (request === this.latest) this.container.removeAttribute('aria-busy');
      this.settled = (this.settled || 0) + 1;
      this.container.dataset.settled = String(this.settled);
    }
  }

  show(items, next) {
    const number = this.cursors.length;
    const previous = h('button', { type: 'button', class: 'secondary', 'data-page': 'previous' }, '← Previous');
    const following = h('button', { type: 'button', class: 'secondary', 'data-page': 'next' }, 'Next →');
    previous.disabled = number === 1;
    following.disabled = !next;
    previous.addEventListener('click', () => { this.cursors.pop(); this.fetch().catch(() => {}); });
    following.addEventListener('click', () => { this.cursors.push(next); this.fetch().catch(() => {}); });
    this.container.replaceChildren(
      h('p', { class: 'muted small', 'data-summary': '' }, `Page ${number}: ${items.length ? `${items.length} shown${next ? ', more on the next page' : ''}` : 'none'}`),
      items.length ? this.render(items) : empty('Nothing matches.'),
      number > 1 || next ? h('div', { class: 'pager' }, previous, following) : '');
  }
}

/** A button; `onClick` errors are left to the caller. */
export function button(text, onClick, attributes = {}) {
  const node = h('button', { type: 'button', ...attributes }, text);
  node.addEventListener('click', onClick);
  return node;
}

/** Shows an error next to a button row (`element` is a `.error` paragraph). */
export function showActionError(element, error) {
  if (error.kind === 'unauthorized') return;
  element.textContent = error.kind === 'network' ? 'The server cannot be reached.' : error.message;
  element.hidden = false;
}
