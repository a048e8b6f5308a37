/**
 * A loss curve drawn with text: train loss as '·', validation loss as 'o', y axis in nats on the left,
 * steps along the bottom. Pure function of its inputs (no terminal access).
 */
export interface Series {
  points: Array<{ x: number; y: number }>;
  mark: string;
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
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.y)) continue;
      const col = xMax === xMin ? plotW - 1 : Math.round(((p.x - xMin) / (xMax - xMin)) * (plotW - 1));
      const row = height - 1 - Math.round(((p.y - yMin) / (yMax - yMin)) * (height - 1));
      grid[row][col] = s.mark;
    }
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
