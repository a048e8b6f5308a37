/**
 * `charnn train [corpus]`: train a model, writing latest.json and best.json into the output folder.
 * stdout gets one line, the path of the final checkpoint; everything else goes to stderr.
 *
 * Budgets: --steps, --epochs and --time count from where this run starts; the first reached ends the run. With
 * none given, a fresh run trains for 5 minutes, and a resumed run continues towards the targets it was started
 * with (so Ctrl-C then --resume finishes the original plan).
 *
 * Ctrl-C / SIGTERM: the current step finishes, the checkpoint is saved, exit 130; a second Ctrl-C ends the
 * process at once (see "signals" below; the atomic save never leaves a partial file).
 */
import { existsSync, rmdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import type { Command } from 'commander';
import { loadCheckpoint, writeFileAtomic } from '../checkpoint/io.js';
import { checkpointToText } from '../checkpoint/codec.js';
import { isSamplingOnly } from '../checkpoint/sampling-only.js';
import type { Checkpoint } from '../checkpoint/schema.js';
import { encodeUtf8, Vocab } from '../data/vocab.js';
import { createKernels } from '../math/backend.js';
import { backendOptions, chooseBackend } from './backend-choice.js';
import { withInjectedFault } from './kernel-fault.js';
import { isKernelFailure, type Kernels } from '../math/kernels.js';
import { Rng } from '../math/rng.js';
import { CharRNN } from '../model/char-rnn.js';
import type { CellType, InitScheme, ModelConfig } from '../model/config.js';
import { Sampler } from '../sample/sampler.js';
import type { OptimizerName } from '../train/optimizer.js';
import type { ScheduleKind } from '../train/schedule.js';
import { Trainer, type TrainOptions } from '../train/trainer.js';
import { attempt, attemptSync, CliError, EXIT, kernelFailure } from './errors.js';
import { corpusInfo, displayPath, readCorpusArg } from './inputs.js';
import { addOptions, COMMON, readOptions, TRAIN, type Values } from './options.js';
import { prepareOutDir } from './out-dir.js';
import { checkTrainingMemory, checkVocabSize } from './limits.js';
import { checkpointOfRun, modelFromCheckpoint, trainerStateOf } from './run-state.js';
import { duration, human, Ui } from './ui.js';

type TrainValues = Values<typeof TRAIN>;

/** Options that define the model or the data layout: a resumed run must keep them. */
const LOCKED_ON_RESUME = ['cell', 'layers', 'hidden', 'dropout', 'seq', 'batch', 'valFrac', 'optimizer'] as const;

/** Where the run stops, in totals over all resumed runs (0 = no limit). Stored in the checkpoint's config. */
interface Targets {
  untilStep: number;
  untilEpoch: number;
  /** total training milliseconds at which to stop */
  untilMs: number;
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a text corpus; prints the checkpoint path on stdout')
    .argument('[corpus]', "a text file, - for standard input, or a corpus name from 'charnn corpus list' (default: tinyshakespeare)");
  addOptions(cmd, TRAIN);
  addOptions(cmd, COMMON);
  cmd.action(async (corpusArg: string | undefined, _o: unknown, self: Command) => {
    const common = readOptions(self, COMMON).values;
    const ui = new Ui({ color: common.color, quiet: common.quiet, verbose: common.verbose });
    const held: Held = {};
    try {
      process.exitCode = await train(corpusArg, self, ui, held);
    } finally {
      held.kernels?.dispose(); // also on errors: a backend's worker threads must not outlive the command
    }
  });
}

/** Resources the command must release however it ends. */
interface Held {
  kernels?: Kernels;
}

async function train(corpusArg: string | undefined, cmd: Command, ui: Ui, held: Held): Promise<number> {
  const { values, given } = readOptions(cmd, TRAIN);
  let o: TrainValues = { ...values };

  // ---- resume: the checkpoint decides the model and the data layout
  let ckpt: Checkpoint | null = null;
  if (o.resume) {
    ckpt = loadCheckpoint(o.resume);
    if (isSamplingOnly(ckpt)) {
      throw new CliError(
        `${displayPath(resolve(o.resume))} is a sampling-only checkpoint: it has no optimizer state or carried hidden state to continue from`,
        'sample or evaluate it; to train, start a new run without --resume',
        'cannot resume',
      );
    }
    const saved = ckpt.config as Partial<TrainValues>;
    const fromModel: Partial<TrainValues> = { cell: ckpt.model.cell, layers: ckpt.model.layers, hidden: ckpt.model.hidden, dropout: ckpt.model.dropout };
    for (const key of LOCKED_ON_RESUME) {
      const was = (fromModel as Record<string, unknown>)[key] ?? saved[key];
      if (given.has(key) && was !== undefined && was !== o[key]) {
        throw CliError.usage(
          `--${kebab(key)} ${o[key]} differs from the checkpoint's ${was}`,
          'a resumed run keeps its model and data layout; drop the option, or start a new run',
          'cannot resume',
        );
      }
    }
    // everything not given on this command line comes from the checkpoint's run
    for (const key of Object.keys(TRAIN) as Array<keyof TrainValues>) {
      if (!given.has(key) && saved[key] !== undefined && key !== 'resume' && key !== 'force' && key !== 'out' && key !== 'name') {
        (o as Record<string, unknown>)[key] = saved[key];
      }
    }
    o = { ...o, ...fromModel };
  }

  // ---- corpus
  const corpus = await readCorpusArg(corpusArg, ui);
  if (ckpt?.corpus && ckpt.corpus.sha256 !== corpus.sha256 && !o.force) {
    throw new CliError(
      `the corpus differs from the one the checkpoint was trained on (${ckpt.corpus.source}, ${ckpt.corpus.bytes} bytes, sha256 ${ckpt.corpus.sha256.slice(0, 12)}…; this one has ${corpus.bytes.length} bytes, sha256 ${corpus.sha256.slice(0, 12)}…)`,
      'pass the same corpus, or add --force to continue training on this one',
      'cannot resume',
    );
  }
  const ckptVocab = ckpt ? Vocab.fromChars(ckpt.vocab) : undefined;
  const { vocab, ids } = attemptSync('cannot use the corpus', () => encodeUtf8(corpus.bytes, ckptVocab));
  const info = corpusInfo(corpus, ids.length);
  corpus.bytes = new Uint8Array(0); // the ids are all training needs: let a large corpus's bytes be collected

  // ---- model, trainer
  const modelConfig: ModelConfig = ckpt
    ? ckpt.model
    : { cell: o.cell as CellType, layers: o.layers, hidden: o.hidden, vocabSize: vocab.size, dropout: o.dropout };
  if (!ckpt) checkVocabSize(vocab.size);
  o.backend = chooseBackend(o.backend, given.has('backend'), ui);
  checkTrainingMemory(modelConfig, o.batch, o.seq, o.optimizer, o.backend);
  const kernels = withInjectedFault(
    await attempt(`cannot start the ${o.backend} backend`, () => createKernels(o.backend, backendOptions(o))),
    process.env.CHARNN_FAULT_KERNEL,
  );
  held.kernels = kernels;
  const model = attemptSync('cannot build the model', () => {
    if (ckpt) return modelFromCheckpoint(kernels, ckpt);
    const m = new CharRNN(kernels, modelConfig);
    m.init(new Rng(o.seed), o.init as InitScheme);
    return m;
  });

  const startStep = ckpt?.progress.step ?? 0;
  const startEpoch = ckpt?.progress.epoch ?? 0;
  const startMs = ckpt?.progress.elapsedMs ?? 0;
  const targets = budgetTargets(o, given, ckpt, startStep, startEpoch, startMs);
  if (o.lrSchedule === 'cosine' && !targets.untilStep) {
    throw CliError.usage('the cosine schedule needs a step budget', 'add --steps N', 'invalid options');
  }
  const trainOptions: TrainOptions = {
    batch: o.batch,
    seq: o.seq,
    valFraction: o.valFrac,
    lr: o.lr,
    optimizer: o.optimizer as OptimizerName,
    clip: o.clip,
    schedule: o.lrSchedule as ScheduleKind,
    warmup: o.warmup,
    lrEvery: o.lrEvery,
    lrFactor: o.lrFactor,
    lrMin: o.lrMin,
    steps: targets.untilStep || 1, // only the cosine schedule reads it
    seed: o.seed,
    historyEvery: o.historyEvery,
  };
  const trainer = attemptSync('cannot set up training', () => new Trainer(model, ids, trainOptions));
  if (ckpt) {
    const c = ckpt;
    attemptSync('cannot resume', () => trainer.importState(trainerStateOf(model, c)));
  }
  if (ckpt && reached(targets, startStep, startEpoch, startMs)) {
    throw CliError.usage(
      `the run already reached its budget (step ${startStep}, epoch ${startEpoch})`,
      'give --steps, --epochs or --time to train further',
      'nothing to train',
    );
  }

  // ---- output folder: created only now that every input is valid (bad input leaves no files behind)
  const outDir = resolve(o.out || (o.resume ? dirname(resolve(o.resume)) : join(process.cwd(), 'checkpoints', o.name || runName(corpus.stem, modelConfig))));
  let saved = false;
  // the first folder this run created, removed again if nothing gets saved
  const createdDir = prepareOutDir(outDir, displayPath(outDir));
  const removeUnused = () => {
    if (saved || !createdDir) return;
    for (let d = outDir; d.length >= createdDir.length; d = dirname(d)) {
      try {
        rmdirSync(d); // only succeeds while empty
      } catch {
        return;
      }
    }
  };
  const latestPath = join(outDir, 'latest.json');
  const bestPath = join(outDir, 'best.json');
  if (o.resume && resolve(o.resume) !== latestPath && existsSync(latestPath)) {
    ui.warn(`resuming from ${displayPath(resolve(o.resume))}: ${displayPath(latestPath)} will be replaced by this run's progress`);
  }

  // the effective configuration: every option after defaults and resume, plus the stop targets
  const { resume: _r, force: _f, ...rest } = o;
  const effective: Record<string, unknown> = { ...rest, ...targets };
  let chars = ckpt?.progress.chars ?? 0;
  const runStart = Date.now();
  const elapsed = () => startMs + (Date.now() - runStart);
  /** latest.json, and best.json too when the last evaluation was the best so far (one encoding for both) */
  const save = (alsoBest: boolean) => {
    const text = checkpointToText(checkpointOfRun(model, vocab, trainer, { chars, elapsedMs: elapsed() }, info, effective));
    writeFileAtomic(latestPath, text);
    if (alsoBest) writeFileAtomic(bestPath, text);
    saved = true;
  };

  // ---- signals
  // The first signal asks the loop to stop after the current step. Our listener stays one event-loop turn, so a
  // second signal that arrived during the same (synchronous) step is seen and quits at once; after that the
  // listener is removed, so a later second Ctrl-C gets the default action and ends the process immediately
  // (atomic saves leave no partial file either way).
  let stopSignal: NodeJS.Signals | null = null;
  const removeSignals = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  function onSignal(sig: NodeJS.Signals): void {
    if (stopSignal) {
      removeUnused();
      process.exit(EXIT.INTERRUPTED);
    }
    stopSignal = sig;
    ui.warn(`${sig === 'SIGINT' ? 'Ctrl-C' : sig}: finishing this step and saving (press Ctrl-C again to quit at once)`);
    setImmediate(removeSignals);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const B = o.batch, T = o.seq;
  ui.info(
    `${ckpt ? `resuming ${displayPath(resolve(o.resume))} at step ${startStep}` : 'training'}: ${modelConfig.cell} ${modelConfig.layers}x${modelConfig.hidden}, ` +
      `${model.numParams.toLocaleString('en-US')} parameters, vocabulary ${vocab.size}, ${ids.length.toLocaleString('en-US')} characters ` +
      `(${trainer.valBatches ? `${Math.round((1 - o.valFrac) * 100)}% training` : 'no validation'}), batch ${B} x seq ${T}, ${o.optimizer} lr ${o.lr}, ` +
      `${describeBackend(kernels)}; budget ${describeTargets(targets, startStep, startEpoch, startMs)}; saving to ${displayPath(outDir)}`,
  );

  const progress = ui.progress();
  let lastVal: number | null = null;
  for (const p of ckpt?.progress.lossHistory ?? []) if (p.val !== undefined) lastVal = p.val;
  let lastEvalStep = -1;
  let lastSaveStep = startStep;
  let bestUnsaved = false;
  let loss = NaN;
  let yieldAt = Date.now();
  const evaluate = () => {
    const r = trainer.evaluate();
    lastEvalStep = trainer.steps;
    lastVal = r.loss;
    if (r.best) bestUnsaved = true;
    progress.log(
      `step ${trainer.steps}: val ${r.loss.toFixed(4)} nats (${r.bpc.toFixed(3)} bpc)${r.best ? ui.c.green(' best') : ''}, train ${loss.toFixed(4)}`,
    );
  };

  try {
    for (;;) {
      if (stopSignal || reached(targets, trainer.steps, trainer.epoch, elapsed())) break;
      const r = trainer.step();
      if (!r.ok) {
        progress.stop();
        const kept = saved
          ? `the last good checkpoint is ${displayPath(latestPath)}, step ${lastSaveStep}`
          : ckpt
            ? `the checkpoint you resumed from is unchanged`
            : 'no checkpoint was written';
        throw new CliError(r.error!.message.replace(/^training stopped at step \d+: /, ''), kept, `training stopped at step ${r.step + 1}`);
      }
      loss = r.loss;
      chars += B * T;
      const step = trainer.steps;
      if (o.evalEvery && trainer.valBatches && step % o.evalEvery === 0) evaluate();
      if (bestUnsaved || (o.saveEvery && step % o.saveEvery === 0)) {
        save(bestUnsaved);
        bestUnsaved = false;
        lastSaveStep = step;
      }
      if (o.sampleEvery && step % o.sampleEvery === 0) progress.log(preview(model, vocab, o.sampleLength, o.seed + step, ui));
      const el = elapsed();
      const f = fraction(targets, step, trainer.epoch + (trainer.window / trainer.windowsPerEpoch), el, startStep, startEpoch, startMs);
      const runSec = (Date.now() - runStart) / 1000;
      progress.update({
        step,
        epoch: trainer.epoch,
        loss,
        val: lastVal,
        cps: ((step - startStep) * B * T) / Math.max(runSec, 1e-3),
        fraction: f,
        etaSec: f !== undefined && f > 0 ? (runSec * (1 - f)) / f : undefined,
      });
      // let signals and stream events in (the step itself is synchronous)
      if (Date.now() - yieldAt > 50) {
        await new Promise((r) => setImmediate(r));
        yieldAt = Date.now();
      }
    }
    // a final measurement, so best.json and the summary reflect the last weights
    if (!stopSignal && trainer.valBatches && lastEvalStep !== trainer.steps && trainer.steps > startStep) evaluate();
    if (!saved || trainer.steps > lastSaveStep || bestUnsaved) {
      save(bestUnsaved);
      bestUnsaved = false;
    }
  } catch (e) {
    if (!isKernelFailure(e)) throw e;
    // nothing is saved after a failed call: the weights may be half-updated
    const kept = saved ? `the last good checkpoint is ${displayPath(latestPath)}, step ${lastSaveStep}` : ckpt ? 'the checkpoint you resumed from is unchanged' : 'no checkpoint was written';
    const shape = `model ${modelConfig.cell} ${modelConfig.layers}x${modelConfig.hidden}, batch ${B} x seq ${T}`;
    throw kernelFailure(e, `training stopped at step ${trainer.steps + 1}`, shape, kept);
  } finally {
    progress.stop();
    removeSignals();
    removeUnused();
  }

  const runSec = (Date.now() - runStart) / 1000;
  const best = trainer.bestValLoss;
  ui.info(
    `${stopSignal ? 'interrupted' : 'done'}: step ${trainer.steps} (epoch ${trainer.epoch}), ` +
      (best !== null ? `best val ${best.toFixed(4)} nats (${(best / Math.LN2).toFixed(3)} bpc) at step ${trainer.bestValStep}, ` : `train loss ${loss.toFixed(4)}, `) +
      `${duration(runSec)}, ${human(((trainer.steps - startStep) * B * T) / Math.max(runSec, 1e-3))} chars/s; ` +
      `checkpoints in ${displayPath(outDir)}/ (latest.json${best !== null ? ', best.json' : ''})`,
  );
  process.stdout.write(displayPath(latestPath) + '\n');
  return stopSignal ? EXIT.INTERRUPTED : EXIT.OK;
}

/** Stop targets for this run (see the file comment). */
function budgetTargets(o: TrainValues, given: Set<keyof TrainValues>, ckpt: Checkpoint | null, step0: number, epoch0: number, ms0: number): Targets {
  const anyGiven = given.has('steps') || given.has('epochs') || given.has('time');
  if (ckpt && !anyGiven) {
    const c = ckpt.config;
    const num = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : 0);
    return { untilStep: num(c.untilStep), untilEpoch: num(c.untilEpoch), untilMs: num(c.untilMs) };
  }
  const time = anyGiven ? (given.has('time') ? o.time : 0) : o.time;
  return {
    untilStep: o.steps ? step0 + o.steps : 0,
    untilEpoch: o.epochs ? epoch0 + o.epochs : 0,
    untilMs: time ? ms0 + Math.round(time * 1000) : 0,
  };
}

function reached(t: Targets, step: number, epoch: number, ms: number): boolean {
  return (t.untilStep > 0 && step >= t.untilStep) || (t.untilEpoch > 0 && epoch >= t.untilEpoch) || (t.untilMs > 0 && ms >= t.untilMs);
}

/** How far along the budget the run is (the budget closest to its end), or undefined without any. */
function fraction(t: Targets, step: number, epoch: number, ms: number, step0: number, epoch0: number, ms0: number): number | undefined {
  const parts: number[] = [];
  if (t.untilStep) parts.push((step - step0) / Math.max(1, t.untilStep - step0));
  if (t.untilEpoch) parts.push((epoch - epoch0) / Math.max(1e-9, t.untilEpoch - epoch0));
  if (t.untilMs) parts.push((ms - ms0) / Math.max(1, t.untilMs - ms0));
  return parts.length ? Math.min(1, Math.max(0, ...parts)) : undefined;
}

function describeTargets(t: Targets, step0: number, epoch0: number, ms0: number): string {
  const parts: string[] = [];
  if (t.untilStep) parts.push(`${t.untilStep - step0} steps`);
  if (t.untilEpoch) parts.push(`${t.untilEpoch - epoch0} epochs`);
  if (t.untilMs) parts.push(duration((t.untilMs - ms0) / 1000));
  return parts.length ? parts.join(' or ') : 'none (until Ctrl-C)';
}

/** A short sample for the log, from its own RNG and state so training is not disturbed. */
function preview(model: CharRNN, vocab: Vocab, length: number, seed: number, ui: Ui): string {
  const s = new Sampler(model, vocab, { temperature: 0.8, seed }, 64);
  const nl = vocab.idOf('\n');
  if (nl >= 0) s.feed([nl]);
  const text = [...s.generate(length)].join('');
  return ui.c.dim('--- sample ---\n') + text + ui.c.dim('\n--------------');
}

function runName(stem: string, c: ModelConfig): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${stem}-${c.cell}${c.layers}x${c.hidden}-${stamp}`;
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase());

/** 'native backend (avx512, 2 threads)', 'wasm backend (relaxed-simd, 2 threads)', 'js backend'. */
function describeBackend(k: Kernels): string {
  const build = 'simd' in k ? String(k.simd) : 'isa' in k ? String(k.isa) : '';
  const parts = [build, k.threads > 1 ? `${k.threads} threads` : ''].filter(Boolean);
  return `${k.name} backend${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
