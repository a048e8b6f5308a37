/**
 * Line mode's new maths, each forward/backward pair against finite differences (float64 backends):
 * - the learned start state: state = h0 broadcast over B (startState) and its backward (sum over B), through a
 *   whole model window, for every cell;
 * - the kept-rows loss: only some rows are predictions (padded slots are not): the gradient of the mean over the
 *   kept rows, for every parameter, with the kept rows' loss equal to a naive per-row sum.
 * Tiny sizes: V=5, H=4, B=3, T=4.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { START_STATE_TENSOR } from '../src/model/layout.js';
import { startStateBackward, startStateForward } from '../src/model/start-state.js';
import { float64Backends } from './helpers/backends.js';
import { checkRange, describeReport } from './helpers/gradcheck.js';

const V = 5, H = 4, B = 3, T = 4;

function setup(k: Kernels, cell: 'rnn' | 'lstm' | 'gru', layers: number, seed: number) {
  const model = new CharRNN(k, { cell, layers, hidden: H, vocabSize: V, dropout: 0, mode: 'lines', startState: 'learned' });
  const rng = new Rng(seed);
  for (let i = 0; i < model.numParams; i++) model.params[i] = rng.range(-0.9, 0.9);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(V);
    y[i] = rng.int(V);
  }
  // rows kept: a ragged pattern, as lines of lengths 4, 2 and 3 predictions leave them
  const lens = [4, 2, 3];
  const keepList: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lens[b]) keepList.push(t * B + b);
  const keep = k.allocI32(keepList.length);
  keep.set(keepList);
  const state = model.newState(B);
  const loss = (): number => {
    model.startState(state, B);
    return model.forward(x, y, T, B, state, { training: true, keep, keepCount: keepList.length });
  };
  return { model, x, y, keep, keepList, state, loss };
}

for (const entry of float64Backends) {
  describe(`line-mode gradient checks on ${entry.name}`, () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      it(`${cell}: every parameter, the learned start state included, under a kept-rows loss`, async () => {
        const k = await entry.make();
        const { model, loss, state } = setup(k, cell, 2, 77);
        model.zeroGrads();
        loss();
        const dState = model.newState(B);
        model.backward(dState);
        model.startStateBackward(dState, B);
        const analytic = Float64Array.from(model.grads);
        for (const s of model.layout.specs) {
          const r = checkRange(loss, model.params, analytic, s.offset, s.offset + s.rows * s.cols);
          expect(r.worst, describeReport(s.name, r)).toBeLessThan(1e-6);
          expect(r.maxAbs, `${s.name} gradient is not all zero`).toBeGreaterThan(1e-5);
        }
        expect(model.layout.specs.at(-1)!.name).toBe(START_STATE_TENSOR);
        expect(state.length).toBeGreaterThan(0);
      });
    }

    it('the kept-rows loss is the mean of the kept rows of the full per-row loss (naive twin)', async () => {
      const k = await entry.make();
      const { model, x, y, keepList, loss, state } = setup(k, 'gru', 1, 5);
      const kept = loss();
      // naive: the same window one row at a time would need the per-row losses; get them by keeping one row each
      let sum = 0;
      for (const r of keepList) {
        model.startState(state, B);
        const one = k.allocI32(1);
        one[0] = r;
        sum += model.forward(x, y, T, B, state, { training: false, keep: one, keepCount: 1 });
      }
      expect(kept).toBeCloseTo(sum / keepList.length, 12);
      // and keeping every row equals the ordinary loss
      const all = k.allocI32(T * B);
      for (let i = 0; i < T * B; i++) all[i] = i;
      model.startState(state, B);
      const a = model.forward(x, y, T, B, state, { training: false, keep: all, keepCount: T * B });
      model.startState(state, B);
      const b = model.forward(x, y, T, B, state, { training: false });
      expect(a).toBeCloseTo(b, 12);
    });

    it('startState forward broadcasts h0 over B, backward sums over B (naive loops)', async () => {
      const k = await entry.make();
      const LS = 3, Bn = 4, Hn = 5;
      const rng = new Rng(3);
      const h0 = k.alloc(LS * Hn), state = k.alloc(LS * Bn * Hn), d = k.alloc(LS * Bn * Hn), dh0 = k.alloc(LS * Hn);
      for (let i = 0; i < h0.length; i++) h0[i] = rng.range(-1, 1);
      for (let i = 0; i < d.length; i++) d[i] = rng.range(-1, 1);
      dh0.fill(0.5); // backward accumulates
      startStateForward(k, state, h0, LS, Bn, Hn);
      startStateBackward(k, dh0, d, LS, Bn, Hn);
      for (let i = 0; i < LS; i++) {
        for (let h = 0; h < Hn; h++) {
          let sum = 0.5;
          for (let b = 0; b < Bn; b++) {
            expect(state[(i * Bn + b) * Hn + h]).toBe(h0[i * Hn + h]);
            sum += d[(i * Bn + b) * Hn + h];
          }
          expect(dh0[i * Hn + h]).toBeCloseTo(sum, 12);
        }
      }
      startStateForward(k, state, null, LS, Bn, Hn);
      expect(Array.from(state).every((v) => v === 0)).toBe(true);
    });
  });
}
