// The decision explorer: one check with its explanation, and the two paged listings.
import { api } from './api.js';
import { h, empty, badge } from './ui.js';

const ACTIONS = {
  generation: ['read', 'update', 'delete', 'download'],
  project: ['read', 'update', 'delete', 'create_generation'],
  team: ['read', 'manage_members'],
};
const PAGE_SIZE = 50;

const $ = (id) => document.getElementById(id);

function fillActions(typeSelect) {
  const actionSelect = $(typeSelect.dataset.actions);
  const previous = actionSelect.value;
  actionSelect.replaceChildren(...ACTIONS[typeSelect.value].map((a) => h('option', { value: a }, a)));
  if (ACTIONS[typeSelect.value].includes(previous)) actionSelect.value = previous;
}

function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error.kind === 'network' ? 'The server cannot be reached.' : error.message);
}

/** A listing with cursor paging: keeps the cursors of the pages seen so that it can go back. */
class PagedList {
  constructor(container, fetchPage, render) {
    this.container = container;
    this.fetchPage = fetchPage;
    this.render = render;
  }

  async start(params) {
    this.params = params;
    this.cursors = [null];
    await this.load();
  }

  async load() {
    const cursor = this.cursors.at(-1);
    this.container.setAttribute('aria-busy', 'true');
    try {
      const page = await this.fetchPage(this.params, cursor);
      this.show(page);
    } catch (error) {
      if (error.kind !== 'unauthorized') this.container.replaceChildren(errorBox(error));
    } finally {
      this.container.removeAttribute('aria-busy');
    }
  }

  show({ ids, next }) {
    const number = this.cursors.length;
    const previous = h('button', { type: 'button', class: 'secondary', 'data-page': 'previous' }, '← Previous');
    const following = h('button', { type: 'button', class: 'secondary', 'data-page': 'next' }, 'Next →');
    previous.disabled = number === 1;
    following.disabled = !next;
    previous.addEventListener('click', () => { this.cursors.pop(); this.load(); });
    following.addEventListener('click', () => { this.cursors.push(next); this.load(); });
    const first = (number - 1) * PAGE_SIZE;
    const summary = ids.length === 0 ? (number === 1 ? 'None.' : 'No more.')
      : `${first + 1}–${first + ids.length}${next ? ', more on the next page' : ' (all)'}`;
    this.container.replaceChildren(
      h('p', { class: 'muted small', 'data-summary': '' }, `Page ${number}: ${summary}`),
      ids.length ? h('ul', { class: 'idlist' }, ...ids.map((id) => h('li', {}, this.render(id)))) : '',
      number > 1 || next ? h('div', { class: 'pager' }, previous, following) : '');
  }
}

export class Explorer {
  bind() {
    for (const select of ['check-type', 'res-type', 'sub-type'].map($)) {
      select.replaceChildren(...Object.keys(ACTIONS).map((t) => h('option', { value: t }, t)));
      select.addEventListener('change', () => fillActions(select));
      fillActions(select);
    }
    $('check-form').addEventListener('submit', (event) => { event.preventDefault(); this.check(); });
    this.boundAsOf();
    $('check-as-of').addEventListener('focus', () => this.boundAsOf());

    this.resources = new PagedList($('resources-list'), async (p, cursor) => {
      const query = new URLSearchParams({ user_id: p.user, resource_type: p.type, action: p.action, limit: PAGE_SIZE });
      if (cursor) query.set('cursor', cursor);
      const answer = await api(`/api/v1/authz/resources?${query}`);
      return { ids: answer?.ids || [], next: answer?.next_cursor };
    }, (id) => this.link(id, 'Check this resource', () => {
      this.fill({ user: this.resources.params.user, type: this.resources.params.type, action: this.resources.params.action, resource: id });
    }));
    $('resources-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.resources.start({ user: $('res-user').value.trim(), type: $('res-type').value, action: $('res-action').value });
    });

    this.subjects = new PagedList($('subjects-list'), async (p, cursor) => {
      const query = new URLSearchParams({ resource_type: p.type, resource_id: p.resource, action: p.action, limit: PAGE_SIZE });
      if (cursor) query.set('cursor', cursor);
      const answer = await api(`/api/v1/authz/subjects?${query}`);
      return { ids: answer?.user_ids || [], next: answer?.next_cursor };
    }, (id) => this.link(id, 'Check this user', () => {
      this.fill({ user: id, type: this.subjects.params.type, action: this.subjects.params.action, resource: this.subjects.params.resource });
    }));
    $('subjects-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this.subjects.start({ type: $('sub-type').value, resource: $('sub-resource').value.trim(), action: $('sub-action').value });
    });
  }

  /** A button that looks like a link: each listed id opens a check with it. */
  link(id, title, onClick) {
    const button = h('button', { type: 'button', class: 'linkish', title: `${title}: ${id}` }, id);
    button.addEventListener('click', onClick);
    return button;
  }

  fill({ user, type, action, resource }) {
    $('check-user').value = user;
    $('check-type').value = type;
    fillActions($('check-type'));
    $('check-action').value = action;
    $('check-resource').value = resource;
    this.check();
    $('check-title').scrollIntoView({ block: 'start' });
  }

  /** Suggests user ids in the user fields, once per sign-in. */
  async activate() {
    const list = $('user-ids');
    try {
      const answer = await api('/api/v1/users?limit=1000');
      const items = answer?.items || [];
      list.replaceChildren(...items.map((u) => h('option', { value: u.id }, u.email || '')));
    } catch {
      // Suggestions are a convenience: the fields take any id without them.
    }
    list.dataset.loaded = 'true';
  }

  /** Forgets what the last administrator looked at. */
  deactivate() {
    $('user-ids').replaceChildren();
    delete $('user-ids').dataset.loaded;
    for (const id of ['decision', 'resources-list', 'subjects-list']) $(id).replaceChildren();
    $('check-as-of').value = '';
  }

  /** Keeps the "as of" field between now and 30 days ahead (in UTC, as the field is read). */
  boundAsOf() {
    const field = $('check-as-of');
    const utc = (date) => date.toISOString().slice(0, 19);
    const now = new Date();
    field.min = utc(now);
    field.max = utc(new Date(now.getTime() + 30 * 86400000));
  }

  async check() {
    const body = {
      user_id: $('check-user').value.trim(),
      action: $('check-action').value,
      resource_type: $('check-type').value,
      resource_id: $('check-resource').value.trim(),
      explain: true,
    };
    const asOf = $('check-as-of').value;
    // The field holds a UTC wall time without a zone: seconds may be absent.
    if (asOf) body.as_of = `${asOf.length === 16 ? `${asOf}:00` : asOf}Z`;
    const out = $('decision');
    out.setAttribute('aria-busy', 'true');
    try {
      const d = await api('/api/v1/authz/check', { method: 'POST', body });
      const verdict = d.allowed ? 'allow' : 'deny';
      const facts = [['reason', d.reason], ['answered by', d.cache], ['engine time', d.took_us === undefined ? undefined : `${d.took_us} µs`],
        ['revision', d.revision], ['as of', d.as_of]].filter(([, v]) => v !== undefined);
      const rules = Array.isArray(d.explanation) ? d.explanation : [];
      out.replaceChildren(h('div', { class: `decision ${verdict}`, 'data-decision': verdict },
        h('div', { class: 'verdict' }, d.allowed ? 'Allowed' : 'Denied',
          h('span', { class: 'muted small' }, ` — ${body.user_id} ${body.action} ${body.resource_type} ${body.resource_id}`)),
        h('dl', {}, ...facts.flatMap(([k, v]) => [h('div', {}, h('dt', {}, k), h('dd', {}, String(v)))])),
        h('h3', {}, 'Rules, in the order evaluated'),
        rules.length ? h('ol', { class: 'rules' }, ...rules.map((r) => h('li', {},
          badge(r.outcome || 'skip', r.outcome || '?'), ' ', h('span', { class: 'rule' }, r.rule || ''),
          r.detail ? h('span', { class: 'muted' }, ` — ${r.detail}`) : ''))) : empty('The server gave no explanation.'),
        h('div', { 'data-membership': '' })));
      this.showMembership(body, d.as_of || new Date().toISOString(), out.querySelector('[data-membership]'));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(errorBox(error));
    } finally {
      out.removeAttribute('aria-busy');
    }
  }

  /** The checked user's membership of the resource's team, with its time bounds and whether it is in effect at `at`. */
  async showMembership(body, at, into) {
    try {
      let team = body.resource_type === 'team' ? body.resource_id : null;
      if (body.resource_type !== 'team') {
        let projectId = body.resource_type === 'project' ? body.resource_id : null;
        if (!projectId) projectId = (await api(`/api/v1/generations/${encodeURIComponent(body.resource_id)}`))?.project_id;
        if (projectId) team = (await api(`/api/v1/projects/${encodeURIComponent(projectId)}`))?.team_id;
      }
      if (!team) return;
      const members = (await api(`/api/v1/teams/${encodeURIComponent(team)}/members`))?.items || [];
      const m = members.find((item) => item.user_id === body.user_id);
      if (!m) {
        into.replaceChildren(h('p', { class: 'muted small' }, `${body.user_id} is not a member of team ${team}.`));
        return;
      }
      const instant = Date.parse(at);
      const state = !m.is_active ? 'inactive'
        : m.starts_at && instant < Date.parse(m.starts_at) ? 'pending'
          : m.expires_at && instant >= Date.parse(m.expires_at) ? 'expired' : 'in effect';
      into.replaceChildren(
        h('h3', {}, `Membership of team ${team}`),
        h('dl', { 'data-membership-state': state },
          ...[['role', m.role], ['extra permissions', (m.permissions || []).join(', ') || 'none'],
            ['starts', m.starts_at || 'at creation'], ['expires', m.expires_at || 'never'],
            [`at ${at.slice(0, 19).replace('T', ' ')} UTC`, state]]
            .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, String(v))))));
    } catch {
      // The membership is context; the decision above stands without it.
    }
  }
}
