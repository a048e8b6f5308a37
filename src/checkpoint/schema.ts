/**
 * The charnn checkpoint: one JSON document holding everything needed to sample from a model and to resume its
 * training bit-exactly. This file is the schema (documented for users in docs/checkpoint-format.md).
 *
 * Two shapes of the same thing:
 * - `CheckpointJSON`: what is on disk. Tensors are `{shape, dtype: 'float32', data}` with `data` the base64 of the
 *   row-major float32 values, little-endian, under PyTorch state_dict names.
 * - `Checkpoint`: what the program works with. Tensors are decoded into Float32Arrays.
 *
 * Dimension legend: L layers, S state slots per layer (lstm 2: h, c; others 1), B streams, H hidden, V vocabulary.
 */
import type { RngState } from '../math/rng.js';
import type { ModelConfig } from '../model/config.js';

export const CHECKPOINT_FORMAT = 'charnn-checkpoint';
/** Bump when a reader of the previous version could misread a new file; readers refuse newer versions.
 *  2: the checksum covers every field (vocabulary, model, config, corpus, progress), not only the tensors;
 *  version-1 files still load (checksum.ts). */
export const CHECKPOINT_VERSION = 2;

/** How a tensor's values are stored: float32 (what training writes), or float16 (compact sampling-only files;
 *  files without a float16 tensor are exactly what charnn wrote before it existed). */
export const STORAGE_DTYPES = ['float32', 'float16'] as const;
export type StorageDtype = (typeof STORAGE_DTYPES)[number];

/** A tensor on disk. */
export interface TensorJSON {
  shape: number[];
  dtype: StorageDtype;
  /** base64 of shape.product values of dtype (IEEE 754 binary32 or binary16), little-endian, row-major */
  data: string;
}

/** A tensor in memory (same structure as the model's NamedTensor; always float32 values). */
export interface Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
  /** how the file stores it; absent: float32. A float16 tensor's data are halves widened to float32 */
  storage?: StorageDtype;
}

/** One point of the loss curve: written every `historyEvery` steps and at every evaluation. */
interface LossPoint {
  step: number;
  /** mean training loss (nats/char) since the previous point */
  train: number;
  /** validation loss (nats/char), on evaluation points */
  val?: number;
}

export interface TrainingProgress {
  /** optimizer steps taken so far */
  step: number;
  /** completed passes over the training text */
  epoch: number;
  /** the next window (batch) within the current epoch */
  position: number;
  /** training characters consumed (steps x batch x seq, summed over resumed runs) */
  chars: number;
  /** wall-clock milliseconds spent training, summed over resumed runs */
  elapsedMs: number;
  lossHistory: LossPoint[];
  /** training losses since the last point, so the next point's mean is exact after a resume */
  pending: { sum: number; count: number };
  /** lowest validation loss seen (nats/char), null before the first evaluation */
  bestValLoss: number | null;
  bestValStep: number | null;
  /** loss of the run's first step (the divergence guard compares against it) */
  firstLoss: number | null;
}

/** Optimizer state: hyper-parameters live in the training config; here only what changes while training. */
export interface OptimizerSnapshot {
  name: string;
  /** optimizer steps taken (Adam's bias-correction counter) */
  t: number;
  /** per-parameter buffers in PyTorch optimizer names (Adam: exp_avg, exp_avg_sq; RMSprop: square_avg;
   *  SGD: momentum_buffer), each a list of tensors under the parameters' state_dict names and shapes */
  slots: Record<string, Tensor[]>;
}

/** The corpus a checkpoint was trained on (resume refuses a different one unless --force). */
export interface CorpusInfo {
  /** what the user passed: a path, '-' for stdin, or a registry name */
  source: string;
  /** the absolute path it was read from (a file, or the registry's cached copy); absent for stdin and in files
   *  written before it was recorded */
  path?: string;
  bytes: number;
  chars: number;
  /** SHA-256 (hex) of the corpus bytes (several files: of all their bytes, in order) */
  sha256: string;
  /** the files in training order, each a document (absent in older checkpoints and for a single unprepared file) */
  files?: CorpusFile[];
  /** how the text was prepared before it became ids (absent: not at all); sample and eval apply it too */
  preparation?: { newline: 'keep' | 'lf'; nfc: boolean; minCharCount: number };
}

/** One file of a corpus, as read (before preparation). */
export interface CorpusFile {
  /** the path as given, relative to the working folder when inside it */
  name: string;
  bytes: number;
  sha256: string;
}

/** The carried hidden state of the training streams, (L, S, B, H). */
export interface HiddenState {
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  /** the file's format version: 1 = checksum over the tensors only, 2 = over every field (checksum.ts) */
  formatVersion: number;
  /** charnn version that wrote the file */
  charnnVersion: string;
  /** ISO 8601 time of writing */
  created: string;
  model: ModelConfig;
  /** the vocabulary in id order: vocab[id] is one character (one Unicode code point) */
  vocab: string[];
  /** model weights under PyTorch state_dict names and shapes, in state_dict order */
  tensors: Tensor[];
  optimizer: OptimizerSnapshot | null;
  progress: TrainingProgress;
  /** named RNG states (e.g. 'train' for dropout and shuffling) */
  rng: Record<string, RngState>;
  state: HiddenState | null;
  corpus: CorpusInfo | null;
  /** the effective training configuration (every option after defaults were applied) */
  config: Record<string, unknown>;
}

/** The on-disk document. Field order here is the order in the file. */
export interface CheckpointJSON {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  charnn: string;
  created: string;
  model: ModelConfig;
  vocab: string[];
  config: Record<string, unknown>;
  corpus: CorpusInfo | null;
  progress: TrainingProgress;
  rng: Record<string, RngState>;
  /** 'sha256:' + hex digest over every other field and every tensor (version 1: the tensors only; see checksum.ts) */
  checksum: string;
  tensors: Record<string, TensorJSON>;
  optimizer: { name: string; t: number; slots: Record<string, Record<string, TensorJSON>> } | null;
  state: TensorJSON | null;
}

/** Empty progress for a fresh run. */
export function newProgress(): TrainingProgress {
  return {
    step: 0,
    epoch: 0,
    position: 0,
    chars: 0,
    elapsedMs: 0,
    lossHistory: [],
    pending: { sum: 0, count: 0 },
    bestValLoss: null,
    bestValStep: null,
    firstLoss: null,
  };
}
