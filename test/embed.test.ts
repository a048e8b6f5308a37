/**
 * The learned input embedding (--embed n): gradient checks of every tensor (encoder.weight included) for rnn, lstm
 * and gru, with and without dropout, on every float64 backend; embed 0 is the one-hot model exactly; step()
 * agrees with forward; the state_dict names and shapes (nn.Embedding's encoder.weight (V, n)); growing the
 * vocabulary adds rows to E; every fast backend (wasm, native) gives the naive oracle's loss and gradients; the ONNX step graph (a Gather) gives charnn's logits under onnxruntime.
 * Tiny sizes: V=5, n=3, H=4, B=2, T=3.
 *
 * Dimension legend: V vocab, n embedding width, H hidden, B streams, T window, L layers.
 */
import { describe, expect, it } from 'vitest';
import { checkTensorsMatch, expectedTensorShapes } from '../src/checkpoint/validate.js';
import { configFromTensors } from '../src/export/convert.js';
import { buildOnnx } from '../src/export/onnx.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType, ModelConfig } from '../src/model/config.js';
import { extendTensors } from '../src/model/extend-vocab.js';
import { backends, float64Backends, modelTol, naiveBackend } from './helpers/backends.js';
import { expectGradientsMatch, randomWindow } from './helpers/model-gradcheck.js';

const V = 5, N = 3, H = 4, B = 2, T = 3;

function setup(k: Kernels, cell: CellType, layers: number, dropout: number, seed: number) {
  const config: ModelConfig = { cell, layers, hidden: H, vocabSize: V, dropout, embed: N };
  return randomWindow(k, config, { T, B, seed, input: (i, rng) => (i < V ? i : rng.int(V)) }); // every row of E used
}

for (const entry of float64Backends) {
  describe(`embedding gradient check on ${entry.name}`, () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      for (const layers of [1, 2]) {
        for (const dropout of [0, 0.3]) {
          it(`${cell} ${layers} layer(s), dropout ${dropout}: every parameter (encoder.weight too) and the initial state`, async () => {
            const k = await entry.make();
            const w = setup(k, cell, layers, dropout, 2000 + layers * 10 + (dropout > 0 ? 1 : 0));
            expect(w.model.layout.specs[0]).toMatchObject({ name: 'encoder.weight', shape: [V, N], rows: V, cols: N });
            expectGradientsMatch(w);
          });
        }
      }
    }
  });
}

describe('embedding: every fast backend against the naive float64 oracle (loss, every gradient, the carry)', () => {
  const cfg: ModelConfig = { cell: 'gru', layers: 2, hidden: 19, vocabSize: 37, dropout: 0.25, embed: 7 };
  const Tn = 9, Bn = 5;
  async function run(k: Kernels, params: Float64Array) {
    const m = new CharRNN(k, cfg);
    for (let i = 0; i < m.numParams; i++) m.params[i] = params[i];
    const rng = new Rng(12);
    const x = k.allocI32(Tn * Bn), y = k.allocI32(Tn * Bn);
    for (let i = 0; i < Tn * Bn; i++) (x[i] = rng.int(37)), (y[i] = rng.int(37));
    const state = m.newState(Bn);
    m.zeroGrads();
    const loss = m.forward(x, y, Tn, Bn, state, { training: true, rng: new Rng(13) });
    m.backward();
    return { loss, grads: Float64Array.from(m.grads), state: Float64Array.from(state) };
  }
  for (const entry of backends) {
    it(entry.name, async () => {
      const oracle = await naiveBackend.make();
      const m0 = new CharRNN(oracle, cfg);
      m0.init(new Rng(11));
      const params = Float64Array.from(m0.params);
      const want = await run(oracle, params);
      const k = await entry.make();
      const got = await run(k, params);
      const tol = modelTol(entry.dtype);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(tol * 10);
      let gMax = 0, gap = 0, sGap = 0;
      for (let i = 0; i < want.grads.length; i++) (gMax = Math.max(gMax, Math.abs(want.grads[i]))), (gap = Math.max(gap, Math.abs(got.grads[i] - want.grads[i])));
      for (let i = 0; i < want.state.length; i++) sGap = Math.max(sGap, Math.abs(got.state[i] - want.state[i]));
      expect(gap / gMax).toBeLessThan(tol * 10);
      expect(sGap).toBeLessThan(tol * 10);
      k.dispose();
    });
  }
});

describe('embedding: model', () => {
  const base: ModelConfig = { cell: 'gru', layers: 2, hidden: 8, vocabSize: 7, dropout: 0 };

  it('embed 0 is the one-hot model: same layout, same initial weights, same loss bit for bit', () => {
    const k = createJsKernels('float32');
    const a = new CharRNN(k, base), b = new CharRNN(k, { ...base, embed: 0 });
    a.init(new Rng(3));
    b.init(new Rng(3));
    expect(b.numParams).toBe(a.numParams);
    expect(b.layout.specs.map((s) => s.name)).toEqual(a.layout.specs.map((s) => s.name));
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
    const x = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 0]), y = Int32Array.from([1, 2, 3, 4, 5, 6, 0, 1]);
    expect(b.forward(x, y, 4, 2, b.newState(2), { training: false })).toBe(a.forward(x, y, 4, 2, a.newState(2), { training: false }));
  });

  it("W_ih of layer 0 is (G*H, n), E (V, n); 'pytorch' draws E from N(0, 1), 'charrnn' within ±0.08", () => {
    const k = createJsKernels('float64');
    const m = new CharRNN(k, { ...base, vocabSize: 300, embed: 16 });
    expect(expectedTensorShapes(m.config).slice(0, 2)).toEqual([
      { name: 'encoder.weight', shape: [300, 16] },
      { name: 'rnn.weight_ih_l0', shape: [24, 16] },
    ]);
    expect(m.exportStateDict().map((t) => [t.name, t.shape])).toEqual(expectedTensorShapes(m.config).map((t) => [t.name, t.shape]));
    m.init(new Rng(1), 'pytorch');
    const e = m.layout.encoder(m.params)!;
    let s = 0, s2 = 0;
    for (const v of e) (s += v), (s2 += v * v);
    const mean = s / e.length, sd = Math.sqrt(s2 / e.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    m.init(new Rng(1), 'charrnn');
    expect(Math.max(...Array.from(m.layout.encoder(m.params)!, Math.abs))).toBeLessThanOrEqual(0.08);
  });

  it('step() gives the logits forward scores: the same loss over a window, one character at a time', () => {
    const k = createJsKernels('float64');
    const m = new CharRNN(k, { ...base, cell: 'lstm', embed: 5 });
    m.init(new Rng(4));
    const Tn = 6, Bn = 2, rng = new Rng(8);
    const x = Int32Array.from({ length: Tn * Bn }, () => rng.int(7)), y = Int32Array.from({ length: Tn * Bn }, () => rng.int(7));
    const want = m.forward(x, y, Tn, Bn, m.newState(Bn), { training: false });
    const state = m.newState(Bn), logits = k.alloc(Bn * 7);
    let total = 0;
    for (let t = 0; t < Tn; t++) {
      m.step(logits, x.subarray(t * Bn, (t + 1) * Bn), Bn, state);
      for (let b = 0; b < Bn; b++) {
        const row = logits.subarray(b * 7, (b + 1) * 7);
        const mx = Math.max(...row);
        const lse = mx + Math.log(Array.from(row).reduce((a: number, v: number) => a + Math.exp(v - mx), 0));
        total += lse - row[y[t * Bn + b]];
      }
    }
    expect(total / (Tn * Bn)).toBeCloseTo(want, 12);
  });

  it('state dict round trip; a checkpoint without encoder.weight (or with the wrong width) is refused by name', () => {
    const k = createJsKernels('float32');
    const cfg = { ...base, embed: 4 };
    const m = new CharRNN(k, cfg);
    m.init(new Rng(5));
    const sd = m.exportStateDict();
    const m2 = new CharRNN(k, cfg);
    m2.importStateDict(sd);
    expect(Array.from(m2.params)).toEqual(Array.from(m.params));
    expect(() => m2.importStateDict(sd.filter((t) => t.name !== 'encoder.weight'))).toThrow(/missing tensor\(s\) encoder\.weight/);
    const vocab = Array.from({ length: 7 }, (_, i) => String.fromCharCode(97 + i));
    const asTensors = sd.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
    expect(() => checkTensorsMatch(cfg, vocab, asTensors)).not.toThrow();
    expect(() => checkTensorsMatch({ ...cfg, embed: 5 }, vocab, asTensors)).toThrow(/encoder\.weight/);
    expect(configFromTensors(sd)).toEqual({ cell: 'gru', layers: 2, hidden: 8, vocabSize: 7, dropout: 0, embed: 4 });
    expect(configFromTensors(new CharRNN(k, base).exportStateDict())).not.toHaveProperty('embed');
  });

  it('extending the vocabulary adds rows to E (old rows bit for bit, new rows from the fresh init); W_ih keeps its shape', () => {
    const k = createJsKernels('float32');
    const old = new CharRNN(k, { ...base, embed: 3 });
    old.init(new Rng(6));
    const fresh = new CharRNN(k, { ...base, vocabSize: 9, embed: 3 });
    fresh.init(new Rng(7));
    const ext = extendTensors(old.exportStateDict(), fresh.exportStateDict(), 7, 9);
    const get = (ts: { name: string; data: Float32Array | Float64Array; shape: number[] }[], n: string) => ts.find((t) => t.name === n)!;
    const e = get(ext, 'encoder.weight');
    expect(e.shape).toEqual([9, 3]);
    expect(Array.from(e.data.subarray(0, 21))).toEqual(Array.from(get(old.exportStateDict(), 'encoder.weight').data));
    expect(Array.from(e.data.subarray(21))).toEqual(Array.from(get(fresh.exportStateDict(), 'encoder.weight').data.subarray(21)));
    expect(Array.from(get(ext, 'rnn.weight_ih_l0').data)).toEqual(Array.from(get(old.exportStateDict(), 'rnn.weight_ih_l0').data));
    fresh.importStateDict(ext); // loads as a model of the new vocabulary
  });
});

type Ort = typeof import('onnxruntime-node');
let ort: Ort | null = null;
try {
  ort = await import('onnxruntime-node');
} catch {
  ort = null;
}

describe.skipIf(!ort)('embedding: ONNX export (Gather before the recurrent op) under onnxruntime-node', () => {
  for (const cell of ['gru', 'lstm'] as const) {
    it(`${cell}: logits match charnn's over 200 characters, batch 2`, async () => {
      const k = createJsKernels('float32');
      const Vn = 11, Hn = 12, L = 2;
      const m = new CharRNN(k, { cell, layers: L, hidden: Hn, vocabSize: Vn, dropout: 0, embed: 6 });
      m.init(new Rng(9));
      const vocab = Array.from({ length: Vn }, (_, i) => String.fromCharCode(97 + i));
      const bytes = buildOnnx({ config: m.config, vocab, tensors: m.exportStateDict() });
      const s = await ort!.InferenceSession.create(bytes);
      const rng = new Rng(10), Bn = 2;
      let h = new ort!.Tensor('float32', new Float32Array(L * Bn * Hn), [L, Bn, Hn]);
      let c = new ort!.Tensor('float32', new Float32Array(L * Bn * Hn), [L, Bn, Hn]);
      const state = m.newState(Bn), logits = k.alloc(Bn * Vn), x = new Int32Array(Bn);
      let worst = 0;
      for (let t = 0; t < 200; t++) {
        for (let b = 0; b < Bn; b++) x[b] = rng.int(Vn);
        const feeds: Record<string, InstanceType<Ort['Tensor']>> = { id: new ort!.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(v)), [Bn]), h };
        if (cell === 'lstm') feeds.c = c;
        const r = await s.run(feeds);
        h = r.h_out as typeof h;
        if (cell === 'lstm') c = r.c_out as typeof c;
        m.step(logits, x, Bn, state);
        const got = r.logits.data as Float32Array;
        for (let i = 0; i < Bn * Vn; i++) worst = Math.max(worst, Math.abs(logits[i] - got[i]));
      }
      await s.release();
      expect(worst).toBeLessThan(1e-4);
    });
  }
});
