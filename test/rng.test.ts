import { describe, expect, it } from 'vitest';
import { Rng } from '../src/math/rng.js';

describe('Rng', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    const xb = Array.from({ length: 8 }, () => b.nextU32());
    const xc = Array.from({ length: 8 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Rng(7);
    for (let i = 0; i < 100; i++) a.uniform();
    const s = a.getState();
    const want = Array.from({ length: 10 }, () => a.uniform());
    const b = Rng.fromState(s);
    expect(Array.from({ length: 10 }, () => b.uniform())).toEqual(want);
  });

  it('has the moments of its distributions', () => {
    const r = new Rng(1);
    const n = 200_000;
    let su = 0, sn = 0, sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) throw new Error(`uniform out of range: ${u}`);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('draws categories in proportion to their weights and never a zero weight', () => {
    const r = new Rng(3);
    const w = [1, 0, 3, 0];
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.categorical(w)]++;
    expect(counts[1]).toBe(0);
    expect(counts[3]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.8);
    expect(counts[2] / counts[0]).toBeLessThan(3.2);
  });
});
