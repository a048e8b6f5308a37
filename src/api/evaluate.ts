/**
 * The library's `evaluate(checkpoint, text?, options)`: `charnn eval` without the terminal, the same command
 * (src/commands/eval.ts) with the same options (the EVAL table, camel-cased: `windows`, `count`, `seed`, `batch`,
 * `seq`, `corpus`, `backend`, ...), resolving to its figures: { nats, bpc, chars, what, how, protocol }.
 */
import { quietIo } from '../commands/io.js';
import { evaluate as runEvaluate, type EvalResult, type EvalValues } from '../commands/eval.js';
import { valuesFrom } from '../commands/values.js';
import { readStream } from '../corpus/read.js';
import { EVAL } from '../options.js';

export type { EvalResult };

/** `checkpoint`: a .json or a run folder; `text`: a file, '-' for standard input, or undefined for the checkpoint's
 *  validation split. Rejects with a CharnnError whose message is the CLI's line. */
export async function evaluate(checkpoint: string, text?: string, options: Partial<Omit<EvalValues, 'json'>> & { cwd?: string } = {}): Promise<EvalResult> {
  const { cwd, ...rest } = options;
  const { values, given } = valuesFrom(EVAL, rest as Record<string, unknown>);
  const io = quietIo({ cwd: cwd ?? process.cwd(), env: process.env, stdin: () => readStream(process.stdin) });
  return runEvaluate(values, given as Set<keyof EvalValues>, checkpoint, text, io);
}
