/**
 * Sampling-only checkpoints (such as the model bundled in checkpoints/pretrained/): the weights, vocabulary,
 * config, corpus and loss curve of a run, without the optimizer moments, the carried training state and the
 * training RNG. About a third of the size of a full checkpoint (Adam keeps two moments per weight); `sample`,
 * `info` and `eval` use it as any other, `train --resume` refuses it (there is nothing to continue exactly from).
 * With storage 'float16' the weights are written as their nearest halves: half the size again, for a loss change
 * that `npm run pretrain` measures before it keeps one (the checksum covers the stored halves).
 */
import type { CheckpointInput } from './codec.js';
import type { Checkpoint, StorageDtype } from './schema.js';

/** The same checkpoint with only what sampling and evaluation need, its weights stored as `storage`. */
export function samplingOnly(c: Checkpoint, storage: StorageDtype = 'float32'): CheckpointInput {
  return {
    created: c.created,
    model: { ...c.model },
    vocab: [...c.vocab],
    tensors: c.tensors.map((t) => (storage === 'float32' ? { name: t.name, shape: t.shape, data: t.data } : { name: t.name, shape: t.shape, data: t.data, storage })),
    optimizer: null,
    progress: { ...c.progress, lossHistory: c.progress.lossHistory.map((p) => ({ ...p })) },
    rng: {},
    state: null,
    corpus: c.corpus ? { ...c.corpus } : null,
    config: { ...c.config },
  };
}

/** How a checkpoint's weights are stored: 'float32', 'float16', or 'mixed' (a hand-made file). */
export function weightStorage(c: Pick<Checkpoint, 'tensors'>): StorageDtype | 'mixed' {
  const kinds = new Set(c.tensors.map((t) => t.storage ?? 'float32'));
  return kinds.size === 1 ? [...kinds][0] : kinds.size === 0 ? 'float32' : 'mixed';
}

/** True when a checkpoint can only be sampled from and evaluated, not resumed. */
export function isSamplingOnly(c: Checkpoint): boolean {
  return c.optimizer === null || c.state === null;
}
