/**
 * The scaffolding of the whole-model gradient checks (model, embedding, layer norm, dropout variants): a tiny
 * model with random parameters (a wider spread than init's, to drive the gates out of their linear regime), a
 * random window and initial state, the loss as a function of them, and the check of every parameter tensor and
 * of the initial state against finite differences (helpers/gradcheck.ts).
 * Dropout masks are drawn from an Rng reseeded for every evaluation, so every evaluation sees the same masks.
 *
 * Dimension legend: T window, B streams, V vocabulary.
 */
import { expect } from 'vitest';
import type { Kernels } from '../../src/math/kernels.js';
import { Rng } from '../../src/math/rng.js';
import { CharRNN } from '../../src/model/char-rnn.js';
import type { ModelConfig } from '../../src/model/config.js';
import { checkRange, describeReport } from './gradcheck.js';

export interface WindowOptions {
  T: number;
  B: number;
  seed: number;
  /** the seed of the Rng every evaluation's dropout masks come from */
  maskSeed?: number;
  /** input i of the window (default: drawn from rng) */
  input?: (i: number, rng: Rng) => number;
}

export function randomWindow(k: Kernels, config: ModelConfig, { T, B, seed, maskSeed = 99, input }: WindowOptions) {
  const model = new CharRNN(k, config);
  const rng = new Rng(seed);
  model.init(rng);
  for (let i = 0; i < model.numParams; i++) model.params[i] = rng.range(-0.9, 0.9);
  const V = config.vocabSize;
  const x = k.allocI32(T * B), y = k.allocI32(T * B); // (T, B)
  for (let i = 0; i < T * B; i++) {
    x[i] = input ? input(i, rng) : rng.int(V);
    y[i] = rng.int(V);
  }
  const n = model.stateSize(B);
  const state0 = k.alloc(n); // the initial state under test
  for (let i = 0; i < n; i++) state0[i] = rng.range(-0.8, 0.8);
  const state = model.newState(B); // forward's working copy (it is overwritten with the final state)
  const loss = (training = true): number => {
    k.copy(state, state0, n);
    return model.forward(x, y, T, B, state, { training, rng: new Rng(maskSeed) });
  };
  return { model, x, y, state0, state, loss, n };
}

export type Window = ReturnType<typeof randomWindow>;

/**
 * Backward once, then every element of every parameter tensor and of the initial state against finite
 * differences: relative error below 1e-6, and each tensor's gradient not all zero (the check is not vacuous).
 * Returns the analytic parameter gradients.
 */
export function expectGradientsMatch(w: Window, minGrad = 1e-4): Float64Array {
  const { model, loss, state0, n } = w;
  model.zeroGrads();
  expect(Number.isFinite(loss())).toBe(true);
  const dState = model.kernels.alloc(n);
  model.backward(dState);
  const analytic = Float64Array.from(model.grads);
  for (const s of model.layout.specs) {
    const r = checkRange(loss, model.params, analytic, s.offset, s.offset + s.rows * s.cols);
    expect(r.worst, describeReport(s.name, r)).toBeLessThan(1e-6);
    expect(r.maxAbs, `${s.name} gradient is not all zero`).toBeGreaterThan(minGrad);
  }
  const r = checkRange(loss, state0, Float64Array.from(dState), 0, n);
  expect(r.worst, describeReport('initial state', r)).toBeLessThan(1e-6);
  expect(r.maxAbs, 'the initial state gradient is not all zero').toBeGreaterThan(minGrad);
  return analytic;
}
