// The Teams view: search (server-side, paged), create, rename, delete; members edited inline (role, extra permissions, active,
// time bounds in UTC); a member added by id or email.
import { api } from './api.js';
import { h, badge, table } from './ui.js';
import {
  $, confirmChange, clearErrors, showError, saved, Pager, button, membershipState, STATE_BADGE, utcFromInput, inputFromUtc,
} from './console-kit.js';

const enc = encodeURIComponent;
const ROLES = ['viewer', 'editor', 'admin', 'owner'];
const GRANTABLE = ['read', 'update', 'delete', 'download', 'create_generation'];

export class TeamsView {
  constructor() {
    this.team = null;
  }

  bind() {
    $('add-member-role').replaceChildren(...ROLES.map((r) => h('option', { value: r }, r)));
    this.results = new Pager($('team-results'), '/api/v1/teams', (items) => table(['id', 'name', 'owner'], items.map((t) => [
      button(t.id, () => this.open(t.id), { class: 'linkish', 'data-team-id': t.id, title: `Open team ${t.id}` }), t.name, t.owner_id,
    ])));
    $('team-filter-form').addEventListener('submit', (event) => { event.preventDefault(); this.search(); });
    $('team-create-form').addEventListener('submit', (event) => { event.preventDefault(); this.create(event.target); });
    $('team-rename-form').addEventListener('submit', (event) => { event.preventDefault(); this.rename(event.target); });
    $('team-delete').addEventListener('click', () => this.remove());
    $('member-add-form').addEventListener('submit', (event) => { event.preventDefault(); this.addMember(event.target); });
  }

  activate() {
    if (!this.results.params) this.search();
    this.suggestUsers();
  }

  deactivate() {
    this.team = null;
    this.results.clear();
    $('team-detail').hidden = true;
    for (const id of ['team-members', 'teams-status', 'console-user-ids']) $(id).replaceChildren();
  }

  async suggestUsers() {
    try {
      const answer = await api('/api/v1/users?limit=1000');
      $('console-user-ids').replaceChildren(...(answer?.items || []).map((u) => h('option', { value: u.id }, u.email)));
    } catch {
      // Suggestions only.
    }
  }

  /** Teams whose id or name starts with the search text (the server's index; names ignore ASCII case), a page at a time. */
  async search() {
    const form = $('team-filter-form');
    clearErrors(form);
    const q = $('team-q').value.trim();
    try {
      await this.results.load(q ? { q } : {});
    } catch (error) {
      showError(form, error);
    }
  }

  async create(form) {
    clearErrors(form);
    const body = { name: form.name.value.trim(), owner_id: form.owner_id.value.trim() };
    if (form.id.value.trim()) body.id = form.id.value.trim();
    try {
      const { data, revision } = await api('/api/v1/teams', { method: 'POST', body, withRevision: true });
      form.reset();
      saved('teams-status', `Created team ${data.id} (${data.name}); ${data.owner_id} is its owner.`, revision);
      this.results.reload().catch(() => {});
      await this.open(data.id);
    } catch (error) {
      showError(form, error);
    }
  }

  async open(id) {
    try {
      this.team = await api(`/api/v1/teams/${enc(id)}`);
    } catch (error) {
      if (error.kind !== 'unauthorized') saved('teams-status', error.message, null);
      return;
    }
    $('team-detail').hidden = false;
    $('team-detail').dataset.teamId = id;
    $('team-detail-title').textContent = `Team ${this.team.id}`;
    $('team-summary').replaceChildren(h('p', { class: 'muted' }, `${this.team.name} · owner ${this.team.owner_id}`));
    $('edit-team-name').value = this.team.name;
    $('team-detail-title').focus();
    await this.loadMembers();
  }

  async loadMembers() {
    const out = $('team-members');
    try {
      const answer = await api(`/api/v1/teams/${enc(this.team.id)}/members`);
      const members = answer?.items || [];
      out.replaceChildren(members.length ? table(['user', 'role', 'extra permissions', 'active', 'starts (UTC)', 'expires (UTC)', 'state', ''],
        members.map((m) => this.memberRow(m))) : h('p', { class: 'empty' }, 'No members.'));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  /** One member's cells: every field an input labelled for that member, saved with its row's button. */
  memberRow(m) {
    const who = m.user_id;
    const label = (what) => `${what} of ${who}`;
    const role = h('select', { 'aria-label': label('Role'), 'data-field': 'role' }, ...ROLES.map((r) => h('option', { value: r, selected: r === m.role }, r)));
    const permissions = h('fieldset', { class: 'perms', 'data-field': 'permissions' }, h('legend', { class: 'visually-hidden' }, label('Extra permissions')),
      ...GRANTABLE.map((a) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: a, checked: m.permissions.includes(a) }), ` ${a}`)));
    const active = h('input', { type: 'checkbox', 'aria-label': label('Active'), checked: m.is_active, 'data-field': 'is_active' });
    const starts = h('input', { type: 'datetime-local', step: '1', 'aria-label': label('Starts (UTC)'), value: inputFromUtc(m.starts_at), 'data-field': 'starts_at' });
    const expires = h('input', { type: 'datetime-local', step: '1', 'aria-label': label('Expires (UTC)'), value: inputFromUtc(m.expires_at), 'data-field': 'expires_at' });
    const [kind, text] = STATE_BADGE[membershipState(m)];
    const form = h('form', { class: 'member-row', 'data-member': who, novalidate: true },
      h('p', { class: 'error', 'data-form-error': '', role: 'alert', hidden: true }));
    const save = h('button', { type: 'submit', form: `member-${who}` }, 'Save');
    form.id = `member-${who}`;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.saveMember(who, { role, permissions, active, starts, expires }, form);
    });
    // The inputs sit in table cells; the row's form gathers them by `form=` and shows their errors.
    for (const input of [role, active, starts, expires]) input.setAttribute('form', form.id);
    const remove = button('Remove…', () => this.removeMember(who), { class: 'secondary' });
    return [h('span', { class: 'mono' }, who), role, permissions, active, starts, expires, badge(kind, text), h('div', { class: 'actions' }, save, remove, form)];
  }

  async saveMember(who, inputs, form) {
    clearErrors(form);
    for (const node of form.closest('tr').querySelectorAll('.field-error')) node.remove();
    const body = {
      role: inputs.role.value,
      permissions: [...inputs.permissions.querySelectorAll('input:checked')].map((i) => i.value),
      is_active: inputs.active.checked,
      starts_at: utcFromInput(inputs.starts.value),
      expires_at: utcFromInput(inputs.expires.value),
    };
    try {
      const { revision } = await api(`/api/v1/teams/${enc(this.team.id)}/members/${enc(who)}`, { method: 'PUT', body, withRevision: true });
      saved('teams-status', `Saved ${who}'s membership of ${this.team.id}: ${body.role}${body.is_active ? '' : ', inactive'}.`, revision);
      await this.loadMembers();
      $('team-members').querySelector(`[data-member="${CSS.escape(who)}"]`)?.closest('tr')?.querySelector('select')?.focus();
    } catch (error) {
      showError(form.closest('tr'), error);
    }
  }

  async removeMember(who) {
    const ok = await confirmChange({
      title: `Remove ${who} from ${this.team.id}?`,
      lines: [`${who} loses the role and extra permissions this team gives on its shared projects and their generations.`,
        'The membership is not kept: adding them again starts a new one.'],
      action: 'Remove member',
    });
    if (!ok) return;
    try {
      const { revision } = await api(`/api/v1/teams/${enc(this.team.id)}/members/${enc(who)}`, { method: 'DELETE', withRevision: true });
      saved('teams-status', `Removed ${who} from ${this.team.id}.`, revision);
      await this.loadMembers();
    } catch (error) {
      if (error.kind !== 'unauthorized') saved('teams-status', error.message, null);
    }
  }

  async addMember(form) {
    clearErrors(form);
    const who = form.who.value.trim();
    const body = { role: form.role.value, starts_at: utcFromInput(form.starts_at.value), expires_at: utcFromInput(form.expires_at.value) };
    if (who.includes('@')) body.email = who;
    else body.user_id = who;
    try {
      const { data, revision } = await api(`/api/v1/teams/${enc(this.team.id)}/members`, { method: 'POST', body, withRevision: true });
      form.reset();
      saved('teams-status', `Added ${data.user_id} to ${this.team.id} as ${data.role}.`, revision);
      await this.loadMembers();
    } catch (error) {
      showError(form, error);
    }
  }

  async rename(form) {
    clearErrors(form);
    try {
      const { data, revision } = await api(`/api/v1/teams/${enc(this.team.id)}`, { method: 'PATCH', body: { name: form.name.value.trim() }, withRevision: true });
      this.team = data;
      $('team-summary').replaceChildren(h('p', { class: 'muted' }, `${data.name} · owner ${data.owner_id}`));
      saved('teams-status', `Renamed ${data.id} to ${data.name}.`, revision);
      this.results.reload().catch(() => {});
    } catch (error) {
      showError(form, error);
    }
  }

  async remove() {
    const t = this.team;
    const ok = await confirmChange({
      title: `Delete team ${t.id} (${t.name})?`,
      lines: [`Its memberships grant nothing from now on: members lose what the team gave them on its shared projects and their generations.`,
        `Projects shared with ${t.id} keep their owner; the id ${t.id} is never reused.`],
      action: `Delete ${t.id}`,
    });
    if (!ok) return;
    try {
      const { revision } = await api(`/api/v1/teams/${enc(t.id)}`, { method: 'DELETE', withRevision: true });
      saved('teams-status', `Deleted team ${t.id}.`, revision);
      this.team = null;
      $('team-detail').hidden = true;
      this.results.reload().catch(() => {});
      $('team-q').focus();
    } catch (error) {
      showError($('team-rename-form'), error);
    }
  }
}
