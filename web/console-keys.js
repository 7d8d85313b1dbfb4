// The Keys view: API keys (list, create with scopes — the secret shown once, with a copy button —, revoke) and the
// media signing keys (list, rotate, retire).
import { api, session } from './api.js';
import { h, badge, table } from './ui.js';
import { $, confirmChange, clearErrors, showError, saved, button, showActionError, utcFromInput, utc } from './console-kit.js';

const enc = encodeURIComponent;

export class KeysView {
  bind() {
    $('key-create-form').addEventListener('submit', (event) => { event.preventDefault(); this.create(event.target); });
    $('signing-rotate').addEventListener('click', () => this.rotate());
  }

  activate() {
    this.loadKeys();
    this.loadSigningKeys();
  }

  /** Leaving the view forgets a secret still on screen. */
  deactivate() {
    this.hideSecret();
    for (const id of ['api-keys', 'signing-keys', 'keys-status']) $(id).replaceChildren();
  }

  hideSecret() {
    const box = $('secret-once');
    box.replaceChildren();
    box.hidden = true;
  }

  async loadKeys() {
    const out = $('api-keys');
    try {
      const answer = await api('/api/v1/api-keys');
      out.replaceChildren(table(['id', 'name', 'scopes', 'source', 'created', 'last used', 'expires', ''], (answer?.items || []).map((k) => [
        h('span', { class: 'mono' }, k.id), k.name, k.scopes.join(' '), k.source, utc(k.created_at), utc(k.last_used_at), utc(k.expires_at),
        button('Revoke…', () => this.revoke(k), { class: 'secondary', 'data-revoke': k.id }),
      ])));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async create(form) {
    clearErrors(form);
    this.hideSecret();
    const body = { name: form.name.value.trim(), scopes: [...form.querySelectorAll('input[name=scopes]:checked')].map((i) => i.value) };
    const expires = utcFromInput(form.expires_at.value);
    if (expires) body.expires_at = expires;
    if (body.scopes.includes('admin')) {
      const ok = await confirmChange({
        title: `Create an admin key "${body.name}"?`,
        lines: ['Whoever holds it may do everything this console does: manage users, teams, projects and keys.'],
        action: 'Create admin key',
      });
      if (!ok) return;
    }
    try {
      const { data, revision } = await api('/api/v1/api-keys', { method: 'POST', body, withRevision: true });
      form.reset();
      saved('keys-status', `Created key ${data.id} (${data.name}, ${data.scopes.join(' ')}).`, revision);
      this.showSecret(data);
      await this.loadKeys();
    } catch (error) {
      showError(form, error);
    }
  }

  /** The secret, this once: a read-only field, a copy button, and a button that forgets it. */
  showSecret(key) {
    const box = $('secret-once');
    const field = h('input', { id: 'secret-value', readonly: true, spellcheck: 'false', value: key.key, 'aria-describedby': 'secret-note' });
    const copy = button('Copy', async () => {
      try {
        await navigator.clipboard.writeText(key.key);
        copy.textContent = 'Copied';
      } catch {
        field.select();
        copy.textContent = 'Selected: press Ctrl+C';
      }
    }, { id: 'secret-copy' });
    box.replaceChildren(
      h('label', { for: 'secret-value' }, `Secret of ${key.name} (${key.id})`), field,
      h('p', { id: 'secret-note', class: 'muted small' }, 'Shown this once: only its hash is stored. Copy it now.'),
      h('div', { class: 'actions' }, copy, button('I have stored it', () => { this.hideSecret(); $('new-key-name').focus(); }, { class: 'secondary', id: 'secret-done' })));
    box.hidden = false;
    field.focus();
    field.select();
  }

  async revoke(key) {
    const own = session.who === 'admin API key';
    const ok = await confirmChange({
      title: `Revoke ${key.name} (${key.id})?`,
      lines: [`Every request with this key is refused (401) from the next one on; services using it stop working.`,
        own ? 'If this console signed in with this key, it is signed out too.' : ''].filter(Boolean),
      action: 'Revoke key',
    });
    if (!ok) return;
    try {
      const { revision } = await api(`/api/v1/api-keys/${enc(key.id)}`, { method: 'DELETE', withRevision: true });
      saved('keys-status', `Revoked key ${key.id} (${key.name}).`, revision);
      await this.loadKeys();
    } catch (error) {
      if (error.kind !== 'unauthorized') saved('keys-status', error.message, null);
    }
  }

  async loadSigningKeys() {
    const out = $('signing-keys');
    try {
      const answer = await api('/api/v1/signing-keys');
      out.replaceChildren(table(['key id', 'created', 'state', ''], (answer?.items || []).map((k) => [
        h('span', { class: 'mono' }, k.kid), utc(k.created_at),
        k.active ? badge('allow', 'active: signs') : k.retired ? badge('skip', 'retired') : badge('info', 'verifies'),
        k.active || k.retired ? '' : button('Retire…', () => this.retire(k), { class: 'secondary', 'data-retire': k.kid }),
      ])));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async rotate() {
    $('signing-error').hidden = true;
    const ok = await confirmChange({
      title: 'Rotate the media signing key?',
      lines: ['A new key signs every media URL from now on.', 'URLs already handed out keep working until their key is retired.'],
      action: 'Rotate',
    });
    if (!ok) return;
    try {
      const { data } = await api('/api/v1/signing-keys', { method: 'POST', withRevision: true });
      saved('keys-status', `Rotated: ${data.kid} signs from now on (the keys are a file, not data: no revision).`, null);
      await this.loadSigningKeys();
    } catch (error) {
      showActionError($('signing-error'), error);
    }
  }

  async retire(key) {
    $('signing-error').hidden = true;
    const ok = await confirmChange({
      title: `Retire signing key ${key.kid}?`,
      lines: [`Media URLs signed with ${key.kid} stop verifying at once (403); users ask for new URLs.`],
      action: 'Retire key',
    });
    if (!ok) return;
    try {
      await api(`/api/v1/signing-keys/${enc(key.kid)}/retire`, { method: 'POST' });
      saved('keys-status', `Retired signing key ${key.kid}.`, null);
      await this.loadSigningKeys();
    } catch (error) {
      showActionError($('signing-error'), error);
    }
  }
}
