/** `charnn score <checkpoint> [text|-]`: the score command (src/commands/score.ts) on the command line. */
import type { Command } from 'commander';
import { score } from '../commands/score.js';
import { SCORE } from '../options.js';
import { defineCommand } from './command.js';

export function registerScore(program: Command): void {
  defineCommand(program, {
    name: 'score',
    description: 'log-probability of text under a model, as JSON lines on stdout (per line or whole text)',
    args: [
      ['<checkpoint>', 'a checkpoint .json or a run folder (its best.json, else latest.json)'],
      ['[text]', 'a text file or - for standard input', '-'],
    ],
    table: SCORE,
    run: ({ args, values, given }, io) => score(values, given, args[0] as string, args[1] as string, io),
  });
}
