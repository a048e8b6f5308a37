/** `charnn eval <checkpoint> [text|-]`: the eval command (src/commands/eval.ts) on the command line. */
import type { Command } from 'commander';
import { evaluate } from '../commands/eval.js';
import { EVAL } from '../options.js';
import { defineCommand } from './command.js';

export function registerEval(program: Command): void {
  defineCommand(program, {
    name: 'eval',
    description: 'loss of a text under a model (nats and bits per character) on stdout',
    args: [
      ['<checkpoint>', 'a checkpoint .json or a run folder (its best.json, else latest.json)'],
      ['[text]', "a text file or - for standard input (default: the checkpoint's validation split; see --corpus)"],
    ],
    table: EVAL,
    async run({ args, values, given }, io) {
      await evaluate(values, given, args[0] as string, args[1] as string | undefined, io);
    },
  });
}
