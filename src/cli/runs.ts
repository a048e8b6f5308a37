/** `charnn runs [folder]` and `charnn plot <run...>`: the runs and plot commands (src/commands/runs.ts,
 *  src/commands/runs-plot.ts) on the command line; the chart is as wide as the terminal stdout is, when it is one. */
import type { Command } from 'commander';
import { plotRuns } from '../commands/runs-plot.js';
import { runs } from '../commands/runs.js';
import { PLOT, RUNS } from '../options.js';
import { defineCommand } from './command.js';

export function registerRuns(program: Command): void {
  defineCommand(program, {
    name: 'runs',
    description: 'list the training runs in a folder: model, corpus, steps, time, best validation loss, state, and the options that differ',
    args: [['[folder]', 'a folder of run folders (default ./checkpoints/)']],
    table: RUNS,
    async run({ args, values }, io) {
      await runs(values, args[0] as string | undefined, io);
    },
  });
  defineCommand(program, {
    name: 'plot',
    description: "overlay runs' training and validation loss curves in the terminal, and in an SVG file with -o",
    args: [['<run...>', 'run folders, checkpoints or metrics logs (.jsonl)']],
    table: PLOT,
    colorFor: 'stdout',
    async run({ args, values }, io) {
      await plotRuns(values, args[0] as string[], io, process.stdout.isTTY ? process.stdout.columns || 80 : undefined);
    },
  });
}
