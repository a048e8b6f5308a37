/**
 * `charnn sample [checkpoint]`: the sample command (src/commands/sample/) on a terminal. Generated text on stdout,
 * streamed in small chunks as it is made; writes wait when the pipe is full, and a closed pipe (`| head -c 100`)
 * ends the command quietly with status 0. Nothing but the text goes to stdout.
 */
import type { Command } from 'commander';
import { runSample } from '../commands/sample/run.js';
import { SAMPLE } from '../options.js';
import { defineCommand } from './command.js';

export function registerSample(program: Command): void {
  defineCommand(program, {
    name: 'sample',
    description: 'generate text from a checkpoint; prints only the text on stdout',
    args: [['[checkpoint]', 'a checkpoint .json or a run folder (its best.json, else latest.json; default: the newest under ./checkpoints/, else the bundled model)']],
    table: SAMPLE,
    run: ({ args, values, given }, io) => runSample({ checkpoint: args[0] as string | undefined, values, given }, io),
  });
}
