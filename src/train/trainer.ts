/**
 * The truncated-BPTT trainer. It owns everything a training run carries from step to step except the weights
 * (the model owns those): the batch position, the carried RNN state, the optimizer, the dropout RNG, the loss
 * history and the best validation loss, all serialisable for an exact resume (N steps, save, load, M steps gives
 * bit-identical weights to N+M steps in one run).
 *
 * One step (`step()`) = one window of T characters in each of B streams (layouts: data/window-source.ts):
 *   zeroGrads -> forward from the carried state (the state buffer then holds the window's final state: that is the
 *   carry, copied in, no gradient flows back into the previous window) -> backward -> global-norm clip -> update.
 * At the epoch boundary (after the last window of the training split) the carried state is reset to zero, as the
 * reference does (`if w == nwin: w, state = 0, None`): stream b's first window does not follow its last one.
 *
 * Guard rail (decided here): a step is refused, leaving the weights, optimizer and carry as they were before it,
 * when the loss or the gradient norm is NaN or infinite, or when the loss exceeds EXPLODE_FACTOR (3) times
 * the loss of the run's first step (char-rnn's rule: the first loss is about ln V, so 3× that is far above anything
 * a healthy run sees). The step returns `{ ok: false, error }` and the trainer stops: later steps throw that Error.
 *
 * Windows come from a WindowSource (data/window-source.ts), the same interface for both modes, so nothing here
 * branches on the mode: each window says which streams restart before it (stream mode: those a document starts in;
 * line mode: every stream, at a batch's first window), and they restart from the model's start state (zero, or
 * line mode's learned one, whose gradient then comes from backward's dState). A padded window (line mode) lists its
 * predicted rows (`keep`), and the loss is the mean over those: per character, the end token included.
 *
 * `evaluate()` = the reference's `evaluate` (the validation split laid out as B streams of T windows, its own state
 * carried from zero, no dropout; the mean loss in nats over the predictions counted), on the whole split or on a
 * fixed, seeded subset of `valWindows` windows per stream (data/val-subset.ts), so that validation costs a bounded
 * share of a run however large the corpus. In line mode it reads every validation line (lineLossSum's pass).
 * `beginEval()` is the same pass one window at a time, for callers that show progress or must stop in the middle.
 *
 * The configuration is the TRAIN table's (src/options.ts) under its names (TrainConfig); the caller drives the
 * steps and evaluations (the CLI and the library: commands/train/loop.ts).
 * No console, fs or process here: progress goes out through return values.
 * Dimension legend: B streams, T window, V vocabulary, H hidden, L layers, S state slots per layer, P parameters.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import { Rng, type RngState } from '../math/rng.js';
import type { ModelConfig } from '../model/config.js';
import { weightDecayRanges, type ParamLayout } from '../model/layout.js';
import { idsOf, windowSources, type EvalLayout, type TrainData, type WindowFill, type WindowSource } from '../data/window-source.js';
import { Optimizer, clipScale, OPTIMIZER_NAMES, type OptimizerName, type OptimizerState } from './optimizer.js';
import { learningRate, validateSchedule, type ScheduleKind, type ScheduleOptions } from './schedule.js';

/** What the trainer needs of a model: CharRNN (src/model/char-rnn.ts) satisfies it. */
export interface TrainableModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  readonly numParams: number;
  readonly params: Vec; // (P)
  readonly grads: Vec; // (P)
  stateSize(B: number): number;
  newState(B: number): Vec; // (L, S, B, H) zeroed
  zeroGrads(): void;
  forward(x: Int32Array, y: Int32Array, T: number, B: number, state: Vec, opts: { training: boolean; rng?: Rng; keep?: Int32Array; keepCount?: number }): number;
  backward(dState?: Vec): void;
  /** line mode: state (L, S, B, H) = the start state, and its backward (CharRNN has both) */
  startState?(state: Vec, B: number): void;
  startStateBackward?(dState: Vec, B: number): void;
  readonly learnsStartState?: boolean;
  /** the parameters' named views (CharRNN has it): AdamW decays the tensors layout.ts `decays` names; without
   *  it, every parameter decays */
  readonly layout?: ParamLayout;
}

/**
 * The trainer's configuration, under the names of the TRAIN table's rows (src/options.ts: their defaults, parsers
 * and help lines say what each means). options.ts builds it from a run's values (trainConfigOf), which compiles only
 * while every field here is a row there with the same type: a rename cannot drift. There are no defaults here: the
 * caller gives every field (the CLI and the library from the table). optimizer and lrSchedule are what the trainer
 * runs (`--lr-schedule auto` is resolved by the plan: commands/train/plan.ts). A cosine schedule has no length here:
 * it follows `Trainer.budgetDone`, the fraction of the run's budget done.
 */
export interface TrainConfig {
  batch: number;
  seq: number;
  valFrac: number;
  valWindows: number;
  valFull: boolean;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  clip: number;
  lrSchedule: ScheduleKind;
  warmup: number;
  lrEvery: number;
  lrFactor: number;
  lrMin: number;
  seed: number;
  historyEvery: number;
}

/** TrainConfig's fields, for copying them out of a run's values. */
export const TRAIN_CONFIG_KEYS = [
  'batch', 'seq', 'valFrac', 'valWindows', 'valFull', 'lr', 'optimizer', 'weightDecay', 'clip',
  'lrSchedule', 'warmup', 'lrEvery', 'lrFactor', 'lrMin', 'seed', 'historyEvery',
] as const satisfies ReadonlyArray<keyof TrainConfig>;

/** The guard's yardstick: a step whose loss exceeds this times the run's first loss is refused (char-rnn's rule:
 *  the first loss is about ln V, so 3x that is far above anything a healthy run sees). Not an option. */
export const EXPLODE_FACTOR = 3;

/** Cheap guards against library misuse (the CLI's values were checked by the table's parsers); RangeError naming
 *  the field. */
function checkConfig(c: TrainConfig): void {
  const posInt = (v: number, what: string) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  };
  posInt(c.batch, 'batch');
  posInt(c.seq, 'seq');
  posInt(c.historyEvery, 'historyEvery');
  if (!(Number.isInteger(c.valWindows) && c.valWindows >= 0)) throw new RangeError(`valWindows must be a whole number >= 0, got ${c.valWindows}`);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new RangeError(`learning rate must be a positive number, got ${c.lr}`);
  if (!(c.clip >= 0)) throw new RangeError(`clip must be >= 0 (0 turns clipping off), got ${c.clip}`);
  if (!OPTIMIZER_NAMES.includes(c.optimizer)) throw new RangeError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${c.optimizer}`);
  if (!Number.isFinite(c.seed)) throw new RangeError(`seed must be a number, got ${c.seed}`);
  validateSchedule(scheduleOf(c));
}

/** The schedule of a configuration; a cosine follows the budget fraction (`Trainer.budgetDone`). */
function scheduleOf(c: TrainConfig): ScheduleOptions {
  return { kind: c.lrSchedule, warmup: c.warmup, every: c.lrEvery, factor: c.lrFactor, min: c.lrMin, byProgress: true };
}

/** One point of the loss curve (the checkpoint's LossPoint shape). A point is written every `historyEvery`
 *  steps and at every evaluation; `train` is the mean training loss since the previous point. */
export interface LossPoint {
  step: number;
  /** mean training loss (nats/char) since the previous point */
  train: number;
  /** validation loss, on evaluation points */
  val?: number;
}

/** Everything but the weights, for an exact resume. Arrays are copies. */
export interface TrainerState {
  /** steps taken */
  step: number;
  /** completed passes over the training split */
  epoch: number;
  /** next window within the epoch */
  window: number;
  /** (L, S, B, H) carried RNN state */
  carry: Float32Array | Float64Array;
  optimizer: OptimizerState;
  /** the dropout RNG */
  rng: RngState;
  lossHistory: LossPoint[];
  /** training losses since the last point (so the next point's mean is exact after a resume); absent = none */
  pending?: { sum: number; count: number };
  /** lowest validation loss so far and its step (null before the first evaluation) */
  bestValLoss: number | null;
  bestValStep: number | null;
  /** loss of the run's first step (the explode guard's yardstick); absent: the first step after resuming sets it */
  firstLoss?: number | null;
}

export type DivergenceKind = 'nan-loss' | 'nan-gradient' | 'exploding-loss';

/** Why the guard stopped training. The weights are those from before the refused step. */
export class TrainingDivergedError extends Error {
  readonly kind: DivergenceKind;
  readonly step: number;
  readonly loss: number;
  constructor(kind: DivergenceKind, step: number, loss: number, message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
    this.kind = kind;
    this.step = step;
    this.loss = loss;
  }
}

export interface StepResult {
  ok: boolean;
  /** set when ok is false */
  error?: TrainingDivergedError;
  /** steps taken so far (after this one) */
  step: number;
  epoch: number;
  /** fractional epochs: step / windows per epoch */
  progress: number;
  /** mean loss of this window, nats per character */
  loss: number;
  /** characters predicted in this step (B·T in stream mode; line mode: the window's lines' characters + end tokens) */
  chars: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** true when clipping scaled the gradients down */
  clipped: boolean;
  /** learning rate used */
  lr: number;
}

export interface EvalResult {
  /** mean nats per character over the windows read */
  loss: number;
  /** bits per character */
  bpc: number;
  /** predictions counted */
  chars: number;
  /** true when this is the best validation loss so far */
  best: boolean;
  /** true when the whole split was read (else the seeded subset) */
  full: boolean;
}

/** One validation pass in progress: `next()` runs one window (false when none is left), then `finish()`. */
export interface Evaluation {
  /** windows to run */
  readonly total: number;
  /** windows run so far */
  readonly done: number;
  next(): boolean;
  /** the result, recorded on the loss curve and in the best loss (throws before the last window) */
  finish(): EvalResult;
}

/**
 * Line mode's evaluation: every line of `lb` (a LineBatches; any WindowSource: every window of its epoch 0, the
 * flagged streams restarted) from the start state, no dropout; the summed loss (nats) and the predictions counted
 * (characters plus one end token per line), so total / chars is makemore's figure.
 * x, y, keep: (T*B) buffers from the model's backend; state (L, S, B, H).
 */
export function lineLossSum(m: TrainableModel, lb: WindowSource, x: Int32Array, y: Int32Array, keep: Int32Array, state: Vec): { total: number; chars: number } {
  let total = 0, chars = 0;
  const n = lb.windowsIn(0);
  const restart = new Uint8Array(lb.B);
  for (let w = 0; w < n; w++) {
    const win = lb.readWindow(x, y, keep, restart, 0, w);
    total += runWindow(m, win, x, y, keep, restart, state, lb.B, { training: false }) * win.count;
    chars += win.count;
  }
  return { total, chars };
}

/** Restarts the streams `restart` flags (state (L, S, B, H)) from the model's start state: the whole batch by
 *  the model's startState; some streams: zeroed (the start state of every model that restarts streams singly: a
 *  learned start state is line mode's, whose windows restart whole batches). */
function restartStreams(m: TrainableModel, state: Vec, restart: Uint8Array, n: number, B: number): void {
  if (n === B && m.startState) {
    m.startState(state, B);
    return;
  }
  if (m.learnsStartState) throw new Error('a learned start state restarts whole batches only (line mode)');
  const H = m.config.hidden;
  const LS = m.stateSize(B) / (B * H);
  for (let b = 0; b < B; b++) {
    if (!restart[b]) continue;
    for (let ls = 0; ls < LS; ls++) m.kernels.fill(state.subarray((ls * B + b) * H, (ls * B + b + 1) * H), 0, H);
  }
}

/** One window's forward from `state` (its flagged streams restarted first); returns the mean loss over its
 *  predictions (padded slots left out). */
function runWindow(m: TrainableModel, win: WindowFill, x: Int32Array, y: Int32Array, keep: Int32Array, restart: Uint8Array, state: Vec, B: number, o: { training: boolean; rng?: Rng }): number {
  if (win.restarts) restartStreams(m, state, restart, win.restarts, B);
  return m.forward(x, y, win.T, B, state, win.masked ? { ...o, keep, keepCount: win.count } : o);
}

export class Trainer {
  readonly model: TrainableModel;
  readonly kernels: Kernels;
  readonly config: TrainConfig;
  /** the training windows (stream or line mode: data/window-source.ts) */
  readonly batches: WindowSource;
  /** the validation windows, or null without a validation split */
  readonly valBatches: WindowSource | null;
  readonly optimizer: Optimizer;
  readonly rng: Rng;

  private stepCount = 0;
  /** the fraction of the run's budget done, in [0, 1]: what the cosine schedule follows. The caller sets it
   *  before each step: the loop (commands/train/loop.ts) from the plan's targets (steps, time or epochs, whichever
   *  is furthest along; with a step budget alone that is steps / total, as deterministic as the steps). */
  budgetDone = 0;
  private epochCount = 0;
  private windowIndex = 0;
  private stopped: TrainingDivergedError | null = null;
  private history: LossPoint[] = [];
  private pendingSum = 0;
  private pendingCount = 0;
  private bestVal: number | null = null;
  private bestValAt: number | null = null;
  private firstLoss: number | null = null;

  private readonly x: Int32Array; // (T*B)
  private readonly y: Int32Array; // (T*B)
  private readonly carry: Vec; // (L, S, B, H)
  private readonly carryBackup: Vec; // (L, S, B, H) restored when the guard refuses a step
  private readonly keep: Int32Array; // (T*B) the predicted rows of a padded window
  private dState: Vec | null = null; // (L, S, B, H) learned start state: dLoss/d(start state)
  private evalState: Vec | null = null; // (L, S, B, H)
  private readonly restart: Uint8Array; // (B) the streams a window restarts

  /** data: the whole corpus's ids (stream mode), or its lines (line mode); the trainer splits it (valFrac)
   *  and lays it out (batch, seq): data/window-source.ts. config: every field (a copy is kept). docStarts (stream mode): sorted positions in the ids where a new document
   *  (file) begins, after the first (empty: one document). */
  constructor(model: TrainableModel, data: TrainData, config: TrainConfig, docStarts: readonly number[] = []) {
    this.model = model;
    this.kernels = model.kernels;
    checkConfig(config);
    this.config = { ...config };
    const { batch: B, seq: T } = this.config;
    const ids = idsOf(data);
    let maxId = -1;
    for (let i = 0; i < ids.length; i++) if (ids[i] > maxId) maxId = ids[i];
    if (maxId >= model.config.vocabSize) {
      throw new Error(
        `the corpus ids reach ${maxId} but the model's vocabulary has ${model.config.vocabSize} symbols ` +
          `(encode the corpus with the model's vocabulary)`,
      );
    }
    const sources = windowSources(data, this.config, docStarts);
    this.batches = sources.train;
    this.valBatches = sources.val;
    // Adam's betas and ε, RMSprop's α, SGD's momentum: the optimizer's constants (optimizer.ts), not options
    this.optimizer = new Optimizer(this.kernels, model.numParams, { name: this.config.optimizer, weightDecay: this.config.weightDecay }, model.layout && weightDecayRanges(model.layout));
    // the dropout stream is derived from the seed so it does not replay the model's init stream
    this.rng = new Rng((this.config.seed ^ 0x5eed5eed) >>> 0);
    this.x = this.kernels.allocI32(B * T);
    this.y = this.kernels.allocI32(B * T);
    this.carry = model.newState(B);
    this.carryBackup = model.newState(B);
    this.keep = this.kernels.allocI32(B * T);
    if (model.learnsStartState) this.dState = model.newState(B);
    this.restart = new Uint8Array(B);
  }

  /** steps taken so far */
  get steps(): number {
    return this.stepCount;
  }
  get epoch(): number {
    return this.epochCount;
  }
  get window(): number {
    return this.windowIndex;
  }
  /** windows per epoch */
  get windowsPerEpoch(): number {
    return this.batches.windowsIn(this.epochCount);
  }
  /** characters of predictions per step (B·T; line mode: the most a window can have) */
  get charsPerStep(): number {
    return this.batches.maxWindowSize;
  }
  get bestValLoss(): number | null {
    return this.bestVal;
  }
  get bestValStep(): number | null {
    return this.bestValAt;
  }
  /** the loss curve so far (do not modify) */
  get lossHistory(): readonly LossPoint[] {
    return this.history;
  }
  /** the guard's Error once it has stopped the run, else null */
  get stoppedBy(): TrainingDivergedError | null {
    return this.stopped;
  }
  /** Multiply the learning rate (the schedule's base and floor) by `factor`: divergence recovery cuts it. */
  scaleLearningRate(factor: number): void {
    if (!(factor > 0 && factor <= 1)) throw new RangeError(`the learning-rate factor must be in (0, 1], got ${factor}`);
    this.config.lr *= factor;
    this.config.lrMin *= factor;
  }

  /** learning rate of the next step */
  get lr(): number {
    return learningRate(this.config.lr, scheduleOf(this.config), this.stepCount, this.budgetDone);
  }

  /** One training window. Returns ok: false (and stops the trainer) when the guard refuses the step. */
  step(): StepResult {
    if (this.stopped) throw this.stopped;
    const m = this.model, k = this.kernels, c = this.config;
    const { B } = this.batches;
    const P = m.numParams;
    const lr = this.lr;

    const S = m.stateSize(B);
    k.copy(this.carryBackup, this.carry, S);
    const win = this.batches.readWindow(this.x, this.y, this.keep, this.restart, this.epochCount, this.windowIndex);
    const chars = win.count;
    m.zeroGrads();
    const loss = runWindow(m, win, this.x, this.y, this.keep, this.restart, this.carry, B, { training: true, rng: this.rng });

    const refuse = (kind: DivergenceKind, gradNorm: number, why: string): StepResult => {
      k.copy(this.carry, this.carryBackup, S);
      this.stopped = new TrainingDivergedError(kind, this.stepCount + 1, loss, `training stopped at step ${this.stepCount + 1}: ${why}`);
      return { ...this.position(), ok: false, error: this.stopped, loss, chars, gradNorm, clipped: false, lr };
    };
    if (!Number.isFinite(loss)) {
      return refuse('nan-loss', NaN, `the loss is ${loss} (lower the learning rate, or keep gradient clipping on)`);
    }
    if (this.firstLoss !== null && loss > EXPLODE_FACTOR * this.firstLoss) {
      return refuse(
        'exploding-loss',
        NaN,
        `the loss ${loss.toFixed(4)} exceeds ${EXPLODE_FACTOR} times the first loss ${this.firstLoss.toFixed(4)} ` +
          `(the run is diverging: lower the learning rate or the clip value)`,
      );
    }
    if (win.restarts === B && this.dState) {
      // the learned start state: its gradient is the window's dLoss/d(initial state), summed over the lines
      m.backward(this.dState);
      m.startStateBackward!(this.dState, B);
    } else {
      m.backward();
    }
    const { norm, scale } = clipScale(k, m.grads, P, c.clip);
    if (!Number.isFinite(norm)) {
      return refuse('nan-gradient', norm, `the gradient norm is ${norm} (lower the learning rate, or keep gradient clipping on)`);
    }
    this.optimizer.update(m.params, m.grads, lr, scale);

    if (this.firstLoss === null) this.firstLoss = loss;
    this.stepCount++;
    this.record(loss);
    this.windowIndex++;
    if (this.windowIndex === this.windowsPerEpoch) {
      // epoch boundary: the reference restarts every stream from a zero state
      this.windowIndex = 0;
      this.epochCount++;
      k.fill(this.carry, 0, S);
    }
    return { ...this.position(), ok: true, loss, chars, gradNorm: norm, clipped: scale < 1, lr };
  }

  private position() {
    return { step: this.stepCount, epoch: this.epochCount, progress: this.stepCount / this.windowsPerEpoch };
  }

  /** Adds a step's loss (stepCount already counts it); writes a point every historyEvery steps. */
  private record(loss: number): void {
    this.pendingSum += loss;
    this.pendingCount++;
    if (this.stepCount % this.config.historyEvery === 0) this.flushPoint();
  }

  /** Writes a point for the losses since the previous one (none pending: returns the last point if it is at
   *  this step, else null). */
  private flushPoint(): LossPoint | null {
    if (this.pendingCount === 0) {
      const last = this.history[this.history.length - 1];
      return last && last.step === this.stepCount ? last : null;
    }
    const p: LossPoint = { step: this.stepCount, train: this.pendingSum / this.pendingCount };
    this.history.push(p);
    this.pendingSum = 0;
    this.pendingCount = 0;
    return p;
  }

  /**
   * Mean validation loss (B streams, windows of T, state carried from zero, no dropout) over the seeded subset of
   * `valWindows` windows per stream, or over the whole split when `full` (or valFull, or valWindows is 0). Records it on the
   * loss curve at the current step (a point before any training step is not recorded) and tracks the best.
   * Throws when there is no validation split.
   */
  evaluate(full = false): EvalResult {
    const e = this.beginEval(full);
    while (e.next());
    return e.finish();
  }

  /** The windows a validation pass reads (the subset is seeded by the run's seed: the same on every call). */
  evalLayout(full = false): EvalLayout {
    const vb = this.valBatches;
    if (!vb) throw new Error('there is no validation split (the validation fraction is 0)');
    const c = this.config;
    return vb.evalLayout(c.valWindows, (c.seed ^ 0x7a15e7) >>> 0, full || c.valFull);
  }

  /** `evaluate`, one window per `next()`; abandoning it part-way records nothing. */
  beginEval(full = false): Evaluation {
    const vb = this.valBatches!;
    const layout = this.evalLayout(full);
    const m = this.model, k = this.kernels;
    const { B } = vb;
    if (!this.evalState) this.evalState = m.newState(B);
    const state = this.evalState;
    k.fill(state, 0, m.stateSize(B));
    let j = 0, total = 0, chars = 0;
    // one window of the pass: its loss sum and predictions counted (the layout's warm-up window is run, not counted)
    const run = (): void => {
      const win = vb.readWindow(this.x, this.y, this.keep, this.restart, 0, j, layout.offsets);
      const loss = runWindow(m, win, this.x, this.y, this.keep, this.restart, state, B, { training: false });
      if (layout.counted(j)) {
        total += loss * win.count;
        chars += win.count;
      }
    };
    return {
      total: layout.steps,
      get done() {
        return j;
      },
      next: () => {
        if (j >= layout.steps) return false;
        run();
        j++;
        return j < layout.steps;
      },
      finish: () => {
        if (j < layout.steps) throw new Error(`the evaluation is not finished (${j} of ${layout.steps} windows)`);
        return this.recordEval(total / chars, chars, layout.full);
      },
    };
  }

  private recordEval(loss: number, chars: number, full: boolean): EvalResult {
    const best = Number.isFinite(loss) && (this.bestVal === null || loss < this.bestVal);
    if (best) {
      this.bestVal = loss;
      this.bestValAt = this.stepCount;
    }
    const point = this.flushPoint();
    if (point) point.val = loss;
    return { loss, bpc: loss / Math.LN2, chars, best, full };
  }

  exportState(): TrainerState {
    const S = this.model.stateSize(this.batches.B);
    return {
      step: this.stepCount,
      epoch: this.epochCount,
      window: this.windowIndex,
      carry: this.carry.slice(0, S),
      optimizer: this.optimizer.exportState(),
      rng: this.rng.getState(),
      lossHistory: this.history.map((p) => ({ ...p })),
      pending: { sum: this.pendingSum, count: this.pendingCount },
      bestValLoss: this.bestVal,
      bestValStep: this.bestValAt,
      firstLoss: this.firstLoss,
    };
  }

  /** Restores a state exported by a trainer with the same model shape, batch and seq. */
  importState(s: TrainerState): void {
    const S = this.model.stateSize(this.batches.B);
    if (s.carry.length !== S) {
      throw new Error(
        `saved RNN state has ${s.carry.length} values, this run needs ${S} (resume with the same model, --batch and --seq)`,
      );
    }
    const windows = this.batches.windowsIn(s.epoch);
    if (!Number.isInteger(s.window) || s.window < 0 || s.window >= windows) {
      throw new Error(`saved window position ${s.window} is outside this corpus's ${windows} windows (resume with the same corpus)`);
    }
    if (!Number.isInteger(s.step) || s.step < 0 || !Number.isInteger(s.epoch) || s.epoch < 0) {
      throw new Error(`saved step ${s.step} / epoch ${s.epoch} are invalid`);
    }
    this.optimizer.importState(s.optimizer);
    this.rng.setState(s.rng);
    this.carry.set(s.carry);
    this.stepCount = s.step;
    this.epochCount = s.epoch;
    this.windowIndex = s.window;
    this.history = s.lossHistory.map((p) => ({ ...p }));
    this.pendingSum = s.pending?.sum ?? 0;
    this.pendingCount = s.pending?.count ?? 0;
    this.bestVal = s.bestValLoss;
    this.bestValAt = s.bestValStep;
    this.firstLoss = s.firstLoss ?? null;
    this.stopped = null;
  }
}
