/**
 * The charnn command line: commander wiring and the one place errors become `charnn: what: why (hint)` lines
 * and exit codes. Never calls process.exit (stdout may still be draining): it sets process.exitCode.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerCorpusCommands } from './corpus.js';
import { CharnnError, EXIT, exitCodeOf, formatError } from '../errors.js';
import { registerEval } from './eval.js';
import { registerExport, registerImport } from './export.js';
import { registerInfo } from './info.js';
import { registerInspect } from './inspect.js';
import { addOptions, COMMON } from './options.js';
import { registerRuns } from './runs.js';
import { registerSample } from './sample.js';
import { registerScore } from './score.js';
import { registerServe } from './serve.js';
import { guardStdio } from './stdio.js';
import { registerTrain } from './train.js';
import { Ui } from './ui.js';

export function buildProgram(): Command {
  const program = new Command('charnn')
    .description('Character-level RNN/LSTM/GRU text generator: train on any text, then sample from it')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} }); // errors are printed once, by main, in charnn's format
  addOptions(program, COMMON); // `charnn -q sample` as well as `charnn sample -q` (commands read both: readOptions)
  registerTrain(program);
  registerSample(program);
  registerServe(program);
  registerInfo(program);
  registerRuns(program);
  registerEval(program);
  registerScore(program);
  registerInspect(program);
  registerCorpusCommands(program);
  registerExport(program);
  registerImport(program);
  program.addHelpText(
    'after',
    `
Examples:
  charnn train corpus.txt --time 10m        train for ten minutes; prints the checkpoint path
  charnn sample --temp 0.5 --length 500     sample from the newest checkpoint under ./checkpoints/
  cat a.txt b.txt | charnn train -          train on standard input
  charnn sample ckpt.json --forever | head -c 1000
  charnn info checkpoints/<run>/best.json   config, progress and loss curve
  charnn score ckpt.json lines.txt --by line --sort   rank lines by likelihood (JSON lines)
  charnn inspect ckpt.json text.txt --layer 1 --unit 20 --html unit.html`,
  );
  return program;
}

/**
 * SIGUSR1's default action in Node opens the inspector (a debugger on 127.0.0.1:9229 that runs code as this user):
 * any listener keeps it closed. This one is process-wide and does nothing; `train` adds its own (save now). The
 * binary installs one too before it loads anything (bin/charnn.js), so there is no window at start-up.
 */
function closeInspectorSignal(): void {
  if (process.listenerCount('SIGUSR1') === 0) process.on('SIGUSR1', ignoreSignal);
}
function ignoreSignal(): void {}

export async function main(argv: string[]): Promise<void> {
  closeInspectorSignal();
  guardStdio();
  const verbose = argv.includes('--verbose');
  const noColor = argv.includes('--no-color');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const ui = new Ui({ verbose, color: noColor ? false : undefined });
    if (e instanceof CommanderError) {
      // --help and --version end up here too, with exit code 0
      if (e.exitCode === 0) {
        process.exitCode = 0;
        return;
      }
      if (e.code === 'commander.help') {
        // no command given: commander has shown the help on stderr already
        process.exitCode = EXIT.USAGE;
        return;
      }
      ui.error(formatError(usageError(e, argv)));
      process.exitCode = EXIT.USAGE;
      return;
    }
    ui.error(formatError(e), (e as Error)?.stack);
    process.exitCode = exitCodeOf(e);
  }
}

/** Commander's "error: option '--x <n>' argument 'y' is invalid. why" in charnn's one-line form. */
function usageError(e: CommanderError, argv: string[]): CharnnError {
  const cmd = ['train', 'sample', 'serve', 'info', 'eval', 'score', 'inspect', 'corpus', 'export', 'import'].find((c) => argv.slice(2).includes(c));
  const hint = `see charnn ${cmd ? cmd + ' ' : ''}--help`;
  const msg = e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  // the option as the user knows it: its long flag ("-n, --length <n>" -> "--length")
  const flag = (spec: string) => /--[\w-]+/.exec(spec)?.[0] ?? spec.split(/[ ,]/)[0];
  let m = /^option '([^']*)' argument '(.*)' is invalid\. (.*)$/.exec(msg);
  if (m) return CharnnError.usage(`${flag(m[1])} ${JSON.stringify(m[2])}: ${m[3].replace(/\.$/, '')}`, hint, 'invalid option');
  m = /^option '([^']*)' argument missing$/.exec(msg);
  if (m) return CharnnError.usage(`${flag(m[1])} needs a value`, hint, 'invalid option');
  m = /^(unknown option '[^']*')\s*(\(Did you mean (.*)\?\))?$/.exec(msg);
  if (m) return CharnnError.usage(m[1], m[3] ? `did you mean ${m[3]}? ${hint}` : hint, 'invalid usage');
  m = /^(unknown command '[^']*')\s*(\(Did you mean (.*)\?\))?$/.exec(msg);
  if (m) return CharnnError.usage(m[1], m[3] ? `did you mean ${m[3]}? see charnn --help` : 'see charnn --help', 'invalid usage');
  return CharnnError.usage(msg.replace(/\.$/, ''), hint, 'invalid usage');
}
