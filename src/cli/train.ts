/**
 * `charnn train [corpus...]`: the training command (src/commands/train/) on a terminal. stdout gets one line, the
 * path of the final checkpoint; everything else goes to stderr. What is the terminal's alone is here: signals.
 *
 * Ctrl-C / SIGTERM: the current step finishes, the checkpoint is saved, exit 130; a second Ctrl-C ends the
 * process at once (the atomic save never leaves a partial file).
 */
import type { Command } from 'commander';
import type { StopRequest } from '../commands/io.js';
import { runTraining, type Held } from '../commands/train/run.js';
import { EXIT } from '../errors.js';
import { displayPath } from '../fs-probe.js';
import { TRAIN } from '../options.js';
import { defineCommand } from './command.js';
import type { Ui } from './ui.js';

export function registerTrain(program: Command): void {
  defineCommand(program, {
    name: 'train',
    description: 'train a model on a text corpus; prints the checkpoint path on stdout',
    args: [['[corpus...]', "text files, folders or globs (each file a document, in the order given, folders and globs sorted by path), - for standard input, or a corpus name from 'charnn corpus list' (default: tinyshakespeare)"]],
    table: TRAIN,
    async run({ args, values, given }, io) {
      const held: Held = {};
      const stop: StopRequest = { reason: null };
      const removeSignals = onSignals(stop, io.ui, held);
      try {
        const corpus = args[0] as string[];
        const r = await runTraining(values, given, corpus.length ? corpus : undefined, io, stop, held);
        await io.out.write(displayPath(r.latestPath, io.cwd) + '\n');
        return r.stopped ? EXIT.INTERRUPTED : EXIT.OK;
      } finally {
        removeSignals();
        held.folder?.close(); // also on errors: the lock goes, and an unused folder
        held.kernels?.dispose(); // also on errors: a backend's worker threads must not outlive the command
      }
    },
  });
}

/**
 * The first signal asks the loop to stop after the current step. Our listener stays one event-loop turn, so a
 * second signal that arrived during the same (synchronous) step is seen and quits at once; after that the
 * listener is removed, so a later second Ctrl-C gets the default action and ends the process immediately
 * (atomic saves leave no partial file either way). Returns the function that removes the listeners.
 */
function onSignals(stop: StopRequest, ui: Ui, held: Held): () => void {
  const remove = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  function onSignal(sig: NodeJS.Signals): void {
    if (stop.reason) {
      held.folder?.close();
      process.exit(EXIT.INTERRUPTED);
    }
    stop.reason = sig;
    ui.warn(`${sig === 'SIGINT' ? 'Ctrl-C' : sig}: finishing this ${stop.evaluating ? 'window, leaving the validation' : 'step'} and saving (press Ctrl-C again to quit at once)`);
    setImmediate(remove);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // kill -USR1 PID: save a checkpoint after this step and go on (a listener also keeps Node's inspector from
  // starting on SIGUSR1, its default action)
  const onUsr1 = () => {
    stop.saveNow = true;
  };
  process.on('SIGUSR1', onUsr1);
  return () => {
    remove();
    process.removeListener('SIGUSR1', onUsr1);
  };
}
