/**
 * Step-by-step parity with PyTorch: charnn and PyTorch start from the SAME weights (charnn's init exported as a
 * PyTorch state_dict) and train the reference recipe on tiny Shakespeare; the per-step training losses and
 * gradient norms are printed side by side. Agreement to float32 rounding over the first steps checks the whole
 * training path (vocab, split, stream layout, carry, forward, backward, clipping, Adam) against PyTorch.
 *
 *   npx tsx bench/pytorch-parity.ts [--steps 20] [--cell lstm|gru] [--backend js] [--hidden 128] [--layers 2]
 *                                   [--eval-at 250,500,1000]   (validation loss of both at these steps)
 * Needs /usr/bin/python3 with torch (apt-get install -y python3-torch).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createKernels } from '../src/math/backend.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { readCorpus } from '../src/corpus/read.js';
import { encodeUtf8 } from '../src/data/vocab.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from '../test/helpers/train-config.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    cell: { type: 'string', default: 'lstm' },
    backend: { type: 'string', default: 'js' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' },
    'eval-at': { type: 'string', default: '' },
    corpus: { type: 'string', default: here('../../shared/corpora/tinyshakespeare.txt') },
  },
});
const steps = Number(a.steps), B = 50, T = 50, lr = 2e-3, clip = 5;

const kernels = await createKernels(a.backend!);
const { vocab, ids } = encodeUtf8(await readCorpus(a.corpus!));
const config = { cell: a.cell as CellType, layers: Number(a.layers), hidden: Number(a.hidden), vocabSize: vocab.size, dropout: 0 };
const model = new CharRNN(kernels, config);
model.init(new Rng(123), 'pytorch');

const dir = mkdtempSync(join(tmpdir(), 'charnn-parity-'));
const initPath = join(dir, 'init.json');
const tensors = model.exportStateDict().map((t) => ({ name: t.name, shape: t.shape, data: Array.from(t.data) }));
writeFileSync(initPath, JSON.stringify({ config, batch: B, seq: T, lr, clip, vocab: vocab.chars, tensors }));

process.stderr.write(`running PyTorch for ${steps} steps...\n`);
const py = JSON.parse(
  execFileSync('/usr/bin/python3', [here('./pytorch_parity.py'), '--init', initPath, '--corpus', a.corpus!, '--steps', String(steps), '--eval-at', a['eval-at']!], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  }),
) as { steps: { loss: number; norm: number }[]; evals: { step: number; val: number }[] };
rmSync(dir, { recursive: true, force: true });

process.stderr.write(`running charnn (${kernels.name}) for ${steps} steps...\n`);
const trainer = new Trainer(model, ids, trainConfig({ batch: B, seq: T, lr, clip, optimizer: 'adam', valFrac: 0.1, seed: 123 }));
console.log('step   charnn loss   PyTorch loss   |diff|      charnn norm   PyTorch norm');
let worst = 0;
const evals: { step: number; charnn: number; torch: number }[] = [];
for (let i = 0; i < steps; i++) {
  const r = trainer.step();
  const p = py.steps[i];
  const d = Math.abs(r.loss - p.loss);
  worst = Math.max(worst, d);
  const pe = py.evals.find((e) => e.step === i + 1);
  if (pe) evals.push({ step: i + 1, charnn: trainer.evaluate().loss, torch: pe.val });
  console.log(
    `${String(i + 1).padStart(4)}   ${r.loss.toFixed(6)}      ${p.loss.toFixed(6)}       ${d.toExponential(2)}    ` +
      `${r.gradNorm.toFixed(5)}       ${p.norm.toFixed(5)}`,
  );
}
console.log(`largest loss difference over ${steps} steps: ${worst.toExponential(2)} nats`);
for (const e of evals) {
  console.log(`validation at step ${e.step}: charnn ${e.charnn.toFixed(4)}, PyTorch ${e.torch.toFixed(4)} nats (difference ${(e.charnn - e.torch).toFixed(4)})`);
}
kernels.dispose();
