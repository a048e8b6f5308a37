/**
 * One command of the command line from its options table and its command function: the arguments and the table's
 * options (plus the common ones) as commander options, the values read back with which the user gave, a terminal
 * io port, and the function's exit code. The command's logic is the function's (src/commands/); this is wiring.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import type { Table, Values } from '../options.js';
import { addOptions, COMMON, readOptions } from './options.js';
import { terminalIo, type TerminalIo } from './terminal.js';

/** What a command function gets from the command line: its positional arguments (a variadic one as an array, a
 *  missing optional one as undefined), its options and which of them the user gave. */
interface CommandInput<T extends Table> {
  args: unknown[];
  values: Values<T>;
  given: Set<keyof T>;
}

export interface CommandSpec<T extends Table> {
  name: string;
  description: string;
  /** commander's argument syntax ('<checkpoint>', '[text]', '[corpus...]'), its help, and a default */
  args?: ReadonlyArray<readonly [syntax: string, help: string, fallback?: string]>;
  table: T;
  /** the report goes to stdout, so stdout's abilities decide the colour (info) */
  colorFor?: 'stdout' | 'stderr';
  /** the command: resolves to its exit code (undefined: 0) */
  run(input: CommandInput<T>, io: TerminalIo): Promise<number | void> | number | void;
}

export function defineCommand<T extends Table>(program: Command, spec: CommandSpec<T>): Command {
  const cmd = program.command(spec.name).description(spec.description);
  for (const [syntax, help, fallback] of spec.args ?? []) cmd.argument(syntax, help, fallback);
  addOptions(cmd, spec.table);
  addOptions(cmd, COMMON);
  cmd.action(async (...xs: unknown[]) => {
    const self = xs[xs.length - 1] as Command;
    const common = readOptions(self, COMMON).values;
    const { values, given, renamed } = readOptions(self, spec.table);
    const io = terminalIo({ color: common.color, quiet: common.quiet, verbose: common.verbose, colorFor: spec.colorFor });
    for (const [old, now] of renamed) io.warn(`${old} is now ${now} for ${self.name()}`);
    try {
      process.exitCode = (await spec.run({ args: xs.slice(0, -2), values, given }, io)) ?? EXIT.OK;
    } finally {
      io.close();
    }
  });
  return cmd;
}
