import { expect, it } from 'vitest';
import { createJsKernels } from '../src/math/kernels-js.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import { Vocab } from '../src/data/vocab.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from './helpers/train-config.js';

// End to end: the whole training path (vocab, batches, model forward/backward, clipping, Adam) must be able to
// drive a 2-layer LSTM to memorise a short text. One stream, one window per epoch: every step sees the whole text
// from a zero state, so a perfect memoriser reaches zero loss.
it('a 2-layer LSTM memorises a short text to training loss < 0.05', () => {
  const text = 'To be, or not to be, that is the question: whether tis nobler in the mind.\n';
  const vocab = Vocab.fromText(text);
  const ids = vocab.encode(text);
  const kernels = createJsKernels('float32');
  const model = new CharRNN(kernels, { cell: 'lstm', layers: 2, hidden: 48, vocabSize: vocab.size, dropout: 0 });
  model.init(new Rng(1));
  const trainer = new Trainer(model, ids, trainConfig({ batch: 1, seq: ids.length - 1, valFrac: 0, lr: 1e-2, clip: 5, seed: 1 }));
  expect(trainer.windowsPerEpoch).toBe(1);
  let first = NaN, last = NaN;
  for (let i = 0; i < 400 && !(last < 0.05); i++) {
    const r = trainer.step();
    expect(r.ok).toBe(true);
    if (i === 0) first = r.loss;
    last = r.loss;
  }
  expect(first).toBeGreaterThan(2); // starts near ln V
  expect(last).toBeLessThan(0.05);
});
