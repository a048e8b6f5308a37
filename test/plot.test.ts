import { describe, expect, it } from 'vitest';
import { plotCurve } from '../src/commands/plot.js';

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
});
