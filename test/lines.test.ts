/**
 * Line mode's data layout (data/lines.ts), trainer and sampler (sample/lines.ts):
 * - splitLines: spans, empty lines counted, CRLF, no final break;
 * - LineBatches: x is ⏎ then the line, y the line then ⏎; every line exactly once per epoch; padded slots never
 *   kept; long lines cut into windows of T with a reset only at a line's first window; little padding; the same
 *   layout for the same (seed, epoch);
 * - the trainer learns a small list and its validation loss is the naive per-line sum; a learned start state moves;
 * - the batch line sampler: N lines, each ending at the end token or the length limit, the prime in front, and
 *   lines drawn as a batch equal to lines drawn one at a time when argmax (temperature 0).
 */
import { describe, expect, it } from 'vitest';
import { LineBatches, splitLineIndices, splitLines } from '../src/data/lines.js';
import { Vocab } from '../src/data/vocab.js';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { LineSampler } from '../src/sample/lines.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from './helpers/train-config.js';

const lineSetOf = (text: string) => {
  const vocab = Vocab.fromText(text + '\n\r');
  return { vocab, set: splitLines(vocab.encode(text), vocab.idOf('\n'), vocab.idOf('\r')) };
};
const linesOf = (vocab: Vocab, set: ReturnType<typeof splitLines>) =>
  Array.from(set.starts, (s, i) => vocab.decode(set.ids.subarray(s, s + set.lengths[i])));

describe('splitLines', () => {
  it('splits at line breaks, skips and counts empty lines, drops a CR before the break', () => {
    const { vocab, set } = lineSetOf('ann\n\nbob\r\n\r\ncy\n\n');
    expect(linesOf(vocab, set)).toEqual(['ann', 'bob', 'cy']);
    expect(set.empty).toBe(3); // '', '\r', and the '' between the last two breaks (a final break ends cy only)
  });
  it('a last line without a break is a line', () => {
    const { vocab, set } = lineSetOf('ann\nbob');
    expect(linesOf(vocab, set)).toEqual(['ann', 'bob']);
    expect(set.empty).toBe(0);
  });
});

/** Every (epoch, window) of a layout, decoded per line slot: the (input, target) pairs each line got. */
function collect(lb: LineBatches, epoch: number, endId: number) {
  const B = lb.B, T = lb.T;
  const x = new Int32Array(B * T), y = new Int32Array(B * T), keep = new Int32Array(B * T);
  const perWindow: { T: number; reset: boolean; rows: number[]; x: number[]; y: number[] }[] = [];
  for (let w = 0; w < lb.windowsIn(epoch); w++) {
    const r = lb.fill(x, y, keep, epoch, w);
    perWindow.push({ T: r.T, reset: r.reset, rows: Array.from(keep.subarray(0, r.count)), x: Array.from(x.subarray(0, r.T * B)), y: Array.from(y.subarray(0, r.T * B)) });
  }
  return { perWindow, endId };
}

describe('LineBatches', () => {
  const words = ['ann', 'bo', 'cyrilla', 'd', 'eve', 'francesca', 'gus', 'hal', 'ivy', 'jo', 'kimberly', 'lu'];
  const text = words.join('\n');
  const { vocab, set } = lineSetOf(text);
  const E = set.endId;

  for (const T of [3, 5, 64]) {
    it(`T=${T}: every line once per epoch as ⏎+line -> line+⏎, padding never kept, resets only at a line's start`, () => {
      const B = 4;
      const lb = new LineBatches(set, Uint32Array.from(words.keys()), B, T, { shuffle: true, seed: 3 });
      for (const epoch of [0, 1]) {
        const { perWindow } = collect(lb, epoch, E);
        // rebuild each slot's sequence of (x, y) over consecutive windows of a batch
        const got: string[] = [];
        let seqs: { x: number[]; y: number[] }[] = [];
        const flush = () => {
          for (const s of seqs) if (s.x.length) {
            expect(s.x[0]).toBe(E); // the line starts with the end token as input
            expect(s.y.at(-1)).toBe(E); // and ends by predicting it
            expect(s.x.slice(1)).toEqual(s.y.slice(0, -1)); // y is x shifted by one
            got.push(vocab.decode(s.y.slice(0, -1)));
          }
        };
        for (const w of perWindow) {
          expect(w.T).toBeLessThanOrEqual(T);
          if (w.reset) {
            flush();
            seqs = Array.from({ length: B }, () => ({ x: [], y: [] }));
          }
          for (const r of w.rows) {
            const b = r % B;
            seqs[b].x.push(w.x[r]);
            seqs[b].y.push(w.y[r]);
          }
          // rows not kept hold valid ids (the end token)
          for (let r = 0; r < w.T * B; r++) if (!w.rows.includes(r)) expect([w.x[r], w.y[r]]).toEqual([E, E]);
        }
        flush();
        expect(got.sort()).toEqual([...words].sort());
      }
    });
  }

  it('the same (seed, epoch) gives the same layout; another epoch a different order', () => {
    const a = new LineBatches(set, Uint32Array.from(words.keys()), 3, 64, { shuffle: true, seed: 9 });
    const b = new LineBatches(set, Uint32Array.from(words.keys()), 3, 64, { shuffle: true, seed: 9 });
    expect(collect(a, 2, E)).toEqual(collect(b, 2, E));
    expect(collect(a, 0, E)).not.toEqual(collect(a, 1, E));
  });

  it('packs by length: on 2,000 random lines of 2-15 letters under 10% of the slots are padding', () => {
    const rng = new Rng(5);
    const lines = Array.from({ length: 2000 }, () => 'x'.repeat(2 + rng.int(14)));
    const s = lineSetOf(lines.join('\n')).set;
    const lb = new LineBatches(s, Uint32Array.from(lines.keys()), 32, 64, { shuffle: true, seed: 1 });
    let slots = 0, kept = 0;
    const x = new Int32Array(32 * 64), y = new Int32Array(32 * 64), keep = new Int32Array(32 * 64);
    for (let w = 0; w < lb.windowsIn(0); w++) {
      const r = lb.fill(x, y, keep, 0, w);
      slots += r.T * 32;
      kept += r.count;
    }
    expect(kept).toBe(lb.predictions);
    expect(1 - kept / slots).toBeLessThan(0.1);
  });

  it('random lines, B, T (60 seeded cases): the kept predictions are exactly the lines plus end tokens', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 60; c++) {
      const lens = Array.from({ length: 1 + rng.int(30) }, () => 1 + rng.int(20));
      const B = 1 + rng.int(6), T = 1 + rng.int(9);
      const s = lineSetOf(lens.map((n) => 'a'.repeat(n)).join('\n')).set;
      const lb = new LineBatches(s, Uint32Array.from(lens.keys()), B, T, { shuffle: true, seed: c });
      const x = new Int32Array(B * T), y = new Int32Array(B * T), keep = new Int32Array(B * T);
      let kept = 0, ends = 0;
      for (let w = 0; w < lb.windowsIn(0); w++) {
        const r = lb.fill(x, y, keep, 0, w);
        kept += r.count;
        for (let i = 0; i < r.count; i++) if (y[keep[i]] === s.endId) ends++;
      }
      expect(kept, `lines ${lens}, B ${B}, T ${T}`).toBe(lens.reduce((a, n) => a + n + 1, 0));
      expect(ends).toBe(lens.length);
    }
  });

  it('splitLineIndices: a seeded shuffle, the last fraction held out, nothing lost', () => {
    const { train, val } = splitLineIndices(100, 0.1, 4);
    expect(train.length).toBe(90);
    expect(val!.length).toBe(10);
    expect([...train, ...val!].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(splitLineIndices(100, 0.1, 4).val!)).toEqual(Array.from(val!));
  });
});

describe('line-mode trainer and sampler', () => {
  const names = ['anna', 'bella', 'carla', 'dana', 'emma', 'fiona', 'gina', 'hanna', 'ida', 'julia'];
  const text = Array.from({ length: 30 }, () => names).flat().join('\n');
  const vocab = Vocab.fromText(text + '\n');
  const set = splitLines(vocab.encode(text), vocab.idOf('\n'));

  async function trained(startState: 'zero' | 'learned', steps: number) {
    const k = await createKernels('js');
    const model = new CharRNN(k, { cell: 'gru', layers: 1, hidden: 32, vocabSize: vocab.size, dropout: 0, mode: 'lines', startState });
    model.init(new Rng(1));
    const trainer = new Trainer(model, set, trainConfig({ batch: 8, seq: 16, lr: 1e-2, seed: 1, valFrac: 0.1 }));
    const first = trainer.evaluate().loss;
    for (let i = 0; i < steps; i++) expect(trainer.step().ok).toBe(true);
    return { k, model, trainer, first };
  }

  it('learns a small list; the validation loss equals the naive per-line sum (each line alone, from the start)', async () => {
    const { k, model, trainer, first } = await trained('learned', 150);
    const r = trainer.evaluate();
    expect(r.loss).toBeLessThan(first * 0.5);
    // naive: every validation line on its own, B = 1, the whole line in one window
    const val = splitLineIndices(set.starts.length, 0.1, 1).val!;
    let total = 0, chars = 0;
    for (const i of val) {
      const n = set.lengths[i];
      const x = k.allocI32(n + 1), y = k.allocI32(n + 1);
      x[0] = set.endId;
      for (let t = 0; t < n; t++) x[t + 1] = y[t] = set.ids[set.starts[i] + t];
      y[n] = set.endId;
      const state = model.newState(1);
      model.startState(state, 1);
      total += model.forward(x, y, n + 1, 1, state, { training: false }) * (n + 1);
      chars += n + 1;
    }
    expect(r.chars).toBe(chars);
    expect(r.loss).toBeCloseTo(total / chars, 5);
    // the learned start state moved away from its zero init
    const h0 = model.layout.startState(model.params)!;
    expect(Math.max(...Array.from(h0, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('samples N lines as a batch, each ending at the end token or the limit, the prime in front', async () => {
    const { model } = await trained('zero', 150);
    const s = new LineSampler(model, vocab, vocab.idOf('\n'), 12, { temperature: 0.5, seed: 3 });
    const lines = s.draw([], 50);
    expect(lines).toHaveLength(12);
    for (const l of lines) {
      expect(l.ended).toBe(true);
      expect(l.text).not.toContain('\n');
      expect(l.logProb).toBeLessThan(0);
    }
    expect(lines.filter((l) => names.includes(l.text)).length).toBeGreaterThan(6); // it learned the list
    const primed = s.draw(vocab.encode('ju') as unknown as number[], 50);
    for (const l of primed) expect(l.text.startsWith('ju')).toBe(true);
    const cut = s.draw([], 2);
    for (const l of cut) expect(l.text.length).toBeLessThanOrEqual(2);
    expect(cut.some((l) => !l.ended)).toBe(true);
  });

  it('a batch of N lines at temperature 0 equals N lines drawn one at a time; logProb matches the loss', async () => {
    const { model } = await trained('learned', 60);
    const E = vocab.idOf('\n');
    const batch = new LineSampler(model, vocab, E, 5, { temperature: 0 }).draw(vocab.encode('e') as unknown as number[], 20);
    const one = new LineSampler(model, vocab, E, 1, { temperature: 0 }).draw(vocab.encode('e') as unknown as number[], 20)[0];
    for (const l of batch) {
      expect(l.text).toBe(one.text);
      expect(l.logProb).toBeCloseTo(one.logProb, 9);
    }
    expect(one.ended).toBe(true);
    {
      // -logProb / (n + 1) is the line's loss from the start state, as training computes it
      const ids = Array.from(vocab.encode(one.text));
      const n = ids.length;
      const x = model.kernels.allocI32(n + 1), y = model.kernels.allocI32(n + 1);
      x.set([E, ...ids]);
      y.set([...ids, E]);
      const state = model.newState(1);
      model.startState(state, 1);
      expect(model.forward(x, y, n + 1, 1, state, { training: false })).toBeCloseTo(-one.logProb / (n + 1), 9);
    }
  });
});
