import { describe, expect, it } from 'vitest';
import { plotCurve } from '../src/commands/plot.js';
// @ts-expect-error: the page's plain JavaScript module has no types
import { range, thin } from '../web/chart.js';

describe('plotCurve', () => {
  it('puts the highest loss top-left and the lowest bottom-right, joined by a line', () => {
    const lines = plotCurve([{ points: [{ x: 0, y: 3 }, { x: 100, y: 1 }], mark: '*', join: true }], 29, 5);
    const rows = lines.slice(0, 5).map((l) => l.slice(l.indexOf('│') + 1));
    expect(lines[0]).toMatch(/^ {2}3\.00 │\*/);
    expect(lines[4]).toMatch(/^ {2}1\.00 │ +\*+$/);
    // one mark per column, descending
    const cols = rows.map((r) => [...r].map((ch, i) => (ch === '*' ? i : -1)).filter((i) => i >= 0));
    expect(cols.flat().sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    for (let r = 1; r < 5; r++) expect(Math.min(...cols[r])).toBeGreaterThan(Math.max(...cols[r - 1]));
    expect(lines.at(-1)).toMatch(/step 0 +100$/);
  });

  it('draws separate series with their marks and says when there is nothing to draw', () => {
    const lines = plotCurve([{ points: [{ x: 1, y: 2 }, { x: 2, y: 1.5 }], mark: '·' }, { points: [{ x: 2, y: 1.8 }], mark: 'o' }], 40, 6);
    expect(lines.join('\n')).toContain('o');
    expect(lines.join('\n').match(/·/g)).toHaveLength(2);
    expect(plotCurve([{ points: [], mark: '·' }], 40)).toEqual(['(no loss recorded yet)']);
  });

  it('draws a million points (no spread into Math.min; one point per column), highest top-left, lowest bottom-right', () => {
    const n = 1_000_000;
    const points = Array.from({ length: n }, (_, i) => ({ x: i + 1, y: 4 - (3 * i) / n }));
    const lines = plotCurve([{ points, mark: '·', join: true }, { points: points.filter((_, i) => i % 1000 === 0).map((p) => ({ x: p.x, y: p.y + 0.1 })), mark: 'o' }], 80, 12);
    expect(lines).toHaveLength(14);
    expect(lines[0]).toMatch(/^ {2}4\.\d\d │/);
    expect(lines.at(-1)).toMatch(/step 1 +1000000$/);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });
});

describe('the page chart (web/chart.js) on long curves', () => {
  it('thins a million points to at most the width, as means of runs, and finds the range in one pass', () => {
    const pts: Array<[number, number]> = Array.from({ length: 1_000_000 }, (_, i) => [i, i % 2]);
    const out = thin(pts, 680) as Array<[number, number]>;
    expect(out.length).toBeLessThanOrEqual(680);
    expect(out.length).toBeGreaterThan(600);
    expect(Math.abs(out[1][1] - 0.5)).toBeLessThan(0.01);
    expect(thin(pts.slice(0, 10), 680)).toHaveLength(10);
    expect(range(pts.map((p) => p[0]))).toEqual([0, 999_999]);
  });
});
