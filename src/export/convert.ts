/**
 * Checkpoints to the field's weight formats and back: a checkpoint's weights as safetensors (metadata: vocabulary,
 * model config, training config, corpus, step) or as an ONNX step graph; a safetensors file as a sampling-only
 * checkpoint again. A safetensors file from elsewhere (no charnn metadata) is read too: the model config comes
 * from the tensor shapes, the vocabulary from a corpus (its sorted code points, as training builds it).
 * Pure: checkpoints and bytes in and out; the CLI does the files.
 */
import type { CheckpointInput } from '../checkpoint/codec.js';
import { newProgress, type Checkpoint, type CorpusInfo } from '../checkpoint/schema.js';
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

function parseMeta<T>(meta: Record<string, string>, key: string): T | undefined {
  if (meta[key] === undefined) return undefined;
  try {
    return JSON.parse(meta[key]) as T;
  } catch {
    throw new Error(`metadata ${key} is not JSON`);
  }
}

/**
 * A sampling-only checkpoint from safetensors bytes. `vocab` replaces (or supplies) the vocabulary; it is needed
 * when the file has no charnn.vocab metadata.
 */
export function checkpointFromSafetensors(bytes: Uint8Array, vocab?: string[]): CheckpointInput {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const model = parseMeta<ModelConfig>(metadata, 'charnn.model') ?? configFromTensors(tensors);
  validateModelConfig(model);
  const v = vocab ?? parseMeta<string[]>(metadata, 'charnn.vocab');
  if (!v) throw new Error('the file has no charnn.vocab metadata (give the corpus it was trained on: --vocab-from FILE)');
  if (v.length !== model.vocabSize) throw new Error(`the vocabulary has ${v.length} characters, the model ${model.vocabSize}`);
  const progress = newProgress();
  const step = Number(metadata['charnn.step']);
  if (Number.isInteger(step) && step >= 0) progress.step = step;
  return {
    model,
    vocab: v,
    tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.data) })),
    optimizer: null,
    progress,
    rng: {},
    state: null,
    corpus: parseMeta<CorpusInfo>(metadata, 'charnn.corpus') ?? null,
    config: parseMeta<Record<string, unknown>>(metadata, 'charnn.config') ?? {},
  };
}
