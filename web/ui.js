// Small DOM and formatting helpers. Text always goes in as text nodes: nothing from the server is parsed as HTML.

/** Creates an element with attributes and children (strings become text nodes; falsy children are skipped). */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false || child === '') continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

export function badge(kind, text) {
  return h('span', { class: `badge is-${String(kind).toLowerCase()}` }, text);
}

/** A table in a horizontally scrolling wrapper; `numeric` lists the column indexes to right-align. */
export function table(headers, rows, numeric = []) {
  const align = (i) => (numeric.includes(i) ? 'num' : undefined);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ...headers.map((text, i) => h('th', { scope: 'col', class: align(i) }, text)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell, i) => h('td', { class: align(i) }, cell)))))));
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const smallFormat = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });

export const fmt = {
  number: (v) => (typeof v === 'number' ? (Math.abs(v) < 10 && v !== 0 ? smallFormat.format(v) : numberFormat.format(v)) : '—'),
  count: (v) => (typeof v === 'number' ? Math.round(v).toLocaleString() : '—'),
  percent: (share) => (typeof share === 'number' ? `${(share * 100).toFixed(share >= 0.999 || share === 0 ? 0 : 1)} %` : '—'),
  /** Microseconds, shown in the unit that reads best. */
  us(v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    if (v === 0) return '0';
    if (v < 1000) return `${smallFormat.format(v)} µs`;
    if (v < 1e6) return `${smallFormat.format(v / 1000)} ms`;
    return `${smallFormat.format(v / 1e6)} s`;
  },
  bytes(v) {
    if (typeof v !== 'number') return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return `${i ? smallFormat.format(v) : v} ${units[i]}`;
  },
  duration(seconds) {
    if (typeof seconds !== 'number') return '—';
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return `${d} d ${hr} h`;
    if (hr) return `${hr} h ${m} min`;
    if (m) return `${m} min ${s % 60} s`;
    return `${s} s`;
  },
  time(value) {
    const date = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString();
  },
  /** `cpu_percent` → `CPU percent`. */
  label(key) {
    const text = String(key).replace(/_/g, ' ');
    return text.replace(/\b(cpu|rss|wal|io|db|sql|url|api|l1|l2|l3|p50|p95|p99)\b/gi, (w) => w.toUpperCase()).replace(/^./, (c) => c.toUpperCase());
  },
  /** Formats a figure by what its key says it is. */
  byKey(key, value) {
    if (typeof value !== 'number') return String(value);
    if (/bytes$/.test(key)) return fmt.bytes(value);
    if (/(percent|_pct)$/.test(key)) return `${fmt.number(value)} %`;
    if (/(hit_rate|ratio)$/.test(key)) return fmt.percent(value > 1 ? value / 100 : value);
    if (/seconds$/.test(key)) return fmt.duration(value);
    if (/_us$/.test(key)) return fmt.us(value);
    if (/_ms$/.test(key)) return fmt.us(value * 1000);
    return fmt.number(value);
  },
};
