/**
 * Checkpoints to the field's weight formats and back: a checkpoint's weights as safetensors (metadata: vocabulary,
 * model config, training config, corpus, step) or as an ONNX step graph; a safetensors file as a sampling-only
 * checkpoint again. A safetensors file from elsewhere (no charnn metadata) is read too: the model config comes
 * from the tensor shapes, the vocabulary from a corpus (its sorted code points, as training builds it).
 * Pure: checkpoints and bytes in and out; the CLI does the files.
 */
import { CHECKPOINT_JSON_LIMITS, parseJsonBounded } from '../checkpoint/bounded.js';
import type { CheckpointInput } from '../checkpoint/codec.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, newProgress, type Checkpoint, type CorpusInfo, type Tensor } from '../checkpoint/schema.js';
import { checkTensorsMatch, validateCheckpointJSON } from '../checkpoint/validate.js';
import { CharnnError, quote, safeText } from '../errors.js';
import { CELL_TYPES, GATES, validateModelConfig, type CellType, type ModelConfig } from '../model/config.js';
import { EMBEDDING_TENSOR, type NamedTensor } from '../model/layout.js';
import { VERSION } from '../version.js';
import { buildOnnx } from './onnx.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const EXPORT_FORMATS = ['safetensors', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function exportCheckpoint(c: Checkpoint, format: ExportFormat): Uint8Array {
  if (format === 'onnx') return buildOnnx({ config: c.model, vocab: c.vocab, tensors: c.tensors });
  const meta: Record<string, string> = {
    format: 'pt', // safetensors.torch's tag: the tensors are a PyTorch state_dict
    'charnn.model': JSON.stringify(c.model),
    'charnn.vocab': JSON.stringify(c.vocab),
    'charnn.config': JSON.stringify(c.config),
    'charnn.step': String(c.progress.step),
    'charnn.version': VERSION,
  };
  if (c.corpus) meta['charnn.corpus'] = JSON.stringify(c.corpus);
  return encodeSafetensors(c.tensors, meta);
}

/** The model config a state_dict implies (no dropout: it is a training setting). */
export function configFromTensors(tensors: readonly NamedTensor[]): ModelConfig {
  const shape = (name: string): number[] => {
    const t = tensors.find((x) => x.name === name);
    if (!t) throw new Error(`the file has no tensor ${name} (it is not a charnn / nn.RNN-style state_dict)`);
    return t.shape;
  };
  let layers = 0;
  while (tensors.some((t) => t.name === `rnn.weight_ih_l${layers}`)) layers++;
  const [GH, H] = shape('rnn.weight_hh_l0');
  const cell = (Object.keys(GATES) as CellType[]).find((k) => GATES[k] * H === GH);
  if (!cell || !CELL_TYPES.includes(cell)) throw new Error(`rnn.weight_hh_l0 has shape [${GH}, ${H}]: not 1, 3 or 4 gate blocks of ${H}`);
  const vocabSize = shape('decoder.weight')[0];
  const layerNorm = tensors.some((t) => t.name === 'rnn.ln_ih_weight_l0');
  const enc = tensors.find((t) => t.name === EMBEDDING_TENSOR); // nn.Embedding (V, n) before the recurrent layers
  return { cell, layers, hidden: H, vocabSize, dropout: 0, ...(layerNorm ? { layerNorm } : {}), ...(enc && enc.shape.length === 2 ? { embed: enc.shape[1] } : {}) };
}

/** A metadata value's JSON, within a checkpoint's limits (depth, values, string lengths: bounded.ts). */
function parseMeta(meta: Record<string, string>, key: string): unknown {
  if (!Object.hasOwn(meta, key)) return undefined;
  try {
    return parseJsonBounded(meta[key], CHECKPOINT_JSON_LIMITS, `metadata ${key}`);
  } catch (e) {
    if (e instanceof CharnnError) throw new Error(`metadata ${key}: ${e.why}`);
    throw new Error(`metadata ${key} is not JSON`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * A sampling-only checkpoint from safetensors bytes. `vocab` replaces (or supplies) the vocabulary; it is needed
 * when the file has no charnn.vocab metadata.
 */
export function checkpointFromSafetensors(bytes: Uint8Array, vocab?: string[]): CheckpointInput {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const m = parseMeta(metadata, 'charnn.model');
  if (m !== undefined && !isObj(m)) throw new Error(`metadata charnn.model is ${quote(m)}, not an object`);
  const model = (m as ModelConfig | undefined) ?? configFromTensors(tensors);
  try {
    validateModelConfig(model);
  } catch (e) {
    throw new Error(`the model config: ${safeText((e as Error).message, 200)}`);
  }
  const v = vocab ?? parseMeta(metadata, 'charnn.vocab');
  if (v === undefined) throw new Error('the file has no charnn.vocab metadata (give the corpus it was trained on: --vocab-from FILE)');
  if (!Array.isArray(v)) throw new Error(`metadata charnn.vocab is ${quote(v)}, not a list of characters`);
  if (v.length !== model.vocabSize) throw new Error(`the vocabulary has ${v.length} characters, the model ${model.vocabSize}`);
  const config = parseMeta(metadata, 'charnn.config') ?? {};
  if (!isObj(config)) throw new Error(`metadata charnn.config is ${quote(config)}, not an object`);
  const corpus = parseMeta(metadata, 'charnn.corpus') ?? null;
  const progress = newProgress();
  const step = Number(metadata['charnn.step']);
  if (Number.isSafeInteger(step) && step >= 0) progress.step = step;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new Error(`tensor ${quote(t.name)} has a value that is not finite (${t.data[i]}) at index ${i}: the weights are damaged`);
    }
  }
  const c: CheckpointInput = { model, vocab: v as string[], tensors: tensors as Tensor[], optimizer: null, progress, rng: {}, state: null, corpus: corpus as CorpusInfo | null, config };
  // everything a checkpoint is checked for when it is loaded (vocabulary, config, corpus, tensors against the
  // config), before the caller writes anything: an imported file is one every command can load
  checkLoadable(c);
  return c;
}

/** The checks loadCheckpoint makes, on a checkpoint about to be written (validate.ts). Throws CheckpointError. */
function checkLoadable(c: CheckpointInput): void {
  const head = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, charnn: VERSION, created: '', model: c.model, vocab: c.vocab, config: c.config, corpus: c.corpus, progress: c.progress, rng: c.rng, checksum: 'sha256:', tensors: {}, optimizer: null, state: null };
  validateCheckpointJSON(head);
  checkTensorsMatch(c.model, c.vocab, c.tensors);
}
