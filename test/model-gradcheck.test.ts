/**
 * Whole-model gradient checks: for rnn, lstm and gru with 1 and 3 layers, with and without dropout, every
 * element of every parameter tensor and of the initial state, analytic (backward) vs finite differences of the
 * model's own loss (mean cross-entropy against random targets, so the upstream gradient is random), on every
 * float64 backend. Dropout masks are drawn from an Rng reseeded for each evaluation, so each evaluation sees the
 * same mask. Tiny sizes: V=5, H=4, B=2, T=3; parameters and the initial state are random (not zero).
 */
import { describe, expect, it } from 'vitest';
import type { Kernels, Vec } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import type { CellType } from '../src/model/config.js';
import { float64Backends } from './helpers/backends.js';
import { expectGradientsMatch, randomWindow } from './helpers/model-gradcheck.js';

const V = 5, H = 4, B = 2, T = 3;

function setup(k: Kernels, cell: CellType, layers: number, dropout: number, seed: number) {
  return randomWindow(k, { cell, layers, hidden: H, vocabSize: V, dropout }, { T, B, seed });
}

for (const entry of float64Backends) {
  describe(`model gradient check on ${entry.name}`, () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      for (const layers of [1, 3]) {
        for (const dropout of [0, 0.3]) {
          it(`${cell} ${layers} layer(s), dropout ${dropout}: every parameter and the initial state`, async () => {
            const k = await entry.make();
            expectGradientsMatch(setup(k, cell, layers, dropout, 1000 + layers * 10 + (dropout > 0 ? 1 : 0)));
          });
        }
      }
    }

    it('backward accumulates into grads; zeroGrads clears them', async () => {
      const k = await entry.make();
      const { model, loss } = setup(k, 'lstm', 2, 0, 5);
      model.zeroGrads();
      loss();
      model.backward();
      const once = Float64Array.from(model.grads);
      loss();
      model.backward();
      for (let i = 0; i < model.numParams; i++) expect(model.grads[i]).toBeCloseTo(2 * once[i], 14);
      model.zeroGrads();
      expect(model.grads.every((g: number) => g === 0)).toBe(true);
      expect(() => model.backward()).toThrow(/forward first/);
    });

    it('dropout: evaluation (training false) is deterministic and differs from a training pass', async () => {
      const k = await entry.make();
      const { model, x, y, state0, state, n } = setup(k, 'gru', 2, 0.5, 6);
      const run = (training: boolean, seed: number): number => {
        k.copy(state, state0, n);
        return model.forward(x, y, T, B, state, { training, rng: new Rng(seed) });
      };
      expect(run(false, 1)).toBe(run(false, 2));
      expect(run(true, 1)).toBe(run(true, 1));
      expect(run(true, 1)).not.toBe(run(true, 2));
      expect(run(true, 1)).not.toBe(run(false, 1));
      k.copy(state, state0, n);
      expect(() => model.forward(x, y, T, B, state, { training: true })).toThrow(/rng/);
    });
  });
}

export type { Vec };
