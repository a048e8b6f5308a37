/**
 * Phase 3 of a training run: the loop. Step until a target is reached or a signal arrives; validate every
 * --eval-every steps, save latest.json every --save-every steps and best.json whenever validation improves, print
 * previews; then a final validation and save, so best.json and the summary reflect the last weights.
 * A stop request (the CLI's Ctrl-C, the library's AbortSignal) ends the loop after the current step, with a save.
 * A validation pass runs one window at a time with the event loop let in, so a stop during it is handled the same
 * way: the pass is abandoned (it records nothing) and the run saved. A long pass shows its progress and ETA.
 */
import { checkpointToText } from '../../checkpoint/codec.js';
import type { CharRNN } from '../../model/char-rnn.js';
import type { Vocab } from '../../data/vocab.js';
import { Sampler } from '../../sample/sampler.js';
import { LineSampler } from '../../sample/lines.js';
import { isLineModel } from '../../model/config.js';
import { CharnnError, isKernelFailure, kernelFailure } from '../../errors.js';
import { duration } from '../format.js';
import { displayPath } from '../common/corpus-input.js';
import { checkpointOfRun } from '../../checkpoint/run-state.js';
import { fraction, planFraction, reached } from './plan.js';
import type { Run } from './setup.js';
import type { ProgressFields, Io, StopRequest } from '../io.js';

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
  const { plan, model, vocab, trainer, folder } = run;
  const { o, ckpt, targets, start } = plan;
  let chars = ckpt?.progress.chars ?? 0;
  const chars0 = chars;
  const runStart = Date.now();
  const elapsed = () => start.ms + (Date.now() - runStart);
  const save = (alsoBest: boolean) => {
    const text = checkpointToText(checkpointOfRun(model, vocab, trainer, { chars, elapsedMs: elapsed() }, run.corpus, run.effective));
    folder.save(text, alsoBest);
    if (o.keep > 0) folder.snapshot(text, trainer.steps, o.keep);
  };

  const progress = ui.progress();
  let lastVal: number | null = null;
  if (!run.otherCorpus) for (const p of ckpt?.progress.lossHistory ?? []) if (p.val !== undefined) lastVal = p.val;
  let lastEvalStep = -1;
  let lastSaveStep = start.step;
  let bestUnsaved = false;
  let loss = NaN;
  let yieldAt = Date.now();
  /** What a failed run leaves behind. */
  const kept = () =>
    folder.saved
      ? `the last good checkpoint is ${displayPath(folder.latestPath)}, step ${lastSaveStep}`
      : ckpt
        ? 'the checkpoint you resumed from is unchanged'
        : 'no checkpoint was written';
  const fields = (): ProgressFields => {
    const step = trainer.steps;
    const f = fraction(targets, step, trainer.epoch + trainer.window / trainer.windowsPerEpoch, elapsed(), start);
    const runSec = (Date.now() - runStart) / 1000;
    return {
      step,
      epoch: trainer.epoch,
      loss,
      val: lastVal,
      cps: (chars - chars0) / Math.max(runSec, 1e-3),
      fraction: f,
      etaSec: f !== undefined && f > 0 ? (runSec * (1 - f)) / f : undefined,
    };
  };
  let evalMs = 0;
  const letIn = async () => {
    // let signals and stream events in (steps and windows are synchronous)
    if (Date.now() - yieldAt > 50) {
      await new Promise((r) => setImmediate(r));
      yieldAt = Date.now();
    }
  };
  /** One validation pass; false when a stop request abandoned it. */
  const evaluate = async (): Promise<boolean> => {
    const t0 = Date.now();
    const e = trainer.beginEval();
    stop.evaluating = true;
    let shownAt = t0;
    try {
      while (e.next()) {
        await letIn();
        if (stop.reason) return false;
        const now = Date.now();
        if (trainer.steps > start.step && now - shownAt > 500) {
          shownAt = now;
          const eta = ((now - t0) / e.done) * (e.total - e.done);
          progress.update({ ...fields(), note: `validating ${Math.floor((100 * e.done) / e.total)}%, ETA ${duration(eta / 1000)}` });
        }
      }
    } finally {
      stop.evaluating = false;
      evalMs += Date.now() - t0;
    }
    const r = e.finish();
    lastEvalStep = trainer.steps;
    lastVal = r.loss;
    if (r.best) bestUnsaved = true;
    progress.log(
      `step ${trainer.steps}: val ${r.loss.toFixed(4)} nats (${r.bpc.toFixed(3)} bpc)${r.best ? ui.c.green(' best') : ''}, train ${loss.toFixed(4)}`,
    );
    return true;
  };

  // divergence recovery: the last few saved states (and this run's start) in memory, newest last. A rollback goes
  // to the newest; diverging again before the next save means that state was already damaged (its next forward
  // explodes whatever the rate), so the one before it is tried next.
  const goods = [snapshot(model, trainer, chars)];
  const keepGood = (g: () => Snapshot) => {
    if (o.onDiverge !== 'rollback') return; // --on-diverge stop: nothing to roll back to, no copies
    goods.push(g());
    if (goods.length > KEEP_GOOD) goods.splice(1, 1); // the run's start always stays
  };
  let rolledBack = false; // diverged since the last save
  const divergences = ((ckpt?.config.divergences as Divergence[] | undefined) ?? []).slice(); // a resumed run's too
  let rollbacks = 0;

  try {
    for (;;) {
      if (stop.reason || reached(targets, trainer.steps, trainer.epoch, elapsed())) break;
      trainer.budgetDone = planFraction(targets, trainer.steps, trainer.epoch + trainer.window / trainer.windowsPerEpoch, elapsed()) ?? 0;
      const r = trainer.step();
      if (!r.ok && o.onDiverge === 'rollback' && rollbacks < o.divergeRetries) {
        rollbacks++;
        const from = trainer.config.lr; // the base rate (the schedule's), which the cut scales
        if (rolledBack && goods.length > 1) goods.pop();
        rolledBack = true;
        const good = goods[goods.length - 1];
        model.params.set(good.params);
        trainer.importState(good.state);
        chars = good.chars;
        trainer.scaleLearningRate(o.divergeFactor);
        const d: Divergence = { step: r.step + 1, why: r.error!.message.replace(/^training stopped at step \d+: /, '').replace(/ \(.*\)$/, ''), rolledBackTo: good.state.step, lrFrom: from, lrTo: trainer.config.lr };
        divergences.push(d);
        run.effective.divergences = divergences;
        run.effective.lr = (run.effective.lr as number) * o.divergeFactor; // a resume continues at the cut rate
        run.effective.lrMin = (run.effective.lrMin as number) * o.divergeFactor;
        progress.log(
          `diverged at step ${d.step}: ${d.why}; rolled back to step ${d.rolledBackTo}, learning rate ${fmtLr(d.lrFrom)} -> ${fmtLr(d.lrTo)} ` +
            `(rollback ${rollbacks} of ${o.divergeRetries}; --on-diverge stop to stop instead)`,
        );
        lastSaveStep = Math.min(lastSaveStep, trainer.steps);
        continue;
      }
      if (!r.ok) {
        progress.stop();
        const tried = rollbacks ? `; ${rollbacks} rollback${rollbacks > 1 ? 's' : ''} did not help` : '';
        throw new CharnnError(r.error!.message.replace(/^training stopped at step \d+: /, '') + tried, kept(), `training stopped at step ${r.step + 1}`);
      }
      loss = r.loss;
      chars += r.chars;
      const step = trainer.steps;
      if (o.evalEvery && trainer.valBatches && step % o.evalEvery === 0 && !(await evaluate())) break;
      if (stop.saveNow) {
        // SIGUSR1: a checkpoint now, and training goes on
        stop.saveNow = false;
        save(bestUnsaved);
        bestUnsaved = false;
        lastSaveStep = step;
        keepGood(() => snapshot(model, trainer, chars));
        rolledBack = false;
        progress.log(`saved ${displayPath(folder.latestPath)} at step ${step} (SIGUSR1); training goes on`);
      } else if (bestUnsaved || (o.saveEvery && step % o.saveEvery === 0)) {
        save(bestUnsaved);
        bestUnsaved = false;
        lastSaveStep = step;
        keepGood(() => snapshot(model, trainer, chars));
        rolledBack = false;
      }
      if (o.sampleEvery && step % o.sampleEvery === 0) progress.log(preview(model, vocab, o.sampleLength, o.seed + step, step, ui));
      progress.update(fields());
      await letIn();
    }
    // a final measurement, so best.json and the summary reflect the last weights
    if (!stop.reason && trainer.valBatches && lastEvalStep !== trainer.steps && trainer.steps > start.step) {
      if (await evaluate()) progress.update(fields(), true); // the last progress line shows that validation loss
    }
    if (!folder.saved || trainer.steps > lastSaveStep || bestUnsaved) {
      save(bestUnsaved);
      bestUnsaved = false;
    }
  } catch (e) {
    if (!isKernelFailure(e)) throw e;
    // nothing is saved after a failed call: the weights may be half-updated
    const shape = `model ${run.modelConfig.cell} ${run.modelConfig.layers}x${run.modelConfig.hidden}, batch ${o.batch} x seq ${o.seq}`;
    throw kernelFailure(e, `training stopped at step ${trainer.steps + 1}`, shape, kept());
  } finally {
    progress.stop();
    folder.close();
  }
  return { stopped: stop.reason, loss, runSec: (Date.now() - runStart) / 1000, chars: chars - chars0, evalSec: evalMs / 1000 };
}

/** One rollback: where the run diverged and why, where it went back to, the learning rate before and after. */
interface Divergence {
  step: number;
  why: string;
  rolledBackTo: number;
  lrFrom: number;
  lrTo: number;
}

/** Saved states kept in memory for rollbacks (each about 3 copies of the parameters with Adam). */
const KEEP_GOOD = 4;

/** What a rollback restores: the weights and the trainer's whole state (position, carry, optimizer, RNG, history). */
interface Snapshot {
  params: Float32Array | Float64Array;
  state: ReturnType<Run['trainer']['exportState']>;
  chars: number;
}

function snapshot(model: CharRNN, trainer: Run['trainer'], chars: number): Snapshot {
  return { params: model.params.slice(), state: trainer.exportState(), chars };
}

const fmtLr = (x: number) => Number(x.toPrecision(4)).toString();

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
