import { describe, expect, it } from 'vitest';
import { Batches, splitIds } from '../src/data/batches.js';
import { subsetLayout } from '../src/data/val-subset.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from './helpers/train-config.js';
import { ToyModel } from './helpers/toy-model.js';

const V = 7;
function corpus(n: number, seed = 1): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.7 ? (ids[i - 1] + 1) % V : rng.int(V);
  return ids;
}

function trainerOn(ids: Uint16Array, valWindows: number, docStarts: number[] = [], seed = 3) {
  const k = createNaiveKernels('float64');
  const model = new ToyModel(k, V);
  model.init(new Rng(5));
  const trainer = new Trainer(model, ids, trainConfig({ batch: 3, seq: 4, lr: 0.05, valFrac: 0.5, valWindows, seed }), docStarts);
  return { k, model, trainer };
}

/** The naive twin of a subset evaluation: each stream alone (B = 1), from zero, its warm-up window uncounted. */
function naiveSubsetLoss(model: ToyModel, val: Uint16Array, B: number, T: number, offsets: Int32Array, windows: number): number {
  const k = model.kernels;
  const streamLength = Math.floor((val.length - 1) / (B * T)) * T;
  let total = 0;
  for (let b = 0; b < B; b++) {
    const state = k.alloc(1);
    for (let j = 0; j <= windows; j++) {
      const base = b * streamLength + (offsets[b] + j) * T;
      const x = Int32Array.from(val.subarray(base, base + T));
      const y = Int32Array.from(val.subarray(base + 1, base + T + 1));
      const loss = model.forward(x, y, T, 1, state, { training: false });
      if (j > 0) total += loss * T;
    }
  }
  return total / (B * T * windows);
}

describe('validation subset', () => {
  it('is seeded: the same windows on every call, a different seed draws others; all inside the split', () => {
    const vb = new Batches(corpus(5000), 4, 8);
    const a = subsetLayout(vb, 10, 42), b = subsetLayout(vb, 10, 42), c = subsetLayout(vb, 10, 43);
    expect(a.full).toBe(false);
    expect(a.steps).toBe(11);
    expect(Array.from(a.offsets!)).toEqual(Array.from(b.offsets!));
    expect(Array.from(a.offsets!)).not.toEqual(Array.from(c.offsets!));
    for (const o of a.offsets!) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o + a.steps).toBeLessThanOrEqual(vb.numWindows);
    }
    expect([...Array(a.steps).keys()].map((j) => a.counted(j))).toEqual([false, ...Array(10).fill(true)]);
  });

  it('reads the whole split when it is no larger than the subset (or the size is 0)', () => {
    const vb = new Batches(corpus(400), 4, 8); // 12 windows
    expect(subsetLayout(vb, 11, 1).full).toBe(true);
    expect(subsetLayout(vb, 0, 1).full).toBe(true);
    expect(subsetLayout(vb, 10, 1).full).toBe(false);
  });

  it('Trainer.evaluate() on the subset equals the naive per-stream twin, every time, and --val-full the full pass', () => {
    const ids = corpus(4000);
    const { model, trainer } = trainerOn(ids, 5);
    for (let i = 0; i < 7; i++) trainer.step();
    const layout = trainer.evalLayout();
    expect(layout.full).toBe(false);
    const val = splitIds(ids, 0.5).val as Uint16Array;
    const want = naiveSubsetLoss(model, val, 3, 4, layout.offsets!, 5);
    const r1 = trainer.evaluate();
    const r2 = trainer.evaluate();
    expect(r1.loss).toBeCloseTo(want, 12);
    expect(r2.loss).toBe(r1.loss);
    expect(r1.chars).toBe(3 * 4 * 5);
    const full = trainer.evaluate(true);
    const { trainer: whole } = trainerOn(ids, 0);
    for (let i = 0; i < 7; i++) whole.step();
    expect(full.full).toBe(true);
    expect(full.loss).toBe(whole.evaluate().loss);
    expect(full.chars).toBe(whole.valBatches!.numWindows * 12);
  });

  it('beginEval: one window per next(); abandoned part-way it records nothing', () => {
    const { trainer } = trainerOn(corpus(4000), 5);
    trainer.step();
    const e = trainer.beginEval();
    expect(e.total).toBe(6);
    e.next();
    expect(e.done).toBe(1);
    expect(() => e.finish()).toThrow(/not finished/);
    expect(trainer.bestValLoss).toBeNull();
    let n = 1;
    while (e.next()) n++;
    expect(n).toBe(5); // the sixth call ran the last window and returned false
    expect(e.finish().loss).toBe(trainer.bestValLoss);
  });
});

describe('document boundaries', () => {
  it('Batches.resets flags exactly the streams whose window holds a document start (naive twin, drawn cases)', () => {
    const rng = new Rng(9);
    for (let c = 0; c < 200; c++) {
      const B = 1 + rng.int(5), T = 1 + rng.int(9), n = B * T * (1 + rng.int(6)) + 1 + rng.int(T * B);
      const starts = [...new Set(Array.from({ length: rng.int(6) }, () => 1 + rng.int(n - 1)))].sort((a, b) => a - b);
      const bt = new Batches(new Uint16Array(n), B, T, 'training', starts);
      const offsets = Int32Array.from({ length: B }, () => 0);
      const flags = new Uint8Array(B);
      for (let w = 0; w < bt.numWindows; w++) {
        const count = bt.resets(flags, w, offsets);
        for (let b = 0; b < B; b++) {
          const base = b * bt.streamLength + w * T;
          const want = starts.some((p) => p >= base && p < base + T) ? 1 : 0;
          expect(flags[b]).toBe(want);
        }
        expect(count).toBe(flags.reduce((s, f) => s + f, 0));
      }
    }
  });

  it('training resets the carried state of a stream whose window starts a new document, and only that stream', () => {
    const ids = corpus(600);
    // 300 training ids, batch 3 x seq 4: 24 windows, streams of 96; a document starting at 96 + 2*4 + 1 lies in
    // window 2 of stream 1
    const { model, trainer } = trainerOn(ids, 0, [105]);
    for (let i = 0; i < 4; i++) trainer.step();
    const seen = model.seen.map((s) => s.state);
    expect(seen[2][1]).toBe(0); // reset before window 2
    expect(seen[2][0]).not.toBe(0); // the other streams carry on
    expect(seen[2][2]).not.toBe(0);
    expect(seen[3][1]).not.toBe(0); // and the new document carries its own state onwards
    const { model: plain, trainer: t2 } = trainerOn(ids, 0, []);
    for (let i = 0; i < 4; i++) t2.step();
    expect(plain.seen[2].state[1]).not.toBe(0);
  });

  it('evaluation resets at document starts inside the validation split too', () => {
    const ids = corpus(600);
    const { model, trainer } = trainerOn(ids, 0, [300 + 96 + 5 * 4 + 1]); // validation stream 1, its window 5
    trainer.step();
    model.seen.length = 0;
    trainer.evaluate();
    const seen = model.seen.map((s) => s.state);
    expect(seen[5][1]).toBe(0);
    expect(seen[5][0]).not.toBe(0);
    expect(seen[4][1]).not.toBe(0);
  });
});
