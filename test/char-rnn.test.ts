/**
 * CharRNN as a whole: float32 fast backends against float64 naive (forward loss, final state and every
 * gradient agree to float32 rounding), init schemes, input validation, and workspace reuse across window sizes.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/math/kernels.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType, ModelConfig } from '../src/model/config.js';
import { backends } from './helpers/backends.js';

const cfg = (cell: CellType, extra: Partial<ModelConfig> = {}): ModelConfig => ({ cell, layers: 2, hidden: 16, vocabSize: 11, dropout: 0.2, ...extra });

function data(k: Kernels, T: number, B: number, V: number, seed: number) {
  const rng = new Rng(seed);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(V);
    y[i] = rng.int(V);
  }
  return { x, y };
}

for (const entry of backends.filter((b) => b.dtype === 'float32')) {
  describe(`${entry.name} whole model vs naive float64`, () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      it(`${cell} 2x16, dropout 0.2, T=7, B=3: loss, final state and gradients to float32 rounding`, async () => {
        const k32 = await entry.make(), k64 = createNaiveKernels('float64');
        const T = 7, B = 3;
        const m32 = new CharRNN(k32, cfg(cell)), m64 = new CharRNN(k64, cfg(cell));
        m64.init(new Rng(4));
        m32.params.set(m64.params); // rounded to float32 ...
        m64.params.set(m32.params); // ... and both use the same rounded values
        const d32 = data(k32, T, B, 11, 8), d64 = data(k64, T, B, 11, 8);
        const s32 = m32.newState(B), s64 = m64.newState(B);
        for (let i = 0; i < s64.length; i++) s64[i] = Math.fround(Math.sin(i));
        s32.set(s64);
        m32.zeroGrads();
        m64.zeroGrads();
        const l32 = m32.forward(d32.x, d32.y, T, B, s32, { training: true, rng: new Rng(5) });
        const l64 = m64.forward(d64.x, d64.y, T, B, s64, { training: true, rng: new Rng(5) });
        expect(Math.abs(l32 - l64)).toBeLessThan(2e-6 * l64);
        for (let i = 0; i < s64.length; i++) expect(Math.abs(s32[i] - s64[i]), `state ${i}`).toBeLessThan(2e-6);
        m32.backward();
        m64.backward();
        for (const s of m64.layout.specs) {
          let scale = 0, worst = 0;
          for (let i = s.offset; i < s.offset + s.rows * s.cols; i++) scale = Math.max(scale, Math.abs(m64.grads[i]));
          for (let i = s.offset; i < s.offset + s.rows * s.cols; i++) worst = Math.max(worst, Math.abs(m32.grads[i] - m64.grads[i]));
          expect(scale, `${s.name} has a gradient`).toBeGreaterThan(0);
          expect(worst / scale, `${s.name}: worst difference relative to its largest gradient`).toBeLessThan(2e-5);
        }
      });
    }
  });
}

describe('init schemes', () => {
  const k = createNaiveKernels('float64');

  it("'pytorch': everything uniform in ±1/sqrt(H), decoder included; deterministic by seed", () => {
    const m = new CharRNN(k, cfg('lstm', { hidden: 25 }));
    m.init(new Rng(3));
    for (const s of m.layout.specs) {
      const v = m.layout.view(m.params, s.name);
      const max = Math.max(...Array.from(v, Math.abs));
      expect(max, s.name).toBeLessThanOrEqual(0.2);
      expect(max, `${s.name} spans its range`).toBeGreaterThan(0.15);
    }
    const again = new CharRNN(k, cfg('lstm', { hidden: 25 }));
    again.init(new Rng(3));
    expect(Array.from(again.params)).toEqual(Array.from(m.params));
    again.init(new Rng(4));
    expect(Array.from(again.params)).not.toEqual(Array.from(m.params));
  });

  it("'charrnn': uniform ±0.08, LSTM forget block of b_ih = 1 (b_hh keeps its draw); gru has no forget bias", () => {
    const m = new CharRNN(k, cfg('lstm'));
    m.init(new Rng(3), 'charrnn');
    const H = 16;
    for (const s of m.layout.specs) {
      const v = m.layout.view(m.params, s.name);
      for (let i = 0; i < v.length; i++) {
        const forget = /bias_ih/.test(s.name) && i >= H && i < 2 * H;
        if (forget) expect(v[i]).toBe(1);
        else expect(Math.abs(v[i])).toBeLessThanOrEqual(0.08);
      }
    }
    const g = new CharRNN(k, cfg('gru'));
    g.init(new Rng(3), 'charrnn');
    expect(g.params.every((v) => Math.abs(v) <= 0.08)).toBe(true);
  });
});

describe('input validation and workspaces', () => {
  const k = createNaiveKernels('float64');
  const m = new CharRNN(k, cfg('gru', { dropout: 0 }));
  m.init(new Rng(1));

  it('rejects ids outside the vocabulary, short arrays, a small state and bad sizes', () => {
    const { x, y } = data(k, 4, 2, 11, 1);
    const st = m.newState(2);
    x[5] = 11;
    expect(() => m.forward(x, y, 4, 2, st, { training: false })).toThrow('x[5] = 11 is not a token id of a vocabulary of 11');
    x[5] = 0;
    expect(() => m.forward(x, y, 5, 2, st, { training: false })).toThrow(/x holds 8 ids, needs 10/);
    expect(() => m.forward(x, y, 4, 2, m.newState(1), { training: false })).toThrow(/state holds .* use newState\(B\)/);
    expect(() => m.forward(x, y, 0, 2, st, { training: false })).toThrow(/T must be a positive integer/);
    expect(() => m.step(k.alloc(11), k.allocI32(2), 2, st)).toThrow(/logits holds 11 values, needs 22/);
    expect(() => new CharRNN(k, cfg('gru', { hidden: 0 }))).toThrow(/hidden/);
  });

  it('a larger window after a smaller one, then the smaller again: same results as fresh models', () => {
    const run = (model: CharRNN, T: number, B: number) => {
      const { x, y } = data(k, T, B, 11, T * 100 + B);
      const s = model.newState(B);
      model.zeroGrads();
      const loss = model.forward(x, y, T, B, s, { training: false });
      model.backward();
      return { loss, grads: Array.from(model.grads), s: Array.from(s) };
    };
    const fresh = (T: number, B: number) => {
      const f = new CharRNN(k, cfg('gru', { dropout: 0 }));
      f.params.set(m.params);
      return run(f, T, B);
    };
    for (const [T, B] of [[2, 2], [6, 3], [1, 5], [2, 2]] as const) expect(run(m, T, B)).toEqual(fresh(T, B));
  });

  it('step with changing B and state arrays matches forward of one step', () => {
    const logits = k.alloc(3 * 11);
    for (const B of [3, 1, 3]) {
      const { x, y } = data(k, 1, B, 11, B);
      const s1 = m.newState(B), s2 = m.newState(B);
      m.step(logits, x, B, s1);
      m.forward(x, y, 1, B, s2, { training: false });
      expect(Array.from(s1)).toEqual(Array.from(s2));
    }
  });
});

describe('backend memory: workspaces are allocated once (a wasm backend bump-allocates, so a per-call alloc would leak)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: no alloc after the first forward/backward of a size, nor after the first step`, () => {
      const base = createNaiveKernels('float64');
      let allocs = 0;
      const k: Kernels = { ...base, alloc: (n) => (allocs++, base.alloc(n)), allocI32: (n) => (allocs++, base.allocI32(n)) };
      const m = new CharRNN(k, cfg(cell));
      m.init(new Rng(1));
      const big = data(k, 6, 4, 11, 1), small = data(k, 3, 2, 11, 2);
      const s4 = m.newState(4), s2 = m.newState(2), dS = m.newState(4);
      const logits = k.alloc(4 * 11), ids = k.allocI32(4);
      const train = (d: typeof big, T: number, B: number, st: typeof s4) => {
        m.zeroGrads();
        m.forward(d.x, d.y, T, B, st, { training: true, rng: new Rng(3) });
        m.backward(dS);
      };
      train(big, 6, 4, s4);
      m.step(logits, ids, 4, s4);
      const after = allocs;
      train(big, 6, 4, s4);
      train(small, 3, 2, s2);
      for (let i = 0; i < 5; i++) m.step(logits, ids, 4, s4);
      m.step(logits, ids, 2, s2); // a smaller B reuses the step workspace
      expect(allocs - after).toBe(0);
    });
  }
});
