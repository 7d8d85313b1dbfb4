// The audit view: changes as they are committed (the change stream), recent denies with filters, and a logged
// decision's rules as they were when it was decided.
import { api, session } from './api.js';
import { h, empty, badge, table, fmt } from './ui.js';

const $ = (id) => document.getElementById(id);
const KEEP = 50;

/** Server-Sent Events over fetch (EventSource cannot send the bearer token): calls `onEvent` with each event's data. */
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
      if (data) onEvent(JSON.parse(data));
    }
  }
}

export class Audit {
  constructor() {
    this.changes = [];
    this.controller = null;
    this.lastRevision = null;
  }

  bind() {
    $('denies-form').addEventListener('submit', (event) => { event.preventDefault(); this.loadDenies(); });
  }

  /** Shown: follow the change stream and load the denies. */
  activate() {
    if (!this.controller) this.follow();
    this.loadDenies();
  }

  /** Hidden or signed out: stop following. */
  deactivate() {
    this.controller?.abort();
    this.controller = null;
  }

  async follow() {
    const controller = new AbortController();
    this.controller = controller;
    const since = this.lastRevision === null ? '' : `?since=${this.lastRevision}`;
    $('changes-state').textContent = 'connecting';
    try {
      const response = await fetch(`/api/v1/changes/stream${since}`, {
        headers: { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' }, cache: 'no-store', signal: controller.signal,
      });
      if (!response.ok) throw new Error(`${response.status}`);
      $('changes-state').textContent = 'following';
      await readEvents(response, (change) => this.add(change));
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    if (this.controller !== controller) return;
    // The stream ended (a restart, a network blip): resume after the last revision seen, a little later.
    $('changes-state').textContent = 'reconnecting';
    this.controller = null;
    setTimeout(() => { if (!this.controller && session.token && !$('audit').hidden) this.follow(); }, 2000);
  }

  add(change) {
    this.lastRevision = change.revision;
    this.changes.unshift(change);
    this.changes.length = Math.min(this.changes.length, KEEP);
    const actor = (c) => `${c.actor?.kind ?? ''}${c.actor?.id ? ` ${c.actor.id}` : ''}`;
    $('changes').replaceChildren(table(['revision', 'at', 'entity', 'id', 'op', 'by'], this.changes.map((c) => [
      String(c.revision), fmt.time(c.at), c.entity, c.entity_id, badge(c.op === 'delete' ? 'deny' : 'allow', c.op), actor(c),
    ]), [0]));
  }

  async loadDenies() {
    const out = $('denies');
    const params = new URLSearchParams({ allowed: 'false', limit: '20' });
    for (const [field, name] of [['denies-user', 'user_id'], ['denies-resource', 'resource_id']]) {
      const value = $(field).value.trim();
      if (value) params.set(name, value);
    }
    out.setAttribute('aria-busy', 'true');
    try {
      const page = await api(`/api/v1/audit/decisions?${params}`);
      const items = page?.items ?? [];
      if (!items.length) {
        out.replaceChildren(empty('No denies logged.'));
        return;
      }
      out.replaceChildren(table(['at', 'user', 'action', 'resource', 'reason', ''], items.map((d) => {
        const show = h('button', { type: 'button', class: 'secondary', 'data-decision-id': d.decision_id }, 'Why');
        show.addEventListener('click', () => this.explain(d.decision_id));
        return [fmt.time(d.at), d.user_id ?? '—', d.action, `${d.resource_type} ${d.resource_id}`, d.reason, show];
      })));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    } finally {
      out.removeAttribute('aria-busy');
    }
  }

  async explain(id) {
    const out = $('logged-decision');
    try {
      const d = await api(`/api/v1/audit/decisions/${encodeURIComponent(id)}`);
      const rules = Array.isArray(d.rules) ? d.rules : [];
      out.replaceChildren(h('div', { class: `decision ${d.allowed ? 'allow' : 'deny'}`, 'data-logged-decision': d.decision_id },
        h('div', { class: 'verdict' }, d.allowed ? 'Allowed' : 'Denied',
          h('span', { class: 'muted small' }, ` — ${d.user_id ?? ''} ${d.action} ${d.resource_type} ${d.resource_id}, revision ${d.revision}`)),
        h('h3', {}, 'Rules, as they were when it was decided'),
        rules.length ? h('ol', { class: 'rules' }, ...rules.map((r) => h('li', {},
          badge(r.outcome || 'skip', r.outcome || '?'), ' ', h('span', { class: 'rule' }, r.rule || ''),
          r.detail ? h('span', { class: 'muted' }, ` — ${r.detail}`) : ''))) : empty('No rules were stored with it.')));
    } catch (error) {
      if (error.kind !== 'unauthorized') out.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
    }
  }
}
