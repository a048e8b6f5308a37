/**
 * Phase 3 of `charnn train`: the loop. Step until a target is reached or a signal arrives; validate every
 * --eval-every steps, save latest.json every --save-every steps and best.json whenever validation improves, print
 * previews; then a final validation and save, so best.json and the summary reflect the last weights.
 *
 * Ctrl-C / SIGTERM: the current step finishes, the checkpoint is saved, exit 130; a second Ctrl-C ends the
 * process at once (see "signals" below; the atomic save never leaves a partial file). A validation pass runs one
 * window at a time with the event loop let in, so Ctrl-C during it is handled the same way: the pass is abandoned
 * (it records nothing), the checkpoint saved, exit 130. A pass longer than a moment shows its progress and ETA.
 */
import { checkpointToText } from '../checkpoint/codec.js';
import type { CharRNN } from '../model/char-rnn.js';
import type { Vocab } from '../data/vocab.js';
import { Sampler } from '../sample/sampler.js';
import { isKernelFailure } from '../math/kernels.js';
import { CliError, EXIT, kernelFailure } from './errors.js';
import { displayPath } from './inputs.js';
import { checkpointOfRun } from './run-state.js';
import { fraction, reached } from './train-plan.js';
import type { Run } from './train-setup.js';
import { duration, type ProgressFields, type Ui } from './ui.js';

export interface Outcome {
  /** the signal that ended the run, or null when it reached its budget */
  stopSignal: NodeJS.Signals | null;
  /** the last training loss */
  loss: number;
  /** seconds this run trained (this process only) */
  runSec: number;
  /** of which in validation */
  evalSec: number;
}

export async function runLoop(run: Run, ui: Ui): Promise<Outcome> {
  const { plan, model, vocab, trainer, folder } = run;
  const { o, ckpt, targets, start } = plan;
  let chars = ckpt?.progress.chars ?? 0;
  const runStart = Date.now();
  const elapsed = () => start.ms + (Date.now() - runStart);
  const save = (alsoBest: boolean) => {
    folder.save(checkpointToText(checkpointOfRun(model, vocab, trainer, { chars, elapsedMs: elapsed() }, run.corpus, run.effective)), alsoBest);
  };

  // ---- signals
  // The first signal asks the loop to stop after the current step. Our listener stays one event-loop turn, so a
  // second signal that arrived during the same (synchronous) step is seen and quits at once; after that the
  // listener is removed, so a later second Ctrl-C gets the default action and ends the process immediately
  // (atomic saves leave no partial file either way).
  let stopSignal: NodeJS.Signals | null = null;
  let evaluating = false;
  const removeSignals = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  function onSignal(sig: NodeJS.Signals): void {
    if (stopSignal) {
      folder.close();
      process.exit(EXIT.INTERRUPTED);
    }
    stopSignal = sig;
    ui.warn(`${sig === 'SIGINT' ? 'Ctrl-C' : sig}: finishing this ${evaluating ? 'window, leaving the validation' : 'step'} and saving (press Ctrl-C again to quit at once)`);
    setImmediate(removeSignals);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const B = o.batch, T = o.seq;
  const progress = ui.progress();
  let lastVal: number | null = null;
  for (const p of ckpt?.progress.lossHistory ?? []) if (p.val !== undefined) lastVal = p.val;
  let lastEvalStep = -1;
  let lastSaveStep = start.step;
  let bestUnsaved = false;
  let loss = NaN;
  let yieldAt = Date.now();
  let evalMs = 0;
  let fields: ProgressFields | null = null;
  const letIn = async () => {
    // let signals and stream events in (steps and windows are synchronous)
    if (Date.now() - yieldAt > 50) {
      await new Promise((r) => setImmediate(r));
      yieldAt = Date.now();
    }
  };
  /** One validation pass; false when a signal abandoned it. */
  const evaluate = async (): Promise<boolean> => {
    const t0 = Date.now();
    const e = trainer.beginEval();
    evaluating = true;
    let shownAt = t0;
    try {
      while (e.next()) {
        await letIn();
        if (stopSignal) return false;
        const now = Date.now();
        if (fields && now - shownAt > 500) {
          shownAt = now;
          const eta = ((now - t0) / e.done) * (e.total - e.done);
          progress.update({ ...fields, note: `validating ${Math.floor((100 * e.done) / e.total)}%, ETA ${duration(eta / 1000)}` });
        }
      }
    } finally {
      evaluating = false;
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

  try {
    for (;;) {
      if (stopSignal || reached(targets, trainer.steps, trainer.epoch, elapsed())) break;
      const r = trainer.step();
      if (!r.ok) {
        progress.stop();
        const kept = folder.saved
          ? `the last good checkpoint is ${displayPath(folder.latestPath)}, step ${lastSaveStep}`
          : ckpt
            ? `the checkpoint you resumed from is unchanged`
            : 'no checkpoint was written';
        throw new CliError(r.error!.message.replace(/^training stopped at step \d+: /, ''), kept, `training stopped at step ${r.step + 1}`);
      }
      loss = r.loss;
      chars += B * T;
      const step = trainer.steps;
      if (o.evalEvery && trainer.valBatches && step % o.evalEvery === 0 && !(await evaluate())) break;
      if (bestUnsaved || (o.saveEvery && step % o.saveEvery === 0)) {
        save(bestUnsaved);
        bestUnsaved = false;
        lastSaveStep = step;
      }
      if (o.sampleEvery && step % o.sampleEvery === 0) progress.log(preview(model, vocab, o.sampleLength, o.seed + step, ui));
      const el = elapsed();
      const f = fraction(targets, step, trainer.epoch + trainer.window / trainer.windowsPerEpoch, el, start);
      const runSec = (Date.now() - runStart) / 1000;
      fields = {
        step,
        epoch: trainer.epoch,
        loss,
        val: lastVal,
        cps: ((step - start.step) * B * T) / Math.max(runSec, 1e-3),
        fraction: f,
        etaSec: f !== undefined && f > 0 ? (runSec * (1 - f)) / f : undefined,
      };
      progress.update(fields);
      await letIn();
    }
    // a final measurement, so best.json and the summary reflect the last weights
    if (!stopSignal && trainer.valBatches && lastEvalStep !== trainer.steps && trainer.steps > start.step) await evaluate();
    if (!folder.saved || trainer.steps > lastSaveStep || bestUnsaved) {
      save(bestUnsaved);
      bestUnsaved = false;
    }
  } catch (e) {
    if (!isKernelFailure(e)) throw e;
    // nothing is saved after a failed call: the weights may be half-updated
    const kept = folder.saved ? `the last good checkpoint is ${displayPath(folder.latestPath)}, step ${lastSaveStep}` : ckpt ? 'the checkpoint you resumed from is unchanged' : 'no checkpoint was written';
    const c = run.modelConfig;
    const shape = `model ${c.cell} ${c.layers}x${c.hidden}, batch ${B} x seq ${T}`;
    throw kernelFailure(e, `training stopped at step ${trainer.steps + 1}`, shape, kept);
  } finally {
    progress.stop();
    removeSignals();
    folder.close();
  }
  return { stopSignal, loss, runSec: (Date.now() - runStart) / 1000, evalSec: evalMs / 1000 };
}

/** A short sample for the log, from its own RNG and state so training is not disturbed. */
function preview(model: CharRNN, vocab: Vocab, length: number, seed: number, ui: Ui): string {
  const s = new Sampler(model, vocab, { temperature: 0.8, seed }, 64);
  const nl = vocab.idOf('\n');
  if (nl >= 0) s.feed([nl]);
  const text = [...s.generate(length)].join('');
  return ui.c.dim('--- sample ---\n') + text + ui.c.dim('\n--------------');
}
