/**
 * AdamW's decoupled weight decay (--optimizer adamw --weight-decay λ): which tensors decay (the weight matrices,
 * never biases or a learned start state), one trainer step against Adam's from the same start, exact resume with
 * decay on (trainer and the real binary on the default backend), and the CLI's refusals and reports.
 * (The update formula against float64 PyTorch-transcribed references: test/optimizer.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/io.js';
import { Vocab } from '../src/data/vocab.js';
import { createJsKernels } from '../src/math/kernels-js.js';
import { createNaiveKernels } from '../src/math/kernels-naive.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { ModelConfig } from '../src/model/config.js';
import { ParamLayout, decays, weightDecayRanges } from '../src/model/layout.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import { trainConfig, trainSteps } from './helpers/train-config.js';
import { Optimizer } from '../src/train/optimizer.js';
import { backends } from './helpers/backends.js';
import { ROOT, runCli, smallText, tempDir } from './helpers/cli.js';

describe('which tensors decay', () => {
  it.each([
    { cell: 'lstm', layers: 2, hidden: 5, vocabSize: 7, dropout: 0 },
    { cell: 'gru', layers: 3, hidden: 4, vocabSize: 9, dropout: 0, mode: 'lines', startState: 'learned' },
  ] as ModelConfig[])('the weight matrices, not the biases or a learned start state ($cell, $layers layers)', (c) => {
    const layout = new ParamLayout(c);
    const ranges = weightDecayRanges(layout);
    const covered = new Uint8Array(layout.size);
    for (const r of ranges) covered.fill(1, r.offset, r.offset + r.length);
    for (const s of layout.specs) {
      const part = covered.subarray(s.offset, s.offset + s.rows * s.cols);
      const isWeight = /weight/.test(s.name);
      expect([s.name, part.every((x) => x === (isWeight ? 1 : 0))]).toEqual([s.name, true]);
      expect(decays(s.name)).toBe(isWeight);
    }
    // each layer's W_ih and W_hh are adjacent: one range per layer, plus the decoder's weight
    expect(ranges.length).toBe(c.layers + 1);
    if (c.startState === 'learned') expect(decays('start_state')).toBe(false);
  });
});

describe('AdamW on every backend', () => {
  // large enough that wasm and native split the calls across their threads; odd range edges
  const P = 70_001, steps = 4, wd = 0.4;
  const ranges = [{ offset: 1, length: 40_003 }, { offset: 40_100, length: 29_000 }];
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return Float64Array.from({ length: P }, () => r.normal());
  };
  const p0 = draw(1), gs = [2, 3, 4, 5].map(draw);
  const lrs = [1e-2, 8e-3, 5e-3, 2e-3];
  const run = (k: ReturnType<typeof createNaiveKernels>) => {
    const opt = new Optimizer(k, P, { name: 'adamw', weightDecay: wd }, ranges);
    const p = k.alloc(P), g = k.alloc(P);
    p.set(p0);
    for (let s = 0; s < steps; s++) {
      g.set(gs[s]);
      opt.update(p, g, lrs[s], 0.5);
    }
    return p;
  };
  const want = run(createNaiveKernels('float64'));
  for (const b of backends) {
    it(`${b.name} matches the float64 oracle`, async () => {
      const k = await b.make();
      try {
        const got = run(k as ReturnType<typeof createNaiveKernels>);
        let worst = 0;
        for (let i = 0; i < P; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        expect(worst).toBeLessThan(b.dtype === 'float64' ? 1e-12 : 1e-5);
      } finally {
        k.dispose();
      }
    });
  }
});

describe('Trainer with adamw', () => {
  const text = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.\n';
  const vocab = Vocab.fromText(text);
  const ids = vocab.encode(text.repeat(4));
  const make = (opts: Partial<TrainConfig>, dtype: 'float32' | 'float64' = 'float32') => {
    const k = dtype === 'float64' ? createNaiveKernels('float64') : createJsKernels('float32');
    const model = new CharRNN(k, { cell: 'gru', layers: 2, hidden: 12, vocabSize: vocab.size, dropout: 0.2 });
    model.init(new Rng(9));
    return { model, trainer: new Trainer(model, ids, trainConfig({ batch: 3, seq: 8, lr: 1e-2, historyEvery: 5, seed: 4, ...opts })) };
  };

  it('one step: biases as Adam leaves them, weights shrunk by lr·λ of their start first', () => {
    const lr = 1e-2, wd = 0.7;
    const adam = make({ optimizer: 'adam', lr }, 'float64');
    const adamw = make({ optimizer: 'adamw', weightDecay: wd, lr }, 'float64');
    const p0 = adam.model.params.slice();
    adam.trainer.step();
    adamw.trainer.step();
    const layout = adam.model.layout;
    let decayed = 0;
    for (const s of layout.specs) {
      const a = layout.view(adam.model.params, s.name), w = layout.view(adamw.model.params, s.name), p = layout.view(p0, s.name);
      if (!decays(s.name)) {
        expect(Array.from(w), s.name).toEqual(Array.from(a)); // bit for bit: the decay never touched it
        continue;
      }
      for (let i = 0; i < a.length; i++) {
        // AdamW: p(1 − lr·λ) − u; Adam: p − u (the same first-step gradient, so the same u)
        expect(Math.abs(w[i] - (a[i] - lr * wd * p[i]))).toBeLessThan(1e-15);
        if (Math.abs(p[i]) > 0.05) decayed++;
      }
    }
    expect(decayed).toBeGreaterThan(100); // the decay moved many weights by a visible amount
  });

  it('N steps + save/load + M steps == N+M steps, bit for bit (cosine schedule, dropout on)', () => {
    const opts: Partial<TrainConfig> = { optimizer: 'adamw', weightDecay: 0.3, lrSchedule: 'cosine', warmup: 3 };
    const total = 40; // the cosine's budget, in steps
    const N = 17, M = 13;
    const one = make(opts);
    trainSteps(one.trainer, N + M, total);
    const a = make(opts);
    trainSteps(a.trainer, N, total);
    const saved = a.trainer.exportState();
    const b = make(opts);
    b.model.params.set(a.model.params);
    b.trainer.importState(structuredClone(saved));
    trainSteps(b.trainer, M, total);
    expect(Array.from(b.model.params)).toEqual(Array.from(one.model.params));
    expect(b.trainer.exportState().optimizer).toEqual(one.trainer.exportState().optimizer);
    // and the decay made a difference over the run
    const plain = make({ ...opts, weightDecay: 0 });
    trainSteps(plain.trainer, N + M, total);
    expect(Array.from(plain.model.params)).not.toEqual(Array.from(one.model.params));
  });
});

describe('charnn train --optimizer adamw --weight-decay', () => {
  const TINY = ['--hidden', '12', '--layers', '2', '--batch', '4', '--seq', '16', '--dropout', '0.1', '--seed', '3'];
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tempDir({ 'corpus.txt': smallText() })));
  afterAll(() => cleanup());
  // a digest of the tensors' bytes (a mismatch prints two short lines, not the tensors)
  const bits = (t: { data: Float32Array }) => createHash('sha256').update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).digest('hex');

  it('resumes bit for bit on the default backend (a step schedule), keeping its λ; the training line reports it', async () => {
    const args = ['train', 'corpus.txt', ...TINY, '--optimizer', 'adamw', '--weight-decay', '0.1', '--lr-schedule', 'step', '--lr-every', '6', '--eval-every', '7'];
    const [one, first] = await Promise.all([
      runCli([...args, '--steps', '20', '--out', 'one'], { cwd: dir }),
      runCli([...args, '--steps', '9', '--out', 'two', '-q'], { cwd: dir }),
    ]);
    expect(one.code).toBe(0);
    expect(first.code).toBe(0);
    expect(one.stderr).toMatch(/^training: .*, adamw lr 0\.002 weight decay 0\.1, /m);
    const c1 = loadCheckpoint(join(dir, 'two', 'latest.json'));
    expect(c1.config).toMatchObject({ optimizer: 'adamw', weightDecay: 0.1 });
    expect(c1.optimizer!.name).toBe('adamw');
    const second = await runCli(['train', 'corpus.txt', '--resume', 'two/latest.json', '--steps', '11'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/adamw lr 0\.002 weight decay 0\.1, /);
    const a = loadCheckpoint(join(dir, 'one', 'latest.json'));
    const b = loadCheckpoint(join(dir, 'two', 'latest.json'));
    expect(b.progress.step).toBe(20);
    expect(b.tensors.map(bits)).toEqual(a.tensors.map(bits));
    for (const slot of ['exp_avg', 'exp_avg_sq']) expect(b.optimizer!.slots[slot].map(bits)).toEqual(a.optimizer!.slots[slot].map(bits));
    expect(bits(b.state!)).toBe(bits(a.state!));
    // the decay is how the weights were learned, not what they compute: both formats export such a model
    for (const f of ['safetensors', 'onnx']) {
      const e = await runCli(['export', join('one', 'latest.json'), '-o', `one.${f}`], { cwd: dir });
      expect([f, e.code]).toEqual([f, 0]);
      expect(e.stderr).toMatch(new RegExp(`^exported gru 2x12 .* as ${f}`));
    }
  }, 60_000);

  it("adamw without --weight-decay takes PyTorch's 0.01; adam records 0 and its training line says nothing of decay", async () => {
    const w = await runCli(['train', 'corpus.txt', ...TINY, '--optimizer', 'adamw', '--steps', '2', '--out', 'w'], { cwd: dir });
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/adamw lr 0\.002 weight decay 0\.01, /);
    expect(loadCheckpoint(join(dir, 'w', 'latest.json')).config.weightDecay).toBe(0.01);
    const a = await runCli(['train', 'corpus.txt', ...TINY, '--steps', '2', '--out', 'a'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stderr).not.toMatch(/weight decay/);
    expect(loadCheckpoint(join(dir, 'a', 'latest.json')).config.weightDecay).toBe(0);
  }, 60_000);

  it('refuses a decay for adam, rmsprop or sgd (and on resuming an adam run) in one line, exit 2', async () => {
    for (const opt of ['adam', 'rmsprop', 'sgd']) {
      const r = await runCli(['train', 'corpus.txt', ...TINY, '--optimizer', opt, '--weight-decay', '0.1', '--steps', '2', '--out', `r-${opt}`], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`charnn: invalid options: --weight-decay 0.1 with --optimizer ${opt} (weight decay is AdamW's (decoupled): add --optimizer adamw; the L2 penalty of torch.optim.Adam's weight_decay is not offered)\n`);
    }
    const r = await runCli(['train', 'corpus.txt', '--resume', 'a/latest.json', '--weight-decay', '0.1', '--steps', '2'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^charnn: invalid options: --weight-decay 0\.1 with --optimizer adam /);
    const neg = await runCli(['train', 'corpus.txt', ...TINY, '--optimizer', 'adamw', '--weight-decay', '-1', '--steps', '2', '--out', 'neg'], { cwd: dir });
    expect(neg.code).toBe(2);
    expect(neg.stderr).toMatch(/--weight-decay.*must be at least 0/);
  }, 60_000);

  it('an old checkpoint without the field resumes as it did (no decay)', async () => {
    const v1 = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'v1-lstm-1x8.json'), 'utf8')) as { vocab: string[]; config: Record<string, unknown> };
    expect(v1.config.weightDecay).toBeUndefined();
    writeFileSync(join(dir, 'v1corpus.txt'), v1.vocab.join('').repeat(40));
    const r = await runCli(['train', 'v1corpus.txt', '--resume', join(ROOT, 'test', 'fixtures', 'v1-lstm-1x8.json'), '--force', '--steps', '2', '--out', 'v1', '-q'], { cwd: dir });
    expect(r.stderr).toMatch(/^charnn: warning: --force/);
    expect(r.code).toBe(0);
    const c = loadCheckpoint(join(dir, 'v1', 'latest.json'));
    expect(c.config).toMatchObject({ optimizer: 'adam', weightDecay: 0 });
  }, 60_000);
});
