/** `charnn info <checkpoint>`: the info command (src/commands/info.ts) on the command line; the curve is as wide
 *  as the terminal stdout is, when it is one. */
import type { Command } from 'commander';
import { info } from '../commands/info.js';
import { INFO } from '../options.js';
import { defineCommand } from './command.js';

export function registerInfo(program: Command): void {
  defineCommand(program, {
    name: 'info',
    description: 'show a checkpoint: config, size, vocabulary, training progress and loss curve',
    args: [['<checkpoint>', 'a checkpoint .json or a run folder (its best.json, else latest.json)']],
    table: INFO,
    colorFor: 'stdout',
    async run({ args, values }, io) {
      await info(values, args[0] as string, io, process.stdout.isTTY ? process.stdout.columns || 80 : undefined);
    },
  });
}
