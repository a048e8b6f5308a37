/**
 * The dropout variants of issue 17 (AWD-LSTM): variational dropout (--dropout-mode variational: one mask per
 * stream per window, shared by its T steps) and recurrent weight dropout (--weight-drop: each window runs on
 * W_hh ⊙ mask). Gradient checks with both on (float64, masks fixed by reseeding the Rng for every evaluation:
 * the draws do not depend on the weights), the masks' statistics, element mode drawing exactly what it drew
 * before, inference untouched, and every fast backend against the float64 oracle over several windows (a new
 * W̃ in the same buffer each window: a backend caching packed weights by address alone would fail here).
 *
 * Dimension legend: V vocab, H hidden, B streams, T window, G gate blocks.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { GATES, type CellType, type ModelConfig } from '../src/model/config.js';
import { Dropout } from '../src/model/dropout.js';
import { WeightDrop } from '../src/model/weight-drop.js';
import { allBackends, float64Backends, modelTol, naiveBackend } from './helpers/backends.js';
import { expectGradientsMatch, randomWindow } from './helpers/model-gradcheck.js';

const V = 5, H = 4, B = 2, T = 3;
const CELLS: CellType[] = ['rnn', 'lstm', 'gru'];

function setup(k: Kernels, config: ModelConfig, seed: number, maskSeed = 99) {
  return randomWindow(k, config, { T, B, seed, maskSeed });
}

for (const entry of float64Backends) {
  describe(`variational dropout + weight drop: gradient check on ${entry.name}`, () => {
    for (const cell of CELLS) {
      for (const layers of [1, 2]) {
        it(`${cell} ${layers} layer(s): every parameter and the initial state`, async () => {
          const k = await entry.make();
          const config: ModelConfig = { cell, layers, hidden: H, vocabSize: V, dropout: 0.3, dropoutMode: 'variational', weightDrop: 0.4 };
          const w = setup(k, config, 2000 + layers);
          const { model } = w;
          const analytic = expectGradientsMatch(w);
          // the weights the mask dropped get exactly no gradient; the others do
          const mask = new Rng(99);
          const GH = GATES[cell] * H;
          const whh = model.layout.specs.find((s) => s.name === 'rnn.weight_hh_l0')!;
          const threshold = 0.4 * 4294967296;
          let zeros = 0;
          for (let i = 0; i < H * GH; i++) {
            // layer 0 draws its W_hh mask first, in the internal (H, G*H) order of the flat buffer
            const dropped = mask.nextU32() < threshold;
            const g = analytic[whh.offset + i];
            if (dropped) {
              zeros++;
              expect(g).toBe(0);
            }
          }
          expect(zeros).toBeGreaterThan(0);
        });
      }
    }

    it('weight drop: backward accumulates into grads, as every backward does', async () => {
      const k = await entry.make();
      const { model, loss } = setup(k, { cell: 'gru', layers: 2, hidden: H, vocabSize: V, dropout: 0, weightDrop: 0.5 }, 7);
      model.zeroGrads();
      loss();
      model.backward();
      const once = Float64Array.from(model.grads);
      loss();
      model.backward();
      for (let i = 0; i < model.numParams; i++) expect(model.grads[i]).toBeCloseTo(2 * once[i], 14);
    });
  });
}

describe('dropout masks', () => {
  const k = naiveBackend.make();

  it('element mode draws one u32 per element in order, 0 below p·2^32 else 1/(1 − p) (as before the variants)', async () => {
    const kk = await k;
    const p = 0.3, n = 5000;
    const d = new Dropout(kk, p);
    const ones = kk.alloc(n).fill(1);
    const out = d.forward(ones, 50, 100, new Rng(5));
    const r = new Rng(5);
    for (let i = 0; i < n; i++) expect(out[i]).toBe(r.nextU32() < p * 4294967296 ? 0 : 1 / (1 - p));
    expect(new Rng(5).getState()).not.toEqual(r.getState());
  });

  it('variational mode: one (B, H) mask per window, the same at every step, with dropout rate p', async () => {
    const kk = await k;
    const p = 0.25, steps = 7, BH = 20000;
    const d = new Dropout(kk, p, 'variational');
    const x = kk.alloc(steps * BH);
    for (let i = 0; i < x.length; i++) x[i] = 1 + (i % 13);
    const rng = new Rng(11);
    const out = Float64Array.from(d.forward(x, steps, BH, rng));
    let zeros = 0, wrong = 0;
    for (let j = 0; j < BH; j++) {
      const kept = out[j] !== 0;
      if (!kept) zeros++;
      for (let t = 0; t < steps; t++) {
        const i = t * BH + j;
        if (out[i] !== (kept ? x[i] * (1 / (1 - p)) : 0)) wrong++;
      }
    }
    expect(wrong).toBe(0);
    // B*H draws per window, no more: the Rng moved on by exactly BH values
    const ref = new Rng(11);
    for (let j = 0; j < BH; j++) ref.nextU32();
    expect(rng.getState()).toEqual(ref.getState());
    expect(Math.abs(zeros / BH - p)).toBeLessThan(0.015); // sd 0.003
    // backward multiplies by the same broadcast mask
    const g = kk.alloc(steps * BH).fill(1);
    d.backward(g, steps * BH);
    let wrongGrad = 0;
    for (let i = 0; i < steps * BH; i++) if (g[i] !== (out[i] === 0 ? 0 : 1 / (1 - p))) wrongGrad++;
    expect(wrongGrad).toBe(0);
    // the next window gets a fresh mask
    const again = d.forward(x, steps, BH, rng);
    let same = 0;
    for (let j = 0; j < BH; j++) if ((again[j] === 0) === (out[j] === 0)) same++;
    expect(same / BH).toBeLessThan(0.7); // independent masks agree on p² + (1 − p)² = 0.625 of the places
  });

  it('weight drop: W̃ = W_hh ⊙ mask at rate p, a fresh mask per window, W_hh itself untouched; dW_hh = dW̃ ⊙ mask', async () => {
    const kk = await k;
    const p = 0.4, Hh = 64, GH = 3 * Hh, n = Hh * GH;
    const P = { wih: kk.alloc(1), whh: kk.alloc(n), bih: kk.alloc(GH), bhh: kk.alloc(GH) };
    const G = { wih: kk.alloc(1), whh: kk.alloc(n), bih: kk.alloc(GH), bhh: kk.alloc(GH) };
    for (let i = 0; i < n; i++) P.whh[i] = Math.sin(i) + 2;
    const before = Float64Array.from(P.whh);
    const wd = new WeightDrop(kk, p, Hh, GH, P, G);
    const rng = new Rng(3);
    const first = Float64Array.from(wd.forward(P.whh, rng).whh);
    expect(Float64Array.from(P.whh)).toEqual(before);
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (first[i] === 0) zeros++;
      else expect(first[i]).toBe(before[i] * (1 / (1 - p)));
    }
    expect(Math.abs(zeros / n - p)).toBeLessThan(0.02); // sd 0.003
    const g = wd.grads();
    expect(g.bih).toBe(G.bih);
    g.whh.fill(1);
    G.whh.fill(0.5);
    wd.backward(G.whh);
    for (let i = 0; i < n; i++) expect(G.whh[i]).toBe(0.5 + (first[i] === 0 ? 0 : 1 / (1 - p)));
    const second = wd.forward(P.whh, rng).whh;
    let same = 0;
    for (let i = 0; i < n; i++) if ((second[i] === 0) === (first[i] === 0)) same++;
    expect(same / n).toBeLessThan(0.6); // 0.52 for independent masks
  });
});

describe('inference is unaffected by the dropout variants', () => {
  for (const cell of CELLS) {
    it(`${cell}: evaluation and step() equal a model without them, bit for bit; training differs`, async () => {
      const k = await naiveBackend.make();
      const on: ModelConfig = { cell, layers: 2, hidden: H, vocabSize: V, dropout: 0.3, dropoutMode: 'variational', weightDrop: 0.5 };
      const a = setup(k, on, 31);
      const b = setup(k, { ...on, dropout: 0, dropoutMode: undefined, weightDrop: undefined }, 31);
      expect(Float64Array.from(a.model.params)).toEqual(Float64Array.from(b.model.params));
      a.loss(true); // a training pass first: it must leave nothing behind that inference reads
      expect(a.loss(false)).toBe(b.loss(false));
      const la = k.alloc(B * V), lb = k.alloc(B * V);
      const sa = a.model.newState(B), sb = b.model.newState(B);
      const ids = k.allocI32(B);
      for (let s = 0; s < 4; s++) {
        ids[0] = s % V;
        ids[1] = (s * 3 + 1) % V;
        a.model.step(la, ids, B, sa);
        b.model.step(lb, ids, B, sb);
        expect(Float64Array.from(la)).toEqual(Float64Array.from(lb));
      }
      expect(a.loss(true)).not.toBe(b.loss(true));
    });
  }
});

describe('every backend agrees with the float64 oracle over windows with fresh masks', () => {
  const Vb = 11, Hb = 48, Bb = 4, Tb = 5;
  const run = async (k: Kernels, cell: CellType) => {
    const model = new CharRNN(k, { cell, layers: 2, hidden: Hb, vocabSize: Vb, dropout: 0.2, dropoutMode: 'variational', weightDrop: 0.3 });
    model.init(new Rng(8));
    const x = k.allocI32(Tb * Bb), y = k.allocI32(Tb * Bb);
    const data = new Rng(9);
    const state = model.newState(Bb);
    const masks = new Rng(10);
    const out: number[] = [];
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < Tb * Bb; i++) {
        x[i] = data.int(Vb);
        y[i] = data.int(Vb);
      }
      model.zeroGrads();
      out.push(model.forward(x, y, Tb, Bb, state, { training: true, rng: masks }));
      model.backward();
      let s = 0;
      for (let i = 0; i < model.numParams; i++) s += model.grads[i] * Math.cos(i);
      out.push(s);
      // a small update, as an optimizer would make: W_hh changes between windows too
      k.axpy(model.params, -0.05, model.grads, model.numParams);
    }
    out.push(model.forward(x, y, Tb, Bb, state, { training: false }));
    return out;
  };
  for (const cell of CELLS) {
    it(`${cell}`, async () => {
      const want = await run(await naiveBackend.make(), cell);
      for (const entry of allBackends.filter((e) => e !== naiveBackend)) {
        const k = await entry.make();
        try {
          const got = await run(k, cell);
          const tol = modelTol(entry.dtype) * 50;
          got.forEach((v, i) => expect(Math.abs(v - want[i]), `${entry.name} value ${i}: ${v} vs ${want[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(want[i]))));
        } finally {
          k.dispose();
        }
      }
    });
  }
});
