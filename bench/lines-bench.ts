/**
 * Line mode benchmark (issue 14), on a list such as makemore's names.txt:
 *
 *   npm run bench:lines -- --corpus PATH [--batches 32,128,256] [--steps 40] [--count 100] [--hidden 256]
 *
 * 1. Training speed, stream mode against line mode on the same text and model (gru 2 x hidden, --seq 64): the
 *    steady-state predicted characters per second (line mode predicts the lines' characters and end tokens; its
 *    padded slots are not counted), and the fraction of batch slots that were padding.
 * 2. Sampling: --count lines drawn as one batch (LineSampler with N rows) against the same number drawn one at a
 *    time (N = 1, --count times), in lines per second, from the same untrained-shape model.
 * Progress on stderr, figures on stdout. Figures on a shared 2-core machine are noisy: compare ratios from one run.
 */
import { parseArgs } from 'node:util';
import { readCorpus } from '../src/corpus/read.js';
import { LineBatches, splitLines } from '../src/data/lines.js';
import { encodeUtf8 } from '../src/data/vocab.js';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { LineSampler } from '../src/sample/lines.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from '../test/helpers/train-config.js';

const { values: a } = parseArgs({
  options: {
    corpus: { type: 'string' },
    batches: { type: 'string', default: '32,128,256' },
    steps: { type: 'string', default: '40' },
    count: { type: 'string', default: '100' },
    hidden: { type: 'string', default: '256' },
    threads: { type: 'string' },
  },
});
if (!a.corpus) throw new Error('give --corpus PATH (a list, one example per line, e.g. makemore names.txt)');
const steps = Number(a.steps), count = Number(a.count), H = Number(a.hidden), T = 64;
const kernels = await createKernels('wasm', { threads: a.threads ? Number(a.threads) : undefined });
const bytes = await readCorpus(a.corpus);
const { vocab, ids } = encodeUtf8(bytes);
const set = splitLines(ids, vocab.idOf('\n'), vocab.idOf('\r'));
const model = (mode: 'stream' | 'lines') => {
  const m = new CharRNN(kernels, { cell: 'gru', layers: 2, hidden: H, vocabSize: vocab.size, dropout: 0.2, ...(mode === 'lines' ? { mode, startState: 'zero' as const } : {}) });
  m.init(new Rng(1));
  return m;
};

/** Predicted characters per second over `steps` steps after 3 warm-up steps. */
function speed(trainer: Trainer): number {
  for (let i = 0; i < 3; i++) trainer.step();
  let chars = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) chars += trainer.step().chars;
  return chars / ((performance.now() - t0) / 1000);
}

console.log(`# training speed: gru 2x${H}, seq ${T}, ${set.starts.length} lines, ${ids.length} characters, ${kernels.name} ${kernels.threads} threads, ${steps} steps each`);
for (const B of a.batches!.split(',').map(Number)) {
  process.stderr.write(`stream B=${B}... `);
  const s = speed(new Trainer(model('stream'), ids, trainConfig({ batch: B, seq: T, seed: 1 })));
  process.stderr.write(`lines B=${B}...\n`);
  const tr = new Trainer(model('lines'), set, trainConfig({ batch: B, seq: T, seed: 1 }));
  const l = speed(tr);
  const lb = tr.batches as LineBatches;
  let slots = 0;
  const x = new Int32Array(B * T), y = new Int32Array(B * T), keep = new Int32Array(B * T);
  for (let w = 0; w < lb.windowsIn(0); w++) slots += lb.fill(x, y, keep, 0, w).T * B;
  console.log(
    `batch ${String(B).padStart(4)}: stream ${Math.round(s).toLocaleString('en-US').padStart(7)} chars/s | lines ${Math.round(l).toLocaleString('en-US').padStart(7)} chars/s ` +
      `(${(l / s).toFixed(2)}x), padding ${((100 * (1 - lb.predictions / slots))).toFixed(1)}% of slots`,
  );
}

console.log(`# sampling ${count} lines: one batch of ${count} against ${count} batches of 1 (gru 2x${H})`);
const m = model('lines');
const E = vocab.idOf('\n');
const time = (f: () => void) => {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
};
const batch = new LineSampler(m, vocab, E, count, { temperature: 1, seed: 1 });
const one = new LineSampler(m, vocab, E, 1, { temperature: 1, seed: 1 });
batch.draw([], 20); // warm-up
const tb = time(() => batch.draw([], 20));
const ts = time(() => {
  for (let i = 0; i < count; i++) one.draw([], 20);
});
console.log(`batch: ${(count / tb).toFixed(0)} lines/s | one at a time: ${(count / ts).toFixed(0)} lines/s | ${(ts / tb).toFixed(1)}x faster as a batch`);
kernels.dispose();
