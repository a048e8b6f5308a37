/**
 * Phase 3 of a training run: the loop. Step until a target is reached or a signal arrives; validate every
 * --eval-every steps, save latest.json every --save-every steps and best.json whenever validation improves, print
 * previews; then a final validation and save, so best.json and the summary reflect the last weights.
 * A stop request (the CLI's Ctrl-C, the library's AbortSignal) ends the loop after the current step, with a save.
 * A validation pass runs one window at a time with the event loop let in, so a stop during it is handled the same
 * way: the pass is abandoned (it records nothing) and the run saved. A long pass shows its progress and ETA.
 * A step the trainer's guard refuses goes to the divergence recovery (rollback.ts), or ends the run.
 *
 * Phases: `train` (step, then after each step: validate, save, preview, report) until a target or a stop;
 * `finish` (the last validation and save); a kernel failure on the way ends the run with nothing saved.
 */
import { checkpointToText } from '../../checkpoint/codec.js';
import type { CharRNN } from '../../model/char-rnn.js';
import type { Vocab } from '../../data/vocab.js';
import { Sampler } from '../../sample/sampler.js';
import { LineSampler } from '../../sample/lines.js';
import { isLineModel } from '../../model/config.js';
import { CharnnError, isKernelFailure, kernelFailure } from '../../errors.js';
import type { StepResult } from '../../train/trainer.js';
import { duration } from '../format.js';
import { displayPath } from '../common/corpus-input.js';
import { checkpointOfRun } from '../../checkpoint/run-state.js';
import { fraction, planFraction, reached } from './plan.js';
import type { Run } from './setup.js';
import type { Progress, ProgressFields, Io, StopRequest } from '../io.js';
import { Rollback, type Divergence } from './rollback.js';
import { MetricsLog } from './metrics-log.js';

export interface Outcome {
  /** why the run stopped early (the caller's StopRequest: a signal, an abort), or null when it reached its budget */
  stopped: string | null;
  /** the last training loss */
  loss: number;
  /** seconds this run trained (this process only) */
  runSec: number;
  /** characters predicted in this run (line mode: lines' characters and end tokens, no padding) */
  chars: number;
  /** of which in validation */
  evalSec: number;
}

export async function runLoop(run: Run, ui: Io, stop: StopRequest): Promise<Outcome> {
  const loop = new Loop(run, ui, stop);
  try {
    await loop.train();
    await loop.finish();
  } catch (e) {
    throw loop.failure(e);
  } finally {
    loop.close();
  }
  return loop.outcome();
}

class Loop {
  private readonly progress: Progress;
  private readonly rollback: Rollback;
  private readonly runStart = Date.now();
  /** characters predicted, the resumed run's included, and at this run's start */
  private chars: number;
  private readonly chars0: number;
  /** the last training loss, and the last validation loss */
  private loss = NaN;
  private lastVal: number | null = null;
  private lastEvalStep = -1;
  private lastSaveStep: number;
  /** a best validation loss not yet in best.json */
  private bestUnsaved = false;
  private evalMs = 0;
  private yieldAt = Date.now();
  /** the metrics log (metrics-log.ts), and what it counts */
  private readonly log: MetricsLog;
  private rollbacks = 0;
  private saves = 0;
  private lastStep: StepResult | null = null;

  constructor(
    private readonly run: Run,
    private readonly ui: Io,
    private readonly stop: StopRequest,
  ) {
    const { ckpt, start, o } = run.plan;
    this.chars = this.chars0 = ckpt?.progress.chars ?? 0;
    this.lastSaveStep = start.step;
    if (!run.otherCorpus) for (const p of ckpt?.progress.lossHistory ?? []) if (p.val !== undefined) this.lastVal = p.val;
    const earlier = (ckpt?.config.divergences as Divergence[] | undefined) ?? []; // a resumed run's divergences too
    this.rollback = new Rollback(run.model, run.trainer, o, run.effective, this.chars, earlier);
    this.progress = ui.progress();
    this.log = new MetricsLog(run.logPath, o.overwrite && !o.resume, (m) => ui.warn(m));
    this.log.start(start.step, start.ms / 1000, this.chars, run.effective);
  }

  /** Phase 1: steps until a target is reached or a stop is requested. */
  async train(): Promise<void> {
    const { trainer, plan } = this.run;
    for (;;) {
      if (this.stop.reason || reached(plan.targets, trainer.steps, trainer.epoch, this.elapsed())) return;
      // the cosine follows the fraction of the plan done: of its steps, time or epochs, whichever is furthest along
      trainer.budgetDone = planFraction(plan.targets, trainer.steps, this.epochs(), this.elapsed()) ?? 0;
      const r = trainer.step();
      if (!r.ok) {
        this.diverged(r);
        continue;
      }
      if (!(await this.afterStep(r))) return;
    }
  }

  /** A refused step: roll back (rollback.ts), or end the run with the guard's reason. */
  private diverged(r: StepResult): void {
    if (!this.rollback.canRollBack) {
      this.progress.stop();
      const why = r.error!.message.replace(/^training stopped at step \d+: /, '');
      throw new CharnnError(why + this.rollback.tried, this.kept(), `training stopped at step ${r.step + 1}`);
    }
    const { divergence, chars } = this.rollback.rollBack(r);
    this.chars = chars;
    this.rollbacks++;
    this.log.rollback(divergence.step, divergence.rolledBackTo, divergence.why);
    this.progress.log(this.rollback.describe(divergence));
    this.lastSaveStep = Math.min(this.lastSaveStep, this.run.trainer.steps);
  }

  /** After a step: validate, save, preview and report as the options say; false when a stop abandoned a
   *  validation pass. */
  private async afterStep(r: StepResult): Promise<boolean> {
    const { trainer, plan } = this.run;
    const o = plan.o;
    this.loss = r.loss;
    this.chars += r.chars;
    const step = trainer.steps;
    const evals = this.lastEvalStep;
    if (o.evalEvery && trainer.valBatches && step % o.evalEvery === 0 && !(await this.evaluate())) return false;
    if (this.stop.saveNow) {
      // SIGUSR1: a checkpoint now, and training goes on
      this.stop.saveNow = false;
      this.checkpoint();
      this.progress.log(`saved ${displayPath(this.run.folder.latestPath)} at step ${step} (SIGUSR1); training goes on`);
    } else if (this.bestUnsaved || (o.saveEvery && step % o.saveEvery === 0)) {
      this.checkpoint();
    }
    this.logStep(r, this.lastEvalStep !== evals);
    if (o.sampleEvery && step % o.sampleEvery === 0) this.progress.log(preview(this.run.model, this.run.vocab, o.sampleLength, o.seed + step, step, this.ui));
    this.progress.update(this.fields());
    await this.letIn();
    return true;
  }

  /** Phase 2: a final measurement, so best.json and the summary reflect the last weights, and the last save. */
  async finish(): Promise<void> {
    const { trainer, folder, plan } = this.run;
    let measured = false;
    if (!this.stop.reason && trainer.valBatches && this.lastEvalStep !== trainer.steps && trainer.steps > plan.start.step) {
      measured = await this.evaluate();
      if (measured) this.progress.update(this.fields(), true); // the last progress line shows that validation loss
    }
    const saving = !folder.saved || trainer.steps > this.lastSaveStep || this.bestUnsaved;
    if (saving) this.save();
    // the last step again with the final validation and save (a reader keeps the later of two lines of a step)
    if ((measured || saving) && this.lastStep) this.logStep(this.lastStep, measured);
  }

  /** A kernel failure as the run's one-line error (nothing is saved after a failed call: the weights may be
   *  half-updated); anything else as it is. */
  failure(e: unknown): unknown {
    if (!isKernelFailure(e)) return e;
    const { modelConfig: c, plan, trainer } = this.run;
    const shape = `model ${c.cell} ${c.layers}x${c.hidden}, batch ${plan.o.batch} x seq ${plan.o.seq}`;
    return kernelFailure(e, `training stopped at step ${trainer.steps + 1}`, shape, this.kept());
  }

  close(): void {
    this.progress.stop();
    this.log.close(!this.run.folder.saved);
    this.run.folder.close();
  }

  outcome(): Outcome {
    return { stopped: this.stop.reason, loss: this.loss, runSec: (Date.now() - this.runStart) / 1000, chars: this.chars - this.chars0, evalSec: this.evalMs / 1000 };
  }

  /** One validation pass; false when a stop request abandoned it. */
  private async evaluate(): Promise<boolean> {
    const { trainer, plan } = this.run;
    const t0 = Date.now();
    const e = trainer.beginEval();
    this.stop.evaluating = true;
    let shownAt = t0;
    try {
      while (e.next()) {
        await this.letIn();
        if (this.stop.reason) return false;
        const now = Date.now();
        if (trainer.steps > plan.start.step && now - shownAt > 500) {
          shownAt = now;
          const eta = ((now - t0) / e.done) * (e.total - e.done);
          this.progress.update({ ...this.fields(), note: `validating ${Math.floor((100 * e.done) / e.total)}%, ETA ${duration(eta / 1000)}` });
        }
      }
    } finally {
      this.stop.evaluating = false;
      this.evalMs += Date.now() - t0;
    }
    const r = e.finish();
    this.lastEvalStep = trainer.steps;
    this.lastVal = r.loss;
    if (r.best) this.bestUnsaved = true;
    const c = this.ui.c;
    this.progress.log(`step ${trainer.steps}: val ${r.loss.toFixed(4)} nats (${r.bpc.toFixed(3)} bpc)${r.best ? c.green(' best') : ''}, train ${this.loss.toFixed(4)}`);
    return true;
  }

  /** A save during the run: latest.json (and best.json with an unsaved best), and a state to roll back to. */
  private checkpoint(): void {
    this.save();
    this.lastSaveStep = this.run.trainer.steps;
    this.rollback.saved(this.chars);
  }

  private save(): void {
    const { model, vocab, trainer, folder, plan } = this.run;
    const text = checkpointToText(checkpointOfRun(model, vocab, trainer, { chars: this.chars, elapsedMs: this.elapsed() }, this.run.corpus, this.run.effective));
    folder.save(text, this.bestUnsaved);
    if (plan.o.keep > 0) folder.snapshot(text, trainer.steps, plan.o.keep);
    this.bestUnsaved = false;
    this.saves++;
  }

  /** The metrics log's line of step `r` (after its validation and save, which it counts). */
  private logStep(r: StepResult, measured: boolean): void {
    this.lastStep = r;
    const runSec = (Date.now() - this.runStart) / 1000;
    this.log.step({
      step: r.step, epoch: Math.round(this.epochs() * 1e4) / 1e4, time: this.elapsed() / 1000, chars: this.chars, cps: (this.chars - this.chars0) / Math.max(runSec, 1e-3),
      loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, val: measured && this.lastVal !== null ? this.lastVal : undefined, rollbacks: this.rollbacks, saves: this.saves,
    });
  }

  /** What a failed run leaves behind. */
  private kept(): string {
    const { folder, plan } = this.run;
    if (folder.saved) return `the last good checkpoint is ${displayPath(folder.latestPath)}, step ${this.lastSaveStep}`;
    return plan.ckpt ? 'the checkpoint you resumed from is unchanged' : 'no checkpoint was written';
  }

  private elapsed(): number {
    return this.run.plan.start.ms + (Date.now() - this.runStart);
  }

  /** fractional epochs */
  private epochs(): number {
    const t = this.run.trainer;
    return t.epoch + t.window / t.windowsPerEpoch;
  }

  private fields(): ProgressFields {
    const { trainer, plan } = this.run;
    const f = fraction(plan.targets, trainer.steps, this.epochs(), this.elapsed(), plan.start);
    const runSec = (Date.now() - this.runStart) / 1000;
    return {
      step: trainer.steps,
      epoch: trainer.epoch,
      loss: this.loss,
      val: this.lastVal,
      cps: (this.chars - this.chars0) / Math.max(runSec, 1e-3),
      fraction: f,
      etaSec: f !== undefined && f > 0 ? (runSec * (1 - f)) / f : undefined,
    };
  }

  /** Lets signals and stream events in (steps and windows are synchronous), every 50 ms at most. */
  private async letIn(): Promise<void> {
    if (Date.now() - this.yieldAt > 50) {
      await new Promise((r) => setImmediate(r));
      this.yieldAt = Date.now();
    }
  }
}

/** A short sample for the log, from its own RNG and state so training is not disturbed (line mode: 8 lines). */
function preview(model: CharRNN, vocab: Vocab, length: number, seed: number, step: number, ui: Io): string {
  if (isLineModel(model.config)) {
    const lines = new LineSampler(model, vocab, vocab.idOf('\n'), 8, { temperature: 0.8, seed }).draw([], length);
    return ui.c.dim(`--- sample at step ${step} ---\n`) + lines.map((l) => l.text).join('\n') + ui.c.dim('\n--------------');
  }
  const s = new Sampler(model, vocab, { temperature: 0.8, seed }, 64);
  const nl = vocab.idOf('\n');
  if (nl >= 0) s.feed([nl]);
  const text = [...s.generate(length)].join('');
  return ui.c.dim(`--- sample at step ${step} ---\n`) + text + ui.c.dim('\n--------------');
}
