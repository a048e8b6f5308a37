/**
 * A training run, start to end, as its phases: plan (plan.ts: options, resumed checkpoint, budget), set up
 * (setup.ts: corpus, model, backend, trainer, output folder), the loop (loop.ts), and the report.
 * `charnn train` (src/cli/train.ts) and the library's train() (src/api/train.ts) are thin callers of runTraining:
 * they differ only in where messages go and what asks the loop to stop.
 */
import { resolve } from 'node:path';
import type { Kernels } from '../../math/kernels.js';
import type { ModelConfig } from '../../model/config.js';
import { displayPath } from '../common/corpus-input.js';
import { duration, human, percent } from '../format.js';
import type { Io, StopRequest } from '../io.js';
import { runLoop, type Outcome } from './loop.js';
import { describeTargets, planRun, type Plan, type TrainValues } from './plan.js';
import { recordedCorpus } from '../common/recorded-corpus.js';
import { setUpRun, type Held, type Run } from './setup.js';

export type { Held } from './setup.js';

export interface Finished extends Outcome {
  /** absolute path of the run's latest.json */
  latestPath: string;
  /** absolute path of its best.json, or null when the run has none (no validation split) */
  bestPath: string | null;
}

/** Run one training to its end. `held` collects what the caller must release however it ends (kernels, the
 *  folder's lock). */
export async function runTraining(
  values: TrainValues,
  given: Set<keyof TrainValues>,
  corpus: string | readonly string[] | undefined,
  io: Io,
  stop: StopRequest,
  held: Held,
): Promise<Finished> {
  const plan = planRun(values, given);
  const run = await setUpRun(plan, corpus ?? (await resumedCorpus(plan, io)), io, held);
  announce(run, io);
  const outcome = await runLoop(run, io, stop);
  report(run, outcome, io);
  return { ...outcome, latestPath: run.folder.latestPath, bestPath: run.trainer.bestValLoss !== null ? run.folder.bestPath : null };
}

/** `--resume CKPT` without a corpus: the checkpoint's own, found as every command finds it (from any folder, by
 *  its recorded source, absolute path or file names, checked by SHA-256); otherwise (a fresh run) the default. */
async function resumedCorpus(plan: Plan, io: Io): Promise<string | string[] | undefined> {
  const c = plan.ckpt?.corpus;
  if (!c) return undefined;
  const found = await recordedCorpus(c, io, {
    what: 'cannot resume',
    hint: (sha) => `give the corpus: charnn train FILE --resume ${plan.o.resume}, any copy with SHA-256 ${sha}`,
  });
  io.info(`resuming on the checkpoint's corpus: ${Array.isArray(found.arg) ? `its ${found.arg.length} files` : displayPath(found.arg, io.cwd)}`);
  return found.arg;
}

/** How the learning rate moves, for the first line ('' for a constant rate without warm-up). */
function describeSchedule(run: Run): string {
  const { o } = run.plan;
  const warm = o.warmup ? `, ${o.warmup} warm-up steps` : '';
  if (o.lrSchedule === 'cosine') return `, cosine to ${o.lrMin} over the budget${warm}`;
  if (o.lrSchedule === 'step') return `, x${o.lrFactor} every ${o.lrEvery} steps${warm}`;
  return warm;
}

/** The first line: what is trained on what, how, for how long, and where it is saved. */
function announce(run: Run, io: Io): void {
  const { plan, modelConfig: c, model, vocab, ids, trainer, kernels, folder } = run;
  const { o, ckpt, start } = plan;
  io.info(
    `${ckpt ? `resuming ${displayPath(resolve(o.resume))} at step ${start.step}` : plan.init ? `fine-tuning ${displayPath(resolve(o.initFrom))}` : 'training'}: ${c.cell} ${c.layers}x${c.hidden}${c.layerNorm ? ' with layer norm' : ''}, ${c.embed ? `embedding ${c.embed}, ` : ''}${describeDropout(c)}` +
      `${model.numParams.toLocaleString('en-US')} parameters, vocabulary ${vocab.size}${plan.init && vocab.size > plan.init.model.vocabSize ? ` (${vocab.size - plan.init.model.vocabSize} new)` : ''}, ${ids.length.toLocaleString('en-US')} characters ` +
      `(${trainer.valBatches ? `${percent(1 - o.valFrac)} training, ${percent(o.valFrac)} validation, ${describeValidation(trainer)}` : 'no validation'}), batch ${o.batch} x seq ${o.seq}, ${o.optimizer} lr ${o.lr}${o.weightDecay > 0 ? ` weight decay ${o.weightDecay}` : ''}${describeSchedule(run)}, ` +
      `${describeBackend(kernels)}; budget ${describeTargets(plan.targets, start)}; saving to ${displayPath(folder.dir)}`,
  );
  const files = run.corpus.files ?? [];
  if (files.length > 1) {
    const shown = files.length <= 6 ? files : [...files.slice(0, 5), { name: `... ${files.length - 5} more (the checkpoint's corpus.files lists them all)` }];
    io.info(`corpus: ${files.length} files, each a document (the carried state resets where one starts), in this order: ${shown.map((f) => f.name).join(', ')}`);
  }
}

/** The dropout variants when not the default: 'variational dropout 0.3, weight drop 0.5, '; else ''. */
function describeDropout(c: ModelConfig): string {
  const parts = [c.dropoutMode === 'variational' ? `variational dropout ${c.dropout}` : '', c.weightDrop ? `weight drop ${c.weightDrop}` : ''];
  return parts.filter(Boolean).map((p) => p + ', ').join('');
}

/** 'each evaluation reads 2.1% of it' (the seeded subset), 'each evaluation reads all of it'. */
function describeValidation(trainer: Run['trainer']): string {
  const layout = trainer.evalLayout();
  return layout.full ? 'each evaluation reads all of it' : `each evaluation reads ${percent((layout.steps - 1) / trainer.valBatches!.numWindows)} of it (--val-full: all)`;
}

/** The last line: where the run ended, its best validation loss, its speed, and where the checkpoints are. */
function report(run: Run, { stopped, loss, runSec, chars, evalSec }: Outcome, io: Io): void {
  const { trainer, folder } = run;
  const best = trainer.bestValLoss;
  io.info(
    `${stopped ? 'interrupted' : 'done'}: step ${trainer.steps} (epoch ${trainer.epoch}), ` +
      (best !== null ? `best val ${best.toFixed(4)} nats (${(best / Math.LN2).toFixed(3)} bpc) at step ${trainer.bestValStep}, ` : `train loss ${loss.toFixed(4)}, `) +
      `${duration(runSec)} (validation ${percent(evalSec / Math.max(runSec, 1e-3))} of it), ${human(chars / Math.max(runSec, 1e-3))} chars/s; ` +
      `checkpoints in ${displayPath(folder.dir)}/ (latest.json${best !== null ? ', best.json' : ''})`,
  );
}

/** 'native backend (avx512, 2 threads)', 'wasm backend (relaxed-simd, 2 threads)', 'js backend'. */
function describeBackend(k: Kernels): string {
  const build = 'simd' in k ? String(k.simd) : 'isa' in k ? String(k.isa) : '';
  const parts = [build, k.threads > 1 ? `${k.threads} threads` : ''].filter(Boolean);
  return `${k.name} backend${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
