/**
 * The PyTorch state_dict mapping: exact names and shapes, bit-exact export -> import round trip, clear errors
 * for wrong input, and a tensor set built by hand in PyTorch layout behaving the same as the same numbers put
 * straight into the internal (transposed) buffer.
 */
import { describe, expect, it } from 'vitest';
import { createJsKernels } from '../src/math/kernels-js.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN, type NamedTensor } from '../src/model/char-rnn.js';
import type { ModelConfig } from '../src/model/config.js';

const cfg = (cell: ModelConfig['cell'], layers = 2): ModelConfig => ({ cell, layers, hidden: 5, vocabSize: 7, dropout: 0 });

describe('state_dict names and shapes', () => {
  it('lstm 2 layers: PyTorch names, shapes and order; total size = numParams', () => {
    const m = new CharRNN(createNaiveKernels('float64'), cfg('lstm'));
    const sd = m.exportStateDict();
    expect(sd.map((t) => [t.name, t.shape])).toEqual([
      ['rnn.weight_ih_l0', [20, 7]],
      ['rnn.weight_hh_l0', [20, 5]],
      ['rnn.bias_ih_l0', [20]],
      ['rnn.bias_hh_l0', [20]],
      ['rnn.weight_ih_l1', [20, 5]],
      ['rnn.weight_hh_l1', [20, 5]],
      ['rnn.bias_ih_l1', [20]],
      ['rnn.bias_hh_l1', [20]],
      ['decoder.weight', [7, 5]],
      ['decoder.bias', [7]],
    ]);
    expect(sd.reduce((n, t) => n + t.data.length, 0)).toBe(m.numParams);
    expect(m.numParams).toBe(20 * 7 + 20 * 5 + 40 + 20 * 5 + 20 * 5 + 40 + 35 + 7);
  });

  it('gate blocks: gru 3H, rnn H', () => {
    const g = new CharRNN(createNaiveKernels('float64'), cfg('gru', 1)).exportStateDict();
    expect(g.find((t) => t.name === 'rnn.weight_ih_l0')!.shape).toEqual([15, 7]);
    const r = new CharRNN(createNaiveKernels('float64'), cfg('rnn', 1)).exportStateDict();
    expect(r.find((t) => t.name === 'rnn.weight_hh_l0')!.shape).toEqual([5, 5]);
  });

  it('exports the backend dtype', () => {
    const m = new CharRNN(createJsKernels('float32'), cfg('gru'));
    expect(m.exportStateDict().every((t) => t.data instanceof Float32Array)).toBe(true);
  });
});

describe('round trip', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      it(`${cell} ${dtype}: export -> import is bit-exact`, () => {
        const k = createJsKernels(dtype);
        const a = new CharRNN(k, cfg(cell));
        a.init(new Rng(1));
        const b = new CharRNN(k, cfg(cell));
        b.importStateDict(a.exportStateDict());
        expect(Array.from(b.params)).toEqual(Array.from(a.params));
        const ea = a.exportStateDict(), eb = b.exportStateDict();
        for (let i = 0; i < ea.length; i++) expect(Array.from(eb[i].data)).toEqual(Array.from(ea[i].data));
      });
    }
  }
});

describe('import errors', () => {
  const k = createNaiveKernels('float64');
  const fresh = () => {
    const m = new CharRNN(k, cfg('lstm'));
    m.init(new Rng(2));
    return m;
  };
  const sd = () => fresh().exportStateDict();

  it('missing tensor', () => {
    expect(() => fresh().importStateDict(sd().filter((t) => t.name !== 'rnn.bias_hh_l1'))).toThrow(/missing tensor\(s\) rnn\.bias_hh_l1/);
  });
  it('unexpected tensor (e.g. a 3-layer checkpoint into a 2-layer model)', () => {
    const extra = [...sd(), { name: 'rnn.weight_ih_l2', shape: [20, 5], data: new Float64Array(100) }];
    expect(() => fresh().importStateDict(extra)).toThrow(/unexpected tensor\(s\) rnn\.weight_ih_l2/);
  });
  it('duplicate tensor', () => {
    const s = sd();
    expect(() => fresh().importStateDict([...s, s[0]])).toThrow(/rnn\.weight_ih_l0 appears twice/);
  });
  it('wrong shape names the tensor, the shapes and the model', () => {
    const s = sd().map((t) => (t.name === 'decoder.weight' ? { ...t, shape: [5, 7] } : t));
    expect(() => fresh().importStateDict(s)).toThrow('tensor decoder.weight has shape [5, 7], expected [7, 5] for a lstm 2x5, vocabulary 7 model');
  });
  it('data length not matching the shape', () => {
    const s = sd().map((t) => (t.name === 'decoder.bias' ? { ...t, data: new Float64Array(6) } : t));
    expect(() => fresh().importStateDict(s)).toThrow(/decoder\.bias holds 6 values, its shape \[7\] needs 7/);
  });
  it('non-finite values', () => {
    const s = sd();
    s[1].data[3] = NaN;
    expect(() => fresh().importStateDict(s)).toThrow(/rnn\.weight_hh_l0 has a non-finite value at index 3/);
  });
  it('a failed import leaves the parameters untouched', () => {
    const m = fresh();
    const before = Array.from(m.params);
    const s = sd().map((t) => ({ ...t, data: t.data.map(() => 0.5) }));
    s[s.length - 1] = { ...s[s.length - 1], shape: [8] };
    expect(() => m.importStateDict(s)).toThrow();
    expect(Array.from(m.params)).toEqual(before);
  });
});

describe('a hand-built PyTorch-layout tensor set', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: importing it gives the same forward as writing the transposed values directly`, () => {
      const k = createNaiveKernels('float64');
      const c = cfg(cell);
      const G = { rnn: 1, lstm: 4, gru: 3 }[cell], H = c.hidden, V = c.vocabSize;
      const rng = new Rng(9);
      // PyTorch layout, built here without the model's help: weight (out_features, in_features), row-major
      const shapes: [string, number[]][] = [];
      for (let l = 0; l < c.layers; l++) {
        const D = l === 0 ? V : H;
        shapes.push([`rnn.weight_ih_l${l}`, [G * H, D]], [`rnn.weight_hh_l${l}`, [G * H, H]], [`rnn.bias_ih_l${l}`, [G * H]], [`rnn.bias_hh_l${l}`, [G * H]]);
      }
      shapes.push(['decoder.weight', [V, H]], ['decoder.bias', [V]]);
      const sd: NamedTensor[] = shapes.map(([name, shape]) => ({
        name,
        shape,
        data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.range(-1, 1)),
      }));

      const imported = new CharRNN(k, c);
      imported.importStateDict(sd);

      const direct = new CharRNN(k, c);
      for (const t of sd) {
        const view = direct.layout.view(direct.params, t.name);
        if (t.shape.length === 1) view.set(t.data);
        else {
          const [R, C] = t.shape; // internal storage is the transpose (C, R)
          for (let r = 0; r < R; r++) for (let q = 0; q < C; q++) view[q * R + r] = t.data[r * C + q];
        }
      }

      const B = 2, T = 5;
      const x = k.allocI32(T * B), y = k.allocI32(T * B);
      for (let i = 0; i < T * B; i++) {
        x[i] = rng.int(V);
        y[i] = rng.int(V);
      }
      const s1 = imported.newState(B), s2 = direct.newState(B);
      const l1 = imported.forward(x, y, T, B, s1, { training: false });
      const l2 = direct.forward(x, y, T, B, s2, { training: false });
      expect(l1).toBe(l2);
      expect(Array.from(s1)).toEqual(Array.from(s2));
      expect(Array.from(imported.params)).toEqual(Array.from(direct.params));
    });
  }
});
