// The loss curve as an SVG line chart: training loss (line), validation loss (dashed line with dots), the best
// validation point ringed, "nice" ticks on both axes. Plain DOM, no library.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** [x, y] points, at most `max` of them: runs of consecutive points become their mean (fewer are returned as given). */
export function thin(points, max) {
  if (points.length <= max) return points;
  const k = Math.ceil(points.length / max);
  const out = [];
  for (let i = 0; i < points.length; i += k) {
    let sx = 0, sy = 0;
    const end = Math.min(points.length, i + k);
    for (let j = i; j < end; j++) {
      sx += points[j][0];
      sy += points[j][1];
    }
    out.push([sx / (end - i), sy / (end - i)]);
  }
  return out;
}

/** [min, max] of a list of numbers in one pass (Math.min(...xs) overflows the stack past ~100k values). */
export function range(xs) {
  let lo = Infinity, hi = -Infinity;
  for (const v of xs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Fewest decimals that show every multiple of `step` exactly (0.5 -> 1, 0.25 -> 2). */
const decimals = (step) => {
  for (let d = 0; d < 6; d++) if (Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) < 1e-6) return d;
  return 6;
};

const fmtStep = (v) => (v >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(v));

/**
 * Draw into `svg` (viewBox 400 x 250). history: [{ step, train, val? }]; best: { step, val } or null.
 */
export function drawLossChart(svg, history, best) {
  svg.replaceChildren();
  const W = 400, H = 250, m = { l: 50, r: 10, t: 26, b: 40 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  if (!history.length) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no loss curve recorded in this checkpoint'));
    return;
  }
  // a curve of any length: past 5,000 points, 5,000 are drawn (means of runs of points); the ranges come from one
  // pass (no spread of a whole curve into Math.min)
  const vals = thin(history.filter((p) => p.val !== undefined).map((p) => [p.step, p.val]), 1000);
  const train = thin(history.map((p) => [p.step, p.train]), 5000);
  const x0 = Math.min(0, history[0].step), x1 = Math.max(history[history.length - 1].step, 1);
  let [y0, y1] = range(train.concat(vals).map((p) => p[1]));
  const pad = (y1 - y0) * 0.06 || 0.1;
  y0 = Math.max(0, y0 - pad);
  y1 += pad;
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => m.t + (1 - (v - y0) / (y1 - y0)) * ph;

  const grid = el('g', { class: 'grid' });
  const axis = el('g', { class: 'axis' });
  const yt = ticks(y0, y1, 5);
  const digits = decimals(yt.length > 1 ? yt[1] - yt[0] : 1);
  for (const v of yt) {
    grid.append(el('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v) }));
    axis.append(el('text', { x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, v.toFixed(digits)));
  }
  for (const v of ticks(x0, x1, 5)) {
    grid.append(el('line', { x1: X(v), x2: X(v), y1: m.t, y2: m.t + ph }));
    axis.append(el('text', { x: X(v), y: m.t + ph + 15, 'text-anchor': 'middle' }, fmtStep(v)));
  }
  axis.append(el('path', { d: `M${m.l},${m.t}V${m.t + ph}H${m.l + pw}`, fill: 'none' }));
  axis.append(el('text', { x: m.l + pw / 2, y: H - 5, 'text-anchor': 'middle' }, 'training step'));
  axis.append(el('text', { x: 13, y: m.t + ph / 2, 'text-anchor': 'middle', transform: `rotate(-90 13 ${m.t + ph / 2})` }, 'nats / char'));
  svg.append(grid, axis);

  const line = (pts, cls) => el('polyline', { class: cls, points: pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ') });
  svg.append(line(train, 'train'));
  if (vals.length) {
    svg.append(line(vals, 'val'));
    for (const [x, y] of vals) svg.append(el('circle', { class: 'val-dot', cx: X(x), cy: Y(y), r: 2.4 }));
  }
  if (best) svg.append(el('circle', { class: 'best', cx: X(best.step), cy: Y(best.val), r: 5.5 }));

  // legend, top right
  const lg = el('g', { transform: `translate(${m.l + pw - 168}, 8)` });
  lg.append(el('line', { class: 'train', x1: 0, x2: 18, y1: 6, y2: 6 }), el('text', { x: 22, y: 10 }, 'train'));
  if (vals.length) {
    lg.append(el('line', { class: 'val', x1: 66, x2: 84, y1: 6, y2: 6 }), el('text', { x: 88, y: 10 }, 'validation'));
  }
  svg.append(lg);
}
