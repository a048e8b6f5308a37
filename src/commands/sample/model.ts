/**
 * Phase 2 of `sample` (set up): the checkpoint found and read, the backend started, the model built on it. The
 * command line, the library's loadModel and the server load models here.
 */
import { modelFromCheckpoint } from '../../checkpoint/run-state.js';
import type { Checkpoint } from '../../checkpoint/schema.js';
import { Vocab } from '../../data/vocab.js';
import { attemptSync } from '../../errors.js';
import type { Kernels } from '../../math/kernels.js';
import type { CharRNN } from '../../model/char-rnn.js';
import type { SimdMode } from '../../options.js';
import { startBackend } from '../common/backend.js';
import { chooseCheckpoint } from '../common/checkpoint-arg.js';
import type { Io } from '../io.js';

export interface LoadedModel {
  /** absolute path of the checkpoint read */
  file: string;
  /** the path as the user would type it */
  path: string;
  checkpoint: Checkpoint;
  vocab: Vocab;
  model: CharRNN;
  kernels: Kernels;
}

export interface BackendValues {
  backend: string;
  threads: number;
  simd: SimdMode;
}

/** The checkpoint `arg` names (a file, a run folder, or undefined: the default one) on its own backend; the caller
 *  disposes of `kernels`. */
export async function loadModelFor(arg: string | undefined, o: BackendValues, explicitBackend: boolean, io: Pick<Io, 'info' | 'warn' | 'cwd' | 'env'>, what = 'cannot sample'): Promise<LoadedModel> {
  const { file, path, checkpoint } = chooseCheckpoint(arg, io, what);
  const kernels = await startBackend(o, explicitBackend, io);
  try {
    return { file, path, checkpoint, ...modelOn(kernels, checkpoint, path) };
  } catch (e) {
    kernels.dispose();
    throw e;
  }
}

/** A checkpoint's model and vocabulary on a running backend. */
export function modelOn(kernels: Kernels, checkpoint: Checkpoint, path: string): { vocab: Vocab; model: CharRNN; kernels: Kernels } {
  const model = attemptSync(`cannot load checkpoint ${path}`, () => modelFromCheckpoint(kernels, checkpoint));
  return { vocab: Vocab.fromChars(checkpoint.vocab), model, kernels };
}
