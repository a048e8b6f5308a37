/**
 * A loss curve drawn with text: train loss as '·', validation loss as 'o', y axis in nats on the left,
 * steps along the bottom. Pure function of its inputs (no terminal access).
 */
export interface Series {
  points: Array<{ x: number; y: number }>;
  mark: string;
  /** draw the columns between consecutive points too (a line rather than dots) */
  join?: boolean;
}

export function plotCurve(series: Series[], width: number, height = 12): string[] {
  // the ranges in one pass (no spread of a whole curve into Math.min: a long run has a million points)
  let yMin = Infinity, yMax = -Infinity, xMin = Infinity, xMax = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.y)) continue;
      if (p.y < yMin) yMin = p.y;
      if (p.y > yMax) yMax = p.y;
      if (p.x < xMin) xMin = p.x;
      if (p.x > xMax) xMax = p.x;
    }
  }
  if (yMin === Infinity) return ['(no loss recorded yet)'];
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const label = (v: number) => v.toFixed(2).padStart(6);
  const plotW = Math.max(10, width - 9);
  const grid = Array.from({ length: height }, () => Array<string>(plotW).fill(' '));
  const colOf = (x: number) => (xMax === xMin ? plotW - 1 : Math.round(((x - xMin) / (xMax - xMin)) * (plotW - 1)));
  const rowOf = (y: number) => height - 1 - Math.round(((y - yMin) / (yMax - yMin)) * (height - 1));
  for (const s of series) {
    const pts = downsample(s.points.filter((p) => Number.isFinite(p.y)), plotW, colOf);
    pts.forEach((p, i) => {
      const c1 = colOf(p.x);
      if (s.join && i > 0) {
        const q = pts[i - 1];
        const c0 = colOf(q.x);
        for (let c = c0 + 1; c < c1; c++) grid[rowOf(q.y + ((p.y - q.y) * (c - c0)) / (c1 - c0))][c] = s.mark;
      }
      grid[rowOf(p.y)][c1] = s.mark;
    });
  }
  const lines = grid.map((r, i) => {
    const yv = yMax - (i / (height - 1)) * (yMax - yMin);
    const axis = i === 0 || i === height - 1 || i === Math.floor(height / 2) ? label(yv) : ' '.repeat(6);
    return `${axis} │${r.join('')}`.trimEnd();
  });
  lines.push(`${' '.repeat(6)} └${'─'.repeat(plotW)}`);
  const left = `step ${xMin}`;
  const right = `${xMax}`;
  lines.push(`${' '.repeat(8)}${left}${' '.repeat(Math.max(1, plotW - left.length - right.length))}${right}`);
  return lines;
}

/** A very long curve (over 10,000 points): one point per column, the mean of the points in it, so drawing costs the
 *  chart's width rather than the curve's length. Shorter curves are drawn point by point, as they always were. */
const DRAWN_AS_IS = 10_000;

function downsample(pts: Array<{ x: number; y: number }>, width: number, colOf: (x: number) => number): Array<{ x: number; y: number }> {
  if (pts.length <= Math.max(DRAWN_AS_IS, 2 * width)) return pts;
  const sx = new Float64Array(width), sy = new Float64Array(width), n = new Uint32Array(width);
  for (const p of pts) {
    const c = Math.min(width - 1, Math.max(0, colOf(p.x)));
    sx[c] += p.x;
    sy[c] += p.y;
    n[c]++;
  }
  const out: Array<{ x: number; y: number }> = [];
  for (let c = 0; c < width; c++) if (n[c]) out.push({ x: sx[c] / n[c], y: sy[c] / n[c] });
  return out;
}
