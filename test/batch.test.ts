/**
 * BatchSampler against its oracle, Sampler: many streams that open, pause and close at random steps (so B
 * changes from step to step) each get exactly the text one Sampler gives with the same options and seed, on
 * every backend (wasm with two threads, so the products are split across them as in `charnn sample`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vocab } from '../src/data/vocab.js';
import type { Kernels } from '../src/math/kernels.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { BatchSampler } from '../src/sample/batch.js';
import { startIds } from '../src/sample/prime.js';
import { Sampler } from '../src/sample/sampler.js';
import { backends, naiveBackend } from './helpers/backends.js';

// 37 characters: an odd vocabulary, so the decoder's product has column remainders
const WITH_NL = Vocab.fromText('abcdefghijklmnopqrstuvwxyz .,;:!?-\'\n"');
const NO_NL = Vocab.fromText('abcdefghij');

interface Script {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  prime: number[];
  length: number;
  openAt: number;
  pause: [number, number] | null;
  closeAt: number | null;
}

const script = (V: number): fc.Arbitrary<Script> =>
  fc.record({
    temperature: fc.constantFrom(0, 0.5, 1, 1.7),
    topK: fc.integer({ min: 0, max: V + 2 }),
    topP: fc.constantFrom(1, 0.9, 0.5, 0.05),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    prime: fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 6 }),
    length: fc.integer({ min: 0, max: 40 }),
    openAt: fc.integer({ min: 0, max: 20 }),
    pause: fc.option(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 10 }))),
    closeAt: fc.option(fc.integer({ min: 0, max: 60 })),
  });

/** What one Sampler gives for a script (its first `n` characters). */
function oracle(model: CharRNN, vocab: Vocab, s: Script, n = s.length): string {
  const one = new Sampler(model, vocab, { temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed });
  one.feed(startIds(s.prime, vocab));
  return [...one.generate(n)].join('');
}

/** Run the scripts through one BatchSampler; returns each stream's text and whether it was closed early. */
function runBatch(bs: BatchSampler, vocab: Vocab, scripts: Script[], each: boolean): { text: string; closed: boolean }[] {
  const out = scripts.map(() => ({ text: '', closed: false, stream: null as ReturnType<BatchSampler['open']> | null }));
  for (let t = 0; t < 200; t++) {
    scripts.forEach((s, i) => {
      const o = out[i];
      if (s.openAt === t) {
        o.stream = bs.open({ temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed, context: startIds(s.prime, vocab), length: s.length });
      }
      if (!o.stream) return;
      if (s.pause) o.stream.paused = t >= s.pause[0] && t < s.pause[0] + s.pause[1];
      o.text += o.stream.take();
      if (s.closeAt === t || o.stream.done) {
        o.closed = !o.stream.done;
        bs.close(o.stream);
        o.text += o.stream.take();
        o.stream = null;
      }
    });
    if (each) bs.stepEach();
    else bs.step();
  }
  return out.map(({ text, closed }) => ({ text, closed }));
}

const cases: { cell: CellType; layers: number; hidden: number }[] = [
  { cell: 'gru', layers: 2, hidden: 64 },
  { cell: 'lstm', layers: 1, hidden: 80 },
];

for (const backend of [...backends, naiveBackend]) {
  describe(`BatchSampler on ${backend.name}`, () => {
    let k: Kernels;
    beforeAll(async () => {
      k = await backend.make();
    });
    afterAll(() => k?.dispose());

    for (const c of cases) {
      for (const vocab of [WITH_NL, NO_NL]) {
        it(`${c.cell} ${c.layers}x${c.hidden}, V=${vocab.size}: every stream equals Sampler with its seed, whatever joins, pauses or leaves`, () => {
          const model = new CharRNN(k, { ...c, vocabSize: vocab.size, dropout: 0 });
          model.init(new Rng(3));
          const bs = new BatchSampler(model, vocab, 12);
          fc.assert(
            fc.property(fc.array(script(vocab.size), { minLength: 1, maxLength: 12 }), fc.boolean(), (scripts, each) => {
              const got = runBatch(bs, vocab, scripts, each);
              expect(bs.size).toBe(0);
              scripts.forEach((s, i) => {
                const want = oracle(model, vocab, s);
                if (got[i].closed) expect(want.startsWith(got[i].text)).toBe(true);
                else expect(got[i].text).toBe(want);
              });
            }),
            { numRuns: backend.name.startsWith('naive') ? 8 : 25 },
          );
        });
      }
    }
  });
}

describe('BatchSampler limits', () => {
  it('refuses a stream past its capacity and reuses a closed slot from a zero state', async () => {
    const { createJsKernels } = await import('../src/math/kernels-js.js');
    const model = new CharRNN(createJsKernels('float32'), { cell: 'gru', layers: 1, hidden: 8, vocabSize: WITH_NL.size, dropout: 0 });
    model.init(new Rng(1));
    const bs = new BatchSampler(model, WITH_NL, 2);
    const spec = { seed: 4, context: [1, 2], length: 30 };
    const a = bs.open(spec);
    bs.open(spec);
    expect(() => bs.open(spec)).toThrow(/all 2 streams are in use/);
    for (let i = 0; i < 10; i++) bs.step();
    bs.close(a);
    const c = bs.open(spec);
    while (!c.done) bs.step();
    expect(c.take()).toBe(oracle(model, WITH_NL, { temperature: 1, topK: 0, topP: 1, seed: 4, prime: [1, 2], length: 30 } as Script));
    expect(() => bs.open({ ...spec, temperature: -1 })).toThrow(/temperature must be a number >= 0/);
    expect(() => bs.open({ ...spec, context: [99] })).toThrow(/not in the vocabulary/);
  });
});
