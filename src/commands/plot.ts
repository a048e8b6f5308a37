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
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  if (all.length === 0) return ['(no loss recorded yet)'];
  let yMin = Math.min(...all.map((p) => p.y));
  let yMax = Math.max(...all.map((p) => p.y));
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const xMin = Math.min(...all.map((p) => p.x));
  const xMax = Math.max(...all.map((p) => p.x));
  const label = (v: number) => v.toFixed(2).padStart(6);
  const plotW = Math.max(10, width - 9);
  const grid = Array.from({ length: height }, () => Array<string>(plotW).fill(' '));
  const colOf = (x: number) => (xMax === xMin ? plotW - 1 : Math.round(((x - xMin) / (xMax - xMin)) * (plotW - 1)));
  const rowOf = (y: number) => height - 1 - Math.round(((y - yMin) / (yMax - yMin)) * (height - 1));
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
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
