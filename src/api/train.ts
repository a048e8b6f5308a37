/**
 * The library's front door for training: `await train('corpus.txt', { steps: 2000 })` resolves to the path of the
 * run's latest.json. It is `charnn train` without the terminal: the same defaults (the one table, src/options.ts),
 * the same validation of every option, the same run (commands/train/run.ts: folder refusal, lock, checkpoints), so the
 * same options give the same checkpoint as the CLI, bit for bit. Progress goes to `onProgress`; an AbortSignal
 * stops after the current step, with a save (the promise then resolves as after Ctrl-C).
 */
import { CharnnError } from '../errors.js';
import { OptionValueError, TRAIN } from '../options.js';
import { readStream } from '../corpus/read.js';
import { quietIo, type Io, type Progress, type StopRequest } from '../commands/io.js';
import { runTraining, type Held } from '../commands/train/run.js';
import type { TrainValues } from '../commands/train/plan.js';

/** What train() reports, in order: info (the plan), step (every step), log (validation lines, previews),
 *  warning, and info again (the summary). */
export type TrainEvent =
  | { type: 'step'; step: number; epoch: number; loss: number; val: number | null; charsPerSec: number; fraction?: number; etaSec?: number }
  | { type: 'info' | 'warning' | 'log'; message: string };

/** Any option of `charnn train`, camel-cased (`valFrac`, `evalEvery`, ...), with its CLI default when left out;
 *  `time` in seconds or as a duration ('10m'). */
export type TrainApiOptions = Partial<Omit<TrainValues, 'time'>> & {
  time?: number | string;
  onProgress?: (e: TrainEvent) => void;
  signal?: AbortSignal;
};

/**
 * Train on `corpus` (a path, '-' for standard input, or a registry name; undefined: tiny Shakespeare) and resolve
 * to the absolute path of the run's latest.json. Rejects with a CharnnError (its message is the CLI's one line).
 */
export async function train(corpus?: string, options: TrainApiOptions = {}): Promise<string> {
  const { onProgress, signal, ...opts } = options;
  const { values, given } = readApiOptions(opts);
  const emit = onProgress ?? (() => {});
  const held: Held = {};
  const stop: StopRequest = { reason: null };
  const onAbort = () => (stop.reason = 'aborted');
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);
  try {
    const r = await runTraining(values, given, corpus, callbackIo(emit), stop, held);
    return r.latestPath;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    held.folder?.close();
    held.kernels?.dispose();
  }
}

/** Defaults from the table, each given value checked by the table's parser as the CLI checks it. */
function readApiOptions(opts: Record<string, unknown>): { values: TrainValues; given: Set<keyof TrainValues> } {
  const values = {} as Record<string, unknown>;
  const given = new Set<keyof TrainValues>();
  for (const key of Object.keys(opts)) {
    if (!(key in TRAIN) && opts[key] !== undefined) throw new CharnnError(`unknown option ${key}`, `one of: ${Object.keys(TRAIN).join(', ')}`, 'invalid option');
  }
  for (const [key, spec] of Object.entries(TRAIN) as Array<[keyof TrainValues, (typeof TRAIN)[keyof TrainValues]]>) {
    const v = opts[key];
    if (v === undefined) {
      values[key] = spec.default;
      continue;
    }
    given.add(key);
    const parse = 'parse' in spec ? (spec.parse as (raw: string) => unknown) : undefined;
    if (!parse) {
      if (typeof v !== typeof spec.default) throw new CharnnError(`${key} ${JSON.stringify(v)}: must be a ${typeof spec.default}`, undefined, 'invalid option');
      values[key] = v;
      continue;
    }
    try {
      values[key] = parse(String(v));
    } catch (e) {
      if (e instanceof OptionValueError) throw new CharnnError(`${key} ${JSON.stringify(v)}: ${e.message}`, undefined, 'invalid option');
      throw e;
    }
  }
  return { values: values as TrainValues, given };
}

function callbackIo(emit: (e: TrainEvent) => void): Io {
  const progress: Progress = {
    // validation progress (f.note) is not a step
    update: (f) => void (f.note === undefined && emit({ type: 'step', step: f.step, epoch: f.epoch, loss: f.loss, val: f.val ?? null, charsPerSec: f.cps, fraction: f.fraction, etaSec: f.etaSec })),
    log: (message) => emit({ type: 'log', message }),
    stop() {},
  };
  return {
    ...quietIo({ cwd: process.cwd(), env: process.env, stdin: () => readStream(process.stdin) }),
    info: (message) => emit({ type: 'info', message }),
    warn: (message) => emit({ type: 'warning', message }),
    progress: () => progress,
  };
}
