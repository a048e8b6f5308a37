/** Checkpoint <-> JSON text. Decoding validates everything (see validate.ts) and verifies the checksum. */
import { quote } from '../errors.js';
import { VERSION } from '../version.js';
import { checkpointChecksum, checkpointChecksumV2 } from './checksum.js';
import { CheckpointError } from './errors.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type CheckpointJSON, type Tensor, type TensorJSON } from './schema.js';
import { decodeTensor, encodeTensor } from './tensor-codec.js';
import { checkStateShape, checkTensorsMatch, parseCheckpointText, validateCheckpointJSON } from './validate.js';

/** The fields a caller fills; version, writer and time are stamped here. */
export type CheckpointInput = Omit<Checkpoint, 'charnnVersion' | 'created' | 'formatVersion'> & Partial<Pick<Checkpoint, 'created'>>;

/** The fields the version-2 checksum covers besides the tensor data (see checksum.ts). */
function checksumHeader(d: Omit<CheckpointJSON, 'checksum' | 'tensors' | 'optimizer' | 'state'>, optimizer: { name: string; t: number } | null) {
  const { format, version, charnn, created, model, vocab, config, corpus, progress, rng } = d;
  return { format, version, charnn, created, model, vocab, config, corpus, progress, rng, optimizer };
}

export function encodeCheckpoint(c: CheckpointInput): CheckpointJSON {
  const tensors = (list: Tensor[]): Record<string, TensorJSON> => {
    const out: Record<string, TensorJSON> = {};
    for (const t of list) out[t.name] = encodeTensor(t.shape, t.data, t.storage);
    return out;
  };
  checkTensorsMatch(c.model, c.vocab, c.tensors);
  if (c.state) checkStateShape(c.model, c.state.shape);
  const slots: Record<string, Record<string, TensorJSON>> = {};
  if (c.optimizer) for (const [slot, list] of Object.entries(c.optimizer.slots)) slots[slot] = tensors(list);
  const head: Omit<CheckpointJSON, 'checksum' | 'tensors' | 'optimizer' | 'state'> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    charnn: VERSION,
    created: c.created ?? new Date().toISOString(),
    model: { ...c.model },
    vocab: [...c.vocab],
    config: c.config,
    corpus: c.corpus,
    progress: c.progress,
    rng: c.rng,
  };
  const opt = c.optimizer ? { name: c.optimizer.name, t: c.optimizer.t } : null;
  return {
    ...head,
    checksum: checkpointChecksumV2(checksumHeader(head, opt), { tensors: c.tensors, optimizerSlots: c.optimizer?.slots ?? null, state: c.state }),
    tensors: tensors(c.tensors),
    optimizer: c.optimizer ? { name: c.optimizer.name, t: c.optimizer.t, slots } : null,
    state: c.state ? encodeTensor(c.state.shape, c.state.data) : null,
  };
}

/** JSON text for a checkpoint. Big tensors are single long base64 strings, so no pretty-printing is needed
 *  for them; the small header fields stay readable because they come first. */
export function checkpointToText(c: CheckpointInput): string {
  return JSON.stringify(encodeCheckpoint(c)) + '\n';
}

/** Parse, validate, decode and verify a checkpoint. Throws CheckpointError with a clear message. `scanned`: the
 *  text's JSON limits were checked as it was read (loadCheckpoint), so they are not checked again. */
export function decodeCheckpoint(text: string, scanned = false): Checkpoint {
  const doc = validateCheckpointJSON(parseCheckpointText(text, scanned));
  const list = (rec: Record<string, TensorJSON>, where: string): Tensor[] =>
    Object.entries(rec).map(([name, t]) => {
      const data = decodeTensor(t, `${where} ${name}`);
      return t.dtype === 'float32' ? { name, shape: [...t.shape], data } : { name, shape: [...t.shape], data, storage: t.dtype };
    });
  const tensors = list(doc.tensors, 'tensor');
  const slots: Record<string, Tensor[]> = {};
  if (doc.optimizer) for (const [slot, rec] of Object.entries(doc.optimizer.slots)) slots[slot] = list(rec, `optimizer ${slot}`);
  const state = doc.state ? { shape: [...doc.state.shape], data: decodeTensor(doc.state, 'hidden state') } : null;

  // shapes first: a config edited out of step with the tensors is reported as such, not only as a mismatch
  checkTensorsMatch(doc.model, doc.vocab, tensors);
  if (doc.optimizer) for (const [slot, ts] of Object.entries(slots)) checkTensorsMatch(doc.model, doc.vocab, ts, `optimizer ${slot} tensor`);
  if (state) checkStateShape(doc.model, state.shape);
  const data = { tensors, optimizerSlots: doc.optimizer ? slots : null, state };
  if (doc.version >= 2) {
    const opt = doc.optimizer ? { name: doc.optimizer.name, t: doc.optimizer.t } : null;
    if (checkpointChecksumV2(checksumHeader(doc, opt), data) !== doc.checksum) {
      throw new CheckpointError(
        'checksum mismatch: the file is not what charnn wrote (weights, vocabulary, config or progress changed)',
        'the file is corrupted or was edited; use another checkpoint (best.json or latest.json)',
      );
    }
  } else {
    // version 1 covered the tensors only; its vocabulary is at least checked to be in the order charnn writes
    if (checkpointChecksum(data) !== doc.checksum) {
      throw new CheckpointError(
        'checksum mismatch: the tensor data is not what was written',
        'the file is corrupted or was edited; use another checkpoint (best.json or latest.json)',
      );
    }
    checkVocabOrder(doc.vocab);
  }
  return {
    formatVersion: doc.version,
    charnnVersion: doc.charnn,
    created: doc.created,
    model: doc.model,
    vocab: doc.vocab,
    tensors,
    optimizer: doc.optimizer ? { name: doc.optimizer.name, t: doc.optimizer.t, slots } : null,
    progress: doc.progress,
    rng: doc.rng,
    state,
    corpus: doc.corpus,
    config: doc.config,
  };
}

/** charnn's vocabularies are sorted by code point; in a version-1 file (whose checksum does not cover the
 *  vocabulary) any other order means entries were swapped or edited. */
function checkVocabOrder(vocab: readonly string[]): void {
  for (let i = 1; i < vocab.length; i++) {
    if (vocab[i - 1].codePointAt(0)! >= vocab[i].codePointAt(0)!) {
      throw new CheckpointError(
        `the vocabulary is not in code point order (entry ${i - 1} ${quote(vocab[i - 1])} comes before ${quote(vocab[i])}): it was edited`,
        'use another checkpoint; a changed vocabulary gives the weights another meaning',
      );
    }
  }
}
