/** `charnn inspect <checkpoint> [text|-]`: the inspect command (src/commands/inspect.ts) on the command line. */
import type { Command } from 'commander';
import { inspect } from '../commands/inspect.js';
import { INSPECT } from '../options.js';
import { defineCommand } from './command.js';

export function registerInspect(program: Command): void {
  defineCommand(program, {
    name: 'inspect',
    description: "look inside a model: a text coloured by a hidden unit, the units that follow a pattern, the model's guesses",
    args: [
      ['<checkpoint>', 'a checkpoint .json or a run folder (its best.json, else latest.json)'],
      ['[text]', 'a text file or - for standard input', '-'],
    ],
    table: INSPECT,
    async run({ args, values, given }, io) {
      await inspect(values, given, args[0] as string, args[1] as string, io);
    },
  });
}
