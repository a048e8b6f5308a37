/**
 * Checkpoint validation: every way a file can be wrong gets its own clear message and a hint.
 * Order of checks: JSON -> is it a charnn checkpoint (format tag) -> version -> structure -> (in codec) tensor
 * shapes vs the model config -> vocabulary vs tensors -> checksum.
 */
import { CELL_TYPES, GATES, inputWidth, STATE_SLOTS, validateModelConfig, type ModelConfig } from '../model/config.js';
import { EMBEDDING_TENSOR, START_STATE_TENSOR } from '../model/layout.js';
import { quote, safeText } from '../errors.js';
import { VERSION } from '../version.js';
import { CHECKPOINT_JSON_LIMITS, parseJsonBounded } from './bounded.js';
import { CheckpointError } from './errors.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointJSON, type Tensor, type TensorJSON } from './schema.js';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function bad(what: string, hint = 'the file is damaged or was edited by hand; use another checkpoint'): never {
  throw new CheckpointError(what, hint);
}

/** Parse checkpoint text within the limits (bounded.ts; `scanned`: already checked as it was read);
 *  distinguishes empty, truncated and non-JSON input. */
export function parseCheckpointText(text: string, scanned = false): unknown {
  if (text.trim().length === 0) bad('the file is empty', 'it was probably never written completely; use another checkpoint');
  try {
    return scanned ? JSON.parse(text) : parseJsonBounded(text, CHECKPOINT_JSON_LIMITS);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const t = text.trimStart();
    if (t.startsWith('{') && !text.trimEnd().endsWith('}')) bad('the file is truncated (its JSON ends early)');
    bad('the file is not JSON', 'a charnn checkpoint is a .json file written by `charnn train`');
  }
}

/** Check that a parsed document is a charnn checkpoint this version can read, with every field well-formed. */
export function validateCheckpointJSON(doc: unknown): CheckpointJSON {
  if (!isObj(doc) || !('format' in doc)) {
    bad('this JSON document is not a charnn checkpoint (no "format" field)', 'pass a checkpoint written by `charnn train`');
  }
  if (doc.format !== CHECKPOINT_FORMAT) {
    bad(`wrong format tag ${quote(doc.format)}, expected "${CHECKPOINT_FORMAT}"`, 'pass a checkpoint written by `charnn train`');
  }
  if (!isNat(doc.version) || doc.version < 1) bad(`invalid format version ${quote(doc.version)}`);
  if (doc.version > CHECKPOINT_VERSION) {
    const writer = typeof doc.charnn === 'string' ? safeText(doc.charnn, 40) : 'a newer version';
    bad(
      `format version ${doc.version} (written by charnn ${writer}) is newer than this charnn ${VERSION} reads (version ${CHECKPOINT_VERSION})`,
      `upgrade charnn to ${writer} or later: npm install -g charnn@latest`,
    );
  }
  if (typeof doc.charnn !== 'string') bad('field "charnn" (writer version) is missing');
  if (typeof doc.created !== 'string') bad('field "created" is missing');
  checkModelConfig(doc.model);
  checkVocab(doc.vocab);
  if (!isObj(doc.config)) bad('field "config" (training config) is missing');
  if (doc.corpus !== null) {
    const c = doc.corpus;
    if (!isObj(c) || typeof c.source !== 'string' || !(c.path === undefined || typeof c.path === 'string') || !isNat(c.bytes) || !isNat(c.chars) || typeof c.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(c.sha256)) {
      bad('field "corpus" is malformed');
    }
    // optional (newer writers): the files, each a document, and the preparation
    const sha = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
    if (c.files !== undefined && !(Array.isArray(c.files) && c.files.every((f) => isObj(f) && typeof f.name === 'string' && isNat(f.bytes) && sha(f.sha256)))) {
      bad('field "corpus.files" is malformed');
    }
    const p = c.preparation;
    if (p !== undefined && !(isObj(p) && (p.newline === 'keep' || p.newline === 'lf') && typeof p.nfc === 'boolean' && isNat(p.minCharCount) && (p.minCharCount as number) >= 1)) {
      bad('field "corpus.preparation" is malformed');
    }
  }
  checkProgress(doc.progress);
  if (!isObj(doc.rng)) bad('field "rng" is missing');
  for (const [k, s] of Object.entries(doc.rng)) {
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => isNat(w) && w <= 0xffffffff)) bad(`RNG state ${quote(k)} must be four unsigned 32-bit integers`);
  }
  if (typeof doc.checksum !== 'string' || !doc.checksum.startsWith('sha256:')) bad('field "checksum" is missing');
  if (!isObj(doc.tensors)) bad('field "tensors" is missing');
  for (const [name, t] of Object.entries(doc.tensors)) checkTensorJSON(t, `tensor ${safeText(name, 60)}`);
  if (doc.optimizer !== null) {
    const o = doc.optimizer;
    if (!isObj(o) || typeof o.name !== 'string' || !isNat(o.t) || !isObj(o.slots)) bad('field "optimizer" is malformed');
    for (const [slot, list] of Object.entries(o.slots)) {
      if (!isObj(list)) bad(`optimizer slot ${quote(slot)} is malformed`);
      for (const [name, t] of Object.entries(list)) checkTensorJSON(t, `optimizer ${safeText(slot, 40)} ${safeText(name, 60)}`);
    }
  }
  if (doc.state !== null) checkTensorJSON(doc.state, 'hidden state');
  return doc as unknown as CheckpointJSON;
}

function checkModelConfig(m: unknown): asserts m is ModelConfig {
  if (!isObj(m)) bad('field "model" (model config) is missing');
  if (!CELL_TYPES.includes(m.cell as never)) bad(`model cell ${quote(m.cell)} is not one of ${CELL_TYPES.join(', ')}`);
  try {
    validateModelConfig(m as unknown as ModelConfig);
  } catch (e) {
    bad(`model config: ${safeText((e as Error).message, 200)}`);
  }
}

function checkVocab(v: unknown): asserts v is string[] {
  if (!Array.isArray(v)) bad('field "vocab" is missing');
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (typeof ch !== 'string' || [...ch].length !== 1) bad(`vocabulary entry ${i} is not a single character: ${quote(ch, 20)}`);
    if (seen.has(ch)) bad(`vocabulary has ${quote(ch)} twice (ids must map to distinct characters)`);
    seen.add(ch);
  }
}

function checkProgress(p: unknown): void {
  if (!isObj(p)) bad('field "progress" is missing');
  for (const k of ['step', 'epoch', 'position', 'chars', 'elapsedMs'] as const) {
    if (!isNat(p[k])) bad(`progress.${k} must be a non-negative integer, got ${quote(p[k])}`);
  }
  if (!Array.isArray(p.lossHistory)) bad('progress.lossHistory must be a list');
  for (const pt of p.lossHistory) {
    if (!isObj(pt) || !isNat(pt.step) || !isNum(pt.train) || !(pt.val === undefined || isNum(pt.val))) {
      bad('progress.lossHistory has a malformed point');
    }
  }
  const q = p.pending;
  if (!isObj(q) || !isNum(q.sum) || !isNat(q.count)) bad('progress.pending is malformed');
  if (!(p.bestValLoss === null || isNum(p.bestValLoss))) bad('progress.bestValLoss must be a number or null');
  if (!(p.bestValStep === null || isNat(p.bestValStep))) bad('progress.bestValStep must be a step number or null');
  if (!(p.firstLoss === null || isNum(p.firstLoss))) bad('progress.firstLoss must be a number or null');
}

function checkTensorJSON(t: unknown, where: string): asserts t is TensorJSON {
  if (!isObj(t) || !Array.isArray(t.shape) || typeof t.data !== 'string') bad(`${where} is malformed (needs shape, dtype, data)`);
  if (t.shape.length > 8) bad(`${where} has ${t.shape.length} dimensions (charnn's tensors have at most 4)`);
  if (!t.shape.every((d) => isNat(d))) bad(`${where} has an invalid shape (${t.shape.length} dimensions: ${safeText(JSON.stringify(t.shape.slice(0, 8)), 80)})`);
}

/** The PyTorch state_dict names and shapes a model with this config has, in state_dict order. */
export function expectedTensorShapes(c: ModelConfig): Array<{ name: string; shape: number[] }> {
  const GH = GATES[c.cell] * c.hidden;
  const out: Array<{ name: string; shape: number[] }> = [];
  if (c.embed) out.push({ name: EMBEDDING_TENSOR, shape: [c.vocabSize, c.embed] });
  for (let k = 0; k < c.layers; k++) {
    const D = k === 0 ? inputWidth(c) : c.hidden;
    out.push({ name: `rnn.weight_ih_l${k}`, shape: [GH, D] });
    out.push({ name: `rnn.weight_hh_l${k}`, shape: [GH, c.hidden] });
    out.push({ name: `rnn.bias_ih_l${k}`, shape: [GH] });
    out.push({ name: `rnn.bias_hh_l${k}`, shape: [GH] });
  }
  out.push({ name: 'decoder.weight', shape: [c.vocabSize, c.hidden] });
  out.push({ name: 'decoder.bias', shape: [c.vocabSize] });
  if (c.startState === 'learned') out.push({ name: START_STATE_TENSOR, shape: [c.layers, STATE_SLOTS[c.cell], c.hidden] });
  if (c.layerNorm) {
    for (let k = 0; k < c.layers; k++) {
      for (const part of ['ih', 'hh']) for (const kind of ['weight', 'bias']) out.push({ name: `rnn.ln_${part}_${kind}_l${k}`, shape: [GH] });
      if (c.cell === 'lstm') for (const kind of ['weight', 'bias']) out.push({ name: `rnn.ln_c_${kind}_l${k}`, shape: [c.hidden] });
    }
  }
  return out;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Tensors against the config and the vocabulary. The vocabulary check comes first so that a vocabulary edited
 * out of step with the weights is reported as such rather than as a shape mismatch.
 */
export function checkTensorsMatch(c: ModelConfig, vocab: readonly string[], tensors: readonly Tensor[], what = 'tensor'): void {
  const want = expectedTensorShapes(c);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const dec = byName.get('decoder.weight');
  if (vocab.length !== c.vocabSize) {
    bad(`the vocabulary has ${vocab.length} characters but the model config says ${c.vocabSize}`);
  }
  if (dec && dec.shape.length === 2 && dec.shape[0] !== vocab.length) {
    bad(`the vocabulary has ${vocab.length} characters but decoder.weight has ${dec.shape[0]} rows (one per character)`);
  }
  const cfg = `${c.cell} ${c.layers}x${c.hidden}, vocabulary ${c.vocabSize}`;
  for (const w of want) {
    const t = byName.get(w.name);
    if (!t) bad(`${what} ${w.name} is missing (the config ${cfg} needs it)`);
    if (!same(t.shape, w.shape)) bad(`${what} ${w.name} has shape ${fmt(t.shape)} but the config (${cfg}) needs ${fmt(w.shape)}`);
  }
  const known = new Set(want.map((w) => w.name));
  const extra = tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (extra.length) {
    const names = extra.slice(0, 5).map((x) => safeText(x, 60)).join(', ') + (extra.length > 5 ? ` and ${extra.length - 5} more` : '');
    bad(`unexpected ${what}${extra.length > 1 ? 's' : ''} ${names} for the config (${cfg})`);
  }
}

/** The hidden state must be (L, S, B, H) for the config. */
export function checkStateShape(c: ModelConfig, shape: readonly number[]): void {
  const S = STATE_SLOTS[c.cell];
  if (shape.length !== 4 || shape[0] !== c.layers || shape[1] !== S || shape[3] !== c.hidden || shape[2] < 1) {
    bad(`hidden state has shape ${fmt(shape)} but the config needs [${c.layers}, ${S}, B, ${c.hidden}]`);
  }
}
