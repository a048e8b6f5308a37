import { describe, expect, it } from 'vitest';
import { learningRate, validateSchedule } from '../src/train/schedule.js';

describe('learning-rate schedules', () => {
  it('constant', () => {
    for (const s of [0, 1, 999, 1e6]) expect(learningRate(2e-3, { kind: 'constant' }, s)).toBe(2e-3);
  });

  it('step decay multiplies by the factor every N steps', () => {
    const s = { kind: 'step' as const, every: 100, factor: 0.5 };
    expect(learningRate(1, s, 0)).toBe(1);
    expect(learningRate(1, s, 99)).toBe(1);
    expect(learningRate(1, s, 100)).toBe(0.5);
    expect(learningRate(1, s, 250)).toBe(0.25);
    expect(learningRate(1, { kind: 'step', every: 10, factor: 0.97 }, 30)).toBeCloseTo(0.97 ** 3, 15);
  });

  it('cosine goes from lr to the minimum over the total steps', () => {
    const s = { kind: 'cosine' as const, total: 1000, min: 1e-4 };
    expect(learningRate(1e-2, s, 0)).toBe(1e-2);
    expect(learningRate(1e-2, s, 500)).toBeCloseTo((1e-2 + 1e-4) / 2, 15);
    expect(learningRate(1e-2, s, 1000)).toBeCloseTo(1e-4, 15);
    expect(learningRate(1e-2, s, 5000)).toBeCloseTo(1e-4, 15); // stays at the minimum past the end
    // monotone decreasing
    let prev = Infinity;
    for (let k = 0; k <= 1000; k += 50) {
      const lr = learningRate(1e-2, s, k);
      expect(lr).toBeLessThan(prev);
      prev = lr;
    }
  });

  it('warm-up ramps linearly, then the schedule starts from its beginning', () => {
    const s = { kind: 'cosine' as const, total: 110, warmup: 10, min: 0 };
    expect(learningRate(1, s, 0)).toBeCloseTo(0.1, 15);
    expect(learningRate(1, s, 4)).toBeCloseTo(0.5, 15);
    expect(learningRate(1, s, 9)).toBe(1);
    expect(learningRate(1, s, 10)).toBe(1);
    expect(learningRate(1, s, 60)).toBeCloseTo(0.5, 15);
    expect(learningRate(1, s, 110)).toBeCloseTo(0, 15);
    expect(learningRate(3, { kind: 'constant', warmup: 3 }, 0)).toBe(1);
  });

  it('is a pure function of the step (same inputs, same rate)', () => {
    const s = { kind: 'cosine' as const, total: 77, warmup: 5, min: 1e-5 };
    const a = Array.from({ length: 100 }, (_, k) => learningRate(3e-3, s, k));
    const b = Array.from({ length: 100 }, (_, k) => learningRate(3e-3, s, k));
    expect(a).toEqual(b);
  });

  it('cosine byProgress follows the fraction of the budget done, clamped, after its warm-up steps', () => {
    const s = { kind: 'cosine' as const, byProgress: true, min: 1e-4, warmup: 4 };
    expect(learningRate(1e-2, s, 0, 0.9)).toBe(1e-2 / 4); // warm-up is counted in steps
    expect(learningRate(1e-2, s, 10, 0)).toBe(1e-2);
    expect(learningRate(1e-2, s, 10, 0.5)).toBeCloseTo((1e-2 + 1e-4) / 2, 15);
    expect(learningRate(1e-2, s, 10, 1)).toBeCloseTo(1e-4, 15);
    expect(learningRate(1e-2, s, 10, 7)).toBeCloseTo(1e-4, 15);
    expect(learningRate(1e-2, s, 10, -1)).toBe(1e-2);
    expect(learningRate(1e-2, s, 99999, 0.25)).toBeCloseTo(1e-4 + (1e-2 - 1e-4) * (1 + Math.SQRT1_2) / 2, 15);
  });

  it('validates its options', () => {
    expect(() => validateSchedule({ kind: 'cosine', byProgress: true })).not.toThrow();
    expect(() => validateSchedule({ kind: 'step' })).toThrow(/every/);
    expect(() => validateSchedule({ kind: 'step', every: 10, factor: 0 })).toThrow(/factor/);
    expect(() => validateSchedule({ kind: 'cosine' })).toThrow(/total/);
    expect(() => validateSchedule({ kind: 'linear' as 'constant' })).toThrow(/one of/);
    expect(() => validateSchedule({ kind: 'constant', warmup: -1 })).toThrow(/warm-up/);
    expect(() => validateSchedule({ kind: 'cosine', total: 10, warmup: 2, min: 0 })).not.toThrow();
  });
});
