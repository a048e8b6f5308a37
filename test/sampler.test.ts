import { describe, expect, it } from 'vitest';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import type { Vec } from '../src/math/kernels.js';
import type { ModelConfig } from '../src/model/config.js';
import { Sampler, type StepModel } from '../src/sample/sampler.js';
import { Vocab } from '../src/data/vocab.js';

/** A Markov "model": the logits of the next character are a fixed row chosen by the input id. The state holds
 *  how many steps were taken, so priming can be observed. */
function markov(table: number[][]): StepModel & { steps: number } {
  const V = table.length;
  const kernels = createNaiveKernels('float32');
  const config: ModelConfig = { cell: 'rnn', layers: 1, hidden: 1, vocabSize: V, dropout: 0 };
  return {
    config,
    kernels,
    steps: 0,
    newState: (B: number) => kernels.alloc(B),
    step(logits: Vec, ids: Int32Array, B: number, state: Vec) {
      if (B !== 1) throw new Error('sampler must step with B = 1');
      for (let v = 0; v < V; v++) logits[v] = table[ids[0]][v];
      state[0] += 1;
      this.steps++;
    },
  };
}

const log = Math.log;
// from any id, the next-char distribution is p = [0.5, 0.3, 0.15, 0.05] rotated by the input id
const P = [0.5, 0.3, 0.15, 0.05];
const rot = (i: number) => P.map((_, j) => log(P[(j - i + 4) % 4]));
const TABLE = [0, 1, 2, 3].map(rot);
const VOCAB = Vocab.fromChars(['a', 'b', 'c', 'd']);

/** Empirical distribution of the character drawn after 'a': feed 'a', draw, n times. */
function histogramAfterA(opts: ConstructorParameters<typeof Sampler>[2], n: number): number[] {
  const s = new Sampler(markov(TABLE), VOCAB, opts);
  const h = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    s.feed([0]);
    h[s.next()]++;
  }
  return h.map((c) => c / n);
}

describe('Sampler', () => {
  it('temperature 0 follows the argmax chain after the prime', () => {
    const m = markov(TABLE);
    const s = new Sampler(m, VOCAB, { temperature: 0, seed: 1 });
    s.feed(s.encode('ab'));
    expect(m.steps).toBe(2);
    // the row for id i peaks at i, so the argmax chain repeats the last character of the prime
    expect([...s.generate(5)].join('')).toBe('bbbbb');
  });

  it('is deterministic by seed and differs across seeds', () => {
    const gen = (seed: number) => {
      const s = new Sampler(markov(TABLE), VOCAB, { temperature: 1, seed });
      s.feed([0]);
      return [...s.generate(200)].join('');
    };
    expect(gen(7)).toBe(gen(7));
    expect(gen(7)).not.toBe(gen(8));
  });

  it('draws from softmax(logits / T)', () => {
    const n = 20000;
    for (const T of [1, 2]) {
      const h = histogramAfterA({ temperature: T, seed: 3 }, n);
      const w = P.map((p) => Math.pow(p, 1 / T));
      const z = w.reduce((a, b) => a + b);
      // 4.5 standard deviations of a binomial proportion
      w.forEach((wi, i) => expect(Math.abs(h[i] - wi / z)).toBeLessThan(4.5 * Math.sqrt(((wi / z) * (1 - wi / z)) / n)));
    }
  });

  it('top-k keeps only the k most likely characters, renormalised', () => {
    const n = 20000;
    const h = histogramAfterA({ temperature: 1, topK: 2, seed: 4 }, n);
    expect(h[2]).toBe(0);
    expect(h[3]).toBe(0);
    expect(Math.abs(h[0] - 0.5 / 0.8)).toBeLessThan(0.02);
    const h1 = histogramAfterA({ temperature: 1.5, topK: 1, seed: 4 }, 500);
    expect(h1).toEqual([1, 0, 0, 0]);
  });

  it('top-p keeps the smallest nucleus reaching p', () => {
    const n = 20000;
    const h = histogramAfterA({ temperature: 1, topP: 0.75, seed: 5 }, n); // 0.5 + 0.3 >= 0.75
    expect(h[2] + h[3]).toBe(0);
    expect(Math.abs(h[1] - 0.3 / 0.8)).toBeLessThan(0.02);
    const h3 = histogramAfterA({ temperature: 1, topP: 0.9, seed: 5 }, n); // needs 0.5 + 0.3 + 0.15
    expect(h3[3]).toBe(0);
    expect(h3[2]).toBeGreaterThan(0.1);
    // combined with top-k the nucleus is measured inside the top-k: of {0.5, 0.3, 0.15}, 0.6 of 0.95 needs two
    const hk = histogramAfterA({ temperature: 1, topK: 3, topP: 0.6, seed: 5 }, n);
    expect(hk[2] + hk[3]).toBe(0);
    expect(hk[1]).toBeGreaterThan(0.3);
  });

  it('sorts ties and many ids correctly for top-k', () => {
    // 40 characters with random logits: top-k 5 must only ever produce the 5 largest
    const V = 40;
    const logits = Array.from({ length: V }, (_, i) => Math.sin(i * 12.9898) * 3);
    const table = Array.from({ length: V }, () => logits);
    const vocab = Vocab.fromChars(Array.from({ length: V }, (_, i) => String.fromCharCode(65 + i)));
    const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5);
    const s = new Sampler(markov(table), vocab, { temperature: 3, topK: 5, seed: 9 });
    s.feed([0]);
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) seen.add(s.next());
    expect([...seen].sort((a, b) => a - b)).toEqual([...top].sort((a, b) => a - b));
  });

  it('yields chunks of at most chunkSize characters adding up to the length', () => {
    const s = new Sampler(markov(TABLE), VOCAB, { seed: 1 }, 16);
    const chunks = [...s.generate(50)];
    expect(chunks.map((c) => c.length)).toEqual([16, 16, 16, 2]);
    expect([...s.generate(0)]).toEqual([]);
    // without end: the caller stops
    let total = 0;
    for (const c of s.generate(Infinity)) if ((total += c.length) > 1000) break;
    expect(total).toBe(1008);
  });

  it('names unseen prime characters, or skips them when asked', () => {
    const s = new Sampler(markov(TABLE), VOCAB);
    expect(() => s.encode('abxzx')).toThrow(/2 characters the model never saw: "x" \(U\+0078\), "z" \(U\+007A\)/);
    expect(s.encode('abxzx', true)).toEqual([0, 1]);
  });

  it('rejects invalid options', () => {
    const m = markov(TABLE);
    expect(() => new Sampler(m, VOCAB, { temperature: -1 })).toThrow(/temperature/);
    expect(() => new Sampler(m, VOCAB, { temperature: NaN })).toThrow(/temperature/);
    expect(() => new Sampler(m, VOCAB, { topP: 0 })).toThrow(/top-p/);
    expect(() => new Sampler(m, VOCAB, { topK: 1.5 })).toThrow(/top-k/);
    expect(() => new Sampler(m, Vocab.fromChars(['a']), {})).toThrow(/vocabulary has 1/);
  });
});

describe('Sampler with the real model', () => {
  it('allocates no backend memory per character, and the same seed gives the same text', async () => {
    const { CharRNN } = await import('../src/model/char-rnn.js');
    const { createJsKernels } = await import('../src/math/kernels-js.js');
    const { Rng } = await import('../src/math/rng.js');
    const base = createJsKernels('float32');
    let allocs = 0;
    const kernels = {
      ...base,
      alloc: (n: number) => (allocs++, base.alloc(n)),
      allocI32: (n: number) => (allocs++, base.allocI32(n)),
    } as typeof base;
    const vocab = Vocab.fromText('abcdefgh \n');
    const model = new CharRNN(kernels, { cell: 'lstm', layers: 2, hidden: 8, vocabSize: vocab.size, dropout: 0 });
    model.init(new Rng(1));
    const s = new Sampler(model, vocab, { temperature: 0.9, topK: 5, topP: 0.9, seed: 2 }, 32);
    s.feed(s.encode('abc'));
    const first = [...s.generate(10)].join(''); // the first steps may size the model's step workspace
    const before = allocs;
    const rest = [...s.generate(500)].join('');
    expect(allocs - before).toBe(0);
    const t = new Sampler(model, vocab, { temperature: 0.9, topK: 5, topP: 0.9, seed: 2 }, 32);
    t.feed(t.encode('abc'));
    expect([...t.generate(510)].join('')).toBe(first + rest);
  });
});
