/**
 * --layer-norm's per-step cost on the native backend, A/B in one process: training steps per second with the
 * native layer-norm kernels (C++), with the TypeScript loops on the same backend (the four kernels swapped for
 * src/math/layernorm-loops.ts, as the native backend ran them before), and without layer norm, for the default
 * config (gru 2x256, seq 64, batch 32) and the same lstm. Rounds are interleaved (every variant runs one round in
 * turn), so a change of machine load hits all variants alike; the median round is printed.
 *
 *   npx tsx bench/layernorm-bench.ts [--steps 5] [--rounds 6] [--threads N] [--cells gru,lstm]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCorpus } from '../src/corpus/read.js';
import { encodeUtf8 } from '../src/data/vocab.js';
import { layerNormBackwardLoop, layerNormForwardLoop, lstmNormBackwardLoop, lstmNormForwardLoop } from '../src/math/layernorm-loops.js';
import type { Kernels } from '../src/math/kernels.js';
import { createNativeKernels } from '../src/math/native/index.js';
import { Rng } from '../src/math/rng.js';
import { CharRNN } from '../src/model/char-rnn.js';
import type { CellType } from '../src/model/config.js';
import { Trainer } from '../src/train/trainer.js';
import { trainConfig } from '../test/helpers/train-config.js';

const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '6' },
    threads: { type: 'string' },
    cells: { type: 'string', default: 'gru,lstm' },
    corpus: { type: 'string', default: fileURLToPath(new URL('../../shared/corpora/tinyshakespeare.txt', import.meta.url)) },
  },
});
const steps = Number(a.steps), rounds = Number(a.rounds);
const native = createNativeKernels(a.threads ? { threads: Number(a.threads) } : {});
/** The same backend with the layer-norm kernels as TypeScript loops. */
const loops: Kernels<Float32Array> = {
  ...native,
  layerNormForward: layerNormForwardLoop,
  layerNormBackward: layerNormBackwardLoop,
  lstmNormForward: lstmNormForwardLoop,
  lstmNormBackward: lstmNormBackwardLoop,
};
const { vocab, ids } = encodeUtf8(await readCorpus(a.corpus!));

const variants = [
  { name: 'layer norm, native kernels', k: native, ln: true },
  { name: 'layer norm, TS loops', k: loops, ln: true },
  { name: 'no layer norm', k: native, ln: false },
];
process.stderr.write(`native ${native.isa}, ${native.threads} threads; ${rounds} rounds of ${steps} steps per variant, interleaved\n`);
for (const cell of a.cells!.split(',') as CellType[]) {
  const runs = variants.map((v) => {
    const model = new CharRNN(v.k, { cell, layers: 2, hidden: 256, vocabSize: vocab.size, dropout: 0, layerNorm: v.ln });
    model.init(new Rng(123), 'pytorch');
    const trainer = new Trainer(model, ids, trainConfig({ batch: 32, seq: 64, lr: 2e-3, clip: 5, seed: 123 }));
    for (let i = 0; i < 2; i++) trainer.step(); // warm-up: compile tiers, workspaces
    return { ...v, trainer, perRound: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const v of runs) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        const s = v.trainer.step();
        if (!s.ok) throw s.error;
      }
      v.perRound.push((steps * 1000) / (performance.now() - t0));
    }
  }
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
  const base = median(runs[1].perRound);
  for (const v of runs) {
    const m = median(v.perRound);
    console.log(`${cell} 2x256 seq 64 batch 32, ${v.name.padEnd(27)} ${m.toFixed(2)} steps/s (${(1000 / m).toFixed(0)} ms/step; ${(m / base).toFixed(2)}x the loops; rounds ${v.perRound.map((x) => x.toFixed(2)).join(' ')})`);
  }
}
native.dispose();
