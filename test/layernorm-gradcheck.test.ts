/**
 * --layer-norm: whole-model gradient checks (every element of every parameter tensor, the layer-norm gains and
 * biases included, and of the initial state; analytic vs finite differences in float64) for gru and lstm with 1
 * and 2 layers, with and without dropout, on every float64 backend; the float32 backends against naive float64;
 * the inference step against a one-step forward; and the option's refusal for rnn.
 * Tiny sizes: V=5, H=4, B=2, T=3; parameters (gains too) and the initial state random, not their init values.
 */
import { describe, expect, it } from 'vitest';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { ModelConfig } from '../src/model/config.js';
import { backends, float64Backends } from './helpers/backends.js';
import { expectGradientsMatch, randomWindow } from './helpers/model-gradcheck.js';

const V = 5, H = 4, B = 2, T = 3;

for (const entry of float64Backends) {
  describe(`--layer-norm gradient check on ${entry.name}`, () => {
    for (const cell of ['gru', 'lstm'] as const) {
      for (const layers of [1, 2]) {
        for (const dropout of [0, 0.3]) {
          it(`${cell} ${layers} layer(s), dropout ${dropout}: every parameter (gains and biases too) and the initial state`, async () => {
            const k = await entry.make();
            const cfg: ModelConfig = { cell, layers, hidden: H, vocabSize: V, dropout, layerNorm: true };
            const w = randomWindow(k, cfg, { T, B, seed: 2000 + layers * 10 + (dropout > 0 ? 1 : 0) });
            expect(w.model.layout.specs.filter((s) => s.name.startsWith('rnn.ln_')).length).toBe(layers * (cell === 'lstm' ? 6 : 4));
            expectGradientsMatch(w);
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
