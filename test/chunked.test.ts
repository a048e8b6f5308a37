/**
 * Truncated BPTT and the state carry.
 * - One forward over T=12 equals three windows of 4 with the state carried: the mean loss (the windows have
 *   equal size, so the whole-sequence mean is the mean of the three) and the final state, for each cell.
 * - The gradients of a window depend only on the state it starts from, not on how that state was reached:
 *   equal (bit for bit) to the gradients of a fresh model started from a copy of the carried state.
 * - No gradient flows into the previous window: the gradient equals the finite-difference derivative of the
 *   window's loss with the incoming state held fixed, and differs from the derivative when the state is
 *   recomputed from the previous window with the perturbed parameters.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { allBackends, modelTol, naiveBackend } from './helpers/backends.js';
import { numericDerivative, relErr } from './helpers/gradcheck.js';

const V = 7, H = 6, B = 3, L = 2;

function build(k: Kernels, cell: CellType, T: number, seed: number) {
  const model = new CharRNN(k, { cell, layers: L, hidden: H, vocabSize: V, dropout: 0 });
  const rng = new Rng(seed);
  model.init(rng);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(V);
    y[i] = rng.int(V);
  }
  return { model, x, y };
}

for (const entry of allBackends) {
  describe(`windows with the state carried on ${entry.name}`, () => {
    const tol = modelTol(entry.dtype);
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      it(`${cell}: T=12 at once equals 4+4+4 with the carry (loss and final state)`, async () => {
        const k = await entry.make();
        const { model, x, y } = build(k, cell, 12, 3);
        const whole = model.newState(B);
        const lossWhole = model.forward(x, y, 12, B, whole, { training: false });
        const carried = model.newState(B);
        let sum = 0;
        for (let w = 0; w < 3; w++) {
          sum += model.forward(x.subarray(w * 4 * B, (w + 1) * 4 * B), y.subarray(w * 4 * B, (w + 1) * 4 * B), 4, B, carried, { training: false });
        }
        expect(Math.abs(sum / 3 - lossWhole)).toBeLessThanOrEqual(tol * lossWhole);
        let maxAbs = 0;
        for (let i = 0; i < whole.length; i++) {
          expect(Math.abs(carried[i] - whole[i]), `state element ${i}`).toBeLessThanOrEqual(tol);
          maxAbs = Math.max(maxAbs, Math.abs(whole[i]));
        }
        expect(maxAbs, 'the final state is not trivially zero').toBeGreaterThan(1e-2);
      });

      it(`${cell}: a window's gradients depend only on its starting state`, async () => {
        const k = await entry.make();
        const { model, x, y } = build(k, cell, 8, 4);
        const state = model.newState(B);
        model.forward(x, y, 4, B, state, { training: true });
        model.backward();
        const start = Float64Array.from(state); // the carry into window 2
        model.zeroGrads();
        const l2 = model.forward(x.subarray(4 * B), y.subarray(4 * B), 4, B, state, { training: true });
        model.backward();

        const fresh = build(k, cell, 8, 4).model; // same seed: same parameters
        const s2 = fresh.newState(B);
        s2.set(start);
        fresh.zeroGrads();
        expect(fresh.forward(x.subarray(4 * B), y.subarray(4 * B), 4, B, s2, { training: true })).toBe(l2);
        fresh.backward();
        expect(Array.from(fresh.grads)).toEqual(Array.from(model.grads));
      });
    }
  });
}

describe('no gradient into the previous window (naive float64)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: gradient = d(window 2 loss)/dθ with the incoming state fixed, not through window 1`, async () => {
      const k = await naiveBackend.make();
      const { model, x, y } = build(k, cell, 8, 5);
      const x1 = x.subarray(0, 4 * B), y1 = y.subarray(0, 4 * B), x2 = x.subarray(4 * B), y2 = y.subarray(4 * B);
      const state = model.newState(B);
      model.forward(x1, y1, 4, B, state, { training: true });
      const carry = Float64Array.from(state);
      model.zeroGrads();
      model.forward(x2, y2, 4, B, state, { training: true });
      model.backward();
      const g = Float64Array.from(model.grads);

      const fixed = (): number => {
        state.set(carry);
        return model.forward(x2, y2, 4, B, state, { training: false });
      };
      const through = (): number => {
        state.fill(0);
        model.forward(x1, y1, 4, B, state, { training: false });
        return model.forward(x2, y2, 4, B, state, { training: false });
      };
      // every recurrent weight of layer 0 (window 1 shapes the carry through them)
      const s = model.layout.specs.find((t) => t.name === 'rnn.weight_hh_l0')!;
      let worstFixed = 0, largestThrough = 0;
      for (let i = s.offset; i < s.offset + s.rows * s.cols; i++) {
        worstFixed = Math.max(worstFixed, relErr(g[i], numericDerivative(fixed, model.params, i)));
        largestThrough = Math.max(largestThrough, relErr(g[i], numericDerivative(through, model.params, i)));
      }
      expect(worstFixed).toBeLessThan(1e-6);
      expect(largestThrough, 'the full-history derivative differs, so the check can tell').toBeGreaterThan(1e-3);
    });
  }
});
