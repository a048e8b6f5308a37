import { describe, expect, it } from 'vitest';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { Batches, splitIds } from '../src/data/batches.js';
import { learningRate } from '../src/train/schedule.js';
import { EXPLODE_FACTOR, Trainer, TrainingDivergedError, type TrainConfig } from '../src/train/trainer.js';
import { trainConfig, trainSteps } from './helpers/train-config.js';
import { ToyModel } from './helpers/toy-model.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Vocab } from '../src/data/vocab.js';

const V = 7;
/** a deterministic corpus of ids with some structure */
function corpus(n: number, seed = 1): Uint16Array {
  const rng = new Rng(seed);
  const ids = new Uint16Array(n);
  for (let i = 1; i < n; i++) ids[i] = rng.uniform() < 0.7 ? (ids[i - 1] + 1) % V : rng.int(V);
  return ids;
}

function setup(opts: Partial<TrainConfig>, n = 600, dtype: 'float32' | 'float64' = 'float32') {
  const k = createNaiveKernels(dtype);
  const model = new ToyModel(k, V);
  model.init(new Rng(5));
  const trainer = new Trainer(model, corpus(n), trainConfig({ lr: 0.05, ...opts }));
  return { k, model, trainer };
}

describe('Trainer: carried state and epochs', () => {
  it('carries each window’s final state into the next and resets it to zero at the epoch boundary', () => {
    const { model, trainer } = setup({ batch: 3, seq: 4 }); // 540 train ids -> 44 windows per epoch
    const W = trainer.windowsPerEpoch;
    expect(W).toBe(Math.floor(539 / 12));
    const finals: number[][] = [];
    for (let i = 0; i < W + 3; i++) {
      trainer.step();
      finals.push(Array.from(trainer.exportState().carry));
    }
    const seen = model.seen.map((s) => s.state);
    expect(seen[0]).toEqual([0, 0, 0]);
    for (let i = 1; i < W; i++) expect(seen[i]).toEqual(finals[i - 1]); // carried, exactly
    expect(finals[W - 1]).toEqual([0, 0, 0]); // reset after the epoch's last window
    expect(seen[W]).toEqual([0, 0, 0]);
    expect(seen[W + 1]).toEqual(finals[W]);
    expect(trainer.epoch).toBe(1);
    expect(trainer.window).toBe(3);
    // the carried state is not trivially zero
    expect(seen[5].some((v) => v !== 0)).toBe(true);
  });

  it('steps through the reference batch layout in order', () => {
    const { model, trainer } = setup({ batch: 2, seq: 5 });
    const train = splitIds(corpus(600), 0.1).train;
    const bt = new Batches(train, 2, 5);
    const x = new Int32Array(10), y = new Int32Array(10);
    const spy: number[][] = [];
    const fwd = model.forward.bind(model);
    model.forward = (xx, yy, T, B, st, o) => {
      spy.push([...xx, ...yy]);
      return fwd(xx, yy, T, B, st, o);
    };
    for (let i = 0; i < bt.numWindows + 2; i++) trainer.step();
    for (let i = 0; i < bt.numWindows + 2; i++) {
      bt.fill(x, y, i % bt.numWindows);
      expect(spy[i]).toEqual([...x, ...y]);
    }
  });
});

describe('Trainer: evaluate', () => {
  it('is the mean over the whole validation split, state carried from zero per stream', () => {
    const { model, trainer, k } = setup({ batch: 3, seq: 4 }, 900);
    trainer.step();
    trainer.step();
    const carryBefore = Array.from(trainer.exportState().carry);
    const r = trainer.evaluate();

    // independent computation: each of the B streams run as one long sequence from a zero state
    const val = splitIds(corpus(900), 0.1).val!;
    const B = 3, T = 4;
    const nwin = Math.floor((val.length - 1) / (B * T));
    const len = nwin * T;
    let total = 0;
    for (let b = 0; b < B; b++) {
      const x = new Int32Array(len), y = new Int32Array(len);
      for (let j = 0; j < len; j++) {
        x[j] = val[b * len + j];
        y[j] = val[b * len + j + 1];
      }
      total += model.forward(x, y, len, 1, k.alloc(1), { training: false }) * len;
    }
    expect(r.loss).toBeCloseTo(total / (B * len), 5);
    expect(r.chars).toBe(B * len);
    expect(r.bpc).toBeCloseTo(r.loss / Math.LN2, 12);
    // evaluation neither used training mode nor touched the training carry
    expect(model.seen.slice(2, 2 + nwin).every((s) => !s.training)).toBe(true);
    expect(model.seen[2].state).toEqual([0, 0, 0]);
    expect(Array.from(trainer.exportState().carry)).toEqual(carryBefore);
  });

  it('tracks the best validation loss and the history', () => {
    const { trainer } = setup({ batch: 3, seq: 4, historyEvery: 50 }, 900);
    const first = trainer.evaluate();
    expect(first.best).toBe(true);
    for (let i = 0; i < 60; i++) trainer.step();
    const second = trainer.evaluate();
    expect(second.loss).toBeLessThan(first.loss); // it learns
    expect(second.best).toBe(true);
    expect(trainer.bestValLoss).toBe(second.loss);
    expect(trainer.bestValStep).toBe(60);
    // the evaluation at step 0 precedes any training: no point; the one at 60 closes a point there
    const h = trainer.lossHistory;
    expect(h.map((p) => p.step)).toEqual([50, 60]); // historyEvery 50 here
    expect(h[0].val).toBeUndefined();
    expect(h[1].val).toBe(second.loss);
    // a later evaluation with no step in between annotates the same point
    trainer.evaluate();
    expect(h).toHaveLength(2);
  });

  it('refuses without a validation split, and explains a too-small one', () => {
    const { trainer } = setup({ batch: 3, seq: 4, valFrac: 0 });
    expect(trainer.valBatches).toBeNull();
    expect(() => trainer.evaluate()).toThrow(/no validation split/);
    expect(() => setup({ batch: 10, seq: 10 }, 1000)).toThrow(
      /validation split is too small.*reduce --batch or --seq.*or give a larger validation fraction, or 0 for none\)$/,
    );
  });
});

describe('Trainer: optimisation step', () => {
  it('uses the schedule, clips, and records compact loss history', () => {
    const { trainer } = setup({ batch: 3, seq: 4, lrSchedule: 'step', lrEvery: 5, lrFactor: 0.5, historyEvery: 4, clip: 0.01 });
    const results = Array.from({ length: 10 }, () => trainer.step());
    results.forEach((r, i) => {
      expect(r.ok).toBe(true);
      expect(r.lr).toBe(learningRate(0.05, { kind: 'step', every: 5, factor: 0.5 }, i));
      expect(r.step).toBe(i + 1);
      expect(r.clipped).toBe(r.gradNorm > 0.01);
    });
    expect(results.some((r) => r.clipped)).toBe(true);
    const h = trainer.lossHistory;
    const mean = (a: number, b: number) => results.slice(a, b).reduce((s, r) => s + r.loss, 0) / (b - a);
    expect(h).toEqual([
      { step: 4, train: mean(0, 4) },
      { step: 8, train: mean(4, 8) },
    ]);
    expect(trainer.exportState().pending!.count).toBe(2);
  });

  it('refuses ids outside the model vocabulary', () => {
    const k = createNaiveKernels('float32');
    const ids = corpus(600);
    ids[300] = V;
    expect(() => new Trainer(new ToyModel(k, V), ids, trainConfig({ batch: 3, seq: 4 }))).toThrow(/ids reach 7 but the model's vocabulary has 7/);
  });

  it('keeps (a copy of) the configuration it was given, under the TRAIN table\'s names; refuses library misuse', () => {
    const given = trainConfig({ batch: 3, seq: 4, lr: 0.05 });
    const { trainer } = setup({ batch: 3, seq: 4 });
    expect(trainer.config).toEqual(given);
    expect(trainer.config).toMatchObject({ optimizer: 'adam', clip: 5, valFrac: 0.1, lr: 0.05 });
    trainer.scaleLearningRate(0.5);
    expect(trainer.config.lr).toBe(0.025);
    expect(given.lr).toBe(0.05);
    expect(() => setup({ batch: 0 })).toThrow(/batch must be a positive integer/);
    expect(() => setup({ batch: 3, seq: 4, historyEvery: 0 })).toThrow(RangeError);
    expect(() => setup({ batch: 3, seq: 4, optimizer: 'adagrad' as TrainConfig['optimizer'] })).toThrow(/optimizer must be one of/);
    expect(() => setup({ batch: 3, seq: 4, lrSchedule: 'step', lrEvery: 0 })).toThrow(/every >= 1/);
    // a cosine needs no step total: it follows the fraction of the budget the caller reports
    expect(() => setup({ batch: 3, seq: 4, lrSchedule: 'cosine' })).not.toThrow();
  });

  it('a cosine follows budgetDone, not the step count', () => {
    const { trainer } = setup({ batch: 3, seq: 4, lrSchedule: 'cosine', lr: 0.04 });
    expect(trainer.lr).toBe(0.04); // nothing of the budget done yet
    trainer.budgetDone = 0.5;
    expect(trainer.lr).toBeCloseTo(0.02, 15);
    const r = trainer.step();
    expect(r.lr).toBeCloseTo(0.02, 15); // the step used the rate of the fraction set before it
    trainer.budgetDone = 1;
    expect(trainer.lr).toBe(0);
  });
});

describe('Trainer: guard', () => {
  it.each([
    ['nan-loss', (c: number, l: number) => (c === 6 ? NaN : l)],
    ['nan-loss', (c: number, l: number) => (c === 6 ? Infinity : l)],
    ['exploding-loss', (c: number, l: number) => (c === 6 ? l * 10 : l)],
  ] as const)('stops on %s, keeping the weights and carry from before the refused step', (kind, poison) => {
    const { model, trainer } = setup({ batch: 3, seq: 4 });
    model.poison = poison;
    for (let i = 0; i < 5; i++) expect(trainer.step().ok).toBe(true);
    const params = Array.from(model.params);
    const state = trainer.exportState();
    const r = trainer.step();
    expect(r.ok).toBe(false);
    expect(r.error).toBeInstanceOf(TrainingDivergedError);
    expect(r.error!.kind).toBe(kind);
    expect(r.error!.message).toMatch(/training stopped at step 6: .*\(.*\)/);
    expect(Array.from(model.params)).toEqual(params);
    expect(trainer.exportState()).toEqual(state);
    expect(trainer.stoppedBy).toBe(r.error);
    expect(() => trainer.step()).toThrow(TrainingDivergedError);
  });

  it('stops on a NaN gradient', () => {
    const { model, trainer } = setup({ batch: 3, seq: 4 });
    trainer.step();
    const back = model.backward.bind(model);
    model.backward = () => {
      back();
      model.grads[3] = NaN;
    };
    const r = trainer.step();
    expect(r.error?.kind).toBe('nan-gradient');
  });

  it('a refused step stops the trainer: every later step throws its error', () => {
    const { model, trainer } = setup({ batch: 3, seq: 4 });
    model.poison = (c, l) => (c === 3 ? NaN : l);
    expect(trainer.step().ok).toBe(true);
    expect(trainer.step().ok).toBe(true);
    const r = trainer.step();
    expect(r.error?.kind).toBe('nan-loss');
    expect(trainer.steps).toBe(2);
    expect(trainer.step.bind(trainer)).toThrow(r.error!);
  });

  it('a loss that stays within EXPLODE_FACTOR (3) times the first is fine; beyond it the step is refused', () => {
    expect(EXPLODE_FACTOR).toBe(3);
    const a = setup({ batch: 3, seq: 4 });
    a.model.poison = (c, l) => (c === 4 ? l * 2.5 : l);
    expect(trainSteps(a.trainer, 6)).toBeNull();
    const b = setup({ batch: 3, seq: 4 });
    b.model.poison = (c, l) => (c === 4 ? l * 1e6 : l);
    expect(trainSteps(b.trainer, 6)?.kind).toBe('exploding-loss');
    expect(b.trainer.steps).toBe(3);
  });
});

describe('Trainer: exact resume', () => {
  it.each(['adam', 'adamw', 'rmsprop', 'sgd'] as const)('N steps + save/load + M steps == N+M steps, bit for bit (%s)', (optimizer) => {
    const opts: Partial<TrainConfig> = { batch: 3, seq: 4, optimizer, lrSchedule: 'cosine', warmup: 3, historyEvery: 7, ...(optimizer === 'adamw' ? { weightDecay: 0.2 } : {}) };
    const total = 80; // the cosine's budget, in steps
    const N = 50, M = 30; // crosses the epoch boundary at 44 windows
    const one = setup(opts);
    one.model.usesRng = true;
    trainSteps(one.trainer, N, total);
    one.trainer.evaluate(); // evaluation changes no training state, but writes a point on the curve
    trainSteps(one.trainer, M, total);

    const a = setup(opts);
    a.model.usesRng = true;
    trainSteps(a.trainer, N, total);
    a.trainer.evaluate();
    const saved = a.trainer.exportState();
    const weights = a.model.params.slice();

    const b = setup(opts);
    b.model.usesRng = true;
    b.model.params.set(weights);
    b.trainer.importState(structuredClone(saved));
    expect(b.trainer.steps).toBe(N);
    trainSteps(b.trainer, M, total);

    expect(Array.from(b.model.params)).toEqual(Array.from(one.model.params));
    const sb = b.trainer.exportState(), s1 = one.trainer.exportState();
    expect(sb.lossHistory).toEqual(s1.lossHistory);
    expect(sb.lossHistory.find((p) => p.val !== undefined)?.step).toBe(N);
    expect(sb.carry).toEqual(s1.carry);
    expect(sb.rng).toEqual(s1.rng);
    expect([sb.step, sb.epoch, sb.window]).toEqual([N + M, 1, N + M - 44]);
    expect(sb.bestValLoss).toBe(saved.bestValLoss);
  });

  it('refuses a state from a different layout', () => {
    const a = setup({ batch: 3, seq: 4 });
    a.trainer.step();
    const b = setup({ batch: 4, seq: 4 });
    expect(() => b.trainer.importState(a.trainer.exportState())).toThrow(/same model, --batch and --seq/);
    const c = setup({ batch: 3, seq: 4, valFrac: 0 }, 120);
    const s = a.trainer.exportState();
    s.window = 1000;
    expect(() => c.trainer.importState(s)).toThrow(/window position 1000/);
  });
});

describe('Trainer with the real CharRNN', () => {
  const text = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of ' +
    'foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light.\n';
  const vocab = Vocab.fromText(text);
  const ids = vocab.encode(text.repeat(3));

  function make(cell: 'lstm' | 'gru') {
    const k = createJsKernels('float32');
    const model = new CharRNN(k, { cell, layers: 2, hidden: 16, vocabSize: vocab.size, dropout: 0.25 });
    model.init(new Rng(9));
    return { model, trainer: new Trainer(model, ids, trainConfig({ batch: 4, seq: 10, lr: 5e-3, valFrac: 0.1, historyEvery: 5, seed: 4 })) };
  }

  it.each(['lstm', 'gru'] as const)(
    '%s with dropout: N steps, export weights + trainer state, fresh objects, M steps == N+M steps bit for bit',
    (cell) => {
      const one = make(cell);
      const W = one.trainer.windowsPerEpoch;
      const N = W + 3, M = 7; // resume point past an epoch boundary
      trainSteps(one.trainer, N + M);

      const a = make(cell);
      trainSteps(a.trainer, N);
      const weights = a.model.exportStateDict();
      const saved = structuredClone(a.trainer.exportState());

      const b = make(cell);
      b.model.importStateDict(weights);
      b.trainer.importState(saved);
      trainSteps(b.trainer, M);
      expect(Array.from(b.model.params)).toEqual(Array.from(one.model.params));
      expect(b.trainer.exportState()).toEqual(one.trainer.exportState());
      // and the run really moved the weights
      expect(Array.from(b.model.params)).not.toEqual(Array.from(make(cell).model.params));
    },
  );

  it('the carried state is the previous window’s final state (LSTM h and c)', () => {
    const { model, trainer } = make('lstm');
    const seen: number[][] = [];
    const fwd = model.forward.bind(model);
    model.forward = (x, y, T, B, st, o) => {
      seen.push(Array.from(st));
      const loss = fwd(x, y, T, B, st, o);
      seen.push(Array.from(st));
      return loss;
    };
    trainer.step();
    trainer.step();
    expect(seen[0].every((v) => v === 0)).toBe(true);
    expect(seen[1].some((v) => v !== 0)).toBe(true);
    expect(seen[2]).toEqual(seen[1]);
  });
});
