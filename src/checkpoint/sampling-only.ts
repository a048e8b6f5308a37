/**
 * Sampling-only checkpoints (such as the model bundled in checkpoints/pretrained/): the weights, vocabulary,
 * config, corpus and loss curve of a run, without the optimizer moments, the carried training state and the
 * training RNG. About a third of the size of a full checkpoint (Adam keeps two moments per weight); `sample`,
 * `info` and `eval` use it as any other, `train --resume` refuses it (there is nothing to continue exactly from).
 */
import type { CheckpointInput } from './codec.js';
import type { Checkpoint } from './schema.js';

/** The same checkpoint with only what sampling and evaluation need. */
export function samplingOnly(c: Checkpoint): CheckpointInput {
  return {
    created: c.created,
    model: { ...c.model },
    vocab: [...c.vocab],
    tensors: c.tensors,
    optimizer: null,
    progress: { ...c.progress, lossHistory: c.progress.lossHistory.map((p) => ({ ...p })) },
    rng: {},
    state: null,
    corpus: c.corpus ? { ...c.corpus } : null,
    config: { ...c.config },
  };
}

/** True when a checkpoint can only be sampled from and evaluated, not resumed. */
export function isSamplingOnly(c: Checkpoint): boolean {
  return c.optimizer === null || c.state === null;
}
