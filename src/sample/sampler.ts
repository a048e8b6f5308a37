/**
 * Sampling text from a trained model, one character at a time (pure core: no I/O).
 *
 * Per character: model.step (ids (1) -> logits (1, V), state carried) -> logits / temperature -> softmax ->
 * optional top-k and top-p cut -> seeded categorical draw. Every buffer is allocated once in the constructor,
 * so the loop allocates nothing per character; text is produced per chunk.
 *
 * Dimension legend: V vocabulary, L layers, S state slots, H hidden.
 */
import type { Kernels, Vec } from '../math/kernels.js';
import { Rng } from '../math/rng.js';
import type { ModelConfig } from '../model/config.js';
import { describeCodePoint, type Vocab } from '../data/vocab.js';
import { CharnnError } from '../errors.js';
import { allBanned, type Bans } from './ban.js';

/** What the sampler needs from a model (CharRNN satisfies it). */
export interface StepModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  newState(B: number): Vec;
  step(logits: Vec, ids: Int32Array, B: number, state: Vec): void;
}

export interface SampleOptions {
  /** softmax temperature; 0 means always the most likely character (argmax) */
  temperature?: number;
  /** keep only the k most likely characters (0 = off) */
  topK?: number;
  /** keep the smallest set of most likely characters whose probability reaches p (1 = off) */
  topP?: number;
  /** seed of the draws (same seed, same model, same text) */
  seed?: number;
  /** or an existing generator */
  rng?: Rng;
  /** strings never to emit (ban.ts) */
  ban?: Bans;
}

export class Sampler {
  readonly V: number;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  private readonly rng: Rng;
  private readonly state: Vec; // (L, S, 1, H)
  private readonly logits: Vec; // (1, V)
  private readonly ids: Int32Array; // (1) the input id of the next step
  private readonly probs: Float64Array; // (V) unnormalised probabilities of the current draw
  private readonly order: Int32Array; // (V) ids sorted by probability, for top-k / top-p
  private readonly chunk: Int32Array; // code points of the chunk being built
  /** true once logits hold a prediction (after priming or a draw) */
  private ready = false;
  // banned strings: the last ids fed (a ring of bans.memory), and the ids forbidden at this draw
  private readonly bans: Bans | null;
  private readonly recent: Int32Array;
  private fed = 0;
  private readonly banned: Uint8Array; // (V)

  /**
   * @param vocab the model's vocabulary (id -> code point)
   * @param chunkSize characters per yielded chunk of text
   */
  constructor(
    readonly model: StepModel,
    readonly vocab: Vocab,
    opts: SampleOptions = {},
    readonly chunkSize = 64,
  ) {
    const V = model.config.vocabSize;
    if (vocab.size !== V) throw new CharnnError(`the vocabulary has ${vocab.size} characters but the model has ${V} outputs`);
    this.V = V;
    this.temperature = opts.temperature ?? 1;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    if (!(this.temperature >= 0) || !Number.isFinite(this.temperature)) throw new CharnnError(`temperature must be a number >= 0, got ${this.temperature}`);
    if (!Number.isInteger(this.topK) || this.topK < 0) throw new CharnnError(`top-k must be an integer >= 0, got ${this.topK}`);
    if (!(this.topP > 0 && this.topP <= 1)) throw new CharnnError(`top-p must be in (0, 1], got ${this.topP}`);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new CharnnError(`chunk size must be a positive integer, got ${chunkSize}`);
    this.rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const k = model.kernels;
    this.state = model.newState(1);
    this.logits = k.alloc(V);
    this.ids = k.allocI32(1);
    this.probs = new Float64Array(V);
    this.order = new Int32Array(V);
    this.chunk = new Int32Array(chunkSize);
    this.bans = opts.ban && opts.ban.size ? opts.ban : null;
    this.recent = new Int32Array(Math.max(1, this.bans?.memory ?? 0));
    this.banned = new Uint8Array(this.bans ? V : 0);
  }

  /** Ids of the characters of `text`, or an error naming the characters the model never saw. With `skipUnknown`
   *  those characters are dropped instead. */
  encode(text: string, skipUnknown = false): number[] {
    const ids: number[] = [];
    const unknown = new Set<string>();
    for (const ch of text) {
      const id = this.vocab.idOf(ch);
      if (id < 0) unknown.add(ch);
      else ids.push(id);
    }
    if (unknown.size && !skipUnknown) {
      const list = [...unknown].map((c) => describeCodePoint(c.codePointAt(0)!)).join(', ');
      throw new CharnnError(
        `the prime has ${unknown.size} character${unknown.size > 1 ? 's' : ''} the model never saw: ${list}`,
        'remove them, or pass --skip-unknown to drop them',
      );
    }
    return ids;
  }

  /** Run ids through the model (the prime); afterwards the next draw continues the text. */
  feed(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) this.stepId(ids[i]);
  }

  /** Draw the next character id and feed it back. Before any feed, the first id is drawn uniformly. */
  next(): number {
    const id = this.ready ? this.draw() : this.rng.int(this.V);
    this.stepId(id);
    return id;
  }

  /**
   * Generate `length` characters (Infinity: without end) as chunks of text of at most chunkSize characters.
   * The caller may stop iterating at any time.
   */
  *generate(length: number): Generator<string, void, undefined> {
    if (!(length >= 0)) throw new CharnnError(`length must be >= 0, got ${length}`);
    const chunk = this.chunk;
    const codes = this.vocab.codePoints;
    let left = length;
    while (left > 0) {
      const n = Math.min(this.chunkSize, left);
      for (let i = 0; i < n; i++) chunk[i] = codes[this.next()];
      left -= n;
      yield String.fromCodePoint.apply(null, chunk.subarray(0, n) as unknown as number[]);
    }
  }

  private stepId(id: number): void {
    if (this.bans) this.recent[this.fed++ % this.recent.length] = id;
    this.ids[0] = id;
    this.model.step(this.logits, this.ids, 1, this.state);
    this.ready = true;
  }

  /** One draw from the current logits (1, V); ids that would complete a banned string have probability 0. */
  private draw(): number {
    const { V, logits, probs } = this;
    const banned = this.bans ? this.markBanned() : null;
    let best = -1;
    for (let v = 0; v < V; v++) if (!banned?.[v] && (best < 0 || logits[v] > logits[best])) best = v;
    if (best < 0) throw allBanned();
    if (this.temperature === 0) return best;
    const invT = 1 / this.temperature;
    const max = logits[best];
    let total = 0;
    for (let v = 0; v < V; v++) total += probs[v] = banned?.[v] ? 0 : Math.exp((logits[v] - max) * invT);
    if (!(total > 0) || !Number.isFinite(total)) return best; // NaN/inf logits: fall back to argmax
    if ((this.topK > 0 && this.topK < V) || this.topP < 1) total = this.cut(total);
    return this.rng.categorical(probs, V, total);
  }

  /** The ids forbidden at this draw (1), from the ids fed so far. */
  private markBanned(): Uint8Array {
    const { banned, recent } = this;
    banned.fill(0);
    this.bans!.mark(banned, (k) => recent[(this.fed - k) % recent.length], Math.min(this.fed, recent.length));
    return banned;
  }

  /** Zero every probability outside the top-k and the top-p nucleus; returns the remaining total. */
  private cut(total: number): number {
    const { V, probs, order } = this;
    for (let v = 0; v < V; v++) order[v] = v;
    heapSortDescending(order, probs, V);
    const k = this.topK > 0 ? Math.min(this.topK, V) : V;
    let keep = k;
    if (this.topP < 1) {
      // the nucleus is measured within the top-k (renormalised), as Hugging Face's samplers chain them
      let kTotal = 0;
      for (let i = 0; i < k; i++) kTotal += probs[order[i]];
      let cum = 0;
      for (keep = 0; keep < k; ) {
        cum += probs[order[keep++]];
        if (cum >= this.topP * kTotal) break;
      }
    }
    let kept = 0;
    for (let i = 0; i < keep; i++) kept += probs[order[i]];
    for (let i = keep; i < V; i++) probs[order[i]] = 0;
    return kept > 0 ? kept : total;
  }
}

/**
 * Sort ids (n) in place by key descending, ties by smaller id first; heapsort, so no allocation.
 * The heap keeps at its top the element that belongs LAST in the output and moves it to the end each round.
 */
function heapSortDescending(ids: Int32Array, key: Float64Array, n: number): void {
  const later = (a: number, b: number) => key[a] < key[b] || (key[a] === key[b] && a > b); // a belongs after b
  const sift = (root: number, end: number) => {
    for (;;) {
      let child = 2 * root + 1;
      if (child >= end) return;
      if (child + 1 < end && later(ids[child + 1], ids[child])) child++;
      if (!later(ids[child], ids[root])) return;
      const t = ids[root]; ids[root] = ids[child]; ids[child] = t;
      root = child;
    }
  };
  for (let i = (n >> 1) - 1; i >= 0; i--) sift(i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = ids[0]; ids[0] = ids[end]; ids[end] = t;
    sift(0, end);
  }
}
