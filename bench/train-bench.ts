/**
 * Training benchmark (issue 2): the reference recipe on tiny Shakespeare, next to PyTorch's figures.
 *
 *   npm run bench:train -- [--backend wasm|js|naive] [--cell lstm|gru] [--iters 1000] [--eval-at 250,500,1000]
 *                    [--layers 2] [--hidden 128] [--seq 50] [--batch 50] [--lr 2e-3] [--clip 5] [--seed 123]
 *                    [--threads N] [--skip 5] [--corpus PATH] [--parity PATH] [--json]
 *
 * Prints steady-state training chars/s (the first --skip iterations and every evaluation left out, as the
 * reference script does), validation loss in nats and bits per character at the evaluation points, peak memory
 * (process.resourceUsage().maxRSS), and the PyTorch figures from ../shared/reference (parity.jsonl for the losses
 * at equal iterations, README.md's table for throughput). Progress goes to stderr, results to stdout.
 * Figures on a shared 2-core machine are noisy: compare ratios taken in one run.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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
    backend: { type: 'string', default: 'wasm' }, // the shipped default backend
    cell: { type: 'string', default: 'lstm' },
    iters: { type: 'string', default: '1000' },
    'eval-at': { type: 'string', default: '250,500,1000' },
    layers: { type: 'string', default: '2' },
    hidden: { type: 'string', default: '128' },
    seq: { type: 'string', default: '50' },
    batch: { type: 'string', default: '50' },
    lr: { type: 'string', default: '2e-3' },
    clip: { type: 'string', default: '5' },
    seed: { type: 'string', default: '123' },
    threads: { type: 'string' },
    skip: { type: 'string', default: '5' },
    corpus: { type: 'string', default: here('../../shared/corpora/tinyshakespeare.txt') },
    parity: { type: 'string', default: here('../../shared/reference/parity.jsonl') },
    json: { type: 'boolean', default: false },
  },
});

const num = (s: string | undefined, what: string): number => {
  const v = Number(s);
  if (s === undefined || !Number.isFinite(v)) throw new Error(`--${what} must be a number, got ${s}`);
  return v;
};
const iters = num(a.iters, 'iters');
const skip = Math.min(num(a.skip, 'skip'), Math.max(0, iters - 1));
const evalAt = new Set(a['eval-at']!.split(',').filter(Boolean).map((s) => num(s, 'eval-at')));
const cell = a.cell as CellType;
const B = num(a.batch, 'batch'), T = num(a.seq, 'seq');

const kernels = await createKernels(a.backend!, { threads: a.threads ? num(a.threads, 'threads') : undefined });
const bytes = await readCorpus(a.corpus!);
const { vocab, ids } = encodeUtf8(bytes);
const model = new CharRNN(kernels, {
  cell,
  layers: num(a.layers, 'layers'),
  hidden: num(a.hidden, 'hidden'),
  vocabSize: vocab.size,
  dropout: 0,
});
const seed = num(a.seed, 'seed');
model.init(new Rng(seed), 'pytorch');
const trainer = new Trainer(model, ids, trainConfig({
  batch: B,
  seq: T,
  lr: num(a.lr, 'lr'),
  clip: num(a.clip, 'clip'),
  optimizer: 'adam',
  seed,
}));

// PyTorch's losses at equal iterations (same recipe, seed, init)
type Parity = { model: string; eval: number; val_nats: number; val_bpc: number; train_nats_last20: number };
let parity: Parity[] = [];
try {
  parity = readFileSync(a.parity!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Parity);
} catch {
  process.stderr.write(`(no parity file at ${a.parity}: PyTorch losses not shown)\n`);
}
const sameRecipe =
  num(a.layers, 'layers') === 2 && num(a.hidden, 'hidden') === 128 && B === 50 && T === 50 &&
  num(a.lr, 'lr') === 2e-3 && num(a.clip, 'clip') === 5 && seed === 123;
const pyAt = (it: number) => (sameRecipe ? parity.find((p) => p.model === cell && p.eval === it) : undefined);

const log = (s: string) => process.stderr.write(s + '\n');
log(
  `charnn bench: ${cell} ${a.layers}x${a.hidden}, seq ${T}, batch ${B}, Adam ${a.lr}, clip ${a.clip}, seed ${seed}, ` +
    `backend ${kernels.name} (${kernels.dtype}, ${kernels.threads} thread${kernels.threads === 1 ? '' : 's'}), ` +
    `V ${vocab.size}, ${model.numParams} params, ${trainer.windowsPerEpoch} windows/epoch, ${iters} iterations`,
);

const times: number[] = [];
const losses: number[] = [];
const evals: { iter: number; nats: number; bpc: number; trainLast20: number; evalSecs: number }[] = [];
let steadyStart = 0, evalExcluded = 0, lastLog = performance.now();
const t0 = performance.now();
for (let it = 1; it <= iters; it++) {
  const s0 = performance.now();
  const r = trainer.step();
  const s1 = performance.now();
  if (!r.ok) throw r.error;
  times.push(s1 - s0);
  losses.push(r.loss);
  if (it === skip) steadyStart = s1;
  if (evalAt.has(it)) {
    const e0 = performance.now();
    const v = trainer.evaluate();
    const e1 = performance.now();
    if (it > skip) evalExcluded += e1 - e0;
    const last = losses.slice(-20);
    evals.push({ iter: it, nats: v.loss, bpc: v.bpc, trainLast20: last.reduce((x, y) => x + y, 0) / last.length, evalSecs: (e1 - e0) / 1000 });
    log(`  eval at ${it}: val ${v.loss.toFixed(4)} nats (${v.bpc.toFixed(4)} bpc) in ${((e1 - e0) / 1000).toFixed(1)} s`);
  }
  if (s1 - lastLog > 10_000) {
    lastLog = s1;
    log(`  it ${it}/${iters} loss ${r.loss.toFixed(4)} ${((B * T) / ((s1 - s0) / 1000)).toFixed(0)} chars/s`);
  }
}
const tEnd = performance.now();
const steadyIters = iters - skip;
const steadyMs = tEnd - (skip > 0 ? steadyStart : t0) - evalExcluded;
const charsPerSec = (steadyIters * B * T) / (steadyMs / 1000);
const sorted = times.slice(skip).sort((x, y) => x - y);
const medianMs = sorted[Math.floor(sorted.length / 2)];
const maxRssMB = process.resourceUsage().maxRSS / 1024;

const pyThroughput: Record<string, string> = { lstm: '34.5k to 41.7k', gru: '33.9k to 43.5k' };
const out: string[] = [];
out.push(`charnn training benchmark: ${cell} ${a.layers}x${a.hidden}, seq ${T}, batch ${B}, backend ${kernels.name}`);
out.push(`  training: ${charsPerSec.toFixed(0)} chars/s steady state (median ${medianMs.toFixed(1)} ms/iteration, ` +
  `${steadyIters} iterations after ${skip} warm-up; wall ${((tEnd - t0) / 1000).toFixed(1)} s incl. evaluation)`);
if (sameRecipe && pyThroughput[cell]) out.push(`  PyTorch 1.13 (2 threads, OpenBLAS, README): ${pyThroughput[cell]} chars/s`);
out.push(`  peak memory (maxRSS): ${maxRssMB.toFixed(0)} MB`);
out.push(`  load average at the end (1/5/15 min): ${loadavg().map((x) => x.toFixed(2)).join(' / ')} (noisy if above the core count)`);
out.push('  validation loss   charnn nats (bpc)   PyTorch nats (bpc)   charnn train last-20 / PyTorch');
for (const e of evals) {
  const p = pyAt(e.iter);
  out.push(
    `    iter ${String(e.iter).padStart(5)}      ${e.nats.toFixed(4)} (${e.bpc.toFixed(3)})      ` +
      (p ? `${p.val_nats.toFixed(4)} (${p.val_bpc.toFixed(3)})` : '   n/a          ') +
      `      ${e.trainLast20.toFixed(4)} / ${p ? p.train_nats_last20.toFixed(4) : 'n/a'}`,
  );
}
process.stdout.write(out.join('\n') + '\n');
if (a.json) {
  process.stdout.write(
    JSON.stringify({
      impl: `charnn ${kernels.name}`, dtype: kernels.dtype, threads: kernels.threads, model: cell,
      layers: model.config.layers, hidden: model.config.hidden, seq: T, batch: B, vocab: vocab.size,
      params: model.numParams, iters, train_chars_per_sec: Math.round(charsPerSec),
      median_iter_ms: Number(medianMs.toFixed(3)), max_rss_mb: Math.round(maxRssMB),
      evals: evals.map((e) => ({ eval: e.iter, val_nats: Number(e.nats.toFixed(4)), val_bpc: Number(e.bpc.toFixed(4)) })),
    }) + '\n',
  );
}
kernels.dispose();
