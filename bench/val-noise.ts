/**
 * How noisy is validation on a seeded subset (issue 18)? For a trained checkpoint and its corpus, evaluates the
 * subset of --val-windows W drawn with each of --seeds different seeds, and reports per W the mean, the standard
 * deviation across subsets, the range, and the cost in windows; with --full, the whole split as well. Set beside
 * the run's own curve (the change of the validation loss between evaluations, from the checkpoint), this says
 * whether the subset can tell the checkpoints of a run apart, i.e. whether best.json is chosen fairly.
 *
 *   npm run bench:val-noise -- --ckpt run/latest.json --corpus big.txt [--windows 8,32] [--seeds 12] [--full] [--vs other.json]
 *
 * --vs: a second checkpoint of the same run (e.g. 200 steps earlier). Choosing best.json compares two checkpoints
 * on the SAME subset, so what matters is the spread of the difference of their losses across subsets (much
 * smaller than the spread of one loss: a subset that is hard for one is hard for the other), against the
 * difference on the whole split (with --full).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
const { loadCheckpoint } = await import(dist('checkpoint/io.js'));
const { readCorpusFile } = await import(dist('corpus/read.js'));
const { encodeUtf8, Vocab } = await import(dist('data/vocab.js'));
const { createKernels } = await import(dist('math/backend.js'));
const { modelFromCheckpoint } = await import(dist('checkpoint/run-state.js'));
const { Trainer, TRAIN_CONFIG_KEYS } = await import(dist('train/trainer.js'));
const { TRAIN } = await import(dist('options.js'));
/** a trainer configuration: the TRAIN table's defaults, a constant rate, then o */
const trainConfig = (o: object) => ({ ...Object.fromEntries((TRAIN_CONFIG_KEYS as string[]).map((k) => [k, TRAIN[k].default])), lrSchedule: 'constant', ...o });

const { values: a } = parseArgs({
  options: {
    ckpt: { type: 'string' },
    corpus: { type: 'string' },
    windows: { type: 'string', default: '8,32' },
    seeds: { type: 'string', default: '12' },
    full: { type: 'boolean', default: false },
    vs: { type: 'string' },
  },
});
if (!a.ckpt || !a.corpus) throw new Error('give --ckpt CHECKPOINT and --corpus FILE');
const ckpt = loadCheckpoint(a.ckpt);
const cfg = ckpt.config as { batch: number; seq: number; valFrac: number };
const { ids } = encodeUtf8(readCorpusFile(a.corpus).bytes, Vocab.fromChars(ckpt.vocab));
const kernels = await createKernels('wasm');
const model = modelFromCheckpoint(kernels, ckpt);
const other = a.vs ? modelFromCheckpoint(kernels, loadCheckpoint(a.vs)) : null;
const seeds = Number(a.seeds);
const sd = (xs: number[]) => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean: m, sd: Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) };
};

const vals = (ckpt.progress.lossHistory as { step: number; val?: number }[]).filter((p) => p.val !== undefined);
const steps = vals.map((p) => `${p.step}: ${p.val!.toFixed(4)}`).join(', ');
const deltas = vals.slice(1).map((p, i) => Math.abs(p.val! - vals[i].val!));
const out: string[] = [`val-noise: ${a.ckpt} (batch ${cfg.batch} x seq ${cfg.seq}, validation ${cfg.valFrac * 100}% of ${ids.length.toLocaleString('en-US')} chars)`];
out.push(`  the run's evaluations: ${steps}`);
if (deltas.length) out.push(`  change between evaluations: smallest ${Math.min(...deltas).toFixed(4)}, last ${deltas[deltas.length - 1].toFixed(4)} nats`);
for (const w of a.windows.split(',').map(Number)) {
  const losses: number[] = [];
  const diffs: number[] = [];
  const t0 = performance.now();
  let windows = 0;
  for (let s = 1; s <= seeds; s++) {
    const opts = trainConfig({ batch: cfg.batch, seq: cfg.seq, valFrac: cfg.valFrac, valWindows: w, seed: s });
    const t = new Trainer(model, ids, opts);
    windows = t.evalLayout().steps;
    losses.push(t.evaluate().loss);
    if (other) diffs.push(losses[losses.length - 1] - new Trainer(other, ids, opts).evaluate().loss);
  }
  const { mean, sd: dev } = sd(losses);
  out.push(
    `  --val-windows ${w}: ${windows} windows (${(windows * cfg.batch * cfg.seq).toLocaleString('en-US')} chars) per evaluation, ` +
      `${((performance.now() - t0) / 1000 / seeds).toFixed(1)} s each; over ${seeds} subsets mean ${mean.toFixed(4)}, sd ${dev.toFixed(4)}, ` +
      `range ${Math.min(...losses).toFixed(4)}..${Math.max(...losses).toFixed(4)} nats`,
  );
  if (other) {
    const d = sd(diffs);
    out.push(`    minus ${a.vs} on the same subsets: mean ${d.mean.toFixed(4)}, sd ${d.sd.toFixed(4)}, range ${Math.min(...diffs).toFixed(4)}..${Math.max(...diffs).toFixed(4)} nats`);
  }
  process.stderr.write(out[out.length - 1] + '\n');
}
if (a.full) {
  const t0 = performance.now();
  const t = new Trainer(model, ids, trainConfig({ batch: cfg.batch, seq: cfg.seq, valFrac: cfg.valFrac, valWindows: 0, seed: 123 }));
  const r = t.evaluate();
  out.push(`  whole split: ${r.loss.toFixed(4)} nats over ${r.chars.toLocaleString('en-US')} chars, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (other) out.push(`    minus ${a.vs}: ${(r.loss - new Trainer(other, ids, trainConfig({ batch: cfg.batch, seq: cfg.seq, valFrac: cfg.valFrac, valWindows: 0, seed: 123 })).evaluate().loss).toFixed(4)} nats`);
}
kernels.dispose();
process.stdout.write(out.join('\n') + '\n');
