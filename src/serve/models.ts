/**
 * The models a server offers: the checkpoints named at start, each loaded once (weights shared by every
 * stream), under a short name. Clients only ever see names and cards, never paths.
 */
import { basename, dirname } from 'node:path';
import type { Checkpoint } from '../checkpoint/schema.js';
import { expectedTensorShapes } from '../checkpoint/validate.js';
import type { Vocab } from '../data/vocab.js';
import type { Kernels } from '../math/kernels.js';
import { BatchSampler } from '../sample/batch.js';
import type { CharRNN } from '../model/char-rnn.js';
import { modelOn } from '../commands/sample/model.js';

/** What GET /v1/models tells about a model (the page's card and loss curve). */
interface ModelCard {
  name: string;
  cell: string;
  layers: number;
  hidden: number;
  dropout: number;
  params: number;
  /** the characters it knows, in id order */
  vocab: string;
  /** the corpus's name (a path is cut to its file name) and size, when recorded */
  corpus: { name: string; chars: number; bytes: number } | null;
  steps: number;
  trainedChars: number;
  trainedMs: number;
  bestValLoss: number | null;
  bestValStep: number | null;
  lossHistory: { step: number; train: number; val?: number }[];
  created: string;
  charnnVersion: string;
}

export interface ServedModel {
  readonly name: string;
  readonly card: ModelCard;
  readonly checkpoint: Checkpoint;
  readonly vocab: Vocab;
  readonly model: CharRNN;
  /** the streams of plain stream requests, batched */
  readonly sampler: BatchSampler;
}

/** A model's name from its path: run folders' best.json / latest.json take the folder's name. */
function nameOf(path: string): string {
  const file = basename(path);
  const stem = /^(best|latest)\.json$/i.test(file) ? basename(dirname(path)) : file.replace(/\.json$/i, '');
  return stem.replace(/[^\w.-]+/g, '_').replace(/^[._-]+/, '') || 'model';
}

/** Names for the paths, made unique with -2, -3, ... in order. */
export function uniqueNames(paths: readonly string[]): string[] {
  const used = new Set<string>();
  return paths.map((p) => {
    const base = nameOf(p);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return name;
  });
}

function cardOf(name: string, c: Checkpoint): ModelCard {
  const m = c.model;
  const p = c.progress;
  return {
    name,
    cell: m.cell,
    layers: m.layers,
    hidden: m.hidden,
    dropout: m.dropout,
    params: expectedTensorShapes(m).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0),
    vocab: c.vocab.join(''),
    corpus: c.corpus ? { name: basename(c.corpus.source), chars: c.corpus.chars, bytes: c.corpus.bytes } : null,
    steps: p.step,
    trainedChars: p.chars,
    trainedMs: p.elapsedMs,
    bestValLoss: p.bestValLoss,
    bestValStep: p.bestValStep,
    lossHistory: p.lossHistory.map((q) => (q.val === undefined ? { step: q.step, train: q.train } : { step: q.step, train: q.train, val: q.val })),
    created: c.created,
    charnnVersion: c.charnnVersion,
  };
}

/** One served model: weights on `kernels`, room for `capacity` streams at once. */
export function serveModel(kernels: Kernels, name: string, c: Checkpoint, capacity: number): ServedModel {
  const { vocab, model } = modelOn(kernels, c, name);
  return { name, card: cardOf(name, c), checkpoint: c, vocab, model, sampler: new BatchSampler(model, vocab, capacity) };
}
