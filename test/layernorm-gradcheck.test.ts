/**
 * --layer-norm: whole-model gradient checks (every element of every parameter tensor, the layer-norm gains and
 * biases included, and of the initial state; analytic vs finite differences in float64) for gru and lstm with 1
 * and 2 layers, with and without dropout, on every float64 backend; the float32 backends against naive float64;
 * the inference step against a one-step forward; and the option's refusal for rnn.
 * Tiny sizes: V=5, H=4, B=2, T=3; parameters (gains too) and the initial state random, not their init values.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/math/kernels.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { ModelConfig } from '../src/model/config.js';
import { backends, float64Backends } from './helpers/backends.js';
import { checkRange, describeReport } from './helpers/gradcheck.js';

const V = 5, H = 4, B = 2, T = 3;

function setup(k: Kernels, config: ModelConfig, seed: number) {
  const model = new CharRNN(k, config);
  const rng = new Rng(seed);
  model.init(rng);
  for (let i = 0; i < model.numParams; i++) model.params[i] = rng.range(-0.9, 0.9);
  const x = k.allocI32(T * B), y = k.allocI32(T * B);
  for (let i = 0; i < T * B; i++) {
    x[i] = rng.int(V);
    y[i] = rng.int(V);
  }
  const n = model.stateSize(B);
  const state0 = k.alloc(n);
  for (let i = 0; i < n; i++) state0[i] = rng.range(-0.8, 0.8);
  const state = model.newState(B);
  const loss = (): number => {
    k.copy(state, state0, n);
    return model.forward(x, y, T, B, state, { training: true, rng: new Rng(99) });
  };
  return { model, x, y, state0, state, loss, n };
}

for (const entry of float64Backends) {
  describe(`--layer-norm gradient check on ${entry.name}`, () => {
    for (const cell of ['gru', 'lstm'] as const) {
      for (const layers of [1, 2]) {
        for (const dropout of [0, 0.3]) {
          it(`${cell} ${layers} layer(s), dropout ${dropout}: every parameter (gains and biases too) and the initial state`, async () => {
            const k = await entry.make();
            const cfg: ModelConfig = { cell, layers, hidden: H, vocabSize: V, dropout, layerNorm: true };
            const { model, loss, state0, n } = setup(k, cfg, 2000 + layers * 10 + (dropout > 0 ? 1 : 0));
            expect(model.layout.specs.filter((s) => s.name.startsWith('rnn.ln_')).length).toBe(layers * (cell === 'lstm' ? 6 : 4));
            model.zeroGrads();
            expect(Number.isFinite(loss())).toBe(true);
            const dState = k.alloc(n);
            model.backward(dState);
            const analytic = Float64Array.from(model.grads);
            for (const s of model.layout.specs) {
              const r = checkRange(loss, model.params, analytic, s.offset, s.offset + s.rows * s.cols);
              expect(r.worst, describeReport(s.name, r)).toBeLessThan(1e-6);
              expect(r.maxAbs, `${s.name} gradient is not all zero`).toBeGreaterThan(1e-4);
            }
            const r = checkRange(loss, state0, Float64Array.from(dState), 0, n);
            expect(r.worst, describeReport('initial state', r)).toBeLessThan(1e-6);
            expect(r.maxAbs).toBeGreaterThan(1e-4);
          });
        }
      }
    }
  });
}

for (const entry of backends.filter((b) => b.dtype === 'float32')) {
  describe(`--layer-norm on ${entry.name} vs naive float64`, () => {
    for (const cell of ['gru', 'lstm'] as const) {
      it(`${cell} 2x16, T=7, B=3: loss, final state and every gradient to float32 rounding; step = forward of one step`, async () => {
        const k32 = await entry.make(), k64 = createNaiveKernels('float64');
        const cfg: ModelConfig = { cell, layers: 2, hidden: 16, vocabSize: 11, dropout: 0, layerNorm: true };
        const m32 = new CharRNN(k32, cfg), m64 = new CharRNN(k64, cfg);
        m64.init(new Rng(4));
        const rng = new Rng(6);
        for (let i = 0; i < m64.numParams; i++) m64.params[i] += rng.range(-0.3, 0.3); // gains away from 1
        m32.params.set(m64.params);
        m64.params.set(m32.params);
        const TT = 7, BB = 3;
        const x32 = k32.allocI32(TT * BB), y32 = k32.allocI32(TT * BB);
        for (let i = 0; i < TT * BB; i++) [x32[i], y32[i]] = [rng.int(11), rng.int(11)];
        const x64 = Int32Array.from(x32), y64 = Int32Array.from(y32);
        const s32 = m32.newState(BB), s64 = m64.newState(BB);
        for (let i = 0; i < s64.length; i++) s64[i] = Math.fround(Math.sin(i));
        s32.set(s64);
        m32.zeroGrads();
        m64.zeroGrads();
        const l32 = m32.forward(x32, y32, TT, BB, s32, { training: true });
        const l64 = m64.forward(x64, y64, TT, BB, s64, { training: true });
        expect(Math.abs(l32 - l64)).toBeLessThan(2e-6 * l64);
        for (let i = 0; i < s64.length; i++) expect(Math.abs(s32[i] - s64[i]), `state ${i}`).toBeLessThan(5e-6);
        m32.backward();
        m64.backward();
        for (const s of m64.layout.specs) {
          let scale = 0, worst = 0;
          for (let i = s.offset; i < s.offset + s.rows * s.cols; i++) scale = Math.max(scale, Math.abs(m64.grads[i]));
          for (let i = s.offset; i < s.offset + s.rows * s.cols; i++) worst = Math.max(worst, Math.abs(m32.grads[i] - m64.grads[i]));
          expect(scale, `${s.name} has a gradient`).toBeGreaterThan(0);
          expect(worst / scale, `${s.name}: worst difference relative to its largest gradient`).toBeLessThan(5e-5);
        }
        // the inference step from the same state gives the forward's final state of a one-step window
        const a = m32.newState(BB), b = m32.newState(BB);
        for (let i = 0; i < a.length; i++) a[i] = b[i] = Math.fround(Math.cos(i));
        m32.forward(x32.subarray(0, BB), y32.subarray(0, BB), 1, BB, a, { training: false });
        m32.step(k32.alloc(BB * 11), x32.subarray(0, BB), BB, b);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `step state ${i}`).toBeLessThan(1e-6);
      });
    }
  });
}

describe('--layer-norm config', () => {
  const k = createNaiveKernels('float64');
  it('starts with gains 1 and biases 0, the other tensors drawn as without the option', () => {
    const cfg: ModelConfig = { cell: 'lstm', layers: 2, hidden: 3, vocabSize: 5, dropout: 0 };
    const plain = new CharRNN(k, cfg), ln = new CharRNN(k, { ...cfg, layerNorm: true });
    plain.init(new Rng(7));
    ln.init(new Rng(7));
    for (let i = 0; i < plain.numParams; i++) expect(ln.params[i]).toBe(plain.params[i]);
    for (const s of ln.layout.specs.filter((t) => t.name.startsWith('rnn.ln_'))) {
      const want = s.name.includes('weight') ? 1 : 0;
      expect(Array.from(ln.layout.view(ln.params, s.name)).every((v) => v === want), s.name).toBe(true);
    }
    expect(ln.numParams - plain.numParams).toBe(2 * (4 * 12 + 2 * 3)); // per layer: 4 tensors of 4H, 2 of H
  });
  it('is refused for rnn in one line', () => {
    expect(() => new CharRNN(k, { cell: 'rnn', layers: 1, hidden: 3, vocabSize: 5, dropout: 0, layerNorm: true })).toThrow(/layer norm is for the gru and lstm cells/);
  });
});
