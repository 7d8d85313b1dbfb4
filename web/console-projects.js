// The Projects view: projects by owner or team, a visibility change confirmed with the number of generations whose
// audience it changes, a project's generations, each one link away from the decision explorer.
import { api } from './api.js';
import { h, badge, table } from './ui.js';
import { $, confirmChange, clearErrors, showError, saved, Pager, button, utc } from './console-kit.js';

const enc = encodeURIComponent;
const WHO = {
  private: 'each generation\'s owner, the project owner and administrators',
  team: 'also the members of its team, as their roles allow',
  public: 'every active user (read and download), and its team as their roles allow',
};

export class ProjectsView {
  constructor(openExplorer) {
    this.openExplorer = openExplorer;
    this.project = null;
  }

  bind() {
    this.results = new Pager($('project-results'), '/api/v1/projects', (items) => table(['id', 'name', 'owner', 'team', 'visibility'], items.map((p) => [
      button(p.id, () => this.open(p.id), { class: 'linkish', 'data-project-id': p.id, title: `Open project ${p.id}` }),
      p.name, p.owner_id, p.team_id || '—', badge(p.visibility === 'public' ? 'warn' : 'info', p.visibility),
    ])));
    this.generations = new Pager($('project-generations'), '/api/v1/generations', (items) => table(['id', 'owner', 'status', 'created', ''], items.map((g) => [
      h('span', { class: 'mono' }, g.id), g.owner_id, g.status, utc(g.created_at),
      button('Open in the explorer', () => this.openExplorer({ generation: g.id, user: g.owner_id }), { class: 'secondary', 'data-open-generation': g.id }),
    ])));
    $('project-filter-form').addEventListener('submit', (event) => { event.preventDefault(); this.list(event.target); });
    $('visibility-form').addEventListener('submit', (event) => { event.preventDefault(); this.changeVisibility(event.target); });
  }

  activate() {
    if (!this.results.params) this.list($('project-filter-form'));
  }

  deactivate() {
    this.project = null;
    this.results.clear();
    this.generations.clear();
    $('project-detail').hidden = true;
    $('projects-status').replaceChildren();
  }

  async list(form) {
    clearErrors(form);
    const params = {};
    if (form.owner_id.value.trim()) params.owner_id = form.owner_id.value.trim();
    if (form.team_id.value.trim()) params.team_id = form.team_id.value.trim();
    try {
      await this.results.load(params);
    } catch (error) {
      showError(form, error);
    }
  }

  async open(id) {
    try {
      this.project = await api(`/api/v1/projects/${enc(id)}`);
    } catch (error) {
      if (error.kind !== 'unauthorized') saved('projects-status', error.message, null);
      return;
    }
    this.showProject();
    $('project-detail').hidden = false;
    $('project-detail-title').focus();
    await this.generations.load({ project_id: id }).catch(() => {});
  }

  showProject() {
    const p = this.project;
    $('project-detail').dataset.projectId = p.id;
    $('project-detail-title').textContent = `Project ${p.id}`;
    $('project-summary').replaceChildren(h('dl', { class: 'figures' },
      h('dt', {}, 'name'), h('dd', {}, p.name), h('dt', {}, 'owner'), h('dd', {}, p.owner_id),
      h('dt', {}, 'team'), h('dd', {}, p.team_id || '—'),
      h('dt', {}, 'visibility'), h('dd', { 'data-visibility': p.visibility }, p.visibility)));
    $('project-visibility').value = p.visibility;
  }

  async changeVisibility(form) {
    clearErrors(form);
    const p = this.project;
    const to = form.visibility.value;
    if (to === p.visibility) {
      saved('projects-status', `${p.id} is already ${to}.`, null);
      return;
    }
    let preview;
    try {
      preview = await api(`/api/v1/projects/${enc(p.id)}/visibility-preview?visibility=${enc(to)}`);
    } catch (error) {
      showError(form, error);
      return;
    }
    const ok = await confirmChange({
      title: `Make ${p.id} ${to}?`,
      lines: [`${preview.changed_generations} of its ${preview.generations} generation${preview.generations === 1 ? '' : 's'} change audience.`,
        `Who may read them: now ${WHO[p.visibility]}; after the change ${WHO[to]}.`],
      action: `Make ${to}`,
    });
    if (!ok) {
      form.visibility.value = p.visibility;
      return;
    }
    try {
      const { data, revision } = await api(`/api/v1/projects/${enc(p.id)}`, { method: 'PATCH', body: { visibility: to }, withRevision: true });
      this.project = data;
      this.showProject();
      saved('projects-status', `${p.id} is now ${to}; ${preview.changed_generations} generation${preview.changed_generations === 1 ? '' : 's'} changed audience.`, revision);
      this.results.reload().catch(() => {});
    } catch (error) {
      showError(form, error);
    }
  }
}
