/**
 * The bridge between a running training (model + trainer) and a checkpoint: what goes in, and how a resumed run
 * gets every piece back (weights, optimizer moments under PyTorch names, carried state, dropout RNG, position,
 * loss curve), so N steps + resume + M steps equals N + M steps bit for bit.
 * Dimension legend: L layers, S state slots, B streams, H hidden, P parameters.
 */
import type { Checkpoint, CorpusInfo, Tensor } from './schema.js';
import type { CheckpointInput } from './codec.js';
import type { Vocab } from '../data/vocab.js';
import type { Kernels } from '../math/kernels.js';
import { CharRNN } from '../model/char-rnn.js';
import { STATE_SLOTS } from '../model/config.js';
import type { OptimizerName } from '../train/optimizer.js';
import type { Trainer, TrainerState } from '../train/trainer.js';

const f32 = (a: Float32Array | Float64Array): Float32Array => (a instanceof Float32Array ? a : Float32Array.from(a));

/** Named float32 tensors of one flat buffer (P) in the parameters' layout. */
function bufferTensors(model: CharRNN, buf: Float32Array | Float64Array): Tensor[] {
  return model.layout.exportTensors(buf, 'float32').map((t) => ({ name: t.name, shape: t.shape, data: f32(t.data) }));
}

export interface RunTotals {
  /** training characters consumed, all runs */
  chars: number;
  /** training milliseconds, all runs */
  elapsedMs: number;
}

/** Everything a checkpoint records about a run at this moment. */
export function checkpointOfRun(
  model: CharRNN,
  vocab: Vocab,
  trainer: Trainer,
  totals: RunTotals,
  corpus: CorpusInfo | null,
  config: Record<string, unknown>,
): CheckpointInput {
  const s = trainer.exportState();
  const { layers: L, hidden: H, cell } = model.config;
  const slots: Record<string, Tensor[]> = {};
  for (const [name, buf] of Object.entries(s.optimizer.buffers)) slots[name] = bufferTensors(model, buf);
  return {
    model: { ...model.config },
    vocab: [...vocab.chars],
    tensors: bufferTensors(model, model.params),
    optimizer: { name: s.optimizer.name, t: s.optimizer.step, slots },
    progress: {
      step: s.step,
      epoch: s.epoch,
      position: s.window,
      chars: totals.chars,
      elapsedMs: Math.round(totals.elapsedMs),
      lossHistory: s.lossHistory.map((p) => ({ ...p })),
      pending: s.pending ? { ...s.pending } : { sum: 0, count: 0 },
      bestValLoss: s.bestValLoss,
      bestValStep: s.bestValStep,
      firstLoss: s.firstLoss ?? null,
    },
    rng: { train: s.rng },
    state: { shape: [L, STATE_SLOTS[cell], trainer.batches.B, H], data: f32(s.carry) },
    corpus,
    config,
  };
}

/** A model with the checkpoint's config and weights. */
export function modelFromCheckpoint(kernels: Kernels, c: Checkpoint): CharRNN {
  const model = new CharRNN(kernels, c.model);
  model.importStateDict(c.tensors);
  return model;
}

/** The trainer state stored in a checkpoint (for Trainer.importState). */
export function trainerStateOf(model: CharRNN, c: Checkpoint): TrainerState {
  if (!c.optimizer) throw new Error('the checkpoint has no optimizer state, so training cannot continue exactly from it');
  if (!c.state) throw new Error('the checkpoint has no carried hidden state, so training cannot continue exactly from it');
  if (!c.rng.train) throw new Error('the checkpoint has no training RNG state');
  const buffers: Record<string, Float32Array> = {};
  for (const [name, tensors] of Object.entries(c.optimizer.slots)) {
    const buf = new Float32Array(model.numParams);
    model.layout.importTensors(buf, tensors);
    buffers[name] = buf;
  }
  const p = c.progress;
  return {
    step: p.step,
    epoch: p.epoch,
    window: p.position,
    carry: c.state.data,
    optimizer: { name: c.optimizer.name as OptimizerName, step: c.optimizer.t, buffers },
    rng: c.rng.train,
    lossHistory: p.lossHistory.map((x) => ({ ...x })),
    pending: { ...p.pending },
    bestValLoss: p.bestValLoss,
    bestValStep: p.bestValStep,
    firstLoss: p.firstLoss,
  };
}
