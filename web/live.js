// The live view: reads the performance endpoints every refresh and draws what they report.
// Every reader here tolerates a missing field and shows "no data yet" instead of failing.
import { api, ApiError } from './api.js';
import { lineChart } from './charts.js';
import { h, fmt, empty, table, badge } from './ui.js';

const WINDOW_MS = 5 * 60 * 1000;
const ROUTE_CLASSES = ['ultra_fast', 'critical_auth', 'fast', 'normal', 'background'];
const QUERIES_EVERY = 5; // statements and plans change slowly: every 5th refresh (10 s)
const HISTORY_KEY = 'portcullis.history';

const $ = (id) => document.getElementById(id);

/** `[name, value]` pairs from an object keyed by name, or from an array of objects that carry their name. */
export function named(collection, ...nameKeys) {
  if (Array.isArray(collection)) {
    return collection.map((item, index) => [nameKeys.map((key) => item?.[key]).find((v) => v !== undefined) ?? String(index), item]);
  }
  return collection && typeof collection === 'object' ? Object.entries(collection) : [];
}

/** P50/P95/P99 (and count) of a latency summary, in microseconds, whatever unit its keys name. */
export function percentiles(summary) {
  if (!summary || typeof summary !== 'object') return null;
  const source = summary.latency && typeof summary.latency === 'object' ? summary.latency
    : summary.percentiles && typeof summary.percentiles === 'object' ? summary.percentiles : summary;
  const read = (p) => {
    for (const [suffix, scale] of [['_us', 1], ['_ms', 1000], ['_ns', 0.001], ['_seconds', 1e6], ['', 1000]]) {
      const value = source[`${p}${suffix}`];
      if (typeof value === 'number') return value * scale;
    }
    return undefined;
  };
  const result = { p50: read('p50'), p95: read('p95'), p99: read('p99'), max: read('max') };
  result.count = source.count ?? summary.count ?? source.samples ?? summary.samples;
  return result.p50 === undefined && result.p99 === undefined ? null : result;
}

/** A fraction 0–1 from a rate that may be given as a fraction or a percentage. */
function fraction(value) {
  if (typeof value !== 'number') return undefined;
  return value > 1 ? value / 100 : value;
}

function first(...values) {
  return values.find((v) => v !== undefined && v !== null);
}

export class Live {
  constructor() {
    this.ticks = 0;
    this.samples = [];
    this.alertHistory = new Map();
    this.sources = {};
  }

  /** Starts over (a new sign-in), keeping the chart history of this browser tab. */
  reset() {
    this.ticks = 0;
    try { this.samples = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || '[]'); } catch { this.samples = []; }
    this.sources = {};
    this.queries = undefined;
    this.renderAll();
  }

  /** One refresh: fetches in parallel; throws only when nothing could be read at all. */
  async refresh() {
    const wanted = { dashboard: '/api/v1/performance/dashboard', validate: '/api/v1/performance/validate', health: '/api/v1/performance/health' };
    if (this.ticks % QUERIES_EVERY === 0) wanted.queries = '/api/v1/performance/queries';
    this.ticks += 1;
    const names = Object.keys(wanted);
    const results = await Promise.allSettled(names.map((name) => api(wanted[name])));
    const failures = [];
    results.forEach((result, index) => {
      const name = names[index];
      if (result.status === 'fulfilled') {
        this.sources[name] = { data: result.value };
      } else if (result.reason instanceof ApiError && result.reason.kind === 'missing') {
        // This server does not have the endpoint: its panels say so instead of failing the page.
        this.sources[name] = { missing: true };
      } else {
        failures.push(result.reason);
      }
    });
    if (failures.length === names.length || failures.some((f) => f.kind === 'unauthorized' || f.kind === 'network')) {
      const worst = failures.find((f) => f.kind === 'unauthorized') || failures.find((f) => f.kind === 'network') || failures[0];
      this.renderAll();
      throw worst;
    }
    this.record();
    this.renderAll();
    if (failures.length) throw failures[0];
  }

  data(name) {
    return this.sources[name]?.data;
  }

  /** Adds this refresh's per-class percentiles and throughput to the 5-minute history. */
  record() {
    const dashboard = this.data('dashboard');
    if (!dashboard) return;
    const now = Date.now();
    const classes = {};
    for (const [name, value] of this.routeClasses(dashboard)) {
      const p = percentiles(value);
      if (p) classes[name] = [p.p50, p.p95, p.p99];
    }
    this.samples.push({ t: now, c: classes, r: this.currentRate(dashboard, now) });
    this.samples = this.samples.filter((s) => s.t >= now - WINDOW_MS);
    try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify(this.samples)); } catch { /* storage full: history stays in memory */ }
  }

  routeClasses(dashboard) {
    return named(first(dashboard?.route_classes, dashboard?.latency?.route_classes, dashboard?.routes), 'route_class', 'class', 'name');
  }

  /**
   * Requests per second since the previous refresh, from the response counts since start (which only grow); null
   * at the first refresh or after a restart. Falls back to the window's average rate.
   */
  currentRate(dashboard, now) {
    const responses = dashboard?.responses;
    const total = responses && ['2xx', '3xx', '4xx', '5xx'].reduce((sum, k) => sum + (responses[k] || 0), 0);
    const previous = this.lastTotal;
    this.lastTotal = typeof total === 'number' ? { t: now, total } : undefined;
    if (typeof total !== 'number') return this.throughput(dashboard);
    if (!previous || total < previous.total || now <= previous.t) return undefined;
    return ((total - previous.total) * 1000) / (now - previous.t);
  }

  /** Requests per second over the window: as reported, or the API endpoint series' rate, or the route classes' sum. */
  throughput(dashboard) {
    const t = first(dashboard?.throughput, dashboard?.requests);
    if (typeof t === 'number') return t;
    const reported = first(t?.requests_per_second, t?.rps, t?.per_second, dashboard?.requests_per_second,
      named(dashboard?.operations, 'operation', 'name').find(([n]) => n === 'api_endpoint')?.[1]?.per_second);
    if (reported !== undefined) return reported;
    const rates = this.routeClasses(dashboard).map(([, v]) => v?.per_second).filter((v) => typeof v === 'number');
    return rates.length ? rates.reduce((a, b) => a + b, 0) : undefined;
  }

  renderAll() {
    const dashboard = this.data('dashboard');
    $('live-meta').textContent = this.sources.dashboard?.missing
      ? 'This server does not report performance figures (no /api/v1/performance/dashboard).'
      : dashboard?.monitor_enabled === false ? 'Refreshes every 2 s. Timing is off on this server (monitor.enabled = false): latencies stay empty.'
        : `Refreshes every 2 s.${dashboard ? '' : ' Waiting for the first figures…'}`;
    this.renderTiles(dashboard);
    this.renderRouteCharts();
    this.renderThroughput();
    this.renderTargets();
    this.renderCache(dashboard);
    this.renderAlerts(dashboard);
    this.renderSystem(dashboard);
    this.renderComponents();
    this.renderQueries(dashboard);
  }

  renderTiles(dashboard) {
    const health = this.data('health');
    const targets = this.data('validate')?.targets;
    const authz = percentiles(first(named(dashboard?.operations, 'operation', 'name').find(([n]) => n === 'authorization')?.[1]));
    const hitRate = fraction(first(dashboard?.cache?.overall_hit_rate, dashboard?.cache?.hit_rate));
    const active = this.activeAlerts(dashboard);
    const average = this.throughput(dashboard);
    const now = this.samples.at(-1)?.r;
    const rate = typeof now === 'number' ? now : average;
    const tiles = [
      ['Throughput', rate === undefined ? '—' : `${fmt.number(rate)} req/s`,
        average === undefined ? 'all routes' : `5-min average ${fmt.number(average)} req/s`],
      ['Authorization P99', authz ? fmt.us(authz.p99) : '—', authz ? `P50 ${fmt.us(authz.p50)}` : 'no data yet'],
      ['Cache hit rate', hitRate === undefined ? '—' : fmt.percent(hitRate), 'all layers'],
      ['Targets', targets ? `${targets.filter((t) => t.status === 'pass').length} / ${targets.length} pass` : '—',
        targets ? `${targets.filter((t) => t.status === 'fail').length} failing` : 'no data yet'],
      ['Active alerts', active ? String(active.length) : '—', active?.length ? active.map((a) => a.severity).join(', ') : 'none'],
      ['Uptime', health?.uptime_seconds !== undefined ? fmt.duration(health.uptime_seconds) : '—', health?.version ? `version ${health.version}` : ''],
    ];
    $('tiles').replaceChildren(...tiles.map(([label, value, sub]) =>
      h('div', { class: 'tile', 'data-tile': label }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value),
        h('div', { class: 'sub' }, sub || '\u00a0'))));
  }

  renderRouteCharts() {
    const now = Date.now();
    const latest = this.samples.at(-1)?.c || {};
    const names = [...new Set([...ROUTE_CLASSES, ...Object.keys(latest)])];
    const targets = { ultra_fast: 10, critical_auth: 100, fast: 200 };
    const boxes = names.map((name) => {
      const last = latest[name];
      const target = targets[name];
      const summary = last ? `P99 ${fmt.us(last[2])}${target ? ` · target ${target} ms` : ''}` : target ? `target ${target} ms` : '';
      return h('div', { class: 'chart', 'data-route-class': name }, h('h3', {}, h('span', {}, name), h('span', { class: 'now' }, summary)), h('div'));
    });
    $('route-charts').replaceChildren(...boxes);
    names.forEach((name, index) => {
      const points = [0, 1, 2].map((i) => this.samples.filter((s) => s.c[name]).map((s) => [s.t, s.c[name][i]]));
      const last = latest[name];
      lineChart(boxes[index].lastChild, {
        series: [
          { name: 'p50', cls: 'p50', points: points[0] },
          { name: 'p95', cls: 'p95', points: points[1] },
          { name: 'p99', cls: 'p99', points: points[2] },
        ],
        windowMs: WINDOW_MS, now, format: fmt.us,
        label: `${name} latency, last 5 minutes${last ? `: P50 ${fmt.us(last[0])}, P95 ${fmt.us(last[1])}, P99 ${fmt.us(last[2])}` : ': no data yet'}`,
        emptyText: this.sources.dashboard?.missing ? 'Not reported by this server' : 'No requests of this class yet',
      });
    });
  }

  renderThroughput() {
    const points = this.samples.filter((s) => typeof s.r === 'number').map((s) => [s.t, s.r]);
    const box = h('div', { class: 'chart', 'data-chart': 'throughput' },
      h('h3', {}, h('span', {}, 'Requests per second'), h('span', { class: 'now' }, points.length ? `${fmt.number(points.at(-1)[1])} req/s now` : '')), h('div'));
    const operations = named(this.data('dashboard')?.operations, 'operation', 'name')
      .map(([name, value]) => [name, percentiles(value)]).filter(([, p]) => p);
    $('throughput').replaceChildren(box);
    lineChart(box.lastChild, {
      series: [{ name: 'rate', cls: 'rate', points, area: true }], windowMs: WINDOW_MS, now: Date.now(),
      format: (v) => fmt.number(v), label: 'Requests per second, last 5 minutes',
    });
    const opTable = operations.length
      ? table(['operation', 'count', 'P50', 'P95', 'P99'], operations.map(([name, p]) =>
        [name, fmt.count(p.count), fmt.us(p.p50), fmt.us(p.p95), fmt.us(p.p99)]), [1, 2, 3, 4])
      : empty('No operations timed yet.');
    $('throughput').append(h('h3', {}, 'By operation'), opTable);
  }

  renderTargets() {
    const source = this.sources.validate;
    const targets = source?.data?.targets;
    if (!Array.isArray(targets) || targets.length === 0) {
      $('targets').replaceChildren(empty(source?.missing ? 'This server does not report targets.' : 'No data yet.'));
      return;
    }
    const value = (v, unit) => (typeof v === 'number' ? `${fmt.number(v)} ${unit || ''}`.trim() : '—');
    $('targets').replaceChildren(table(['target', 'goal', 'now', 'status'], targets.map((t) => [
      h('div', {}, fmt.label(t.name), t.detail ? h('div', { class: 'muted small' }, t.detail) : ''),
      `${t.unit === '%' || t.unit === 'req/s' || t.unit === 'connections' ? '≥' : '<'} ${value(t.target, t.unit)}`, value(t.current, t.unit),
      badge(t.status || 'no_data', (t.status || 'no data').replace('_', ' ')),
    ]), [1, 2]));
  }

  renderCache(dashboard) {
    const cache = dashboard?.cache;
    const layers = named(cache?.layers, 'layer', 'name');
    if (!layers.length) {
      $('cache').replaceChildren(empty(this.sources.dashboard?.missing ? 'Not reported by this server.' : 'No data yet.'));
      return;
    }
    const rows = layers.map(([name, layer]) => {
      const p = percentiles(layer);
      const breaker = layer.breaker ?? layer.breaker_state;
      return [name.toUpperCase(), fmt.percent(fraction(layer.hit_rate)), fmt.count(layer.hits), fmt.count(layer.misses),
        p ? fmt.us(p.p50) : '—', p ? fmt.us(p.p99) : '—', fmt.count(layer.entries),
        breaker ? badge(breaker, breaker.replace('_', '-')) : h('span', { class: 'muted' }, 'none (memory)')];
    });
    const overall = fraction(first(cache.overall_hit_rate, cache.hit_rate));
    const extras = [
      overall !== undefined ? `overall hit rate ${fmt.percent(overall)}` : null,
      cache.lookups !== undefined ? `${fmt.count(cache.lookups)} lookups` : null,
      cache.stale_rejections !== undefined ? `${fmt.count(cache.stale_rejections)} stale entries rejected` : null,
      cache.layer_errors !== undefined ? `${fmt.count(cache.layer_errors)} layer errors` : null,
    ].filter(Boolean).join(' · ');
    $('cache').replaceChildren(
      table(['layer', 'hit rate', 'hits', 'misses', 'lookup P50', 'lookup P99', 'entries', 'breaker'], rows, [1, 2, 3, 4, 5, 6]),
      h('p', { class: 'muted small' }, extras));
  }

  activeAlerts(dashboard) {
    const alerts = dashboard?.alerts;
    const list = Array.isArray(alerts) ? alerts : first(alerts?.active, dashboard?.active_alerts);
    return Array.isArray(list) ? list : undefined;
  }

  renderAlerts(dashboard) {
    const active = this.activeAlerts(dashboard);
    const serverHistory = first(dashboard?.alerts?.history, dashboard?.alert_history);
    const key = (a) => `${alertName(a)}|${alertSince(a) ?? ''}`;
    // The page keeps its own history too, for servers that report only what is active now.
    const now = Date.now();
    for (const alert of active || []) {
      const k = key(alert);
      const seen = this.alertHistory.get(k);
      this.alertHistory.set(k, { ...alert, firstSeen: seen?.firstSeen ?? now, lastSeen: now });
    }
    const activeKeys = new Set((active || []).map(key));
    const history = Array.isArray(serverHistory) ? serverHistory
      : [...this.alertHistory.entries()].filter(([k]) => !activeKeys.has(k)).map(([, a]) => ({ ...a, cleared_at: new Date(a.lastSeen).toISOString() }));
    const item = (a, resolved) => h('li', { 'data-alert': alertName(a) },
      badge(a.severity || 'info', a.severity || 'info'), ' ',
      h('strong', {}, alertName(a)), ' ',
      h('span', {}, a.message ?? ''), ' ',
      h('span', { class: 'muted small' }, [
        typeof a.value === 'number' && typeof a.threshold === 'number' ? `${fmt.number(a.value)} against ${fmt.number(a.threshold)} · ` : '',
        alertSince(a) ? `since ${fmt.time(alertSince(a))}` : a.firstSeen ? `seen ${fmt.time(a.firstSeen)}` : '',
        resolved && alertEnd(a) ? ` · cleared ${fmt.time(alertEnd(a))}` : '',
      ].join('')));
    const parts = [h('h3', {}, 'Active')];
    parts.push(active === undefined ? empty(this.sources.dashboard?.missing ? 'Not reported by this server.' : 'No data yet.')
      : active.length ? h('ul', { class: 'plain', id: 'alerts-active' }, ...active.map((a) => item(a, false))) : empty('No active alerts.'));
    parts.push(h('h3', {}, 'History'));
    parts.push(history.length ? h('ul', { class: 'plain' }, ...history.slice(-20).reverse().map((a) => item(a, true))) : empty('No alerts so far.'));
    const advice = dashboard?.recommendations;
    if (Array.isArray(advice) && advice.length) {
      parts.push(h('h3', {}, 'Advice'), h('ul', { class: 'plain', id: 'advice' }, ...advice.map((a) => h('li', {}, typeof a === 'string' ? a : a.message ?? JSON.stringify(a)))));
    }
    $('alerts').replaceChildren(...parts);
  }

  renderSystem(dashboard) {
    const system = first(dashboard?.system, dashboard?.resources, dashboard?.system_resources);
    const database = first(dashboard?.database, dashboard?.db);
    const blocks = [];
    const figures = (object) => Object.entries(object || {}).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
    if (system && figures(system).length) {
      blocks.push(h('dl', { class: 'figures' }, ...figures(system).flatMap(([k, v]) => [h('dt', {}, fmt.label(k)), h('dd', {}, fmt.byKey(k, v), meter(k, v))])));
    } else {
      blocks.push(empty(this.sources.dashboard?.missing ? 'Not reported by this server.' : 'No data yet.'));
    }
    if (database && typeof database === 'object') {
      const shown = new Set(Object.keys(system || {}));
      const flat = figures(database).filter(([k]) => !shown.has(k));
      for (const [k, v] of Object.entries(database)) {
        if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k2, v2] of figures(v)) flat.push([`${k} ${k2}`, v2]);
      }
      if (flat.length) {
        blocks.push(h('h3', {}, 'Database'));
        blocks.push(h('dl', { class: 'figures' }, ...flat.flatMap(([k, v]) => [h('dt', {}, fmt.label(k)), h('dd', {}, fmt.byKey(k, v))])));
      }
    }
    $('system').replaceChildren(...blocks);
  }

  renderComponents() {
    const source = this.sources.health;
    const health = source?.data;
    const components = named(first(health?.components, health?.checks), 'component', 'name');
    if (!components.length) {
      $('components').replaceChildren(empty(source?.missing ? 'This server does not report component health.' : 'No data yet.'));
      return;
    }
    const status = (c) => (typeof c === 'string' ? c : c?.status ?? c?.state ?? 'unknown');
    const detail = (c) => {
      if (!c || typeof c !== 'object') return '';
      const flat = { ...(typeof c.detail === 'object' ? c.detail : {}), ...c };
      return Object.entries(flat).filter(([k, v]) => !['status', 'name', 'component', 'detail'].includes(k) && typeof v !== 'object')
        .map(([k, v]) => `${fmt.label(k)}: ${fmt.byKey(k, Number.isNaN(Number(v)) || v === '' ? v : Number(v))}`).join(' · ');
    };
    const shedding = this.data('dashboard')?.load_shedding;
    const shed = shedding?.shed && typeof shedding.shed === 'object' ? Object.entries(shedding.shed).filter(([, n]) => n > 0) : [];
    $('components').replaceChildren(
      h('p', {}, 'Overall: ', badge(health.status || 'unknown', health.status || 'unknown'),
        health.version ? h('span', { class: 'muted' }, ` · version ${health.version}`) : '',
        health.uptime_seconds !== undefined ? h('span', { class: 'muted' }, ` · up ${fmt.duration(health.uptime_seconds)}`) : ''),
      table(['component', 'status', 'detail'], components.map(([name, c]) => [name, badge(status(c), status(c).replace('_', ' ')), detail(c)])),
      shedding ? h('p', { class: 'muted small', id: 'shedding' }, `Load shedding: breaker ${shedding.state ?? '?'}, `
        + `${fmt.count(shedding.in_flight)} in flight (peak ${fmt.count(shedding.peak_in_flight)}, limit ${fmt.count(shedding.max_in_flight)}), `
        + `${fmt.count(shedding.trips)} trips; shed: ${shed.length ? shed.map(([k, n]) => `${k} ${fmt.count(n)}`).join(', ') : 'nothing'}.`) : '');
  }

  renderQueries(dashboard) {
    const source = this.sources.queries;
    // Statements are fetched every 10 s: redraw only then, keeping open plans open and the focus where it was.
    if (source === this.queriesShown && source !== undefined) return;
    this.queriesShown = source;
    this.openPlans ??= new Set();
    const focused = document.activeElement?.closest?.('#queries [data-key]')?.dataset.key;
    const data = source?.data;
    const statements = named(first(data?.statements, data?.queries, Array.isArray(data) ? data : undefined), 'sql', 'statement', 'name');
    const recommendations = first(data?.recommendations, data?.index_recommendations, dashboard?.recommendations) || [];
    const parts = [];
    if (!statements.length) {
      parts.push(empty(source?.missing ? 'This server does not report statements.' : 'No statements timed yet.'));
    } else {
      const sorted = statements.map(([name, s]) => ({ name: s.name ?? name, sql: s.sql ?? s.statement ?? name, s, p: percentiles(s) }))
        .sort((a, b) => (b.p?.p99 ?? 0) - (a.p?.p99 ?? 0) || (b.s.calls ?? 0) - (a.s.calls ?? 0)).slice(0, 10);
      parts.push(h('p', { class: 'muted small' }, `The ${sorted.length} slowest by P99 of ${statements.length} statements timed since start.`));
      parts.push(table(['statement', 'class', 'calls', 'P50', 'P99', 'slow', 'index'], sorted.map(({ name, sql, s, p }) => {
        const plan = Array.isArray(s.plan ?? s.query_plan) ? (s.plan ?? s.query_plan).map((row) => (typeof row === 'string' ? row : row.detail ?? JSON.stringify(row))).join('\n') : s.plan ?? s.query_plan;
        return [
          h('div', { class: 'sql' }, h('strong', {}, name), this.plan(name, sql, plan, s.scans)),
          s.class ?? s.priority ?? '—', fmt.count(s.calls ?? s.count), p ? fmt.us(p.p50) : '—', p ? fmt.us(p.p99) : '—', fmt.count(s.slow_count ?? s.slow),
          s.uses_index === undefined || s.uses_index === null ? h('span', { class: 'muted' }, 'no table')
            : badge(s.uses_index ? 'pass' : 'fail', s.uses_index ? 'yes' : 'scan'),
        ];
      }), [2, 3, 4, 5]));
      const cache = first(data?.statement_cache, data?.cache);
      if (cache && typeof cache === 'object') {
        parts.push(h('p', { class: 'muted small' }, 'Statement cache: ', Object.entries(cache).filter(([, v]) => typeof v !== 'object')
          .map(([k, v]) => `${fmt.label(k)} ${fmt.byKey(k, v)}`).join(' · ')));
      }
    }
    parts.push(h('h3', {}, 'Index recommendations'));
    parts.push(recommendations.length
      ? h('ul', { class: 'plain', id: 'recommendations' }, ...recommendations.map((r) => h('li', {}, typeof r === 'string' ? r
        : [h('strong', {}, r.statement ?? r.table ?? ''), ' ', r.reason ?? r.message ?? '', r.suggestion ? h('pre', {}, r.suggestion) : ''])))
      : empty(statements.length ? 'None: every timed statement uses an index.' : 'No data yet.'));
    $('queries').replaceChildren(...parts);
    if (focused) [...document.querySelectorAll('#queries [data-key]')].find((e) => e.dataset.key === focused)?.querySelector('summary')?.focus();
  }

  /** The statement's SQL and plan, folded; which ones are open survives the refresh. */
  plan(key, sql, plan, scans) {
    const details = h('details', { 'data-key': key, open: this.openPlans.has(key) }, h('summary', {}, 'SQL and plan'),
      h('pre', {}, sql), plan ? h('pre', {}, String(plan)) : '',
      Array.isArray(scans) && scans.length ? h('p', { class: 'error' }, `Scans: ${scans.join(', ')}`) : '');
    details.addEventListener('toggle', () => (details.open ? this.openPlans.add(key) : this.openPlans.delete(key)));
    return details;
  }
}

const alertName = (a) => a.id ?? a.name ?? a.rule ?? 'alert';
const alertSince = (a) => a.raised_at ?? a.started_at ?? a.since;
const alertEnd = (a) => a.cleared_at ?? a.resolved_at;

function meter(key, value) {
  if (typeof value !== 'number' || !/(percent|_pct)$/.test(key)) return '';
  const share = Math.max(0, Math.min(1, value / 100));
  const bar = h('span');
  bar.style.width = `${(share * 100).toFixed(1)}%`;
  return h('div', { class: `meter${share > 0.8 ? ' high' : ''}`, 'aria-hidden': 'true' }, bar);
}
