// The Users view: search (server-side, paged), create, edit, disable, password, sessions, delete, teams and roles.
import { api, session } from './api.js';
import { h, badge, table } from './ui.js';
import {
  $, confirmChange, clearErrors, showError, saved, Pager, button, showActionError, membershipState, STATE_BADGE, utc,
} from './console-kit.js';

const enc = encodeURIComponent;

/** The line a confirmation adds when the administrator acts on their own account. */
function own(user) {
  return user.email === session.who ? ['This is the account this console is signed in with: it is signed out too.'] : [];
}

export class UsersView {
  constructor(openExplorer) {
    this.openExplorer = openExplorer;
    this.user = null;
  }

  bind() {
    this.results = new Pager($('user-results'), '/api/v1/users', (items) => table(['id', 'email', 'name', 'admin', 'status'], items.map((u) => [
      button(u.id, () => this.open(u.id), { class: 'linkish', 'data-user-id': u.id, title: `Open user ${u.id}` }),
      u.email, u.display_name || '—', u.is_admin ? 'yes' : 'no', badge(u.status === 'active' ? 'allow' : 'deny', u.status),
    ])));
    $('user-search-form').addEventListener('submit', (event) => { event.preventDefault(); this.search(); });
    $('user-create-form').addEventListener('submit', (event) => { event.preventDefault(); this.create(event.target); });
    $('user-edit-form').addEventListener('submit', (event) => { event.preventDefault(); this.saveProfile(event.target); });
    $('user-password-form').addEventListener('submit', (event) => { event.preventDefault(); this.setPassword(event.target); });
    $('user-toggle-status').addEventListener('click', () => this.toggleStatus());
    $('user-end-sessions').addEventListener('click', () => this.endSessions());
    $('user-delete').addEventListener('click', () => this.remove());
    $('user-open-access').addEventListener('click', () => this.user && this.openExplorer({ user: this.user.id, access: true }));
  }

  activate() {
    if (!this.results.params) this.search();
  }

  deactivate() {
    this.user = null;
    $('user-detail').hidden = true;
    this.results.clear();
    $('users-status').replaceChildren();
    for (const form of ['user-create-form', 'user-edit-form', 'user-password-form']) $(form).reset();
  }

  async search() {
    const form = $('user-search-form');
    clearErrors(form);
    const q = $('user-q').value.trim();
    try {
      await this.results.load(q ? { q } : {});
    } catch (error) {
      showError(form, error);
    }
  }

  async create(form) {
    clearErrors(form);
    const body = { email: form.email.value.trim() };
    if (form.display_name.value.trim()) body.display_name = form.display_name.value.trim();
    if (form.id.value.trim()) body.id = form.id.value.trim();
    if (form.password.value) body.password = form.password.value;
    if (form.is_admin.checked) body.is_admin = true;
    try {
      const { data, revision } = await api('/api/v1/users', { method: 'POST', body, withRevision: true });
      form.reset();
      saved('users-status', `Created user ${data.id} (${data.email}).`, revision);
      await this.open(data.id);
      this.results.reload().catch(() => {});
    } catch (error) {
      showError(form, error);
    }
  }

  async open(id) {
    $('user-action-error').hidden = true;
    try {
      this.user = await api(`/api/v1/users/${enc(id)}`);
    } catch (error) {
      showActionError($('user-action-error'), error);
      return;
    }
    this.showUser();
    $('user-detail').hidden = false;
    $('user-detail-title').focus();
    await this.loadMemberships();
  }

  showUser() {
    const u = this.user;
    $('user-detail-title').textContent = `User ${u.id}`;
    $('user-detail').dataset.userId = u.id;
    $('user-summary').replaceChildren(h('dl', { class: 'figures' },
      h('dt', {}, 'email'), h('dd', {}, u.email),
      h('dt', {}, 'status'), h('dd', { 'data-user-status': u.status }, badge(u.status === 'active' ? 'allow' : 'deny', u.status)),
      h('dt', {}, 'administrator'), h('dd', {}, u.is_admin ? 'yes' : 'no'),
      h('dt', {}, 'created'), h('dd', {}, utc(u.created_at))));
    $('edit-user-name').value = u.display_name || '';
    $('edit-user-admin').checked = !!u.is_admin;
    $('user-toggle-status').textContent = u.status === 'active' ? 'Disable…' : 'Enable…';
  }

  async loadMemberships() {
    const out = $('user-memberships');
    try {
      const answer = await api(`/api/v1/users/${enc(this.user.id)}/memberships`);
      const items = answer?.items || [];
      out.replaceChildren(items.length ? table(['team', 'role', 'extra permissions', 'state', 'starts', 'expires'], items.map((m) => {
        const [kind, text] = STATE_BADGE[membershipState(m)];
        return [m.team_id, m.role, m.permissions.join(' ') || '—', badge(kind, text), utc(m.starts_at), utc(m.expires_at)];
      })) : h('p', { class: 'empty' }, 'Not a member of any team.'));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  async patch(body, text, form) {
    try {
      const { data, revision } = await api(`/api/v1/users/${enc(this.user.id)}`, { method: 'PATCH', body, withRevision: true });
      this.user = data;
      this.showUser();
      saved('users-status', text, revision);
      this.results.reload().catch(() => {});
      return true;
    } catch (error) {
      if (form) showError(form, error);
      else showActionError($('user-action-error'), error);
      return false;
    }
  }

  async saveProfile(form) {
    clearErrors(form);
    const body = {};
    const name = form.display_name.value.trim();
    if (name !== (this.user.display_name || '')) body.display_name = name;
    if (form.is_admin.checked !== !!this.user.is_admin) {
      const grant = form.is_admin.checked;
      const ok = await confirmChange({
        title: grant ? `Make ${this.user.id} an administrator?` : `Take administration from ${this.user.id}?`,
        lines: [grant ? `${this.user.email} will be allowed everything: every check for them answers allow, and they can manage the directory and keys.`
          : `${this.user.email} will keep only what their ownership and teams grant.`],
        action: grant ? 'Make administrator' : 'Remove administrator',
      });
      if (!ok) return;
      body.is_admin = grant;
    }
    if (!Object.keys(body).length) {
      saved('users-status', 'Nothing to change.', null);
      return;
    }
    await this.patch(body, `Saved the profile of ${this.user.id}.`, form);
  }

  async setPassword(form) {
    clearErrors(form);
    const ok = await confirmChange({
      title: `Set a new password for ${this.user.id}?`,
      lines: [`${this.user.email} signs in with the new password from now on; every session they have ends at once.`, ...own(this.user)],
      action: 'Set password',
    });
    if (!ok) return;
    if (await this.patch({ password: form.password.value }, `Set a new password for ${this.user.id}; their sessions ended.`, form)) form.reset();
  }

  async toggleStatus() {
    $('user-action-error').hidden = true;
    const disable = this.user.status === 'active';
    const ok = await confirmChange({
      title: disable ? `Disable ${this.user.id}?` : `Enable ${this.user.id}?`,
      lines: disable
        ? [`${this.user.email} can no longer sign in; every session ends at once and every check for them answers deny (user_inactive).`,
          'Their teams, roles and ownerships are kept for when they are enabled again.', ...own(this.user)]
        : [`${this.user.email} may sign in again and is granted what their ownership and teams grant. Ended sessions do not come back.`],
      action: disable ? 'Disable user' : 'Enable user',
    });
    if (ok) await this.patch({ status: disable ? 'disabled' : 'active' }, `${disable ? 'Disabled' : 'Enabled'} ${this.user.id}.`);
  }

  async endSessions() {
    $('user-action-error').hidden = true;
    const ok = await confirmChange({
      title: `End every session of ${this.user.id}?`,
      lines: [`Every token ${this.user.email} holds stops working at once; they can sign in again.`, ...own(this.user)],
      action: 'End sessions',
    });
    if (!ok) return;
    try {
      const { revision } = await api(`/api/v1/users/${enc(this.user.id)}/sessions`, { method: 'DELETE', withRevision: true });
      saved('users-status', `Ended every session of ${this.user.id}.`, revision);
    } catch (error) {
      showActionError($('user-action-error'), error);
    }
  }

  async remove() {
    $('user-action-error').hidden = true;
    const u = this.user;
    const ok = await confirmChange({
      title: `Delete user ${u.id} (${u.email})?`,
      lines: [`${u.display_name || u.id} <${u.email}> is deleted: every session ends, every check for them answers deny, and they leave every list.`,
        `The id ${u.id} is never reused; the email may be given to a new user.`, ...own(u)],
      action: `Delete ${u.id}`,
    });
    if (!ok) return;
    try {
      const { revision } = await api(`/api/v1/users/${enc(u.id)}`, { method: 'DELETE', withRevision: true });
      saved('users-status', `Deleted user ${u.id} (${u.email}).`, revision);
      this.user = null;
      $('user-detail').hidden = true;
      this.results.reload().catch(() => {});
      $('user-q').focus();
    } catch (error) {
      showActionError($('user-action-error'), error);
    }
  }
}
