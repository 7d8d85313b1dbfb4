// Hand-drawn SVG line charts: no library, nothing fetched.

const NS = 'http://www.w3.org/2000/svg';
const H = 170, LEFT = 58, RIGHT = 12, TOP = 10, BOTTOM = 24;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A "nice" upper bound for an axis, at least `value`, whose quarters are round numbers too. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Draws lines over a time window into `container`, replacing what was there. The drawing is sized to the
 * container's width in CSS pixels, so its text stays legible on a phone; call it once the container is in the page.
 * @param {HTMLElement} container
 * @param {{series: {name: string, cls: string, points: [number, number][]}[], windowMs: number, now: number,
 *          format: (v: number) => string, label: string, emptyText?: string}} options
 *   points are [time in ms, value]; `format` labels the y axis.
 */
export function lineChart(container, { series, windowMs, now, format, label, emptyText = 'No data yet' }) {
  const W = Math.max(240, Math.round(container.clientWidth || 600));
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label });
  const start = now - windowMs;
  const visible = series.map((s) => ({ ...s, points: s.points.filter(([t, v]) => t >= start && Number.isFinite(v)) }));
  const values = visible.flatMap((s) => s.points.map(([, v]) => v));
  const max = niceMax(Math.max(0, ...values));
  const x = (t) => LEFT + ((t - start) / windowMs) * (W - LEFT - RIGHT);
  const y = (v) => TOP + (1 - v / max) * (H - TOP - BOTTOM);

  for (let i = 0; i <= 4; i++) {
    const value = (max * i) / 4;
    svg.append(el('line', { class: 'grid', x1: LEFT, x2: W - RIGHT, y1: y(value), y2: y(value) }));
    svg.append(el('text', { class: 'axis', x: LEFT - 6, y: y(value) + 4, 'text-anchor': 'end' }, format(value)));
  }
  const minutes = Math.round(windowMs / 60000);
  for (let m = 0; m <= minutes; m++) {
    const t = start + m * 60000;
    svg.append(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: TOP, y2: H - BOTTOM }));
    // On a narrow chart every other minute is labelled, counting back from "now", so labels never overlap.
    if (W < 480 && (minutes - m) % 2 === 1) continue;
    const text = m === minutes ? 'now' : `−${minutes - m} min`;
    svg.append(el('text', { class: 'axis', x: x(t), y: H - 6, 'text-anchor': m === 0 ? 'start' : m === minutes ? 'end' : 'middle' }, text));
  }

  let drawn = 0;
  for (const s of visible) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (s.area && s.points.length > 1) {
      const first = s.points[0][0], last = s.points[s.points.length - 1][0];
      svg.append(el('path', { class: 'area', d: `${d}L${x(last).toFixed(1)},${y(0)}L${x(first).toFixed(1)},${y(0)}Z` }));
    }
    // A single sample still shows as a short tick so the first refresh is visible.
    const path = s.points.length === 1 ? `${d}h3` : d;
    svg.append(el('path', { class: `line ${s.cls}`, d: path, 'data-series': s.name, 'data-points': String(s.points.length) }));
    drawn += s.points.length;
  }
  if (drawn === 0) {
    svg.append(el('text', { class: 'nodata', x: (LEFT + W) / 2, y: H / 2, 'text-anchor': 'middle' }, emptyText));
  }
  svg.dataset.points = String(drawn);
  container.replaceChildren(svg);
  return svg;
}
