/**
 * `npm run pretrain`: rebuilds the model bundled with charnn, checkpoints/pretrained/tinyshakespeare.json.
 *
 * Trains through the real command line (bin/charnn.js, so dist/ must be built: `npm run build`) with a fixed
 * recipe and seed on tiny Shakespeare (the registry's default corpus; without internet set CHARNN_CORPUS_MIRROR,
 * which defaults here to ../shared/corpora when that folder exists), then writes the best checkpoint of the run
 * (lowest validation loss) without its optimizer moments, carried state and RNG: a sampling-only file.
 *
 *   npm run pretrain                       # train (4,000 steps, 10M training characters) and write the bundled model
 *   npm run pretrain -- --from DIR         # only write it, from a finished run folder trained with RECIPE
 *   npm run pretrain -- --threads 1        # fewer worker threads (results are bit-identical for any count)
 *
 * Why this recipe: a 2x128 GRU learns fastest per training character of the configurations measured on this
 * 2-core machine (README, "Choosing the defaults", and the reference's gru S figures), so it gives the lowest
 * validation loss for a model anyone can rebuild in minutes. It is exactly the reference's gru recipe (seq 50,
 * batch 50, Adam 2e-3 constant, clip 5, PyTorch init, seed 123), so the run's validation losses at 1,000 and
 * 4,000 steps are also the gru figures of the PyTorch parity table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkpointToText } from '../src/checkpoint/codec.js';
import { loadCheckpoint, writeFileAtomic } from '../src/checkpoint/io.js';
import { samplingOnly } from '../src/checkpoint/sampling-only.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'checkpoints', 'pretrained', 'tinyshakespeare.json');

/** The recipe. Changing it changes the bundled model: rerun the script and commit the new file. */
export const RECIPE = {
  cell: 'gru',
  layers: 2,
  hidden: 128,
  dropout: 0,
  seq: 50,
  batch: 50,
  lr: 2e-3,
  lrSchedule: 'constant',
  warmup: 0,
  optimizer: 'adam',
  clip: 5,
  init: 'pytorch',
  valFrac: 0.1,
  steps: 4000,
  seed: 123,
} as const;

/** evaluation (and best.json) every this many steps; divides RECIPE.steps */
const EVAL_EVERY = 250;
const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

const { values: a } = parseArgs({
  options: {
    from: { type: 'string' },
    threads: { type: 'string' },
  },
});

let runDir = a.from ? resolve(a.from) : '';
let scratch = '';
if (!runDir) {
  scratch = mkdtempSync(join(tmpdir(), 'charnn-pretrain-'));
  runDir = join(scratch, 'run');
  const args = ['train', 'tinyshakespeare', '--out', runDir, '--eval-every', String(EVAL_EVERY), '--save-every', String(EVAL_EVERY)];
  for (const [k, v] of Object.entries(RECIPE)) args.push(`--${kebab(k)}`, String(v));
  if (a.threads) args.push('--threads', a.threads);
  const env = { ...process.env };
  const mirror = resolve(ROOT, '..', 'shared', 'corpora');
  if (!env.CHARNN_CORPUS_MIRROR && existsSync(mirror)) env.CHARNN_CORPUS_MIRROR = mirror;
  process.stderr.write(`pretrain: charnn ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'charnn.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`pretrain: training failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

const best = loadCheckpoint(join(runDir, 'best.json'));
const latest = loadCheckpoint(join(runDir, 'latest.json'));
// a run folder given with --from must come from this recipe, or the committed file would not be what the
// script rebuilds. Its step budget may be larger: with a constant rate the weights at step N do not depend on
// the budget (and evaluation changes nothing), so it is enough that the run got to the recipe's step count, with
// an evaluation there (EVAL_EVERY divides it), and that its best checkpoint is not later than that.
for (const [k, v] of Object.entries(RECIPE)) {
  if (k !== 'steps' && best.config[k] !== v) {
    process.stderr.write(`pretrain: ${runDir} was trained with --${kebab(k)} ${String(best.config[k])}, the recipe says ${v}\n`);
    process.exit(1);
  }
}
if (!(best.config.evalEvery === EVAL_EVERY && best.progress.step <= RECIPE.steps && latest.progress.step >= RECIPE.steps && RECIPE.steps % EVAL_EVERY === 0)) {
  process.stderr.write(`pretrain: ${runDir} has its best checkpoint at step ${best.progress.step} and stopped at ${latest.progress.step}; the recipe needs the best of the first ${RECIPE.steps}\n`);
  process.exit(1);
}
if (best.corpus?.source !== 'tinyshakespeare') {
  process.stderr.write(`pretrain: ${runDir} was not trained on tinyshakespeare (${best.corpus?.source})\n`);
  process.exit(1);
}

mkdirSync(join(ROOT, 'checkpoints', 'pretrained'), { recursive: true });
writeFileAtomic(OUT, checkpointToText(samplingOnly(best)));
const p = best.progress;
process.stderr.write(
  `pretrain: wrote ${OUT} (${(statSync(OUT).size / 1e6).toFixed(2)} MB): ${RECIPE.cell} ${RECIPE.layers}x${RECIPE.hidden}, ` +
    `best validation loss ${p.bestValLoss?.toFixed(4)} nats (${((p.bestValLoss ?? NaN) / Math.LN2).toFixed(3)} bpc) at step ${p.bestValStep}` +
    ` of ${p.step}, ${(p.elapsedMs / 60000).toFixed(1)} min of training\n`,
);
if (scratch) rmSync(scratch, { recursive: true, force: true });
