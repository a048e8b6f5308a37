/**
 * Phase 1 of a training run (`charnn train`, the library's train()): the plan of a run, from the command line and the checkpoint it resumes (if any):
 * the effective options (a resumed run keeps its model and data layout, and takes every option not given again
 * from its checkpoint), where it starts, and the stop targets.
 *
 * Budgets: --steps, --epochs and --time count from where this run starts; the first reached ends the run. 0 means
 * "no limit of that kind", and `--steps 0` / `--epochs 0` are the same as not giving them: a fresh run without a
 * step or epoch budget trains for --time, 5 minutes by default; only an explicit `--time 0` trains until Ctrl-C.
 * A resumed run given no budget continues towards the targets it was started with (so Ctrl-C then --resume
 * finishes the original plan); given one, the budgets it was not given are off.
 */
import { resolve } from 'node:path';
import { loadCheckpoint } from '../../checkpoint/io.js';
import { isSamplingOnly } from '../../checkpoint/sampling-only.js';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { CharnnError } from '../../errors.js';
import { displayPath } from '../common/corpus-input.js';
import { AUTO_COSINE_MIN_MINUTES, TRAIN, type Values } from '../../options.js';
import { ADAMW_DEFAULT_DECAY } from '../../train/optimizer.js';
import { duration } from '../format.js';

export type TrainValues = Values<typeof TRAIN>;

/** Options that define the model or the data layout: a resumed run must keep them. */
const LOCKED_ON_RESUME = [
  'cell', 'layers', 'hidden', 'embed', 'dropout', 'dropoutMode', 'weightDrop', 'seq', 'batch', 'valFrac', 'optimizer', 'lines', 'startState', 'layerNorm', 'newline', 'nfc', 'minCharCount',
] as const;

/** Options that say what this one command does, never taken from the resumed checkpoint. */
const PER_INVOCATION = new Set<keyof TrainValues>(['resume', 'force', 'overwrite', 'out', 'name', 'initFrom', 'vocab']);

/** Options that define the model's shape: fine-tuning (--init-from) takes them from the model. */
const SHAPE = ['cell', 'layers', 'hidden', 'layerNorm', 'embed'] as const;

/** Where the run stops, in totals over all resumed runs (0 = no limit). Stored in the checkpoint's config. */
export interface Targets {
  untilStep: number;
  untilEpoch: number;
  /** total training milliseconds at which to stop */
  untilMs: number;
  /** where the plan that set these targets started (a resume given no budget continues that plan): a cosine over
   *  the budget decays from here, so Ctrl-C and --resume do not restart it */
  fromStep: number;
  fromEpoch: number;
  fromMs: number;
}

/** Where this run starts: the totals of the runs before it (all 0 for a fresh run). */
export interface Start {
  step: number;
  epoch: number;
  ms: number;
}

/** This run's own budgets (0 = none), as the checkpoint's config records them. */
interface Budget {
  steps: number;
  epochs: number;
  /** seconds */
  time: number;
}

export interface Plan {
  /** the effective options: defaults, then the resumed checkpoint's, then the command line's */
  o: TrainValues;
  given: Set<keyof TrainValues>;
  /** the checkpoint this run resumes, or null for a fresh run */
  ckpt: Checkpoint | null;
  /** the model a fine-tuning run (--init-from) starts from, or null */
  init: Checkpoint | null;
  start: Start;
  targets: Targets;
  budget: Budget;
}

export function planRun(values: TrainValues, given: Set<keyof TrainValues>): Plan {
  let o: TrainValues = { ...values };
  let ckpt: Checkpoint | null = null;
  let init: Checkpoint | null = null;
  if (o.resume && o.initFrom) throw CharnnError.usage('--resume and --init-from both given', '--resume continues a run; --init-from starts a new one from its weights', 'invalid options');
  if (!o.initFrom && given.has('vocab')) throw CharnnError.usage('--vocab without --init-from', 'it says how a fine-tuning run treats new characters', 'invalid options');
  if (o.resume) {
    ckpt = loadCheckpoint(o.resume);
    o = resumedOptions(o, given, ckpt);
  }
  if (o.initFrom) {
    init = loadCheckpoint(o.initFrom);
    o = fineTuneOptions(o, given, init);
  }
  o.weightDecay = weightDecayOf(o, given, ckpt);
  const start: Start = { step: ckpt?.progress.step ?? 0, epoch: ckpt?.progress.epoch ?? 0, ms: ckpt?.progress.elapsedMs ?? 0 };
  const targets = budgetTargets(o, given, ckpt, start);
  const budget: Budget = { steps: targets.untilStep && targets.untilStep - start.step, epochs: targets.untilEpoch && targets.untilEpoch - start.epoch, time: targets.untilMs && (targets.untilMs - start.ms) / 1000 };
  if (o.lines && o.minCharCount > 1) {
    // line mode encodes its list without the unknown symbol (data/line-corpus.ts): refused rather than ignored
    throw CharnnError.usage('--min-char-count does not apply to a list (--lines)', 'drop --min-char-count: every character of the list is kept', 'invalid options');
  }
  const noBudget = !targets.untilStep && !targets.untilMs && !targets.untilEpoch;
  // auto (the default): a cosine over a time budget long enough for it (measured), else a constant rate; the
  // checkpoint records what it resolved to, so a resumed run keeps it
  if (o.lrSchedule === 'auto') {
    const longTime = targets.untilMs > 0 && targets.untilMs - targets.fromMs >= AUTO_COSINE_MIN_MINUTES * 60_000;
    o = { ...o, lrSchedule: longTime ? 'cosine' : 'constant' };
  }
  if (o.lrSchedule === 'cosine' && noBudget) {
    throw CharnnError.usage('the cosine schedule needs a budget to decay over', 'add --time, --steps or --epochs', 'invalid options');
  }
  if (ckpt && reached(targets, start.step, start.epoch, start.ms)) {
    throw CharnnError.usage(
      `the run already reached its budget (step ${start.step}, epoch ${start.epoch})`,
      'give --steps, --epochs or --time to train further',
      'nothing to train',
    );
  }
  return { o, given, ckpt, init, start, targets, budget };
}

/** --weight-decay: adamw's default is PyTorch's (a resumed run keeps its own); other optimizers take none, and a
 *  decay given to them is refused rather than ignored or turned into Adam's L2 penalty. */
function weightDecayOf(o: TrainValues, given: Set<keyof TrainValues>, ckpt: Checkpoint | null): number {
  if (o.optimizer === 'adamw') return given.has('weightDecay') || typeof ckpt?.config.weightDecay === 'number' ? o.weightDecay : ADAMW_DEFAULT_DECAY;
  if (o.weightDecay > 0) {
    throw CharnnError.usage(
      `--weight-decay ${o.weightDecay} with --optimizer ${o.optimizer}`,
      "weight decay is AdamW's (decoupled): add --optimizer adamw; the L2 penalty of torch.optim.Adam's weight_decay is not offered",
      'invalid options',
    );
  }
  return o.weightDecay;
}

/** The options of a resumed run: the checkpoint decides the model and the data layout. */
function resumedOptions(o: TrainValues, given: Set<keyof TrainValues>, ckpt: Checkpoint): TrainValues {
  if (isSamplingOnly(ckpt)) {
    throw new CharnnError(
      `${displayPath(resolve(o.resume))} is a sampling-only checkpoint: it has no optimizer state or carried hidden state to continue from`,
      'sample or evaluate it; to train, start a new run without --resume',
      'cannot resume',
    );
  }
  const saved = ckpt.config as Partial<TrainValues>;
  const fromModel: Partial<TrainValues> = {
    cell: ckpt.model.cell, layers: ckpt.model.layers, hidden: ckpt.model.hidden, embed: ckpt.model.embed ?? 0, dropout: ckpt.model.dropout,
    dropoutMode: ckpt.model.dropoutMode ?? 'element', weightDrop: ckpt.model.weightDrop ?? 0,
    lines: ckpt.model.mode === 'lines', startState: ckpt.model.startState ?? 'zero', layerNorm: ckpt.model.layerNorm === true,
  };
  for (const key of LOCKED_ON_RESUME) {
    const was = (fromModel as Record<string, unknown>)[key] ?? saved[key];
    if (given.has(key) && was !== undefined && was !== o[key]) {
      throw CharnnError.usage(
        `--${kebab(key)} ${o[key]} differs from the checkpoint's ${was}`,
        'a resumed run keeps its model and data layout; drop the option, or start a new run',
        'cannot resume',
      );
    }
  }
  // everything not given on this command line comes from the checkpoint's run
  const out = { ...o };
  for (const key of Object.keys(TRAIN) as Array<keyof TrainValues>) {
    if (!given.has(key) && saved[key] !== undefined && !PER_INVOCATION.has(key)) {
      (out as Record<string, unknown>)[key] = saved[key];
    }
  }
  return { ...out, ...fromModel };
}

/** The options of a fine-tuning run: the model's shape (and, unless given, its dropout and init scheme) come
 *  from the model it starts from; everything else is this run's own. */
function fineTuneOptions(o: TrainValues, given: Set<keyof TrainValues>, init: Checkpoint): TrainValues {
  const m = init.model;
  for (const key of SHAPE) {
    const was = key === 'layerNorm' ? m.layerNorm === true : key === 'embed' ? m.embed ?? 0 : m[key]; // absent in older configs
    if (given.has(key) && o[key] !== was) {
      throw CharnnError.usage(
        `--${kebab(key)} ${o[key]} differs from the model's ${was}`,
        'fine-tuning keeps the model\'s shape; drop the option, or train a new model',
        'cannot fine-tune',
      );
    }
  }
  const saved = init.config as Partial<TrainValues>;
  return {
    ...o,
    cell: m.cell,
    layers: m.layers,
    hidden: m.hidden,
    layerNorm: m.layerNorm === true,
    embed: m.embed ?? 0,
    dropout: given.has('dropout') ? o.dropout : m.dropout,
    dropoutMode: given.has('dropoutMode') ? o.dropoutMode : m.dropoutMode ?? 'element',
    weightDrop: given.has('weightDrop') ? o.weightDrop : m.weightDrop ?? 0,
    init: given.has('init') || typeof saved.init !== 'string' ? o.init : saved.init,
  };
}

/** Stop targets for this run (see the file comment). */
function budgetTargets(o: TrainValues, given: Set<keyof TrainValues>, ckpt: Checkpoint | null, s: Start): Targets {
  // `--steps 0` and `--epochs 0` are no budget; an explicit --time is one, even 0 (train until Ctrl-C)
  const steps = given.has('steps') ? o.steps : 0;
  const epochs = given.has('epochs') ? o.epochs : 0;
  const anyGiven = steps > 0 || epochs > 0 || given.has('time');
  if (ckpt && !anyGiven) {
    const c = ckpt.config;
    const num = (v: unknown, or = 0) => (typeof v === 'number' && v >= 0 ? v : or);
    return {
      untilStep: num(c.untilStep), untilEpoch: num(c.untilEpoch), untilMs: num(c.untilMs),
      fromStep: num(c.fromStep, s.step), fromEpoch: num(c.fromEpoch, s.epoch), fromMs: num(c.fromMs, s.ms),
    };
  }
  const time = given.has('time') ? o.time : anyGiven ? 0 : TRAIN.time.default;
  return {
    untilStep: steps ? s.step + steps : 0,
    untilEpoch: epochs ? s.epoch + epochs : 0,
    untilMs: time ? s.ms + Math.round(time * 1000) : 0,
    fromStep: s.step,
    fromEpoch: s.epoch,
    fromMs: s.ms,
  };
}

export function reached(t: Targets, step: number, epoch: number, ms: number): boolean {
  return (t.untilStep > 0 && step >= t.untilStep) || (t.untilEpoch > 0 && epoch >= t.untilEpoch) || (t.untilMs > 0 && ms >= t.untilMs);
}

/** How far along the budget the run is (the budget closest to its end), or undefined without any. */
export function fraction(t: Targets, step: number, epoch: number, ms: number, s: Start): number | undefined {
  const parts: number[] = [];
  if (t.untilStep) parts.push((step - s.step) / Math.max(1, t.untilStep - s.step));
  if (t.untilEpoch) parts.push((epoch - s.epoch) / Math.max(1e-9, t.untilEpoch - s.epoch));
  if (t.untilMs) parts.push((ms - s.ms) / Math.max(1, t.untilMs - s.ms));
  return parts.length ? Math.min(1, Math.max(0, ...parts)) : undefined;
}

/** How far along its plan the run is, from where the plan started (targets.from*): what a cosine over the budget
 *  follows. */
export function planFraction(t: Targets, step: number, epoch: number, ms: number): number | undefined {
  return fraction(t, step, epoch, ms, { step: t.fromStep, epoch: t.fromEpoch, ms: t.fromMs });
}

export function describeTargets(t: Targets, s: Start): string {
  const parts: string[] = [];
  if (t.untilStep) parts.push(plural(t.untilStep - s.step, 'step'));
  if (t.untilEpoch) parts.push(plural(t.untilEpoch - s.epoch, 'epoch'));
  if (t.untilMs) parts.push(duration((t.untilMs - s.ms) / 1000));
  return parts.length ? parts.join(' or ') : 'none (until Ctrl-C)';
}

const plural = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase());
