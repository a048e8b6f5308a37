/**
 * `charnn train [corpus]`: train a model, writing latest.json and best.json into the output folder.
 * stdout gets one line, the path of the final checkpoint; everything else goes to stderr.
 * The command reads as its phases: plan the run (train-plan.ts), set up corpus, model, backend and output folder
 * (train-setup.ts), the loop (train-loop.ts), and the report (below).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Kernels } from '../math/kernels.js';
import { EXIT } from './errors.js';
import { displayPath } from './inputs.js';
import { addOptions, COMMON, readOptions, TRAIN } from './options.js';
import { runLoop, type Outcome } from './train-loop.js';
import { describeTargets, planRun } from './train-plan.js';
import { setUpRun, type Held, type Run } from './train-setup.js';
import { duration, human, Ui } from './ui.js';

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
      held.folder?.close(); // also on errors: the lock goes, and an unused folder
      held.kernels?.dispose(); // also on errors: a backend's worker threads must not outlive the command
    }
  });
}

async function train(corpusArg: string | undefined, cmd: Command, ui: Ui, held: Held): Promise<number> {
  const { values, given } = readOptions(cmd, TRAIN);
  const plan = planRun(values, given);
  const run = await setUpRun(plan, corpusArg, ui, held);
  announce(run, ui);
  const outcome = await runLoop(run, ui);
  report(run, outcome, ui);
  process.stdout.write(displayPath(run.folder.latestPath) + '\n');
  return outcome.stopSignal ? EXIT.INTERRUPTED : EXIT.OK;
}

/** The first line: what is trained on what, how, for how long, and where it is saved. */
function announce(run: Run, ui: Ui): void {
  const { plan, modelConfig: c, model, vocab, ids, trainer, kernels, folder } = run;
  const { o, ckpt, start } = plan;
  ui.info(
    `${ckpt ? `resuming ${displayPath(resolve(o.resume))} at step ${start.step}` : plan.init ? `fine-tuning ${displayPath(resolve(o.initFrom))}` : 'training'}: ${c.cell} ${c.layers}x${c.hidden}, ` +
      `${model.numParams.toLocaleString('en-US')} parameters, vocabulary ${vocab.size}${plan.init && vocab.size > plan.init.model.vocabSize ? ` (${vocab.size - plan.init.model.vocabSize} new)` : ''}, ${ids.length.toLocaleString('en-US')} characters ` +
      `(${trainer.valBatches ? `${Math.round((1 - o.valFrac) * 100)}% training` : 'no validation'}), batch ${o.batch} x seq ${o.seq}, ${o.optimizer} lr ${o.lr}, ` +
      `${describeBackend(kernels)}; budget ${describeTargets(plan.targets, start)}; saving to ${displayPath(folder.dir)}`,
  );
}

/** The last line: where the run ended, its best validation loss, its speed, and where the checkpoints are. */
function report(run: Run, { stopSignal, loss, runSec }: Outcome, ui: Ui): void {
  const { trainer, folder, plan } = run;
  const best = trainer.bestValLoss;
  ui.info(
    `${stopSignal ? 'interrupted' : 'done'}: step ${trainer.steps} (epoch ${trainer.epoch}), ` +
      (best !== null ? `best val ${best.toFixed(4)} nats (${(best / Math.LN2).toFixed(3)} bpc) at step ${trainer.bestValStep}, ` : `train loss ${loss.toFixed(4)}, `) +
      `${duration(runSec)}, ${human(((trainer.steps - plan.start.step) * plan.o.batch * plan.o.seq) / Math.max(runSec, 1e-3))} chars/s; ` +
      `checkpoints in ${displayPath(folder.dir)}/ (latest.json${best !== null ? ', best.json' : ''})`,
  );
}

/** 'wasm backend (relaxed-simd, 2 threads)', 'js backend'. */
function describeBackend(k: Kernels): string {
  const parts = ['simd' in k ? String(k.simd) : '', k.threads > 1 ? `${k.threads} threads` : ''].filter(Boolean);
  return `${k.name} backend${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
